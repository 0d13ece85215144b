package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiffExitCodes is the contract a pipeline gates on: 0 when a new
// render equals the previous output, 2 when it differs (and what differs on
// stdout), 1 for bad input or flags, never 2 for an error.
func TestDiffExitCodes(t *testing.T) {
	f := writeCompose(t, good)
	prev := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := runCLI(t, "render", "-q", "-f", f, "-p", "shop", "-o", prev); code != exitOK {
		t.Fatalf("render: exit %d\n%s", code, stderr)
	}

	code, stdout, stderr := runCLI(t, "diff", "-q", "--against", prev, "-p", "shop", f)
	if code != diffSame || stdout != "" {
		t.Fatalf("unchanged project: exit %d, stdout %q\n%s", code, stdout, stderr)
	}
	if code, stdout, _ = runCLI(t, "diff", "--against", prev, "-p", "shop", f); code != diffSame || stdout != "no changes\n" {
		t.Fatalf("unchanged project: exit %d, stdout %q", code, stdout)
	}

	if err := os.WriteFile(f, []byte(strings.Replace(good, "nginx:1.27", "nginx:1.28", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCLI(t, "diff", "--against", prev, "-p", "shop", "-f", f)
	want := "~ shop.yaml Parameters.WebImage: Default\n~ shop.params.json Values.WebImage\n0 added, 2 changed, 0 removed\n"
	if code != diffDiffers || stdout != want {
		t.Fatalf("new image: exit %d, stdout\n%s\nwant\n%s\nstderr\n%s", code, stdout, want, stderr)
	}

	// Two output directories, one YAML and one JSON: only the image differs.
	next := filepath.Join(t.TempDir(), "next")
	if code, _, stderr := runCLI(t, "render", "-q", "-f", f, "-p", "shop", "-o", next, "--format", "json"); code != exitOK {
		t.Fatalf("render: exit %d\n%s", code, stderr)
	}
	code, stdout, _ = runCLI(t, "diff", "--json", "--from", prev, "--to", next)
	if code != diffDiffers || !strings.Contains(stdout, `"file": "shop.json"`) || !strings.Contains(stdout, `"name": "WebImage"`) {
		t.Fatalf("--from/--to: exit %d\n%s", code, stdout)
	}

	for _, args := range [][]string{
		{"diff"},
		{"diff", "--from", prev},
		{"diff", "--against", filepath.Join(prev, "missing")},
		{"diff", "--against", prev, "--layout", "wide", f},
		{"diff", "--against", prev, "--no-such-flag"},
		{"diff", "--against", prev, writeCompose(t, "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n")},
	} {
		if code, _, stderr := runCLI(t, args...); code != diffError || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want %d and a message", args, code, stderr, diffError)
		}
	}
}
