package scale

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/render"
	"github.com/composex/composex/schema"
)

// pairedSizes are the sizes of the speed table: a small file, a usual one,
// a large one and one past compose-go's default node-visit cap.
var pairedSizes = []int{10, 100, 1000, 3000}

// stockLoad is what docker compose does with the file: compose-go's
// LoadProject with its default options.
func stockLoad(b testing.TB, file string) {
	po, err := cli.NewProjectOptions([]string{file}, cli.WithName("bench"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := po.LoadProject(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// composexEndToEnd is what `composex render` does after flag parsing:
// load, validate, model, extend, emit, split, encode and write.
func composexEndToEnd(b testing.TB, file, out string) {
	defer render.TuneGC()() // as the binary does at start
	res, ds := render.Render(context.Background(), render.Options{
		Load: loadOptions(file), Extensions: extensions.All(), Validators: []render.Validator{schema.Validator}})
	if ds.HasErrors() {
		b.Fatal(ds.Error())
	}
	if err := render.WriteFiles(out, res.Files); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPaired runs composex end to end and compose-go's stock
// LoadProject on the same file, alternating in every iteration so that
// both sides see the same machine load, and reports each side's time per
// run, their ratio (composex/compose-go: below 1 is faster than loading
// alone) and composex's time per service (the growth check reads it).
// Allocations are those of both sides together. Each side runs with the
// collector setting of its own process: compose-go's default, composex's
// render.GCPercent. On a shared machine wall time follows the other
// processes; each side's CPU time (all threads, the collector's included)
// is reported too, with its ratio and composex's CPU per service.
func BenchmarkPaired(b *testing.B) {
	for _, n := range pairedSizes {
		file := writeProject(b, n)
		dir := b.TempDir()
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var stock, ours, stockCPU, oursCPU time.Duration
			for i := 0; i < b.N; i++ {
				t0, c0 := time.Now(), processCPU()
				stockLoad(b, file)
				t1, c1 := time.Now(), processCPU()
				composexEndToEnd(b, file, filepath.Join(dir, fmt.Sprint(i)))
				t2, c2 := time.Now(), processCPU()
				stock += t1.Sub(t0)
				ours += t2.Sub(t1)
				stockCPU += c1 - c0
				oursCPU += c2 - c1
			}
			b.ReportMetric(float64(stock.Milliseconds())/float64(b.N), "composego-ms/op")
			b.ReportMetric(float64(ours.Milliseconds())/float64(b.N), "composex-ms/op")
			b.ReportMetric(float64(ours)/float64(stock), "ratio")
			b.ReportMetric(float64(ours.Microseconds())/1000/float64(b.N)/float64(n), "composex-ms/service")
			if stockCPU > 0 {
				b.ReportMetric(float64(oursCPU)/float64(stockCPU), "cpu-ratio")
				b.ReportMetric(float64(oursCPU.Microseconds())/1000/float64(b.N)/float64(n), "composex-cpu-ms/service")
			}
		})
	}
}
