package render

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// writeTree writes files (name -> content) into a new temporary directory
// and returns the directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// testLoadOptions loads compose.yaml of dir as project "test", with an
// empty environment so that the caller's shell cannot leak in.
func testLoadOptions(dir string) LoadOptions {
	return LoadOptions{
		Files:       []string{filepath.Join(dir, "compose.yaml")},
		ProjectName: "test",
		Environment: map[string]string{},
	}
}

// loadYAML loads one compose file given as a string.
func loadYAML(t *testing.T, src string) (*Input, Diagnostics) {
	t.Helper()
	dir := writeTree(t, map[string]string{"compose.yaml": src})
	return Load(context.Background(), testLoadOptions(dir))
}

// mustLoad loads a compose file that must load without errors.
func mustLoad(t *testing.T, src string) *Input {
	t.Helper()
	in, ds := loadYAML(t, src)
	if in == nil || ds.HasErrors() {
		t.Fatalf("load failed:\n%s", ds.Error())
	}
	return in
}

// buildYAML loads a compose file and builds the model; the diagnostics
// are located in the file as RenderInput does.
func buildYAML(t *testing.T, src string) (*Model, Diagnostics) {
	t.Helper()
	in := mustLoad(t, src)
	m, ds := BuildModel(in)
	return m, in.Sources.Place(ds)
}

// mustBuild builds a model that must have no errors.
func mustBuild(t *testing.T, src string) (*Model, Diagnostics) {
	t.Helper()
	m, ds := buildYAML(t, src)
	if ds.HasErrors() {
		t.Fatalf("unexpected errors:\n%s", ds.Errors().Error())
	}
	return m, ds
}

// renderYAML runs the whole pipeline (without extensions) on one file.
func renderYAML(t *testing.T, src string, opts Options) (*Output, Diagnostics) {
	t.Helper()
	dir := writeTree(t, map[string]string{"compose.yaml": src})
	opts.Load = testLoadOptions(dir)
	return Render(context.Background(), opts)
}

// mustRender renders a file that must render without errors.
func mustRender(t *testing.T, src string, opts Options) (*Output, Diagnostics) {
	t.Helper()
	out, ds := renderYAML(t, src, opts)
	if out == nil || ds.HasErrors() {
		t.Fatalf("render failed:\n%s", ds.Error())
	}
	return out, ds
}

// findDiag returns the first diagnostic of that severity, service and key
// path whose message contains substr.
func findDiag(ds Diagnostics, sev Severity, service, path, substr string) (Diagnostic, bool) {
	for _, d := range ds {
		if d.Severity == sev && d.Service == service && d.Path == path && strings.Contains(d.Message, substr) {
			return d, true
		}
	}
	return Diagnostic{}, false
}

func wantDiag(t *testing.T, ds Diagnostics, sev Severity, service, path, substr string) Diagnostic {
	t.Helper()
	d, ok := findDiag(ds, sev, service, path, substr)
	if !ok {
		t.Fatalf("want %s for service %q at %s containing %q; got:\n%s", sev, service, path, substr, dump(ds))
	}
	return d
}

func wantError(t *testing.T, ds Diagnostics, service, path, substr string) Diagnostic {
	t.Helper()
	return wantDiag(t, ds, Error, service, path, substr)
}

func wantWarning(t *testing.T, ds Diagnostics, service, path, substr string) Diagnostic {
	t.Helper()
	return wantDiag(t, ds, Warning, service, path, substr)
}

// wantNoDiagAt fails when any diagnostic is reported at path.
func wantNoDiagAt(t *testing.T, ds Diagnostics, path string) {
	t.Helper()
	for _, d := range ds {
		if d.Path == path {
			t.Fatalf("want nothing at %s, got %s", path, d)
		}
	}
}

func dump(ds Diagnostics) string {
	if len(ds) == 0 {
		return "(no diagnostics)"
	}
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

func family(t *testing.T, m *Model, name string) *Family {
	t.Helper()
	f := m.Family(name)
	if f == nil {
		var names []string
		for _, f := range m.Families {
			names = append(names, f.Name)
		}
		t.Fatalf("no family %q; have %v", name, names)
	}
	return f
}

func container(t *testing.T, f *Family, name string) *Container {
	t.Helper()
	c := f.Container(name)
	if c == nil {
		t.Fatalf("family %s has no container %q", f.Name, name)
	}
	return c
}

// onlyContainer builds a one-service project and returns its container.
func onlyContainer(t *testing.T, src string) (*Container, Diagnostics) {
	t.Helper()
	m, ds := buildYAML(t, src)
	if len(m.Families) != 1 || len(m.Families[0].Containers) != 1 {
		t.Fatalf("want one family with one container, got %d families", len(m.Families))
	}
	return m.Families[0].Containers[0], ds
}

// template parses the rendered root template (YAML or JSON).
func template(t *testing.T, out *Output) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(out.Files[out.Template], &doc); err != nil {
		t.Fatalf("template does not parse: %v", err)
	}
	return doc
}

// resource returns the Properties of a resource of the parsed template,
// checking its type.
func resource(t *testing.T, doc map[string]any, id, typ string) map[string]any {
	t.Helper()
	resources, _ := doc["Resources"].(map[string]any)
	r, ok := resources[id].(map[string]any)
	if !ok {
		t.Fatalf("no resource %s; have %v", id, slices.Sorted(maps.Keys(resources)))
	}
	if r["Type"] != typ {
		t.Fatalf("resource %s is %v, want %s", id, r["Type"], typ)
	}
	props, _ := r["Properties"].(map[string]any)
	return props
}

// containerDef returns a container definition of a parsed task definition.
func containerDef(t *testing.T, td map[string]any, name string) map[string]any {
	t.Helper()
	for _, c := range td["ContainerDefinitions"].([]any) {
		cd := c.(map[string]any)
		if cd["Name"] == name {
			return cd
		}
	}
	t.Fatalf("no container definition %q", name)
	return nil
}

func intPtr(i int) *int { return &i }
