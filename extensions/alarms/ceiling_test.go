package alarms_test

import (
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// TestUnreachableAlarmThreshold: with the app capped at 4 GiB in an 8 GiB
// task (the X-Ray sidecar's CPU moved it to 4 vCPU), MemoryUtilization stays
// near 53%: a predefined or top-level memory alarm at 80% never fires.
func TestUnreachableAlarmThreshold(t *testing.T) {
	compose := func(limit string) string {
		return `
services:
  connect:
    image: nginx
    deploy:
      resources: {limits: {cpus: "2.0"` + limit + `}}
    x-xray: true
    x-scaling: {Range: "3-6"}
    x-alarms:
      Predefined:
        HighRamUsageAndMaxScaledOut:
          Settings: {MemoryUtilization: 80}
        HighCpuUsageAndMaxScaledOut: {}
x-alarms:
  ConnectMemory:
    Properties: {Namespace: AWS/ECS, MetricName: MemoryUtilization, Statistic: Maximum, Period: 60,
                 EvaluationPeriods: 3, Threshold: 90, ComparisonOperator: GreaterThanThreshold}
    MacroParameters: {ServiceName: connect}
`
	}
	r := rendertest.MustRender(t, compose(", memory: 4G"))
	explain := "the task has 4 vCPU, 8 GiB, and its containers can use at most 4352 MiB of that memory (53.1%: sidecar xray-daemon is counted at its 256 MiB reservation, connect is limited to 4 GiB), so ECS service MemoryUtilization stays below 53.1%; set the threshold below 53.1, or raise the containers' memory limits (deploy.resources.limits.memory) to use the task's memory"
	for path, want := range map[string]string{
		"services.connect.x-alarms.Predefined.HighRamUsageAndMaxScaledOut.Settings.MemoryUtilization": "family connect: HighRamUsageAndMaxScaledOut at 80% on MemoryUtilization can never fire: " + explain,
		"x-alarms.ConnectMemory.Properties.Threshold":                                                 "family connect: alarm ConnectMemory at 90% on MemoryUtilization can never fire: " + explain,
	} {
		d := rendertest.Find(r.Diags, render.Warning, path)
		if d == nil || d.Message != want {
			t.Errorf("warning at %s: got %v, want\n  %q\n%s", path, d, want, r.Diags.Error())
		}
	}
	if d := rendertest.Find(r.Diags, render.Warning, "services.connect.x-alarms.Predefined.HighCpuUsageAndMaxScaledOut"); d != nil {
		t.Errorf("no CPU ceiling on Linux, got %s", d.Message)
	}
	// Without a memory limit the app may use the whole task: no warning.
	r = rendertest.MustRender(t, compose(""))
	for _, d := range r.Diags.Warnings() {
		if strings.Contains(d.Message, "never fire") {
			t.Errorf("unexpected: %s", d)
		}
	}
}
