// Command composex turns docker-compose files into CloudFormation templates
// for ECS on Fargate. This file holds flags and wiring only.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/render"
	"github.com/composex/composex/schema"
)

// version is set at build time with -ldflags "-X main.version=..."; a plain
// build reports the module version Go recorded, or "dev".
var version = ""

const (
	exitOK    = 0
	exitInput = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `composex turns docker-compose files into CloudFormation for ECS on Fargate.

Usage:
  composex render   [flags]   render the project into templates
  composex validate [flags]   check the project, write nothing
  composex diff     [flags]   compare a render with a previous output directory (exit 2 if it differs)
  composex schema             print the JSON Schema for editors (compose spec + composex x- keys)
  composex version            print the version
  composex completion SHELL   print a completion script for bash, zsh or fish

Run 'composex COMMAND --help' for the flags of a command.
`

// run is main without the process: it returns the exit status, and never
// lets a panic reach the user as a stack trace.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "composex: internal error: %v\nThis is a bug in composex; please report it with the compose file that caused it.\n", r)
			code = exitInput
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "render":
		return runRender(args[1:], stdout, stderr, true)
	case "validate":
		return runRender(args[1:], stdout, stderr, false)
	case "schema":
		return runSchema(args[1:], stdout, stderr)
	case "completion":
		return runCompletion(args[1:], stdout, stderr)
	case "diff":
		return runDiff(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "composex %s\n", currentVersion())
		return exitOK
	case "help", "-h", "--help":
		if len(args) > 1 && args[0] == "help" {
			// composex help render: the command's own help, on stdout.
			switch args[1] {
			case "render", "validate", "schema", "completion", "diff":
				return run([]string{args[1], "--help"}, stdout, stdout)
			case "version":
				fmt.Fprintln(stdout, "Usage: composex version\n\nPrint the version, commit and build date.")
				return exitOK
			}
			fmt.Fprintf(stderr, "composex help: unknown command %q\n\n%s", args[1], usage)
			return exitUsage
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "composex: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
}

// currentVersion is the stamped version (-ldflags "-X main.version=..."),
// else the module version Go recorded, followed by the commit and its date
// when the binary was built from a git checkout: a plain `go build` says
// which source it came from.
func currentVersion() string {
	v := version
	info, ok := debug.ReadBuildInfo()
	if v == "" {
		v = "dev"
		if ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
	}
	if !ok {
		return v
	}
	var commit, date, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.time":
			date = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if commit == "" {
		return v
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	return fmt.Sprintf("%s (commit %s%s, %s)", v, commit, modified, date)
}

// projectFlags are the docker compose habits shared by render and validate.
type projectFlags struct {
	files      []string
	project    string
	envFiles   []string
	profiles   []string
	workingDir string
	// allowOutside lets the files a compose file names lie outside the
	// project directory.
	allowOutside bool
}

func (p *projectFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&p.files, "file", "f", nil, "compose file; repeat to merge several in order (default: compose.yaml or docker-compose.yml and its override)")
	fs.StringVarP(&p.project, "project-name", "p", "", "project name (default: the directory of the first compose file)")
	fs.StringArrayVar(&p.envFiles, "env-file", nil, "file of variables for interpolation (default: .env beside the compose file)")
	fs.StringArrayVar(&p.profiles, "profile", nil, "profile to enable; repeat for several")
	fs.StringVar(&p.workingDir, "project-directory", "", "directory to search for compose files (default: the current directory)")
	fs.BoolVar(&p.allowOutside, "allow-outside-project", false, "read env_file, label_file and other files the compose file names even when they lie outside the project directory")
}

// fromEnvironment fills what the flags left unset from the variables docker
// compose reads: COMPOSE_FILE (split on COMPOSE_PATH_SEPARATOR, default
// ':'), COMPOSE_PROJECT_NAME and COMPOSE_PROFILES (comma-separated).
func (p *projectFlags) fromEnvironment(getenv func(string) string) {
	if len(p.files) == 0 {
		if files := getenv("COMPOSE_FILE"); files != "" {
			sep := getenv("COMPOSE_PATH_SEPARATOR")
			if sep == "" {
				sep = string(os.PathListSeparator)
			}
			for _, f := range strings.Split(files, sep) {
				if f != "" {
					p.files = append(p.files, f)
				}
			}
		}
	}
	if p.project == "" {
		p.project = getenv("COMPOSE_PROJECT_NAME")
	}
	if len(p.profiles) == 0 {
		for _, prof := range strings.Split(getenv("COMPOSE_PROFILES"), ",") {
			if prof = strings.TrimSpace(prof); prof != "" {
				p.profiles = append(p.profiles, prof)
			}
		}
	}
}

func (p *projectFlags) loadOptions() render.LoadOptions {
	return render.LoadOptions{Files: p.files, ProjectName: p.project, EnvFiles: p.envFiles, Profiles: p.profiles, WorkingDir: p.workingDir, AllowOutsideProject: p.allowOutside}
}

func runRender(args []string, stdout, stderr io.Writer, write bool) int {
	name := "validate"
	if write {
		name = "render"
	}
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf projectFlags
	pf.register(fs)
	var outDir, format, layout string
	var params []string
	var strict, quiet, controlTower bool
	var diagFormat string
	var outFile string // -o NAME.yaml|.yml|.json: one template file
	fs.BoolVar(&strict, "strict", false, "treat warnings as errors: any warning fails the run and nothing is written")
	fs.BoolVarP(&quiet, "quiet", "q", false, "print errors only: no warnings, no summary")
	fs.StringVar(&diagFormat, "diagnostics", "text", "how problems are printed on stderr: text, json (one object a line), github (workflow annotations) or sarif (a SARIF 2.1.0 log for code scanning); all but text print nothing else")
	fs.BoolVar(&controlTower, "control-tower", false, "warn, by AWS Control Tower control ID, about each proactive control the compose file must settle (with --strict: fail)")
	if write {
		fs.StringVarP(&outDir, "output-dir", "o", "out", "directory for the templates, or - to print the template on stdout")
		fs.StringVar(&format, "format", "yaml", "template format: yaml or json")
		fs.StringArrayVar(&params, "param", nil, "KEY=VALUE for the parameters file (e.g. VpcId=vpc-123); repeatable")
		fs.StringVar(&layout, "layout", "auto", "auto: one template unless it would pass a CloudFormation limit, then nested stacks; single or nested to force one")
	}
	fs.Usage = func() {
		if write {
			fmt.Fprintf(stderr, "Usage: composex render [-f FILE]... [FILE]... [-p NAME] [--env-file FILE] [--profile P] [-o DIR] [--format yaml|json] [--layout auto|single|nested] [--param KEY=VALUE]... [--diagnostics text|json|github|sarif]\n\nRender the compose project into CloudFormation templates for ECS on Fargate.\n\n")
		} else {
			fmt.Fprintf(stderr, "Usage: composex validate [-f FILE]... [FILE]... [-p NAME] [--env-file FILE] [--profile P] [--diagnostics text|json|github|sarif]\n\nCheck the compose project and print every problem; write nothing.\n\n")
		}
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		// With ContinueOnError pflag prints nothing; say what was wrong.
		fmt.Fprintf(stderr, "composex %s: %v\nRun 'composex %s --help' for its flags.\n", name, err, name)
		return exitUsage
	}
	// Compose files may also be given as arguments (pre-commit hooks pass
	// them that way), after any -f.
	pf.files = append(pf.files, fs.Args()...)
	pf.fromEnvironment(os.Getenv)
	if write && (strings.HasSuffix(outDir, ".yaml") || strings.HasSuffix(outDir, ".yml") || strings.HasSuffix(outDir, ".json")) {
		if fi, err := os.Stat(outDir); err == nil && fi.IsDir() {
			// an existing directory named like a file stays a directory
		} else {
			outFile = outDir
			if format == "yaml" && strings.HasSuffix(outDir, ".json") {
				format = "json"
			}
		}
	}
	if !slices.Contains(diagnosticFormats, diagFormat) {
		fmt.Fprintf(stderr, "composex %s: --diagnostics %q: allowed: %s\n", name, diagFormat, strings.Join(diagnosticFormats, ", "))
		return exitUsage
	}
	// A machine-readable stream holds diagnostics only: no summary lines.
	machine := diagFormat != "text"
	if layout != "" && layout != string(render.LayoutAuto) && layout != string(render.LayoutSingle) && layout != string(render.LayoutNested) {
		fmt.Fprintf(stderr, "composex render: --layout %q: allowed: auto, single, nested\n", layout)
		return exitUsage
	}
	if format != "" && format != "yaml" && format != "json" {
		fmt.Fprintf(stderr, "composex render: --format %q: allowed: yaml, json\n", format)
		return exitUsage
	}
	values, bad := parseParams(params)
	if bad != "" {
		fmt.Fprintf(stderr, "composex render: --param %q: expected KEY=VALUE\n", bad)
		return exitUsage
	}
	opts := render.Options{
		Load:       pf.loadOptions(),
		Extensions: extensions.All(),
		Validators: []render.Validator{schema.Validator},
		Format:     render.Format(format),
		Layout:     render.Layout(layout),
		Parameters: values,
		// AWS Control Tower proactive controls the compose file must settle.
		ControlTower: controlTower,
	}
	out, ds := render.Render(context.Background(), opts)
	var shown render.Diagnostics
	for _, d := range ds.Sorted() {
		if quiet && d.Severity != render.Error && !strict {
			continue
		}
		shown = append(shown, d)
	}
	if err := writeDiagnostics(stderr, diagFormat, shown, firstComposeFile(pf.files, pf.workingDir)); err != nil {
		fmt.Fprintf(stderr, "composex %s: %v\n", name, err)
		return exitInput
	}
	if machine {
		quiet = true
	}
	if ds.HasErrors() || out == nil {
		if !machine {
			fmt.Fprintf(stderr, "composex %s: %d error(s); nothing written\n", name, len(ds.Errors().Sorted()))
		}
		return exitInput
	}
	if n := len(ds) - len(ds.Errors()); strict && n > 0 {
		if !machine {
			fmt.Fprintf(stderr, "composex %s: %d warning(s) and --strict; nothing written\n", name, n)
		}
		return exitInput
	}
	if !write {
		return exitOK
	}
	if outFile != "" {
		return writeOneTemplate(out, outFile, quiet, stderr)
	}
	if outDir == "-" {
		if n := templates(out); n > 1 {
			fmt.Fprintf(stderr, "composex render: the project needs %d templates (a root and nested stacks), which cannot go to stdout; give -o DIR (or --layout single)\n", n)
			return exitInput
		}
		stdout.Write(out.Files[out.Template])
		return exitOK
	}
	if err := render.WriteFiles(outDir, out.Files); err != nil {
		fmt.Fprintf(stderr, "composex render: %v\n", err)
		return exitInput
	}
	if !quiet {
		writeSummary(stderr, out.Model)
	}
	if quiet {
		return exitOK
	}
	fmt.Fprintf(stderr, "wrote %s/%s", strings.TrimSuffix(outDir, "/"), out.Template)
	if n := templates(out); n > 1 {
		fmt.Fprintf(stderr, " and %d nested stack templates (deploy with aws cloudformation package, then deploy)", n-1)
	}
	fmt.Fprintln(stderr)
	return exitOK
}

// writeOneTemplate writes the template of a single-template render to the
// file -o names (the parameters file beside it, as NAME.params.json), each
// through a temporary file renamed into place.
func writeOneTemplate(out *render.Output, path string, quiet bool, stderr io.Writer) int {
	if n := templates(out); n > 1 {
		fmt.Fprintf(stderr, "composex render: -o %s names one file, but the project needs %d templates (a root and nested stacks); give -o DIR, or --layout single\n", path, n)
		return exitInput
	}
	base := strings.TrimSuffix(path, filepath.Ext(path))
	files := map[string][]byte{path: out.Files[out.Template]}
	for name, body := range out.Files {
		if strings.HasSuffix(name, ".params.json") {
			files[base+".params.json"] = body
		}
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := writeFileAtomically(name, files[name]); err != nil {
			fmt.Fprintf(stderr, "composex render: %v\n", err)
			return exitInput
		}
	}
	if !quiet {
		fmt.Fprintf(stderr, "wrote %s and %s.params.json\n", path, base)
	}
	return exitOK
}

// writeFileAtomically replaces one file: written beside it, then renamed.
func writeFileAtomically(path string, body []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".composex-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(body); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// templates counts the templates of a render (the parameters file aside).
func templates(out *render.Output) int {
	n := 0
	for name := range out.Files {
		if !strings.HasSuffix(name, ".params.json") {
			n++
		}
	}
	return n
}

func runSchema(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("schema", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: composex schema > composex.schema.json\n\nPrint the JSON Schema of compose files with composex's x- extensions, for editors:\nput `# yaml-language-server: $schema=composex.schema.json` at the top of a compose file.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "composex schema: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	out, err := schema.Editor()
	if err != nil {
		fmt.Fprintf(stderr, "composex schema: %v\n", err)
		return exitInput
	}
	stdout.Write(out)
	return exitOK
}
