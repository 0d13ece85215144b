package main

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const repoRoot = "../.."

// dockerfile is the parsed Dockerfile: its instructions in order, each
// keyword and the rest of its line (continuations joined).
func dockerfile(t *testing.T) [][2]string {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	var cont string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cont += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		line, cont = cont+line, ""
		kw, rest, _ := strings.Cut(line, " ")
		out = append(out, [2]string{strings.ToUpper(kw), strings.TrimSpace(rest)})
	}
	return out
}

// TestDockerfileBuildsAStaticImage checks the image the Dockerfile
// describes would run: its final stage is scratch (nothing but the
// binary), so the binary must be static, run as a non-root user, and be
// the entrypoint. The build stage's go build command is run here exactly
// as written (with a local output path), and the binary it makes is
// checked to be static, stamped, and able to render an example. Where a
// docker daemon is reachable the image itself is built too.
func TestDockerfileBuildsAStaticImage(t *testing.T) {
	ins := dockerfile(t)
	var build, final, user, entry, copied string
	for _, in := range ins {
		switch in[0] {
		case "FROM":
			final = in[1]
		case "RUN":
			if strings.Contains(in[1], "go build") {
				build = in[1]
			}
		case "USER":
			user = in[1]
		case "ENTRYPOINT":
			entry = in[1]
		case "COPY":
			if strings.HasPrefix(in[1], "--from=") {
				copied = in[1]
			}
		}
	}
	if final != "scratch" {
		t.Fatalf("final stage FROM %q, want scratch", final)
	}
	if uid, _, _ := strings.Cut(user, ":"); uid == "" || uid == "0" || uid == "root" {
		t.Errorf("USER %q: the image must not run as root", user)
	}
	m := regexp.MustCompile(`-o (\S+) \./cmd/composex$`).FindStringSubmatch(build)
	if m == nil {
		t.Fatalf("no `go build ... -o PATH ./cmd/composex` in the Dockerfile: %q", build)
	}
	if want := "--from=build " + m[1] + " /composex"; copied != want {
		t.Errorf("COPY %q, want %q (the binary the build stage makes)", copied, want)
	}
	if entry != `["/composex"]` {
		t.Errorf("ENTRYPOINT %s, want [\"/composex\"]", entry)
	}
	if !strings.HasPrefix(build, "CGO_ENABLED=0 ") {
		t.Fatalf("the build must disable cgo for a scratch image: %q", build)
	}

	bin := filepath.Join(t.TempDir(), "composex")
	argv := strings.Fields(strings.Replace(strings.TrimPrefix(build, "CGO_ENABLED=0 "), m[1], bin, 1))
	for i, a := range argv {
		argv[i] = strings.ReplaceAll(strings.Trim(a, `"`), "${VERSION}", "v9.9.9-test")
	}
	// -ldflags "-s -w -X main.version=..." was split by Fields: join it back.
	argv = joinQuoted(argv, build)
	// -trimpath only strips local paths, but it changes every package's
	// build key: with it, this test would recompile every dependency (minutes
	// on two cores). Without it the build reuses the test's own cache; it is
	// still checked to be in the Dockerfile.
	if !strings.Contains(build, " -trimpath ") {
		t.Errorf("the build should use -trimpath (no local paths in a released binary): %q", build)
	}
	argv = slices.DeleteFunc(argv, func(a string) bool { return a == "-trimpath" })
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a dynamic loader (PT_INTERP): it would not start in a scratch image")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v: it would not start in a scratch image", libs)
	}
	f.Close()
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "composex v9.9.9-test") {
		t.Errorf("version: %q, %v; want the stamped version", out, err)
	}
	dir := t.TempDir()
	render := exec.Command(bin, "render", "-q", "-f", filepath.Join(repoRoot, "examples/web-app/docker-compose.yml"), "-o", filepath.Join(dir, "out"))
	if out, err := render.CombinedOutput(); err != nil {
		t.Errorf("the built binary cannot render an example: %v\n%s", err, out)
	}

	if exec.Command("docker", "info").Run() != nil {
		t.Log("no docker daemon: the image itself is not built here; its build command and the binary it makes are checked above")
		return
	}
	if out, err := exec.Command("docker", "build", "-q", "-t", "composex:test", repoRoot).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
}

// joinQuoted rebuilds the quoted -ldflags value that strings.Fields split.
func joinQuoted(argv []string, line string) []string {
	q := regexp.MustCompile(`-ldflags "([^"]*)"`).FindStringSubmatch(line)
	if q == nil {
		return argv
	}
	var out []string
	for i := 0; i < len(argv); i++ {
		out = append(out, argv[i])
		if argv[i] == "-ldflags" {
			n := len(strings.Fields(q[1]))
			out = append(out, strings.ReplaceAll(q[1], "${VERSION}", "v9.9.9-test"))
			i += n
		}
	}
	return out
}

// TestPreCommitHook checks .pre-commit-hooks.yaml against what pre-commit
// requires of a hook manifest, that its file pattern picks compose files
// and nothing else, and that its entry, run as pre-commit runs it (from the
// repository root, no file arguments), passes a good project and fails a
// bad one.
func TestPreCommitHook(t *testing.T) {
	body, err := os.ReadFile(filepath.Join(repoRoot, ".pre-commit-hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var hooks []struct {
		ID            string `yaml:"id"`
		Name          string `yaml:"name"`
		Entry         string `yaml:"entry"`
		Language      string `yaml:"language"`
		Files         string `yaml:"files"`
		PassFilenames *bool  `yaml:"pass_filenames"`
	}
	if err := yaml.Unmarshal(body, &hooks); err != nil {
		t.Fatal(err)
	}
	if len(hooks) == 0 {
		t.Fatal("no hooks")
	}
	for _, h := range hooks {
		if h.ID == "" || h.Name == "" || h.Entry == "" || h.Language != "golang" {
			t.Fatalf("hook %+v: pre-commit needs id, name, entry and language (golang builds this module)", h)
		}
		if h.PassFilenames == nil || *h.PassFilenames {
			t.Errorf("%s: pass_filenames must be false: composex would merge the changed files into one project", h.ID)
		}
		files := regexp.MustCompile(h.Files)
		for _, name := range []string{"docker-compose.yml", "compose.yaml", "compose.prod.yml", "deploy/docker-compose.override.yaml"} {
			if !files.MatchString(name) {
				t.Errorf("%s: files %q does not match %s", h.ID, h.Files, name)
			}
		}
		for _, name := range []string{"composer.json", "app.yml", "docs/compose.md", "decompose.yml"} {
			if files.MatchString(name) {
				t.Errorf("%s: files %q matches %s, which is not a compose file", h.ID, h.Files, name)
			}
		}
		argv := strings.Fields(h.Entry)
		if argv[0] != "composex" {
			t.Fatalf("%s: entry %q does not run the composex binary", h.ID, h.Entry)
		}
		for compose, want := range map[string]int{good: exitOK, "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n": exitInput} {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(compose), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			if code, _, stderr := runCLI(t, argv[1:]...); code != want {
				t.Errorf("%s in a repository whose compose file is\n%s: exit %d, want %d\n%s", h.Entry, compose, code, want, stderr)
			}
		}
	}
}
