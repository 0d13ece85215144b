package files_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// project is a compose project on disk: files by relative path ("->"
// prefix: a symbolic link to the rest), rendered with every extension.
type project struct {
	dir   string
	diags render.Diagnostics
	out   *render.Output
	res   rendertest.Result
}

func renderProject(t *testing.T, compose string, files map[string]string, env map[string]string, prepare ...func(dir string)) *project {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(body, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, fn := range prepare {
		fn(dir)
	}
	if env == nil {
		env = map[string]string{}
	}
	out, ds := render.Render(context.Background(), render.Options{
		Load:       render.LoadOptions{Files: []string{filepath.Join(dir, "docker-compose.yml")}, ProjectName: "demo", Environment: env},
		Extensions: extensions.All(),
	})
	p := &project{dir: dir, diags: ds, out: out}
	if out != nil && !ds.HasErrors() {
		body := out.Files[out.Template]
		p.res.Template = filepath.Join(dir, "out.yaml")
		if err := os.WriteFile(p.res.Template, body, 0o644); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Resources map[string]rendertest.Resource `yaml:"Resources"`
		}
		if err := yaml.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		p.res.Resources = doc.Resources
		p.res.Diags = ds
	}
	return p
}

func mustRender(t *testing.T, compose string, files, env map[string]string, prepare ...func(dir string)) *project {
	t.Helper()
	p := renderProject(t, compose, files, env, prepare...)
	if p.out == nil || p.diags.HasErrors() {
		t.Fatalf("render failed:\n%s", p.diags.Error())
	}
	return p
}

// sub reads a Fn::Sub string (or a plain string).
func sub(v any) string {
	if m, ok := v.(map[string]any); ok {
		if s, ok := m["Fn::Sub"].(string); ok {
			return s
		}
	}
	s, _ := v.(string)
	return s
}

func yamlUnmarshal(b []byte, v any) error { return yaml.Unmarshal(b, v) }
