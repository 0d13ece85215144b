package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// runCLI runs the command and returns its exit status and outputs.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeCompose(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

const good = "services:\n  web:\n    image: nginx:1.27\n    ports: [\"80\"]\n"

func TestRenderWritesFiles(t *testing.T) {
	f := writeCompose(t, good)
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCLI(t, "render", "-f", f, "-p", "shop", "-o", out, "--param", "VpcId=vpc-1")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if stdout != "" {
		t.Fatalf("stdout %q, want nothing (templates go to files)", stdout)
	}
	if !strings.Contains(stderr, "family web: 1 container(s), Fargate task 0.25 vCPU, 512 MiB") || !strings.Contains(stderr, "wrote "+out+"/shop.yaml") {
		t.Fatalf("stderr:\n%s", stderr)
	}
	body, err := os.ReadFile(filepath.Join(out, "shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("template does not parse: %v", err)
	}
	if _, ok := doc["Resources"].(map[string]any)["WebService"]; !ok {
		t.Fatal("no WebService in the template")
	}
	var params []string
	raw, _ := os.ReadFile(filepath.Join(out, "shop.params.json"))
	if err := json.Unmarshal(raw, &params); err != nil {
		t.Fatal(err)
	}
	if strings.Join(params, " ") != "ClusterName= VpcId=vpc-1 WebImage=nginx:1.27" {
		t.Fatalf("params %q", params)
	}
}

func TestRenderJSONToStdout(t *testing.T) {
	f := writeCompose(t, good)
	code, stdout, stderr := runCLI(t, "render", "-f", f, "-o", "-", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v", err)
	}
	if doc["AWSTemplateFormatVersion"] != "2010-09-09" {
		t.Fatalf("AWSTemplateFormatVersion %v", doc["AWSTemplateFormatVersion"])
	}
}

// An input error exits 1 and writes nothing, not even the parameters file.
func TestRenderInputErrorWritesNothing(t *testing.T) {
	tests := []struct {
		name, compose string
		args          []string
		stderr        string
	}{
		{"refused key", good + "    privileged: true\n", nil,
			`error: service "web": services.web.privileged: cannot work on Fargate: Fargate does not run privileged containers`},
		{"model error", good + "    cap_add: [SYS_PTRACE]\n    cap_drop: [SYS_PTRACE]\n", nil,
			`services.web.cap_add.0: SYS_PTRACE is both added and dropped`},
		{"unknown --param", good, []string{"--param", "Nope=1"},
			"--param Nope: the template has no such parameter"},
		{"YAML syntax", "services:\n  web:\n    image: nginx\n   bad: x\n", nil,
			"compose.yaml:4:4: error: YAML syntax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeCompose(t, tt.compose)
			out := t.TempDir() // exists and is empty
			args := append([]string{"render", "-f", f, "-o", out}, tt.args...)
			code, stdout, stderr := runCLI(t, args...)
			if code != exitInput {
				t.Fatalf("exit %d, want %d\n%s", code, exitInput, stderr)
			}
			if !strings.Contains(stderr, tt.stderr) || !strings.Contains(stderr, "error(s); nothing written") {
				t.Fatalf("stderr:\n%s\nwant %q", stderr, tt.stderr)
			}
			if stdout != "" {
				t.Fatalf("stdout %q", stdout)
			}
			entries, _ := os.ReadDir(out)
			if len(entries) != 0 {
				t.Fatalf("%d file(s) written to %s", len(entries), out)
			}
			siblings, _ := os.ReadDir(filepath.Dir(out))
			for _, e := range siblings {
				if strings.HasPrefix(e.Name(), ".composex-") {
					t.Fatalf("temporary directory %s left behind", e.Name())
				}
			}
		})
	}
	// An output directory that does not exist is not created.
	f := writeCompose(t, good+"    privileged: true\n")
	out := filepath.Join(t.TempDir(), "never")
	if code, _, _ := runCLI(t, "render", "-f", f, "-o", out); code != exitInput {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("%s created: %v", out, err)
	}
}

func TestValidate(t *testing.T) {
	f := writeCompose(t, good+"    hostname: web1\n")
	code, stdout, stderr := runCLI(t, "validate", "-f", f)
	if code != exitOK || stdout != "" {
		t.Fatalf("exit %d stdout %q\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, `warning: service "web": services.web.hostname: ignored on Fargate`) {
		t.Fatalf("stderr:\n%s", stderr)
	}
	if entries, _ := os.ReadDir(filepath.Dir(f)); len(entries) != 1 {
		t.Fatalf("validate wrote files: %v", entries)
	}

	f = writeCompose(t, good+"    network_mode: host\n")
	if code, _, stderr := runCLI(t, "validate", "-f", f); code != exitInput || !strings.Contains(stderr, "services.web.network_mode") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

func TestUsage(t *testing.T) {
	f := writeCompose(t, good)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no command", nil, exitUsage, "", "Usage:"},
		{"unknown command", []string{"deploy"}, exitUsage, "", `composex: unknown command "deploy"`},
		{"bad format", []string{"render", "-f", f, "--format", "xml"}, exitUsage, "", `composex render: --format "xml": allowed: yaml, json`},
		{"unknown flag", []string{"render", "--frobnicate"}, exitUsage, "", "composex render: unknown flag: --frobnicate\nRun 'composex render --help' for its flags."},
		{"a missing file as argument", []string{"render", "-f", f, "extra"}, exitInput, "", "extra: error: no such file or directory"},
		{"bad --param", []string{"render", "-f", f, "--param", "VpcId"}, exitUsage, "", `composex render: --param "VpcId": expected KEY=VALUE`},
		{"render flag on validate", []string{"validate", "-f", f, "-o", "out"}, exitUsage, "", "composex validate: unknown shorthand flag: 'o' in -o"},
		{"version", []string{"version"}, exitOK, "composex ", ""},
		{"--version", []string{"--version"}, exitOK, "composex ", ""},
		{"help", []string{"--help"}, exitOK, "composex render   [flags]", ""},
		{"render --help", []string{"render", "--help"}, exitOK, "", "Usage: composex render [-f FILE]..."},
		{"validate -h", []string{"validate", "-h"}, exitOK, "", "Usage: composex validate [-f FILE]..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if tt.stdout != "" && !strings.Contains(stdout, tt.stdout) || tt.stdout == "" && stdout != "" {
				t.Fatalf("stdout %q, want %q", stdout, tt.stdout)
			}
			if tt.stderr != "" && !strings.Contains(stderr, tt.stderr) || tt.stderr == "" && stderr != "" {
				t.Fatalf("stderr %q, want %q", stderr, tt.stderr)
			}
		})
	}
}

