package render

import (
	"strings"
	"testing"
)

// TestMisspelledExtensionIsAnError: a typo in an extension's key would
// silently render nothing (compose-x's failure); a key two edits from one
// composex reads is refused with a suggestion, others are reported ignored.
func TestMisspelledExtensionIsAnError(t *testing.T) {
	ext := fakeExtension{service: []string{"x-scaling", "x-xray"}, project: []string{"x-sns"}}
	in := mustLoad(t, `
services:
  web:
    image: nginx
    x-scalling:
      Range: "1-3"
    x-Xray: true
    x-ecr: {}
    x-team-notes: hello
x-sn:
  a: {}
x-dns: {}
x-common: &common
  a: b
`)
	ds := Validate(in, []Extension{ext})
	wantError(t, ds, "web", "services.web.x-scalling", "unknown extension x-scalling (did you mean x-scaling?)")
	wantError(t, ds, "web", "services.web.x-Xray", "did you mean x-xray?")
	wantWarning(t, ds, "web", "services.web.x-ecr", "compose-x or ECS-plugin extension that composex does not implement")
	wantWarning(t, ds, "web", "services.web.x-team-notes", "composex does not handle x-team-notes; it is ignored")
	wantError(t, ds, "", "x-sn", "unknown extension x-sn (did you mean x-sns?)")
	wantWarning(t, ds, "", "x-dns", "compose-x module that composex does not implement")
	wantNoDiagAt(t, ds, "x-common")
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"x-sns", "x-sn", 1}, {"x-scalling", "x-scaling", 1}, {"x-ecr", "x-ecs", 1}, {"kitten", "sitting", 3}, {"abc", "", 3}} {
		if got := EditDistance(c.a, c.b); got != c.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// TestComposeKeyTypos: compose-go stops at its first schema failure and
// names it "(false schema)" or at the parent key; every misspelled compose
// key is reported in one run, at its own line, with the key meant.
func TestComposeKeyTypos(t *testing.T) {
	_, ds := loadYAML(t, `services:
  web:
    image: nginx:1.27
    enviroment:
      A: b
    deploy:
      replica: 2
    depends_on: [dbb]
  db:
    image: postgres:16
    depends_on:
      cache: {condition: service_started}
servces: {}
`)
	for _, c := range []struct {
		service, path, msg string
		line, col          int
	}{
		{"web", "services.web.enviroment", `"enviroment" is not a compose key of a service: did you mean environment?`, 4, 5},
		{"web", "services.web.deploy.replica", `"replica" is not a compose key under deploy: did you mean replicas?`, 7, 7},
		{"", "servces", `"servces" is not a compose key at the top level: did you mean services?`, 13, 1},
	} {
		d := wantError(t, ds, c.service, c.path, c.msg)
		if d.Line != c.line || d.Column != c.col || d.Code == UncodedCode {
			t.Errorf("%s at %d:%d code %s, want %d:%d", c.path, d.Line, d.Column, d.Code, c.line, c.col)
		}
	}
	for _, d := range ds {
		if strings.Contains(d.Message, "false schema") || strings.Contains(d.Message, "additional properties") {
			t.Errorf("compose-go's message repeats a typo already reported: %s", d)
		}
	}
}

// TestUnknownDependencySuggested: depends_on naming neither a service nor
// a task family is located, with the service meant.
func TestUnknownDependencySuggested(t *testing.T) {
	_, ds := loadYAML(t, "services:\n  web:\n    image: nginx:1.27\n    depends_on: [dbb]\n  db:\n    image: postgres:16\n")
	d := wantError(t, ds, "web", "services.web.depends_on", `"dbb" is neither a service nor a task family (ecs.task.family) of this project: did you mean db?`)
	if d.Line != 4 {
		t.Errorf("line %d, want 4", d.Line)
	}
}

// TestTopLevelJobsWarned: compose's top-level jobs are valid compose that
// composex does not render; they no longer vanish without a word.
func TestTopLevelJobsWarned(t *testing.T) {
	_, ds := loadYAML(t, "services:\n  web:\n    image: nginx:1.27\njobs:\n  migrate:\n    image: alpine:3.20\n")
	wantWarning(t, ds, "", "jobs", "composex does not render the top-level jobs; it is ignored")
}
