package scale

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/render"
)

var sizes = []int{10, 100, 1000}

// writeProject writes a generated project of n services into a temp dir.
func writeProject(b testing.TB, n int) string {
	b.Helper()
	dir := b.TempDir()
	f := filepath.Join(dir, "docker-compose.yml")
	if err := os.WriteFile(f, Project(n), 0o644); err != nil {
		b.Fatal(err)
	}
	return f
}

func loadOptions(file string) render.LoadOptions {
	return render.LoadOptions{Files: []string{file}, ProjectName: "bench", Environment: map[string]string{}}
}

// BenchmarkComposeGoLoad is the baseline: compose-go's own LoadProject on
// the same file, as docker compose would load it.
func BenchmarkComposeGoLoad(b *testing.B) {
	for _, n := range sizes {
		file := writeProject(b, n)
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				po, err := cli.NewProjectOptions([]string{file}, cli.WithName("bench"))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := po.LoadProject(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoad is composex's load step (compose-go plus the YAML index
// that locates problems).
func BenchmarkLoad(b *testing.B) {
	for _, n := range sizes {
		file := writeProject(b, n)
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, ds := render.Load(context.Background(), loadOptions(file)); ds.HasErrors() {
					b.Fatal(ds.Error())
				}
			}
		})
	}
}

// BenchmarkRender is load, validate, model, extend, emit and encode.
func BenchmarkRender(b *testing.B) {
	for _, n := range sizes {
		file := writeProject(b, n)
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, ds := render.Render(context.Background(), render.Options{Load: loadOptions(file), Extensions: extensions.All()}); ds.HasErrors() {
					b.Fatal(ds.Error())
				}
			}
		})
	}
}
