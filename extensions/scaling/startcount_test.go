package scaling_test

import (
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/extensions/scaling"
	"github.com/composex/composex/render"
)

// TestStartCount: a scaled service has no DesiredCount, so CloudFormation
// creates it with 1 task and registering the scalable target moves that
// into the Range. deploy.replicas (or scale) inside the Range that differs
// from that count is not silently ignored: the user is told how many tasks
// start and how to get the count they asked for.
func TestStartCount(t *testing.T) {
	cases := []struct {
		name    string
		service string
		start   int
		path    string // "" : no warning expected
		message string
	}{
		{"replicas above the start", `deploy: {replicas: 3}
    x-scaling: {Range: "1-6"}`, 1, "services.web.deploy.replicas",
			`family web: deploy.replicas is 3, but the service starts with 1 task(s): a scaled service has no DesiredCount in the template (every stack update would send it again and undo what auto scaling did), so CloudFormation creates it with 1 task and the scalable target moves that into the Range 1-6; to start with 3 tasks, make 3 the Range minimum ("3-6")`},
		{"scale key", `scale: 2
    x-scaling: {Range: "0-4"}`, 1, "services.web.scale",
			`family web: scale is 2, but the service starts with 1 task(s): a scaled service has no DesiredCount in the template (every stack update would send it again and undo what auto scaling did), so CloudFormation creates it with 1 task and the scalable target moves that into the Range 0-4; to start with 2 tasks, make 2 the Range minimum ("2-4")`},
		{"replicas equal to the minimum", `deploy: {replicas: 2}
    x-scaling: {Range: "2-6"}`, 2, "", ""},
		{"no replicas", `x-scaling: {Range: "3-6"}`, 3, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rendertest.MustRender(t, "services:\n  web:\n    image: nginx\n    "+tc.service+"\n")
			for _, p := range []string{"services.web.deploy.replicas", "services.web.scale"} {
				d := rendertest.Find(r.Diags, render.Warning, p)
				switch {
				case p == tc.path && (d == nil || d.Message != tc.message):
					t.Errorf("warning at %s: got %v, want\n  %q", p, d, tc.message)
				case p != tc.path && d != nil:
					t.Errorf("unexpected warning at %s: %s", p, d.Message)
				}
			}
			st := r.Get(t, "WebScalableTarget", "AWS::ApplicationAutoScaling::ScalableTarget")
			if got := scaling.StartCount(st["MinCapacity"].(int), st["MaxCapacity"].(int)); got != tc.start {
				t.Errorf("start count %d, want %d", got, tc.start)
			}
		})
	}
}
