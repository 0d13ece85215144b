package schema_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// yls finds node, yaml-language-server (installed by .ci/run with
// `npm install --prefix "$YLS_DIR" yaml-language-server@1.25.0`) and the
// LSP client script of the shared tools. Outside CI a missing piece skips
// the test; in CI it fails it.
func yls(t *testing.T) (node, dir, script string) {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (the editor test runs in CI; install with: npm install --prefix \"${YLS_DIR:-$HOME/.cache/composex-yls}\" yaml-language-server@1.25.0)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not found")
	}
	dir = os.Getenv("YLS_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "composex-yls")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "yaml-language-server", "bin", "yaml-language-server")); err != nil {
		missing("yaml-language-server not installed in %s", dir)
	}
	script = filepath.Join(sharedDir(), "tools", "yls_diagnostics.mjs")
	if _, err := os.Stat(script); err != nil {
		missing("%s not found (set COMPOSEX_SHARED)", script)
	}
	return node, dir, script
}

type ylsDiag struct {
	line int
	text string
}

var reYLSLine = regexp.MustCompile(`^  .*:(\d+):(\d+) (error|warning|info|hint): (.*)$`)

// runYLS opens a file in yaml-language-server and returns what it reports.
// With schemaPath, the schema is associated through the yaml.schemas
// setting; without, the file's modeline must name it. SchemaStore is off,
// so the server makes no network connection.
func runYLS(t *testing.T, file, schemaPath string) []ylsDiag {
	t.Helper()
	node, dir, script := yls(t)
	args := []string{script, dir, file}
	if schemaPath != "" {
		args = append(args, schemaPath)
	}
	cmd := exec.Command(node, args...)
	cmd.Env = append(os.Environ(), "YLS_SCHEMASTORE=0")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		t.Fatalf("yaml-language-server on %s: %v\n%s%s", file, err, out.String(), stderr.String())
	}
	var diags []ylsDiag
	for _, l := range strings.Split(out.String(), "\n") {
		if m := reYLSLine.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			diags = append(diags, ylsDiag{n, m[3] + ": " + m[4]})
		}
	}
	return diags
}

func editorSchemaPath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(editorFile)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The editor reports the mistakes of an invalid compose file at their
// lines, with the schema named by a modeline or by the yaml.schemas setting.
func TestEditorReportsMistakes(t *testing.T) {
	schemaPath := editorSchemaPath(t)
	body := `services:
  web:
    image: nginx
    privileged: true
    network_mode: host
    x-scalling: {}
    x-scaling:
      Range: "1-4"
      TargetScaling:
        CpuTargett: 50
  api:
    image: nginx
    x-prometheus:
      ContainersInsights:
        CollectForJavaJmx:
          ExporterPort: 70000
    x-network:
      Ingress:
        ExtSources:
          - IPv4: 10.0.0.256/33
x-appmesh:
  Settings: {}
x-cloudmapp: {}
`
	want := map[int]string{ // line in body -> part of the message
		4:  "cannot work on Fargate: Fargate does not run privileged containers",
		5:  "cannot work on Fargate: Fargate tasks always use awsvpc",
		6:  "unknown extension (did you mean x-scaling?)",
		10: "CpuTargett",
		16: "maximum of 65535",
		20: "not an IPv4 CIDR",
		21: "App Mesh",
		23: "unknown extension (did you mean x-cloudmap?)",
	}
	dir := t.TempDir()
	for _, mode := range []string{"modeline", "setting"} {
		t.Run(mode, func(t *testing.T) {
			file := filepath.Join(dir, mode+".yml")
			content, offset, assoc := body, 0, schemaPath
			if mode == "modeline" {
				content = "# yaml-language-server: $schema=" + schemaPath + "\n" + body
				offset, assoc = 1, ""
			}
			if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			diags := runYLS(t, file, assoc)
			for line, part := range want {
				found := false
				for _, d := range diags {
					if d.line == line+offset && strings.Contains(d.text, part) {
						found = true
					}
				}
				if !found {
					t.Errorf("no diagnostic with %q at line %d; got %v", part, line+offset, diags)
				}
			}
		})
	}
}

// Every example and both seed fixtures are clean in the editor.
func TestEditorAcceptsExamplesAndSeeds(t *testing.T) {
	schemaPath := editorSchemaPath(t)
	yls(t)
	for _, f := range goodFiles(t) {
		abs, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			t.Parallel() // one server per file: about a second each
			if diags := runYLS(t, abs, schemaPath); len(diags) > 0 {
				t.Errorf("%s: %v", f, diags)
			}
		})
	}
}

// The refusals apply to refused values only: privileged: false and
// network_mode service:X render, so the editor is silent about them, as
// about a compose-x key composex ignores (x-ecr is one edit from x-ecs).
func TestEditorAcceptsAllowedValuesOfRefusedKeys(t *testing.T) {
	schemaPath := editorSchemaPath(t)
	file := filepath.Join(t.TempDir(), "ok.yml")
	body := "services:\n  a:\n    image: nginx:1.27\n    privileged: false\n    network_mode: service:b\n    x-ecr: {}\n  b:\n    image: nginx:1.27\n    network_mode: awsvpc\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if diags := runYLS(t, file, schemaPath); len(diags) != 0 {
		t.Errorf("diagnostics for allowed values: %v", diags)
	}
}
