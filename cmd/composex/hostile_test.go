package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// buildBinary builds composex once per test run into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "composex")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// hostileCase is one file of testdata/hostile and what it expects.
type hostileCase struct {
	file   string
	exit   int
	stderr []string
	args   []string
}

func readHostileCase(t *testing.T, file string) hostileCase {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := hostileCase{file: file, exit: -1}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "# ") {
			break
		}
		key, value, ok := strings.Cut(strings.TrimPrefix(line, "# "), ": ")
		if !ok {
			continue
		}
		switch key {
		case "exit":
			n, err := strconv.Atoi(value)
			if err != nil {
				t.Fatalf("%s: exit %q", file, value)
			}
			c.exit = n
		case "stderr":
			c.stderr = append(c.stderr, value)
		case "args":
			c.args = strings.Fields(value)
		}
	}
	if c.exit < 0 || (c.exit != 0 && len(c.stderr) == 0) {
		t.Fatalf("%s: a case needs '# exit: N' and, when it fails, '# stderr: ...'", file)
	}
	return c
}

// TestHostileSuite runs every case of testdata/hostile through the built
// binary: the exit status and the message are what the case says, nothing
// is written on failure, and no Go runtime error reaches the user.
func TestHostileSuite(t *testing.T) {
	cases, _ := filepath.Glob(filepath.Join("testdata", "hostile", "*.yml"))
	if len(cases) == 0 {
		t.Fatal("no cases in testdata/hostile")
	}
	bin := buildBinary(t)
	dir, _ := filepath.Abs(filepath.Join("testdata", "hostile"))
	for _, file := range cases {
		c := readHostileCase(t, file)
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yml"), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"render", "-f", filepath.Base(file), "-p", "hostile", "-o", out}, c.args...)
			cmd := exec.Command(bin, args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "COMPOSE_PROJECT_NAME=")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			err := cmd.Run()
			elapsed := time.Since(start)
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			text := stderr.String()
			if code != c.exit {
				t.Fatalf("exit %d, want %d\n%s", code, c.exit, text)
			}
			for _, want := range c.stderr {
				if !strings.Contains(text, want) {
					t.Errorf("stderr lacks %q:\n%s", want, text)
				}
			}
			for _, bad := range []string{"panic", "goroutine ", "internal error", "runtime error"} {
				if strings.Contains(text, bad) {
					t.Errorf("stderr shows %q:\n%s", bad, text)
				}
			}
			if code != 0 {
				if _, err := os.Stat(out); !os.IsNotExist(err) {
					t.Errorf("exit %d but %s was written", code, out)
				}
			}
			if code == 0 {
				checkWrittenFiles(t, out)
			}
			if elapsed > 20*time.Second {
				t.Errorf("took %v: bounded work means a second or two", elapsed)
			}
		})
	}
}

// checkWrittenFiles reads back every file a successful case wrote: each
// template and parameter file parses (YAML as YAML, JSON as JSON), and no
// character YAML cannot carry (C0 and C1 controls, DEL, U+2028/9, the
// BOM, U+FFFE/FFFF) is written raw.
func checkWrittenFiles(t *testing.T, dir string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		t.Fatalf("exit 0 but nothing written in %s", dir)
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if strings.HasSuffix(f, ".json") {
			err = json.Unmarshal(body, &v)
		} else {
			err = yaml.Unmarshal(body, &v)
		}
		if err != nil {
			t.Errorf("%s does not parse: %v", filepath.Base(f), err)
		}
		for i, r := range string(body) {
			if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r >= 0x7f && r <= 0x9f || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff {
				t.Errorf("%s carries U+%04X raw at byte %d", filepath.Base(f), r, i)
				break
			}
		}
	}
}
