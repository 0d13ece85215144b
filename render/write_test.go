package render

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestWriteFiles(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out", "nested")
	files := map[string][]byte{"app.yaml": []byte("Resources: {}\n"), "app.params.json": []byte("[]\n")}
	if err := WriteFiles(dir, files); err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != string(want) {
			t.Fatalf("%s: %q, %v", name, got, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("%d entries in %s", len(entries), dir)
	}
	// No temporary directory is left beside the output.
	siblings, _ := os.ReadDir(filepath.Dir(dir))
	for _, e := range siblings {
		if strings.HasPrefix(e.Name(), ".composex-") {
			t.Fatalf("temporary directory %s left behind", e.Name())
		}
	}
	// A second write replaces the files.
	if err := WriteFiles(dir, map[string][]byte{"app.yaml": []byte("v2\n")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "app.yaml")); string(got) != "v2\n" {
		t.Fatalf("app.yaml after rewrite: %q", got)
	}
}

func TestWriteFilesIntoAFile(t *testing.T) {
	parent := t.TempDir()
	blocker := filepath.Join(parent, "out")
	if err := os.WriteFile(blocker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteFiles(blocker, map[string][]byte{"a.yaml": []byte("a")})
	if err == nil || !strings.Contains(err.Error(), "creating output directory") {
		t.Fatalf("err = %v", err)
	}
	entries, _ := os.ReadDir(parent)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !reflect.DeepEqual(names, []string{"out"}) {
		t.Fatalf("left behind: %v", names)
	}
}

// The files of a render are written as rendered.
func TestRenderThenWrite(t *testing.T) {
	out, _ := mustRender(t, webOnly, Options{})
	dir := filepath.Join(t.TempDir(), "out")
	if err := WriteFiles(dir, out.Files); err != nil {
		t.Fatal(err)
	}
	for name, body := range out.Files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != string(body) {
			t.Fatalf("%s differs from the render: %v", name, err)
		}
	}
}
