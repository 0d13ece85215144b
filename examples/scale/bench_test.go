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
	"github.com/composex/composex/schema"
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

// BenchmarkValidate is the JSON Schema check of every x- block plus the
// rules of the core and every extension, on a loaded project.
func BenchmarkValidate(b *testing.B) {
	for _, n := range sizes {
		file := writeProject(b, n)
		in, ds := render.Load(context.Background(), loadOptions(file))
		if ds.HasErrors() {
			b.Fatal(ds.Error())
		}
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ds := schema.Validator(in)
				ds = append(ds, render.Validate(in, extensions.All())...)
				if ds.HasErrors() {
					b.Fatal(ds.Error())
				}
			}
		})
	}
}

// BenchmarkWrite is the atomic write of a rendered project.
func BenchmarkWrite(b *testing.B) {
	for _, n := range sizes {
		file := writeProject(b, n)
		out, ds := render.Render(context.Background(), render.Options{Load: loadOptions(file), Extensions: extensions.All()})
		if ds.HasErrors() {
			b.Fatal(ds.Error())
		}
		dir := b.TempDir()
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := render.WriteFiles(filepath.Join(dir, fmt.Sprint(i)), out.Files); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEndToEnd is what `composex render` does: load, schema and
// extension validation, model, extensions, emit, encode and write.
func BenchmarkEndToEnd(b *testing.B) {
	for _, n := range sizes {
		file := writeProject(b, n)
		dir := b.TempDir()
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				out, ds := render.Render(context.Background(), render.Options{
					Load: loadOptions(file), Extensions: extensions.All(), Validators: []render.Validator{schema.Validator}})
				if ds.HasErrors() {
					b.Fatal(ds.Error())
				}
				if err := render.WriteFiles(filepath.Join(dir, fmt.Sprint(i)), out.Files); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRenderLoaded is everything composex adds after compose-go's
// load: schema and extension validation, model, extensions, emit, split
// and encode (the write is BenchmarkWrite).
func BenchmarkRenderLoaded(b *testing.B) {
	for _, n := range sizes {
		file := writeProject(b, n)
		in, ds := render.Load(context.Background(), loadOptions(file))
		if ds.HasErrors() {
			b.Fatal(ds.Error())
		}
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, ds := render.RenderInput(in, render.Options{Extensions: extensions.All(), Validators: []render.Validator{schema.Validator}}, nil); ds.HasErrors() {
					b.Fatal(ds.Error())
				}
			}
		})
	}
}
