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

// TestSummaryContainersAndPorts: per family the containers (sidecars
// marked) and each port with how it is reached: a load balancer, from
// outside by an ingress rule, or only inside the stack by its Service
// Connect name. -q hides the summary.
func TestSummaryContainersAndPorts(t *testing.T) {
	for _, c := range []struct {
		example string
		want    []string
	}{
		{"elbv2-alb-https", []string{"\n  containers: web\n  ports: 80/tcp through load balancer PublicLoadBalancer\n"}},
		{"names-web-api-cache", []string{
			"\n  containers: api\n  ports: 8080/tcp inside the stack as api:8080 (Service Connect)\n",
			"\n  containers: web\n  ports: 80/tcp from outside (public IP, ingress rule)\n",
		}},
	} {
		file := filepath.Join("..", "..", "examples", c.example, "docker-compose.yml")
		code, _, stderr := runCLI(t, "render", "-f", file, "-o", filepath.Join(t.TempDir(), "out"))
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s", c.example, code, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", c.example, w, stderr)
			}
		}
		_, _, quiet := runCLI(t, "render", "-q", "-f", file, "-o", filepath.Join(t.TempDir(), "out"))
		if strings.Contains(quiet, "containers:") || strings.Contains(quiet, "family ") {
			t.Errorf("%s: -q still prints the summary:\n%s", c.example, quiet)
		}
	}
	f := writeCompose(t, "services:\n  web:\n    image: nginx:1.27\n    x-xray: true\n")
	_, _, stderr := runCLI(t, "render", "-f", f, "-o", filepath.Join(t.TempDir(), "out"))
	if !strings.Contains(stderr, "\n  containers: xray-daemon (sidecar), web\n") && !strings.Contains(stderr, "\n  containers: web, xray-daemon (sidecar)\n") {
		t.Errorf("sidecar not marked:\n%s", stderr)
	}
}
