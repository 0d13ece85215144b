package render

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
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

// listing returns the names and contents of the files in dir.
func listing(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}
	}
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue // a leftover of a killed render, hidden from readers by its name
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got[e.Name()] = string(b)
	}
	return got
}

func asStrings(files map[string][]byte) map[string]string {
	out := map[string]string{}
	for k, v := range files {
		out[k] = string(v)
	}
	return out
}

var (
	oldRender = map[string][]byte{"shop.yaml": []byte("old root\n"), "shop-01.yaml": []byte("old nested\n"), "shop.params.json": []byte("[\"old\"]\n")}
	newRender = map[string][]byte{"shop.json": []byte("{\"new\": true}\n"), "shop.params.json": []byte("[\"new\"]\n")}
)

// A smaller render or a format switch leaves nothing of the previous one:
// no nested stack of the old layout, no .yaml beside the new .json.
func TestWriteFilesReplacesTheWholeRender(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := WriteFiles(dir, oldRender); err != nil {
		t.Fatal(err)
	}
	if err := WriteFiles(dir, newRender); err != nil {
		t.Fatal(err)
	}
	if got := listing(t, dir); !reflect.DeepEqual(got, asStrings(newRender)) {
		t.Fatalf("output after the second render = %v, want exactly %v", got, asStrings(newRender))
	}
	if left := listing(t, filepath.Dir(dir)); len(left) != 0 {
		// listing reads files; the parent holds only the out directory.
		t.Fatalf("left beside the output: %v", left)
	}
}

// The whole directory is replaced, so one holding anything a render does
// not write (a source tree given as -o .) is refused and left untouched.
func TestWriteFilesRefusesAForeignDirectory(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(dir string) error
		want  string
	}{
		{"a source file", func(d string) error {
			return os.WriteFile(filepath.Join(d, "main.go"), []byte("package main\n"), 0o644)
		}, "holds main.go, which a render does not write"},
		{"a subdirectory", func(d string) error { return os.Mkdir(filepath.Join(d, ".git"), 0o755) }, "holds .git, which a render does not write"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "keep.yaml"), []byte("mine\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := tc.setup(dir); err != nil {
				t.Fatal(err)
			}
			err := WriteFiles(dir, newRender)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "keep.yaml")); string(got) != "mine\n" {
				t.Fatalf("keep.yaml changed: %q", got)
			}
		})
	}
}

// Every step of the writer, failed or killed, leaves the previous render or
// the new one, whole; a failure always leaves the previous one; the next
// render succeeds and clears what the kill left behind. The three strategies
// (atomic exchange, two renames, in place) are each driven through.
func TestWriteFilesFaultAtEveryStep(t *testing.T) {
	strategies := map[string]writeHook{
		"exchange":    nil,
		"two renames": func(step string) error { return stepErr(step, "exchange", errNoExchange) },
		"in place":    func(step string) error { return stepErr(step, "mkdir beside", syscall.EACCES) },
		"mount point": func(step string) error { return stepErr(step, "exchange", syscall.EBUSY) },
	}
	for sname, base := range strategies {
		// Record the steps this strategy goes through.
		var steps []string
		dir := filepath.Join(t.TempDir(), "out")
		if err := WriteFiles(dir, oldRender); err != nil {
			t.Fatal(err)
		}
		record := func(step string) error { steps = append(steps, step); return base.at(step) }
		if err := writeFiles(dir, newRender, record); err != nil {
			t.Fatalf("%s: %v", sname, err)
		}
		if got := listing(t, dir); !reflect.DeepEqual(got, asStrings(newRender)) {
			t.Fatalf("%s: output = %v", sname, got)
		}
		if len(steps) < 3 {
			t.Fatalf("%s: only steps %v", sname, steps)
		}
		for _, step := range steps {
			for _, fault := range []error{errKilled, errors.New("disk full")} {
				t.Run(fmt.Sprintf("%s/%s/%v", sname, step, fault), func(t *testing.T) {
					dir := filepath.Join(t.TempDir(), "out")
					if err := WriteFiles(dir, oldRender); err != nil {
						t.Fatal(err)
					}
					hook := func(s string) error {
						if s == step {
							return fault
						}
						return base.at(s)
					}
					err := writeFiles(dir, newRender, hook)
					got := listing(t, dir)
					old, new := asStrings(oldRender), asStrings(newRender)
					if step == "mkdir beside" && fault != errKilled {
						// No directory beside: the writer falls back to
						// writing in place, and succeeds.
						if err != nil || !reflect.DeepEqual(got, new) {
							t.Fatalf("fallback: err %v, output %v", err, got)
						}
						return
					}
					if err == nil {
						t.Fatal("the fault was not reported")
					}
					if fault != errKilled && !reflect.DeepEqual(got, old) {
						t.Fatalf("after a failure the output is %v, want the previous render %v", got, old)
					}
					inPlace := sname == "in place" || sname == "mount point"
					if !inPlace && len(got) > 0 && !reflect.DeepEqual(got, old) && !reflect.DeepEqual(got, new) {
						t.Fatalf("after a kill the output is a mix: %v", got)
					}
					// In place, a kill between moves can mix the two
					// renders' files, but never anything else.
					for name, body := range got {
						if body != old[name] && body != new[name] && !strings.HasPrefix(name, tempNew) {
							t.Fatalf("after a kill %s holds %q, from neither render", name, body)
						}
					}
					if len(got) == 0 {
						// Killed between moving the old render aside and
						// the new one in: the next render puts the old one
						// back before it starts, so a failure keeps it.
						if step != "move new in" && step != "in place: in shop.json" {
							t.Fatalf("no output after a kill at %s", step)
						}
						_ = writeFiles(dir, newRender, func(s string) error { return stepErr(s, "write shop.json", errors.New("disk full")) })
						if got := listing(t, dir); !reflect.DeepEqual(got, old) {
							t.Fatalf("the previous render was not restored: %v", got)
						}
					}
					// The next render is whole and clears the leftovers.
					if err := WriteFiles(dir, newRender); err != nil {
						t.Fatal(err)
					}
					if got := listing(t, dir); !reflect.DeepEqual(got, new) {
						t.Fatalf("the next render left %v", got)
					}
					siblings, _ := os.ReadDir(filepath.Dir(dir))
					if len(siblings) != 1 {
						t.Fatalf("leftovers beside the output: %v", siblings)
					}
				})
			}
		}
	}
}

