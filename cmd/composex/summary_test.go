package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSummarySaysWhyTheSize: the render summary tells why a family's task
// is the size it is: what each container asks for, the Fargate rule that
// took the sum to a valid size, and what the sidecars added.
func TestSummarySaysWhyTheSize(t *testing.T) {
	f := writeCompose(t, `
services:
  connect:
    image: nginx:1.27
    deploy:
      resources: {limits: {cpus: "2.0", memory: 4G}}
    x-xray: true
`)
	code, _, stderr := runCLI(t, "render", "-f", f, "-p", "shop", "-o", filepath.Join(t.TempDir(), "out"))
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	want := "family connect: 2 container(s), Fargate task 4 vCPU, 8 GiB (the containers ask for 2.03125 vCPU, 4352 MiB: xray-daemon (sidecar) 0.03125 vCPU/256 MiB, connect 2 vCPU/4 GiB; 4 vCPU is the smallest Fargate CPU size that holds 2.03125 vCPU, 8 GiB is the least memory Fargate gives 4 vCPU; the sidecars raised it from 2 vCPU, 4 GiB)"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr:\n%s\nwant the line\n%s", stderr, want)
	}
}
