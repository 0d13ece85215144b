package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCompletionKnowsEveryFlag: the completion's flag lists are the flags
// the commands' own help prints, no more and no fewer.
func TestCompletionKnowsEveryFlag(t *testing.T) {
	long := regexp.MustCompile(`(?m)^\s+(?:-(\w), )?--([a-z-]+)`)
	for _, c := range []struct {
		cmd  string
		want []string
	}{
		{"render", append(append([]string{}, projectFlagNames...), renderOnlyFlags...)},
		{"validate", projectFlagNames},
	} {
		_, _, help := runCLI(t, c.cmd, "--help")
		got := []string{"--help", "-h"}
		for _, m := range long.FindAllStringSubmatch(help, -1) {
			got = append(got, "--"+m[2])
			if m[1] != "" {
				got = append(got, "-"+m[1])
			}
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(c.want))
		if !slices.Equal(got, want) {
			t.Errorf("%s: the help has %v, the completion %v", c.cmd, got, want)
		}
	}
}

// TestBashCompletion runs the bash script as bash's completion does.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is needed for this test")
	}
	code, script, stderr := runCLI(t, "completion", "bash")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	path := filepath.Join(t.TempDir(), "c.bash")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ words, want string }{
		{`composex ren`, "render"},
		{`composex render --diag`, "--diagnostics"},
		{`composex render --diagnostics s`, "sarif"},
		{`composex validate --lay`, ""}, // render only
		{`composex completion f`, "fish"},
	} {
		words := strings.Fields(c.words)
		sh := "source " + path + "; COMP_WORDS=(" + c.words + "); COMP_CWORD=" + itoaTest(len(words)-1) + "; _composex; echo \"${COMPREPLY[*]}\""
		out, err := exec.Command(bash, "-c", sh).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.words, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != c.want {
			t.Errorf("%s: completes %q, want %q", c.words, got, c.want)
		}
	}
	for _, shell := range []string{"zsh", "fish"} {
		if code, out, _ := runCLI(t, "completion", shell); code != exitOK || !strings.Contains(out, "composex") {
			t.Errorf("%s: exit %d", shell, code)
		}
	}
	if code, _, _ := runCLI(t, "completion", "tcsh"); code != exitUsage {
		t.Errorf("an unknown shell: exit %d, want %d", code, exitUsage)
	}
}

func itoaTest(i int) string { return string(rune('0' + i)) }
