package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/render"
	"github.com/composex/composex/schema"
	"github.com/composex/composex/templatediff"
)

// Exit codes of composex diff, chosen so that a pipeline can gate on them:
// 0 the renders are the same, 2 they differ, 1 anything went wrong (bad
// input or bad flags: never 2, which would read as "differs").
const (
	diffSame    = 0
	diffError   = 1
	diffDiffers = 2
)

const diffUsage = `Usage:
  composex diff --against DIR [-f FILE]... [FILE]... [-p NAME] [--layout auto|single|nested] [--param KEY=VALUE]...
  composex diff --from DIR --to DIR

Compare a render of the compose project with a previous output directory
(--against), or two output directories (--from, --to), and print what a
deploy would change: per template, each parameter, resource and output
added (+), removed (-) or changed (~, with the property paths). YAML and
JSON renders of the same project are equal. Nothing is written and AWS is
never called.

Exit status: 0 the same, 2 they differ, 1 an error.

`

func runDiff(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("diff", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf projectFlags
	pf.register(fs)
	var against, from, to, layout string
	var params []string
	var asJSON, quiet bool
	fs.StringVar(&against, "against", "", "previous output directory to compare a new render with")
	fs.StringVar(&from, "from", "", "with --to: compare two output directories, this one the old")
	fs.StringVar(&to, "to", "", "with --from: the new output directory")
	fs.StringVar(&layout, "layout", "auto", "layout of the new render, as for render")
	fs.StringArrayVar(&params, "param", nil, "KEY=VALUE for the parameters file, as for render; repeatable")
	fs.BoolVar(&asJSON, "json", false, "print the changes as a JSON array")
	fs.BoolVarP(&quiet, "quiet", "q", false, "print nothing; only the exit status says whether the renders differ")
	fs.Usage = func() {
		fmt.Fprint(stderr, diffUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return diffSame
		}
		fmt.Fprintf(stderr, "composex diff: %v\nRun 'composex diff --help' for its flags.\n", err)
		return diffError
	}
	var old, new map[string][]byte
	var err error
	switch {
	case from != "" || to != "":
		if from == "" || to == "" || against != "" || len(fs.Args()) > 0 || len(pf.files) > 0 {
			fmt.Fprintln(stderr, "composex diff: --from and --to go together, without --against or compose files")
			return diffError
		}
		if old, err = templatediff.ReadDir(from); err == nil {
			new, err = templatediff.ReadDir(to)
		}
	case against != "":
		if old, err = templatediff.ReadDir(against); err != nil {
			break
		}
		pf.files = append(pf.files, fs.Args()...)
		pf.fromEnvironment(os.Getenv)
		var ok bool
		if new, ok = renderForDiff(pf, layout, params, quiet, stderr); !ok {
			return diffError
		}
	default:
		fmt.Fprintln(stderr, "composex diff: give --against DIR (a previous output directory), or --from DIR --to DIR")
		return diffError
	}
	if err != nil {
		fmt.Fprintf(stderr, "composex diff: %v\n", err)
		return diffError
	}
	changes, err := templatediff.Compare(old, new)
	if err != nil {
		fmt.Fprintf(stderr, "composex diff: %v\n", err)
		return diffError
	}
	if !quiet {
		printChanges(stdout, changes, asJSON)
	}
	if len(changes) > 0 {
		return diffDiffers
	}
	return diffSame
}

// renderForDiff renders the project in memory with render's checks; its
// errors (and, unless quiet, warnings) go to stderr.
func renderForDiff(pf projectFlags, layout string, params []string, quiet bool, stderr io.Writer) (map[string][]byte, bool) {
	if layout != string(render.LayoutAuto) && layout != string(render.LayoutSingle) && layout != string(render.LayoutNested) {
		fmt.Fprintf(stderr, "composex diff: --layout %q: allowed: auto, single, nested\n", layout)
		return nil, false
	}
	values, bad := parseParams(params)
	if bad != "" {
		fmt.Fprintf(stderr, "composex diff: --param %q: expected KEY=VALUE\n", bad)
		return nil, false
	}
	out, ds := render.Render(context.Background(), render.Options{
		Load:       pf.loadOptions(),
		Extensions: extensions.All(),
		Validators: []render.Validator{schema.Validator},
		Layout:     render.Layout(layout),
		Parameters: values,
	})
	for _, d := range ds.Sorted() {
		if !quiet || d.Severity == render.Error {
			fmt.Fprintln(stderr, d.String())
		}
	}
	if ds.HasErrors() || out == nil {
		fmt.Fprintf(stderr, "composex diff: %d error(s) in the compose project\n", len(ds.Errors().Sorted()))
		return nil, false
	}
	return out.Files, true
}

// parseParams reads --param KEY=VALUE values; bad is the first malformed one.
func parseParams(params []string) (values map[string]string, bad string) {
	values = map[string]string{}
	for _, p := range params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, p
		}
		values[k] = v
	}
	return values, ""
}

func printChanges(w io.Writer, changes []templatediff.Change, asJSON bool) {
	if asJSON {
		if changes == nil {
			changes = []templatediff.Change{}
		}
		body, _ := json.MarshalIndent(changes, "", "  ")
		fmt.Fprintf(w, "%s\n", body)
		return
	}
	if len(changes) == 0 {
		fmt.Fprintln(w, "no changes")
		return
	}
	count := map[templatediff.Kind]int{}
	for _, c := range changes {
		fmt.Fprintln(w, c.String())
		count[c.Kind]++
	}
	fmt.Fprintf(w, "%d added, %d changed, %d removed\n", count[templatediff.Added], count[templatediff.Changed], count[templatediff.Removed])
}
