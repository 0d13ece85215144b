package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/render"
	"github.com/composex/composex/schema"
)

// sharedDir is the shared folder beside the repository (COMPOSEX_SHARED
// overrides it).
func sharedDir() string {
	if d := os.Getenv("COMPOSEX_SHARED"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared")
}

// FuzzRender feeds arbitrary bytes, and mutations of the example and
// fixture compose files, through load, validate (the x- schemas included),
// model, emit and write. It calls the pipeline directly, without run()'s
// recover, so that any panic is found.
//
//	go test -run='^$' -fuzz=FuzzRender -fuzztime=10m ./cmd/composex/
func FuzzRender(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{
		filepath.Join("..", "..", "examples", "*", "*.yml"),
		filepath.Join("..", "..", "examples", "*", "*.yaml"),
		filepath.Join(sharedDir(), "fixtures", "*", "*.yml"),
	} {
		m, _ := filepath.Glob(pattern)
		seeds = append(seeds, m...)
	}
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("services:\n  web:\n    image: nginx\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		file := filepath.Join(dir, "docker-compose.yml")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		opts := render.Options{
			Load: render.LoadOptions{
				Files:       []string{file},
				WorkingDir:  dir,
				ProjectName: "fuzz",
				Environment: map[string]string{},
			},
			Extensions: extensions.All(),
			Validators: []render.Validator{schema.Validator},
			Format:     render.YAML,
		}
		out, ds := render.Render(context.Background(), opts)
		_ = ds.Error()
		if out == nil {
			if !ds.HasErrors() {
				t.Fatalf("no output and no error")
			}
			return
		}
		if ds.HasErrors() {
			t.Fatalf("output despite errors: %v", ds.Error())
		}
		if err := render.WriteFiles(filepath.Join(dir, "out"), out.Files); err != nil {
			t.Fatalf("write: %v", err)
		}
	})
}
