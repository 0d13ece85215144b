// Command composex turns docker-compose files into CloudFormation templates
// for ECS on Fargate. This file holds flags and wiring only.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
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
  composex schema             print the JSON Schema for editors (compose spec + composex x- keys)
  composex version            print the version

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
	case "version", "--version":
		fmt.Fprintf(stdout, "composex %s\n", currentVersion())
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "composex: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
}

func currentVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

// projectFlags are the docker compose habits shared by render and validate.
type projectFlags struct {
	files      []string
	project    string
	envFiles   []string
	profiles   []string
	workingDir string
}

func (p *projectFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&p.files, "file", "f", nil, "compose file; repeat to merge several in order (default: compose.yaml or docker-compose.yml and its override)")
	fs.StringVarP(&p.project, "project-name", "p", "", "project name (default: the directory of the first compose file)")
	fs.StringArrayVar(&p.envFiles, "env-file", nil, "file of variables for interpolation (default: .env beside the compose file)")
	fs.StringArrayVar(&p.profiles, "profile", nil, "profile to enable; repeat for several")
	fs.StringVar(&p.workingDir, "project-directory", "", "directory to search for compose files (default: the current directory)")
}

func (p *projectFlags) loadOptions() render.LoadOptions {
	return render.LoadOptions{Files: p.files, ProjectName: p.project, EnvFiles: p.envFiles, Profiles: p.profiles, WorkingDir: p.workingDir}
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
	if write {
		fs.StringVarP(&outDir, "output-dir", "o", "out", "directory for the templates, or - to print the template on stdout")
		fs.StringVar(&format, "format", "yaml", "template format: yaml or json")
		fs.StringArrayVar(&params, "param", nil, "KEY=VALUE for the parameters file (e.g. VpcId=vpc-123); repeatable")
		fs.StringVar(&layout, "layout", "auto", "auto: one template unless it would pass a CloudFormation limit, then nested stacks; single or nested to force one")
	}
	fs.Usage = func() {
		if write {
			fmt.Fprintf(stderr, "Usage: composex render [-f FILE]... [-p NAME] [--env-file FILE] [--profile P] [-o DIR] [--format yaml|json] [--layout auto|single|nested] [--param KEY=VALUE]...\n\nRender the compose project into CloudFormation templates for ECS on Fargate.\n\n")
		} else {
			fmt.Fprintf(stderr, "Usage: composex validate [-f FILE]... [-p NAME] [--env-file FILE] [--profile P]\n\nCheck the compose project and print every problem; write nothing.\n\n")
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
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "composex %s: unexpected argument %q\n", name, fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	if layout != "" && layout != string(render.LayoutAuto) && layout != string(render.LayoutSingle) && layout != string(render.LayoutNested) {
		fmt.Fprintf(stderr, "composex render: --layout %q: allowed: auto, single, nested\n", layout)
		return exitUsage
	}
	if format != "" && format != "yaml" && format != "json" {
		fmt.Fprintf(stderr, "composex render: --format %q: allowed: yaml, json\n", format)
		return exitUsage
	}
	values := map[string]string{}
	for _, p := range params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			fmt.Fprintf(stderr, "composex render: --param %q: expected KEY=VALUE\n", p)
			return exitUsage
		}
		values[k] = v
	}
	opts := render.Options{
		Load:       pf.loadOptions(),
		Extensions: extensions.All(),
		Validators: []render.Validator{schema.Validator},
		Format:     render.Format(format),
		Layout:     render.Layout(layout),
		Parameters: values,
	}
	out, ds := render.Render(context.Background(), opts)
	for _, d := range ds.Sorted() {
		fmt.Fprintln(stderr, d.String())
	}
	if ds.HasErrors() || out == nil {
		fmt.Fprintf(stderr, "composex %s: %d error(s); nothing written\n", name, len(ds.Errors().Sorted()))
		return exitInput
	}
	if !write {
		return exitOK
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
	if len(out.Model.Families) <= 20 {
		for _, f := range out.Model.Families {
			fmt.Fprintf(stderr, "family %s: %d container(s), Fargate task %s (%s)\n", f.Name, len(f.Containers), f.Size, f.SizeReason())
		}
	}
	fmt.Fprintf(stderr, "wrote %s/%s", strings.TrimSuffix(outDir, "/"), out.Template)
	if n := templates(out); n > 1 {
		fmt.Fprintf(stderr, " and %d nested stack templates (deploy with aws cloudformation package, then deploy)", n-1)
	}
	fmt.Fprintln(stderr)
	return exitOK
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
