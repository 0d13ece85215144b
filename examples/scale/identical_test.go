package scale

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/render"
	"github.com/composex/composex/schema"
)

// identicalSizes are generated projects small enough for the normal suite:
// one stack, and one split into nested stacks.
var identicalSizes = []int{40, 400}

// renderDigest renders a generated project and returns one SHA-256 over
// every output file, in name order, names included.
func renderDigest(t *testing.T, n int) (string, map[string][]byte) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "docker-compose.yml")
	if err := os.WriteFile(f, Project(n), 0o644); err != nil {
		t.Fatal(err)
	}
	out, ds := render.Render(context.Background(), render.Options{
		Load: loadOptions(f), Extensions: extensions.All(), Validators: []render.Validator{schema.Validator}})
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(out.Files)) {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(out.Files[name]))
		h.Write(out.Files[name])
	}
	return fmt.Sprintf("%x", h.Sum(nil)), out.Files
}

// TestRenderIdenticalAcrossProcs: the speed work loads, builds and encodes
// concurrently, and none of it may show in the output. A generated project
// renders to the same bytes with one processor and with eight, and to the
// bytes recorded in testdata/render-digests.txt (taken before the speed
// work: rendered output must not change). After a deliberate output change,
// regenerate with COMPOSEX_UPDATE_DIGESTS=1 and review the goldens' diff.
func TestRenderIdenticalAcrossProcs(t *testing.T) {
	want := readDigests(t)
	got := map[int]string{}
	for _, n := range identicalSizes {
		var first map[string][]byte
		for _, procs := range []int{1, 8} {
			t.Run(fmt.Sprintf("services=%d/GOMAXPROCS=%d", n, procs), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				d, files := renderDigest(t, n)
				if first == nil {
					first, got[n] = files, d
				} else {
					for name, body := range first {
						if string(files[name]) != string(body) {
							t.Errorf("%s differs between GOMAXPROCS=1 and %d", name, procs)
						}
					}
					if len(files) != len(first) {
						t.Errorf("%d files with GOMAXPROCS=%d, %d with 1", len(files), procs, len(first))
					}
				}
				if os.Getenv("COMPOSEX_UPDATE_DIGESTS") == "" && want[n] != d {
					t.Errorf("services=%d renders to %s, recorded %s: the rendered output changed", n, d, want[n])
				}
			})
		}
	}
	if os.Getenv("COMPOSEX_UPDATE_DIGESTS") != "" {
		var b strings.Builder
		b.WriteString("# SHA-256 of every rendered file of examples/scale.Project(n), by TestRenderIdenticalAcrossProcs\n")
		for _, n := range identicalSizes {
			fmt.Fprintf(&b, "%d %s\n", n, got[n])
		}
		if err := os.WriteFile(filepath.Join("testdata", "render-digests.txt"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readDigests(t *testing.T) map[int]string {
	t.Helper()
	out := map[int]string{}
	f, err := os.Open(filepath.Join("testdata", "render-digests.txt"))
	if err != nil {
		if os.Getenv("COMPOSEX_UPDATE_DIGESTS") != "" {
			return out
		}
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var n int
		var d string
		if _, err := fmt.Sscanf(sc.Text(), "%d %s", &n, &d); err == nil {
			out[n] = d
		}
	}
	return out
}