// stepErr fails the writer with err at one step.
func stepErr(step, at string, err error) error {
	if step == at {
		return err
	}
	return nil
}

// -o naming a symlink writes into the directory it points at (another disk,
// a CI volume) and keeps the symlink.
func TestWriteFilesThroughASymlink(t *testing.T) {
	real := filepath.Join(t.TempDir(), "volume", "out")
	if err := WriteFiles(real, oldRender); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "out")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFiles(link, newRender); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v %v", fi, err)
	}
	if got := listing(t, real); !reflect.DeepEqual(got, asStrings(newRender)) {
		t.Fatalf("the symlink's target holds %v", got)
	}
}

// Two renders into one directory at once: each time one wins whole, and a
// reader listing the directory meanwhile sees one render's names, never a
// mix of both.
func TestWriteFilesConcurrentRenders(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	a := map[string][]byte{"p.yaml": []byte("a\n"), "p.params.json": []byte("a\n"), "p-01.yaml": []byte("a\n")}
	b := map[string][]byte{"p.json": []byte("b\n"), "p.params.json": []byte("b\n")}
	if err := WriteFiles(dir, a); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	mixed := make(chan string, 1)
	go func() {
		for {
			select {
			case <-done:
				close(mixed)
				return
			default:
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				continue
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			// A mix is a listing with a file only one render writes beside
			// a file only the other writes. (A reader that opened the old
			// directory just before the swap may see it emptied while it is
			// removed: that is the old render going, not a mix.)
			if got := strings.Join(names, ","); hasOnly(names, a, b) && hasOnly(names, b, a) {
				select {
				case mixed <- got:
				default:
				}
			}
		}
	}()
	for i := 0; i < 20; i++ {
		errs := make(chan error, 2)
		go func() { errs <- WriteFiles(dir, a) }()
		go func() { errs <- WriteFiles(dir, b) }()
		for j := 0; j < 2; j++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		got := listing(t, dir)
		if !reflect.DeepEqual(got, asStrings(a)) && !reflect.DeepEqual(got, asStrings(b)) {
			t.Fatalf("round %d: output is a mix: %v", i, got)
		}
	}
	close(done)
	if m, ok := <-mixed; ok && m != "" {
		t.Fatalf("a reader saw a mix of two renders: %s", m)
	}
}

// hasOnly reports whether names holds a file that x has and y has not.
func hasOnly(names []string, x, y map[string][]byte) bool {
	for _, n := range names {
		if _, inX := x[n]; inX {
			if _, inY := y[n]; !inY {
				return true
			}
		}
	}
	return false
}
