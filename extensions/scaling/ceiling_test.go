package scaling_test

import (
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// TestUnreachableMemoryTarget: a sidecar's CPU moves the task to 4 vCPU,
// whose least memory is 8 GiB, while the app may use 4 GiB: service
// MemoryUtilization stays near 53%, so a 75% target never scales out.
func TestUnreachableMemoryTarget(t *testing.T) {
	compose := func(xray string) string {
		return `
services:
  connect:
    image: nginx
    deploy:
      resources: {limits: {cpus: "2.0", memory: 4G}}
    x-scaling:
      Range: "3-6"
      TargetScaling: {MemoryTarget: 75, CpuTarget: 90}
` + xray
	}
	r := rendertest.MustRender(t, compose("    x-xray: true\n"))
	d := rendertest.Find(r.Diags, render.Warning, "services.connect.x-scaling.TargetScaling.MemoryTarget")
	want := "family connect: MemoryTarget 75 can never be reached: the task has 4 vCPU, 8 GiB, and its containers can use at most 4352 MiB of that memory (53.1%: sidecar xray-daemon is counted at its 256 MiB reservation, connect is limited to 4 GiB), so ECS service MemoryUtilization stays below 53.1%, and target tracking never scales out on memory; set MemoryTarget below 53.1, or raise the containers' memory limits (deploy.resources.limits.memory) to use the task's memory"
	if d == nil || d.Message != want {
		t.Errorf("warning: got %v, want\n  %q\n%s", d, want, r.Diags.Error())
	}
	if d := rendertest.Find(r.Diags, render.Warning, "services.connect.x-scaling.TargetScaling.CpuTarget"); d != nil {
		t.Errorf("a Linux container's CPU is a share, not a cap: no CPU warning expected, got %s", d.Message)
	}
	// Without the sidecar the task is 2 vCPU, 4 GiB: the limit fills it.
	r = rendertest.MustRender(t, compose(""))
	for _, d := range r.Diags.Warnings() {
		if strings.Contains(d.Message, "never be reached") {
			t.Errorf("unexpected: %s", d)
		}
	}
}
