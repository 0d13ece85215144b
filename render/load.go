package render

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"
)

// LoadOptions are the docker compose habits composex honours.
type LoadOptions struct {
	Files       []string // -f, merged in order; empty means default discovery
	WorkingDir  string   // where default discovery starts; default: current directory
	ProjectName string   // -p; default: the directory of the first file
	EnvFiles    []string // --env-file; default: .env beside the first file
	Profiles    []string // --profile
	// Environment replaces the process environment for interpolation when
	// not nil (tests use it to stay independent of the caller's shell).
	Environment map[string]string
	// AllowOutsideProject lets env_file, label_file and the other files a
	// compose file names lie outside the project directory
	// (--allow-outside-project); by default such a path is refused.
	AllowOutsideProject bool
	// skip is the service keys loadAll sets aside (see loadall.go).
	skip []string
}

// Input is a loaded, merged and interpolated compose project plus what is
// needed to point back into the files the user wrote.
type Input struct {
	Project *types.Project
	Sources *Sources
}

func init() {
	// compose-go reports unset variables through logrus; composex reports
	// through its own diagnostics, so keep logrus quiet.
	logrus.SetOutput(io.Discard)
}

// Load reads the compose files the way docker compose does and validates
// them against the compose specification.
func Load(ctx context.Context, opts LoadOptions) (*Input, Diagnostics) {
	var ds Diagnostics
	fns := []cli.ProjectOptionsFn{}
	if opts.WorkingDir != "" {
		fns = append(fns, cli.WithWorkingDirectory(opts.WorkingDir))
	}
	if opts.Environment != nil {
		env := make([]string, 0, len(opts.Environment))
		for k, v := range opts.Environment {
			env = append(env, k+"="+v)
		}
		fns = append(fns, cli.WithEnv(env))
	} else {
		fns = append(fns, cli.WithOsEnv)
	}
	fns = append(fns, cli.WithEnvFiles(opts.EnvFiles...), cli.WithDotEnv, cli.WithDefaultConfigPath)
	for _, f := range opts.EnvFiles {
		if _, err := os.Stat(f); err != nil {
			ds.Errorf("", "", "env file %s: %v", f, err)
			return nil, ds
		}
	}
	po, err := cli.NewProjectOptions(opts.Files, fns...)
	if err != nil {
		ds.Add(loaderDiagnostic(err, nil))
		return nil, ds
	}
	if len(po.ConfigPaths) == 0 {
		ds.Errorf("", "", "no compose file found: give one with -f, or run where compose.yaml or docker-compose.yml is")
		return nil, ds
	}
	files := make([]string, len(po.ConfigPaths))
	for i, f := range po.ConfigPaths {
		files[i] = displayPath(f)
	}
	var stdin []byte
	if slices.Contains(po.ConfigPaths, "-") {
		// Read standard input once, bounded, so that it gets every check a
		// file gets (the line map, the guard); compose-go then reads the
		// same bytes.
		if stdin, err = io.ReadAll(io.LimitReader(os.Stdin, maxComposeFileBytes+1)); err != nil {
			ds.Errorf("", "", "reading the compose file from standard input: %v", err)
			return nil, ds
		}
	}
	sources := readSources(files, stdin)
	expanded, gds := sources.Guard()
	gds = outsideSetAside(gds, opts.skip)
	if gds.HasErrors() {
		return nil, gds
	}
	wd, err := po.GetWorkingDir()
	if err != nil {
		ds.Add(loaderDiagnostic(err, sources))
		return nil, ds
	}
	details, err := readConfigFiles(ctx, po, wd, stdin)
	if err != nil {
		ds.Add(loaderDiagnostic(err, sources))
		return nil, ds
	}
	pruneConfigFiles(details, opts.skip)
	quoteConfigIntegerKeys(details, sources)
	sourceless := sourcelessSecrets(sources)
	if patch := secretsPatch(sources, sourceless); patch != nil {
		details.ConfigFiles = append(details.ConfigFiles, types.ConfigFile{Filename: secretsPatchName, Content: patch})
	}
	details.Environment = po.Environment
	ds.Add(sources.unsetVariables(po.Environment)...)
	typos := sources.composeKeyTypos()
	ds.Add(typos...)
	loadOpts := []func(*loader.Options){
		// compose-go caps the nodes its reset pass visits at 100,000, which
		// a 3000-service file passes. composex has bounded what the files'
		// aliases expand to (Guard), so the cap can follow the file's size:
		// bombs are refused above, and legitimate projects load.
		func(o *loader.Options) { o.MaxNodeVisits = loaderNodeBudget(expanded) },
		// env_file and label_file are read by composex below, once each path
		// has been checked (inside the project, a regular file, bounded).
		func(o *loader.Options) { o.SkipResolveEnvironment, o.SkipResolveLabels = true, true },
	}
	if opts.ProjectName != "" {
		loadOpts = append(loadOpts, func(o *loader.Options) { o.SetProjectName(opts.ProjectName, true) })
	} else if !namedInFiles(sources) {
		name := loader.NormalizeProjectName(filepath.Base(details.WorkingDir))
		loadOpts = append(loadOpts, func(o *loader.Options) { o.SetProjectName(name, false) })
	}
	if len(opts.Profiles) > 0 {
		loadOpts = append(loadOpts, loader.WithProfiles(opts.Profiles))
	}
	project, err := loadProject(ctx, details, loadOpts, sources)
	if err != nil {
		if !typos.HasErrors() || !sameAsTypos(err) {
			ds.Add(loaderDiagnostics(err, sources)...)
		}
		return nil, ds
	}
	dropSourcelessSecrets(project, sources, sourceless, &ds)
	if fds := append(checkReferencedFiles(project, sources, opts.AllowOutsideProject), checkPortCounts(project, sources)...); fds.HasErrors() {
		return nil, fds
	}
	if project, err = project.WithServicesEnvironmentResolved(false); err == nil {
		project, err = project.WithServicesLabelsResolved(false)
	}
	if err != nil {
		ds.Add(loaderDiagnostic(err, sources))
		return nil, ds
	}
	return &Input{Project: project, Sources: sources}, ds
}

