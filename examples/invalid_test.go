package examples

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestInvalidFixtures runs `composex render` on every file of
// shared/fixtures/invalid and checks it is refused as the folder's README
// says: exit status 1, every `# expect:` regex matches stderr (ignoring
// case), the file is named, no panic, and the output directory stays empty.
func TestInvalidFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(requireShared(t), "fixtures", "invalid", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no *.yml in %s/fixtures/invalid", sharedDir())
	}
	bin := filepath.Join(t.TempDir(), "composex")
	build := exec.Command("go", "build", "-o", bin, "github.com/composex/composex/cmd/composex")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building composex: %v\n%s", err, out)
	}

	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			r := refuse(t, bin, file)
			problems := r.problems(t, file)
			for _, p := range problems {
				t.Error(p)
			}
			if len(problems) > 0 {
				t.Logf("composex output:\n%s", r.output)
			}
		})
	}
}

// refusal is what one run of composex on a bad input did.
type refusal struct {
	code   int
	stderr string
	output string   // stdout and stderr
	left   []string // files left in or beside the output directory
}

func (r refusal) crashed() bool {
	lower := strings.ToLower(r.output)
	return strings.Contains(lower, "panic") || strings.Contains(lower, "goroutine")
}

func refuse(t *testing.T, bin, file string) refusal {
	t.Helper()
	parent := t.TempDir()
	outDir := filepath.Join(parent, "out")
	if err := os.Mkdir(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "render", "-f", file, "-o", outDir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := refusal{stderr: stderr.String(), output: stdout.String() + stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running composex: %v", err)
	}
	for _, dir := range []string{parent, outDir} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if dir == parent && e.Name() == "out" {
				continue
			}
			r.left = append(r.left, filepath.Join(filepath.Base(dir), e.Name()))
		}
	}
	return r
}

// problems lists every way the run differs from what
// fixtures/invalid/README.md asks.
func (r refusal) problems(t *testing.T, file string) []string {
	t.Helper()
	var out []string
	if r.code != 1 {
		out = append(out, "exit status "+strconv.Itoa(r.code)+", want 1")
	}
	if r.crashed() {
		out = append(out, "the output shows a panic or goroutine trace")
	}
	if len(r.left) > 0 {
		out = append(out, "files were written: "+strings.Join(r.left, ", "))
	}
	if !strings.Contains(r.stderr, filepath.Base(file)) {
		out = append(out, "stderr does not name the file "+filepath.Base(file))
	}
	expects := expectations(t, file)
	if len(expects) == 0 {
		out = append(out, "the fixture has no `# expect:` line")
	}
	for _, re := range expects {
		if !re.MatchString(r.stderr) {
			out = append(out, "stderr does not match `# expect: "+strings.TrimPrefix(re.String(), "(?i)")+"`")
		}
	}
	return out
}

// expectations reads the `# expect: REGEX` lines of a fixture.
func expectations(t *testing.T, file string) []*regexp.Regexp {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*regexp.Regexp
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "# expect:")
		if !ok {
			continue
		}
		re, err := regexp.Compile("(?i)" + strings.TrimSpace(rest))
		if err != nil {
			t.Fatalf("%s: bad expect line %q: %v", file, rest, err)
		}
		out = append(out, re)
	}
	return out
}
