// Package rendertest renders compose documents through the whole pipeline
// with every extension, and checks the templates with the tools CI has
// (cfn-lint, the moto emulator), for the extensions' tests.
package rendertest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/render"
)

// SharedDir is ../shared beside the repository, seen from a package two
// levels down (COMPOSEX_SHARED overrides).
func SharedDir() string {
	if d := os.Getenv("COMPOSEX_SHARED"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared")
}

// Result is one render: the diagnostics, and when it succeeded the
// template file and its parsed resources.
type Result struct {
	Diags     render.Diagnostics
	Template  string // path of the written template ("" on failure)
	Resources map[string]Resource
}

// Resource is a template resource as parsed from YAML.
type Resource struct {
	Type       string         `yaml:"Type"`
	Properties map[string]any `yaml:"Properties"`
	DependsOn  any            `yaml:"DependsOn"`
}

// Render writes compose to a temporary docker-compose.yml and renders it
// with extensions.All(), as `composex render` does minus the JSON Schemas.
func Render(t *testing.T, compose string) Result {
	t.Helper()
	return RenderWith(t, compose, nil)
}

// RenderWith is Render with more files beside the compose file (a scrape
// configuration, an env file), by name.
func RenderWith(t *testing.T, compose string, extra map[string]string) Result {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "docker-compose.yml")
	for name, body := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(file, []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	out, ds := render.Render(context.Background(), render.Options{
		Load:       render.LoadOptions{Files: []string{file}, ProjectName: "demo", Environment: map[string]string{}},
		Extensions: extensions.All(),
	})
	r := Result{Diags: ds}
	if out == nil || ds.HasErrors() {
		return r
	}
	body := out.Files[out.Template]
	r.Template = filepath.Join(dir, out.Template)
	if err := os.WriteFile(r.Template, body, 0o644); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]Resource `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	r.Resources = doc.Resources
	return r
}

// MustRender renders and fails the test on any error.
func MustRender(t *testing.T, compose string) Result {
	t.Helper()
	r := Render(t, compose)
	if r.Template == "" {
		t.Fatalf("render failed:\n%s", r.Diags.Error())
	}
	return r
}

// RenderFiles renders like RenderWith and returns the diagnostics and, when
// the render succeeded, the resources (nil otherwise).
func RenderFiles(t *testing.T, compose string, extra map[string]string) (render.Diagnostics, map[string]Resource) {
	t.Helper()
	r := RenderWith(t, compose, extra)
	return r.Diags, r.Resources
}

// MustRenderFiles is RenderFiles failing the test on any error.
func MustRenderFiles(t *testing.T, compose string, extra map[string]string) (render.Diagnostics, map[string]Resource) {
	t.Helper()
	r := RenderWith(t, compose, extra)
	if r.Template == "" {
		t.Fatalf("render failed:\n%s", r.Diags.Error())
	}
	return r.Diags, r.Resources
}

// ExpectRefused checks that rendering fails with an error at path whose
// message is exactly msg.
func ExpectRefused(t *testing.T, compose string, extra map[string]string, path, msg string) {
	t.Helper()
	ds, res := RenderFiles(t, compose, extra)
	if res != nil {
		t.Fatalf("rendered; want the error %s: %s", path, msg)
	}
	for _, d := range ds.Errors() {
		if d.Path == path && d.Message == msg {
			return
		}
	}
	t.Errorf("no error at %s with message\n  %s\ngot:\n%s", path, msg, ds.Error())
}

// Dig follows map keys (strings) and list indexes (ints) into a parsed
// template value; nil when the path does not exist.
func Dig(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// OfType returns the resources of one type, by logical ID.
func OfType(res map[string]Resource, typ string) map[string]Resource {
	out := map[string]Resource{}
	for id, r := range res {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

// Of returns the resources of one type, by logical ID.
func (r Result) Of(typ string) map[string]Resource { return OfType(r.Resources, typ) }

// Get returns a resource's properties, failing when it is missing or of
// another type.
func (r Result) Get(t *testing.T, id, typ string) map[string]any {
	t.Helper()
	res, ok := r.Resources[id]
	if !ok {
		ids := make([]string, 0, len(r.Resources))
		for k := range r.Resources {
			ids = append(ids, k)
		}
		t.Fatalf("no resource %s; have %s", id, strings.Join(ids, ", "))
	}
	if res.Type != typ {
		t.Fatalf("%s is a %s, want %s", id, res.Type, typ)
	}
	return res.Properties
}

// Find returns the diagnostic at path of that severity, or nil.
func Find(ds render.Diagnostics, sev render.Severity, path string) *render.Diagnostic {
	for i := range ds {
		if ds[i].Severity == sev && ds[i].Path == path {
			return &ds[i]
		}
	}
	return nil
}

// inCI says whether missing tools must fail the test.
func inCI() bool { return os.Getenv("CI") == "true" }

// Tool finds an executable; outside CI a missing one skips the check, in
// CI it fails the test.
func Tool(t *testing.T, name, hint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if inCI() {
			t.Fatalf("%s is required in CI (%s)", name, hint)
		}
		t.Skipf("%s not installed; skipping (%s)", name, hint)
	}
	return p
}

// CfnLint runs cfn-lint on templates; any error or warning fails.
func CfnLint(t *testing.T, templates ...string) {
	t.Helper()
	bin := Tool(t, "cfn-lint", "pip install cfn-lint")
	out, err := exec.Command(bin, templates...).CombinedOutput()
	if err != nil {
		t.Errorf("cfn-lint found problems: %v\n%s", err, out)
	}
}

// Moto deploys a template into the moto emulator with the shared
// moto_inproc_check.py and returns its JSON summary; the stack must reach
// CREATE_COMPLETE.
func Moto(t *testing.T, template string) map[string]any {
	t.Helper()
	py := Tool(t, "python3", "python3 with moto and boto3")
	script := filepath.Join(SharedDir(), "tools", "moto_inproc_check.py")
	if _, err := os.Stat(script); err != nil {
		if inCI() {
			t.Fatalf("%s is required in CI: %v", script, err)
		}
		t.Skipf("%s not found; skipping the moto check", script)
	}
	// examples/tools/moto_check.py runs that script with the handlers
	// moto lacks for composex output (Service Connect's HTTP namespace, the
	// PublicSubnetIds parameter), as the examples' deploy test does.
	cmd := exec.Command(py, filepath.Join("..", "..", "examples", "tools", "moto_check.py"), filepath.Dir(script), template)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var summary map[string]any
	if jerr := json.Unmarshal(out, &summary); jerr != nil {
		if strings.Contains(stderr.String(), "No module named") && !inCI() {
			t.Skipf("moto is not installed: %s", lastLine(stderr.String()))
		}
		t.Fatalf("moto check gave no summary: %v %v\n%s", err, jerr, stderr.String())
	}
	if summary["status"] != "CREATE_COMPLETE" {
		t.Fatalf("stack did not reach CREATE_COMPLETE: status %v, error %v", summary["status"], summary["error"])
	}
	return summary
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// Containers returns a task definition's containers by name, without their
// log configuration (the same in every container).
func Containers(t *testing.T, r Result, id string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, c := range r.Get(t, id, "AWS::ECS::TaskDefinition")["ContainerDefinitions"].([]any) {
		cd := c.(map[string]any)
		delete(cd, "LogConfiguration")
		out[cd["Name"].(string)] = cd
	}
	return out
}

// EqualJSON compares a parsed template value with the JSON text of what
// it must be.
func EqualJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad expectation: %v", what, err)
	}
	g, _ := json.Marshal(got)
	var gn any
	_ = json.Unmarshal(g, &gn)
	if !reflect.DeepEqual(gn, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, want)
	}
}

// Parameters reads the Parameters section of a rendered template file.
func Parameters(t *testing.T, path string) map[string]map[string]any {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Parameters map[string]map[string]any `yaml:"Parameters"`
	}
	if err := yaml.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Parameters
}