// readConfigFiles is compose-go's ReadConfigFiles, with standard input
// replaced by the bytes composex already read from it (compose-go reads
// os.Stdin itself, and it can be read only once).
func readConfigFiles(ctx context.Context, po *cli.ProjectOptions, wd string, stdin []byte) (*types.ConfigDetails, error) {
	if stdin == nil {
		return po.ReadConfigFiles(ctx, wd, po)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	go func() {
		w.Write(stdin)
		w.Close()
	}()
	saved := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = saved; r.Close() }()
	return po.ReadConfigFiles(ctx, wd, po)
}

// loaderNodeBudget is compose-go's node-visit cap for files that expand to
// n nodes: the reset pass visits each node a few times (once per merge of
// the files and their overrides).
func loaderNodeBudget(n int) int {
	return 100_000 + 4*n
}

// displayPath shows a file relative to the current directory when it is
// below it, so that messages stay short and stable.
func displayPath(f string) string {
	if f == "-" {
		return f
	}
	wd, err := os.Getwd()
	if err != nil {
		return f
	}
	abs, err := filepath.Abs(f)
	if err != nil {
		return f
	}
	if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return abs
}

var (
	reValidating = regexp.MustCompile(`^validating (.+?): (.+)$`)
	reYAMLLine   = regexp.MustCompile(`(?:yaml: )?line (\d+)(?:, column (\d+))?: (.+)$`)
	// The YAML library of compose-go (go.yaml.in/yaml/v4) names a context
	// before the problem: "while parsing a block mapping at line 1, column
	// 3: line 3, column 4: did not find expected key". Parser errors count
	// lines from 0 and point at the problem; scanner errors count from 1
	// and point at the context.
	reYAMLParser = regexp.MustCompile(`while parsing .*\bline (\d+)(?:, column (\d+))?: (.+)$`)
	reYAMLScan   = regexp.MustCompile(`while scanning .*?\bline (\d+)(?:, column (\d+))?: (?:line \d+(?:, column \d+)?: )?(.+)$`)
	reInterp     = regexp.MustCompile(`error while interpolating ([^:]+): (.+)$`)
	reInterpFmt  = regexp.MustCompile(`(?s)^invalid interpolation format for (\S+?)\.?\n.*\n(.*)$`)
	reNoImage    = regexp.MustCompile(`service "([^"]+)" has neither an image nor a build context specified`)
	reFileErr    = regexp.MustCompile(`compose file "([^"]+)"[^:]*: (.+)$`)
	reKeyInMsg   = regexp.MustCompile(`^((?:services|volumes|secrets|networks|configs)\.[^ ]+) (.+)$`)
)

