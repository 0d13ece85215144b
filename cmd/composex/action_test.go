package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestGitHubAction checks action.yml the way the runner reads it (every
// input and step output it references is declared, every run step has a
// shell, the script it runs exists and is executable), then runs that
// script as the action's step does (inputs as INPUT_* variables, the binary
// as $COMPOSEX, outputs to $GITHUB_OUTPUT) on a good and a bad project: the
// SARIF log is valid and holds the problems, annotations are printed, and
// exit-code says what composex said while the step itself succeeds, so that
// the upload step runs.
func TestGitHubAction(t *testing.T) {
	var body []byte
	bash, err := exec.LookPath("bash")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("bash is required in CI: the action runs its step with bash")
		}
		t.Skip("bash not installed; skipping (the action runs its step with bash)")
	}
	body, err = os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs  map[string]any `yaml:"inputs"`
		Outputs map[string]any `yaml:"outputs"`
		Runs    struct {
			Using string `yaml:"using"`
			Steps []struct {
				ID    string `yaml:"id"`
				Uses  string `yaml:"uses"`
				Run   string `yaml:"run"`
				Shell string `yaml:"shell"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(body, &action); err != nil {
		t.Fatal(err)
	}
	if action.Runs.Using != "composite" {
		t.Fatalf("runs.using %q, want composite", action.Runs.Using)
	}
	ids := map[string]bool{}
	var script string
	for _, s := range action.Runs.Steps {
		ids[s.ID] = true
		if s.Run != "" && s.Shell == "" {
			t.Errorf("step %q: a composite run step needs a shell", s.Run)
		}
		if s.Run == "" && s.Uses == "" {
			t.Errorf("step %+v neither runs nor uses", s)
		}
		if m := regexp.MustCompile(`\$\{\{ github\.action_path \}\}/(\S+\.sh)`).FindStringSubmatch(s.Run); m != nil {
			script = filepath.Join(repoRoot, m[1])
		}
	}
	for _, m := range regexp.MustCompile(`inputs\.([a-z-]+)`).FindAllStringSubmatch(string(body), -1) {
		if _, ok := action.Inputs[m[1]]; !ok {
			t.Errorf("action.yml uses input %q, which it does not declare", m[1])
		}
	}
	for _, m := range regexp.MustCompile(`steps\.([a-z-]+)\.`).FindAllStringSubmatch(string(body), -1) {
		if !ids[m[1]] {
			t.Errorf("action.yml reads step %q, which has no such id", m[1])
		}
	}
	if script, err = filepath.Abs(script); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(script)
	if err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("the action's script %q is missing or not executable: %v", script, err)
	}

	bin := filepath.Join(t.TempDir(), "composex")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name, compose, command string
		code                   string
		results                int
	}{
		{"good", good, "validate", "0", 1}, // the published port nothing reaches is a warning
		{"bad", "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n", "validate", "1", 1},
		{"render", good, "render", "0", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(tc.compose), 0o644); err != nil {
				t.Fatal(err)
			}
			outputs := filepath.Join(dir, "github_output")
			cmd := exec.Command(bash, script)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "COMPOSEX="+bin, "GITHUB_OUTPUT="+outputs,
				"INPUT_COMMAND="+tc.command, "INPUT_FILES=docker-compose.yml", "INPUT_ARGS=-p shop",
				"INPUT_OUTPUT_DIR=out", "INPUT_SARIF_FILE=composex.sarif")
			stdout, err := cmd.Output()
			if err != nil {
				t.Fatalf("the step failed (it must succeed so that the upload runs): %v", err)
			}
			got, _ := os.ReadFile(outputs)
			if !strings.Contains(string(got), "exit-code="+tc.code+"\n") || !strings.Contains(string(got), "sarif-file=composex.sarif\n") {
				t.Errorf("GITHUB_OUTPUT:\n%s", got)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "composex.sarif"))
			if err != nil {
				t.Fatal(err)
			}
			var log struct {
				Version string `json:"version"`
				Runs    []struct {
					Results []struct {
						Locations []struct {
							PhysicalLocation struct {
								ArtifactLocation struct {
									URI string `json:"uri"`
								} `json:"artifactLocation"`
							} `json:"physicalLocation"`
						} `json:"locations"`
					} `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(raw, &log); err != nil || log.Version != "2.1.0" || len(log.Runs) != 1 {
				t.Fatalf("not a SARIF 2.1.0 log (%v):\n%s", err, raw)
			}
			if n := len(log.Runs[0].Results); n != tc.results {
				t.Errorf("%d results, want %d:\n%s", n, tc.results, raw)
			}
			for _, r := range log.Runs[0].Results {
				if len(r.Locations) == 0 || r.Locations[0].PhysicalLocation.ArtifactLocation.URI != "docker-compose.yml" {
					t.Errorf("result not located at docker-compose.yml (relative to the repository): %+v", r)
				}
			}
			if !regexp.MustCompile(`(?m)^::(error|warning) file=docker-compose\.yml,line=\d+`).Match(stdout) {
				t.Errorf("no workflow annotation on stdout:\n%s", stdout)
			}
			if _, err := os.Stat(filepath.Join(dir, "out", "shop.yaml")); (err == nil) != (tc.command == "render") {
				t.Errorf("render output: %v (command %s)", err, tc.command)
			}
		})
	}
}
