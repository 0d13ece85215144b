package schema_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/composex/composex/render"
)

// repoRoot is the repository root, from this package's directory.
const repoRoot = ".."

// sharedDir is the shared folder beside the repository; COMPOSEX_SHARED
// overrides it.
func sharedDir() string {
	if d := os.Getenv("COMPOSEX_SHARED"); d != "" {
		return d
	}
	return filepath.Join(repoRoot, "..", "shared")
}

// loadFiles writes compose files (name -> content) to a temporary folder
// and loads them, merged in the given order, as composex does.
func loadFiles(t testing.TB, names []string, files map[string]string) *render.Input {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte(files[n]), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return loadPaths(t, dir, paths)
}

func loadPaths(t testing.TB, dir string, paths []string) *render.Input {
	t.Helper()
	in, ds := render.Load(context.Background(), render.LoadOptions{
		Files: paths, WorkingDir: dir, ProjectName: "test", Environment: map[string]string{},
	})
	if in == nil || ds.HasErrors() {
		t.Fatalf("load: %v", ds.Error())
	}
	return in
}

func loadYAML(t testing.TB, content string) *render.Input {
	t.Helper()
	return loadFiles(t, []string{"docker-compose.yml"}, map[string]string{"docker-compose.yml": content})
}