func TestVersionString(t *testing.T) {
	old := version
	defer func() { version = old }()
	version = "v1.2.3"
	if code, stdout, _ := runCLI(t, "version"); code != exitOK || stdout != "composex v1.2.3\n" {
		t.Fatalf("exit %d stdout %q", code, stdout)
	}
}

// Flags reach the loader: --profile, --env-file and default discovery
// through --project-directory.
func TestProjectFlags(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("compose.yaml", "services:\n  web:\n    image: nginx:${TAG:?TAG is required}\n  debug:\n    image: busybox\n    profiles: [debug]\n")
	write("prod.env", "TAG=1.27\n")
	code, stdout, stderr := runCLI(t, "render", "--project-directory", dir, "--env-file", filepath.Join(dir, "prod.env"), "--profile", "debug", "-p", "demo", "-o", "-")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	params := doc["Parameters"].(map[string]any)
	if d := params["WebImage"].(map[string]any)["Default"]; d != "nginx:1.27" {
		t.Fatalf("WebImage default %v", d)
	}
	if _, ok := params["DebugImage"]; !ok {
		t.Fatal("profile debug not enabled")
	}
	if !strings.Contains(doc["Description"].(string), "project demo") {
		t.Fatalf("Description %v", doc["Description"])
	}
}

// The habits of docker compose and pre-commit: files as arguments, -o naming
// one template file, COMPOSE_* variables, help COMMAND, --strict and -q.
func TestCLIHabits(t *testing.T) {
	f := writeCompose(t, good)
	withTmpfs := writeCompose(t, good+"    tmpfs: /tmp\n")
	t.Run("positional files", func(t *testing.T) {
		if code, stdout, stderr := runCLI(t, "render", f, "-o", "-"); code != exitOK || !strings.Contains(stdout, "AWS::ECS::Service") {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
	})
	t.Run("-o a file name", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "stack", "web.json")
		code, _, stderr := runCLI(t, "render", f, "-o", out)
		if code != exitOK {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		var doc map[string]any
		if b, err := os.ReadFile(out); err != nil || json.Unmarshal(b, &doc) != nil {
			t.Fatalf("%s is not a JSON template: %v", out, err)
		}
		if _, err := os.Stat(strings.TrimSuffix(out, ".json") + ".params.json"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("-o a file name for nested stacks", func(t *testing.T) {
		code, _, stderr := runCLI(t, "render", f, "--layout", "nested", "-o", filepath.Join(t.TempDir(), "web.yaml"))
		if code != exitInput || !strings.Contains(stderr, "names one file, but the project needs") {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
	})
	t.Run("COMPOSE_FILE and COMPOSE_PROJECT_NAME", func(t *testing.T) {
		t.Setenv("COMPOSE_FILE", f+"|"+withTmpfs)
		t.Setenv("COMPOSE_PATH_SEPARATOR", "|")
		t.Setenv("COMPOSE_PROJECT_NAME", "fromenv")
		dir := t.TempDir()
		code, _, stderr := runCLI(t, "render", "-o", dir)
		if code != exitOK {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "fromenv.yaml")); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stderr, "tmpfs") {
			t.Fatalf("the second COMPOSE_FILE was not merged:\n%s", stderr)
		}
	})
	t.Run("COMPOSE_PROFILES", func(t *testing.T) {
		p := writeCompose(t, good+"  debug:\n    image: busybox:1.37\n    profiles: [debug]\n")
		t.Setenv("COMPOSE_PROFILES", "debug")
		if code, stdout, stderr := runCLI(t, "render", p, "-o", "-"); code != exitOK || !strings.Contains(stdout, "DebugService") {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
	})
	t.Run("help render", func(t *testing.T) {
		if code, stdout, _ := runCLI(t, "help", "render"); code != exitOK || !strings.HasPrefix(stdout, "Usage: composex render") {
			t.Fatalf("exit %d stdout %q", code, stdout)
		}
		if code, _, stderr := runCLI(t, "help", "deploy"); code != exitUsage || !strings.Contains(stderr, `unknown command "deploy"`) {
			t.Fatalf("exit %d stderr %q", code, stderr)
		}
	})
	t.Run("--strict", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		code, _, stderr := runCLI(t, "render", withTmpfs, "--strict", "-o", dir)
		if code != exitInput || !strings.Contains(stderr, "warning(s) and --strict; nothing written") {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("--strict wrote %s", dir)
		}
	})
	t.Run("-q", func(t *testing.T) {
		code, _, stderr := runCLI(t, "render", withTmpfs, "-q", "-o", t.TempDir())
		if code != exitOK || stderr != "" {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
}
