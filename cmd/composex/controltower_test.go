package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 16, guardrails: composex render --control-tower reports, by
// control ID, what only the compose file decides, each at the key to set;
// with --strict the render fails and writes nothing; a file that sets
// those keys (examples/control-tower) renders with no Control Tower
// warning at all.
func TestControlTowerFlag(t *testing.T) {
	plain := writeCompose(t, "services:\n  web:\n    image: nginx:1.27\n")
	code, _, stderr := runCLI(t, "render", plain, "--control-tower", "-o", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		`services.web.user: AWS Control Tower CT.ECS.PR.3 requires a user that is not root`,
		`services.web.read_only: AWS Control Tower CT.ECS.PR.6 requires a read-only root file system`,
		`services.web.x-logging.RetentionInDays: AWS Control Tower CT.CLOUDWATCH.PR.2`,
		`services.web.x-logging: AWS Control Tower CT.CLOUDWATCH.PR.3 requires log groups encrypted with a customer managed KMS key; family web's are not: set x-logging.CreateKmsKey: true`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("--control-tower does not say %q:\n%s", want, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "render", plain, "-o", t.TempDir()); code != exitOK || strings.Contains(stderr, "Control Tower") {
		t.Errorf("without --control-tower: exit %d, Control Tower warnings:\n%s", code, stderr)
	}
	dir := filepath.Join(t.TempDir(), "out")
	code, _, stderr = runCLI(t, "render", plain, "--control-tower", "--strict", "-o", dir)
	if code != exitInput || !strings.Contains(stderr, "--strict; nothing written") {
		t.Fatalf("--control-tower --strict: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("--strict wrote %s", dir)
	}
	guarded := filepath.Join("..", "..", "examples", "control-tower", "docker-compose.yml")
	code, _, stderr = runCLI(t, "render", guarded, "-p", "control-tower", "--control-tower", "--strict", "-o", t.TempDir())
	if code != exitOK || strings.Contains(stderr, "Control Tower") {
		t.Errorf("examples/control-tower: exit %d\n%s", code, stderr)
	}
}
