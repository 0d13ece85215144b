package scale

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/composex/composex/render"
)

// Projects far past compose-go's default node-visit cap (100,000: a
// 3000-service file passes it) load: composex bounds what aliases expand to
// itself and sizes the loader's cap from the file, so the guard against
// alias bombs never refuses a legitimate project.
func TestLargeProjectsLoad(t *testing.T) {
	// On one core the file loads whole (render/loadparts.go splits it only
	// when there is a second): the path that reads the file with
	// compose-go's own YAML reader and its node-visit cap.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	// 5000 services load too (checked by hand: 49 s on a loaded machine);
	// the suite keeps the one size past the old cap to stay quick.
	for _, n := range []int{3000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "docker-compose.yml")
			if err := os.WriteFile(f, Project(n), 0o644); err != nil {
				t.Fatal(err)
			}
			in, ds := render.Load(context.Background(), render.LoadOptions{Files: []string{f}, ProjectName: "big", Environment: map[string]string{}})
			if ds.HasErrors() {
				t.Fatalf("%d services refused:\n%s", n, ds.Errors().Error())
			}
			if got := len(in.Project.Services); got != n {
				t.Fatalf("loaded %d services, want %d", got, n)
			}
		})
	}
}