// loaderDiagnostic turns compose-go's error text into a located diagnostic.
// compose-go gives paths but no lines for schema errors; the line is found
// from the YAML tree.
func loaderDiagnostic(err error, sources *Sources) Diagnostic {
	msg := err.Error()
	d := Diagnostic{Severity: Error, Message: msg}
	if m := reFileErr.FindStringSubmatch(msg); m != nil {
		d.File, msg = displayPath(m[1]), m[2]
		d.Message = msg
	}
	if m := reValidating.FindStringSubmatch(msg); m != nil {
		d.File, msg = displayPath(m[1]), m[2]
		d.Message = msg
		if k := reKeyInMsg.FindStringSubmatch(msg); k != nil {
			d.Path, d.Message = k[1], explainSchemaError(k[1], k[2])
		}
	}
	if m := reInterp.FindStringSubmatch(msg); m != nil {
		d.Path, d.Message = m[1], m[2]
	}
	if m := reInterpFmt.FindStringSubmatch(msg); m != nil {
		d.Path = m[1]
		d.Message = fmt.Sprintf("invalid interpolation in %q: write $$ for a literal $ (CloudFormation references such as ${AWS::Region} are not compose variables)", m[2])
	}
	if m := reNoImage.FindStringSubmatch(msg); m != nil {
		d.Path, d.Message = ServicePath(m[1], "image"), "an image is required: ECS runs images and cannot build them; set image (with build, push the image before deploying)"
	}
	if m := yamlErrorLine(msg); m != nil {
		d.Line, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			d.Column, _ = strconv.Atoi(m[2])
		}
		// Say "line N" in words too: people and scripts grep for it.
		d.Message = fmt.Sprintf("YAML syntax error at line %d: %s", d.Line, m[3])
		if d.File == "" && sources != nil && len(sources.files) > 0 {
			d.File = sources.files[0].name
			if name := firstBrokenFile(sources); name != "" {
				d.File = name
			}
		}
	}
	if d.Path != "" {
		d.Service = serviceOfPath(d.Path)
		if d.Line == 0 && sources != nil {
			f, l, c := sources.Locate(d.Path)
			if d.File == "" || d.File == f {
				d.File, d.Line, d.Column = f, l, c
			}
		}
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		d.File, d.Message = displayPath(pe.Path), pe.Err.Error()
	}
	locateLoaderError(&d, sources)
	return d
}

// yamlErrorLine finds the line, column and problem of a YAML syntax error,
// with the line counted from 1.
func yamlErrorLine(msg string) []string {
	if m := reYAMLParser.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		m[1] = strconv.Itoa(line + 1)
		return m
	}
	if m := reYAMLScan.FindStringSubmatch(msg); m != nil {
		return m
	}
	return reYAMLLine.FindStringSubmatch(msg)
}

// firstBrokenFile names the first file that yaml.v3 could not parse.
func firstBrokenFile(s *Sources) string {
	for _, f := range s.files {
		if f.root == nil {
			return f.name
		}
	}
	return ""
}

func serviceOfPath(path string) string {
	parts := splitPath(path)
	if len(parts) >= 2 && parts[0] == "services" {
		return parts[1]
	}
	return ""
}

// explainSchemaError rewrites the compose schema's terse messages.
func explainSchemaError(path, msg string) string {
	if strings.Contains(msg, "additional properties") || msg == "false schema" {
		parts := splitPath(path)
		return fmt.Sprintf("%q is not a compose key here (%s)", parts[len(parts)-1], msg)
	}
	return msg
}

// secretsPatch marks the top-level secrets that only name an AWS secret
// (x-secrets, no file or environment) as external for compose-go, whose
// schema otherwise refuses them; compose-x files are written that way. The
// patch is an extra in-memory file merged last, so the user's files and
// their line numbers stay as written.
func secretsPatch(s *Sources, sourceless map[string]string) []byte {
	names := slices.Sorted(maps.Keys(sourceless))
	for _, name := range s.Keys("secrets") {
		keys := s.Keys("secrets." + Key(name))
		if oneOf("x-secrets", keys) && !oneOf("file", keys) && !oneOf("environment", keys) &&
			!oneOf("external", keys) && !oneOf("driver", keys) && sourceless[name] == "" {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("secrets:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %q:\n    external: true\n", n)
	}
	return []byte(b.String())
}

// namedInFiles reports whether a compose file sets the project name.
func namedInFiles(s *Sources) bool {
	for _, f := range s.files {
		if f.root == nil {
			continue
		}
		if _, v, depth := walk(f.root, []string{"name"}); depth == 1 && v.Value != "" {
			return true
		}
	}
	return false
}
