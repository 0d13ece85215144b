package scaling_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/extensions/scaling"
	"github.com/composex/composex/render"
)

const (
	targetType = "AWS::ApplicationAutoScaling::ScalableTarget"
	policyType = "AWS::ApplicationAutoScaling::ScalingPolicy"
)

// TestRefused: every bad x-scaling block is refused with its exact message
// at its exact key path.
func TestRefused(t *testing.T) {
	cases := []struct {
		name, block, path, message string
	}{
		{"inverted range", `Range: "5-1"`, "services.web.x-scaling.Range",
			`"5-1" is inverted: the minimum 5 exceeds the maximum 1; write "1-5"`},
		{"range garbage", `Range: lots`, "services.web.x-scaling.Range",
			`"lots" is not a range; write "min-max" in tasks, e.g. "1-10"`},
		{"range without max", `Range: "3"`, "services.web.x-scaling.Range",
			`"3" is not a range; write "min-max" in tasks, e.g. "1-10"`},
		{"range zero", `Range: "0-0"`, "services.web.x-scaling.Range",
			`"0-0" never runs a task: the maximum must be at least 1`},
		{"range above ECS limit", `Range: "1-6000"`, "services.web.x-scaling.Range",
			`"1-6000": an ECS service runs at most 5000 tasks`},
		{"range missing", "TargetScaling: {CpuTarget: 50}", "services.web.x-scaling.Range",
			`Range is required: the fewest and most tasks the service runs, as "min-max"`},
		{"cpu target 150", "Range: \"1-4\"\nTargetScaling: {CpuTarget: 150}", "services.web.x-scaling.TargetScaling.CpuTarget",
			"150 is out of range: a target is a utilisation percentage, above 0 and at most 100"},
		{"memory target 0", "Range: \"1-4\"\nTargetScaling: {MemoryTarget: 0}", "services.web.x-scaling.TargetScaling.MemoryTarget",
			"0 is out of range: a target is a utilisation percentage, above 0 and at most 100"},
		{"request count without load balancer", "Range: \"1-4\"\nTargetScaling: {TgtTargetsCount: 100}", "services.web.x-scaling.TargetScaling.TgtTargetsCount",
			"request count per target needs family web behind an application load balancer the stack creates: add it to a listener of x-elbv2"},
		{"schedule name with a colon", "Range: \"1-4\"\nScheduledActions: [{ScheduledActionName: 'up:now', Schedule: 'rate(1 day)', ScalableTargetAction: {MinCapacity: 1}}]",
			"services.web.x-scaling.ScheduledActions.0.ScheduledActionName",
			`not a scheduled action name: "up:now" holds ':'; allowed: 1 to 200 characters, no control character, no ':', '/' or '|', no space at either end`},
		{"schedule name with a trailing space", "Range: \"1-4\"\nScheduledActions: [{ScheduledActionName: 'up ', Schedule: 'rate(1 day)', ScalableTargetAction: {MinCapacity: 1}}]",
			"services.web.x-scaling.ScheduledActions.0.ScheduledActionName",
			`not a scheduled action name: "up " starts or ends with a space; allowed: 1 to 200 characters, no control character, no ':', '/' or '|', no space at either end`},
		{"schedule name with a tab", "Range: \"1-4\"\nScheduledActions: [{ScheduledActionName: \"a\\tb\", Schedule: 'rate(1 day)', ScalableTargetAction: {MinCapacity: 1}}]",
			"services.web.x-scaling.ScheduledActions.0.ScheduledActionName",
			`not a scheduled action name: "a\tb" holds '\t'; allowed: 1 to 200 characters, no control character, no ':', '/' or '|', no space at either end`},
		{"rate with an unknown unit", "Range: \"1-4\"\nScheduledActions: [{ScheduledActionName: night, Schedule: 'rate(1w)', ScalableTargetAction: {MinCapacity: 1}}]",
			"services.web.x-scaling.ScheduledActions.0.Schedule",
			`"rate(1w)" is not a schedule; write at(yyyy-mm-ddThh:mm:ss), rate(N minutes|hours|days) or cron(minutes hours day-of-month month day-of-week year)`},
		{"negative cooldown", "Range: \"1-4\"\nTargetScaling: {CpuTarget: 50, ScaleOutCooldown: -1}", "services.web.x-scaling.TargetScaling.ScaleOutCooldown",
			"-1 is out of range: a cooldown is 0 to 86400 seconds"},
		{"unknown key", "Range: \"1-4\"\nTargetScaling: {CpuTargett: 50}", "services.web.x-scaling",
			`unknown key "CpuTargett"`},
		{"bad schedule", "Range: \"1-4\"\nScheduledActions: [{ScheduledActionName: night, Schedule: 'every night', ScalableTargetAction: {MinCapacity: 1}}]",
			"services.web.x-scaling.ScheduledActions.0.Schedule",
			`"every night" is not a schedule; write at(yyyy-mm-ddThh:mm:ss), rate(N minutes|hours|days) or cron(minutes hours day-of-month month day-of-week year)`},
		{"schedule without capacity", "Range: \"1-4\"\nScheduledActions: [{ScheduledActionName: night, Schedule: 'cron(0 20 * * ? *)', ScalableTargetAction: {}}]",
			"services.web.x-scaling.ScheduledActions.0.ScalableTargetAction",
			"give MinCapacity, MaxCapacity or both: the capacity the schedule sets"},
		{"schedule inverted capacity", "Range: \"1-4\"\nScheduledActions: [{ScheduledActionName: night, Schedule: 'cron(0 20 * * ? *)', ScalableTargetAction: {MinCapacity: 3, MaxCapacity: 1}}]",
			"services.web.x-scaling.ScheduledActions.0.ScalableTargetAction", "MinCapacity 3 exceeds MaxCapacity 1"},
		{"schedule bad zone", "Range: \"1-4\"\nScheduledActions: [{ScheduledActionName: night, Schedule: 'cron(0 20 * * ? *)', Timezone: Mars/Olympus, ScalableTargetAction: {MinCapacity: 1}}]",
			"services.web.x-scaling.ScheduledActions.0.Timezone", `"Mars/Olympus" is not an IANA time zone (e.g. Europe/Paris, UTC)`},
		{"schedule end before start", "Range: \"1-4\"\nScheduledActions: [{ScheduledActionName: night, Schedule: 'rate(1 day)', StartTime: '2027-01-02T00:00:00Z', EndTime: '2027-01-01T00:00:00Z', ScalableTargetAction: {MinCapacity: 1}}]",
			"services.web.x-scaling.ScheduledActions.0.EndTime", "2027-01-01T00:00:00Z is not after StartTime 2027-01-02T00:00:00Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			compose := "services:\n  web:\n    image: nginx\n    x-scaling:\n" + indent(tc.block, "      ")
			r := rendertest.Render(t, compose)
			if r.Template != "" {
				t.Fatalf("rendered; want the error %q at %s", tc.message, tc.path)
			}
			d := rendertest.Find(r.Diags, render.Error, tc.path)
			if d == nil {
				t.Fatalf("no error at %s; got:\n%s", tc.path, r.Diags.Error())
			}
			if d.Message != tc.message || d.Service != "web" {
				t.Errorf("service %q message\n  %q\nwant service web and\n  %q", d.Service, d.Message, tc.message)
			}
		})
	}
}

// TestNormalizeSchedule: a rate with an abbreviated unit (compose-x's
// use-cases write rate(1h)) becomes the form Application Auto Scaling
// accepts, rate(value unit) with unit minute(s), hour(s) or day(s); every
// other schedule is left as written.
func TestNormalizeSchedule(t *testing.T) {
	cases := []struct {
		in, out string
		ok      bool
	}{
		{"rate(1h)", "rate(1 hour)", true},
		{"rate(2h)", "rate(2 hours)", true},
		{" rate(30m) ", "rate(30 minutes)", true},
		{"rate(1 min)", "rate(1 minute)", true},
		{"rate(5mins)", "rate(5 minutes)", true},
		{"rate(12hrs)", "rate(12 hours)", true},
		{"rate(1d)", "rate(1 day)", true},
		{"rate(7d)", "rate(7 days)", true},
		{"rate(1 hour)", "rate(1 hour)", false},
		{"rate(0h)", "rate(0h)", false},
		{"rate(1w)", "rate(1w)", false},
		{"cron(0 20 * * ? *)", "cron(0 20 * * ? *)", false},
	}
	for _, tc := range cases {
		out, ok := scaling.NormalizeSchedule(tc.in)
		if out != tc.out || ok != tc.ok {
			t.Errorf("NormalizeSchedule(%q) = %q, %v; want %q, %v", tc.in, out, ok, tc.out, tc.ok)
		}
	}
}

// TestComposeXForms: what compose-x's blog.features.yml writes renders,
// each repair with its warning at its key: rate(1h) is written out, a name
// with spaces (the API allows them) is kept as is, and a TargetScaling
// without a target makes no policy.
func TestComposeXForms(t *testing.T) {
	r := rendertest.Render(t, `
services:
  web:
    image: nginx
    x-scaling:
      Range: "1-5"
      TargetScaling: {DisableScaleIn: true}
      ScheduledActions:
        - {ScheduledActionName: Bump The Max, Schedule: rate(1h), Timezone: Europe/London, ScalableTargetAction: {MaxCapacity: 4}}
        - {ScheduledActionName: "Night $${x}", Schedule: rate(1 day), ScalableTargetAction: {MaxCapacity: 2}, MacroParameters: {AddServiceName: true}}
`)
	if r.Template == "" {
		t.Fatalf("refused:\n%s", r.Diags.Error())
	}
	warnings := map[string]string{
		"services.web.x-scaling.ScheduledActions.0.Schedule": `"rate(1h)" is written "rate(1 hour)": Application Auto Scaling accepts rate(value unit) with unit minute(s), hour(s) or day(s) only`,
		"services.web.x-scaling.TargetScaling":               "no CpuTarget, MemoryTarget or TgtTargetsCount: no target tracking policy is made (as in compose-x), so DisableScaleIn and the cooldowns apply to nothing; give a target to track one",
	}
	for path, msg := range warnings {
		d := rendertest.Find(r.Diags, render.Warning, path)
		if d == nil || d.Message != msg || d.Service != "web" {
			t.Errorf("warning at %s: %+v\nwant %q", path, d, msg)
		}
	}
	st := r.Get(t, "WebScalableTarget", targetType)
	actions := st["ScheduledActions"].([]any)
	bump := actions[0].(map[string]any)
	if bump["ScheduledActionName"] != "Bump The Max" || bump["Schedule"] != "rate(1 hour)" {
		t.Errorf("action 0: %v", bump)
	}
	// The name is data inside Fn::Sub: ${ is escaped, never a reference.
	night := actions[1].(map[string]any)["ScheduledActionName"].(map[string]any)["Fn::Sub"]
	if night != "${WebService.Name}.Night ${!x}" {
		t.Errorf("action 1 name: %v", night)
	}
	if len(r.Of(policyType)) != 0 {
		t.Errorf("policies without a target: %v", r.Of(policyType))
	}
	rendertest.CfnLint(t, r.Template)
}

// TestAllServicesReported: Validate reports the problems of every service.
func TestAllServicesReported(t *testing.T) {
	r := rendertest.Render(t, `
services:
  a: {image: nginx, x-scaling: {Range: "9-1"}}
  b: {image: nginx, x-scaling: {Range: "1-2", TargetScaling: {CpuTarget: 101}}}
`)
	for _, p := range []string{"services.a.x-scaling.Range", "services.b.x-scaling.TargetScaling.CpuTarget"} {
		if rendertest.Find(r.Diags, render.Error, p) == nil {
			t.Errorf("no error at %s:\n%s", p, r.Diags.Error())
		}
	}
}

// TestFamilyMerge: the services of one family share one scalable target:
// widest range, lowest targets, longest cooldowns, DisableScaleIn if any.
func TestFamilyMerge(t *testing.T) {
	cases := []struct {
		name           string
		services       string
		min, max       int
		cpu, memory    any // nil: no policy
		in, out        int
		disableScaleIn bool
		desired        int
		warnings       map[string]string // path -> message
	}{
		{"two services, every rule", `
  api:
    image: nginx
    deploy: {replicas: 3, labels: {ecs.task.family: app}}
    x-scaling:
      Range: "2-8"
      TargetScaling: {CpuTarget: 70, ScaleInCooldown: 120, ScaleOutCooldown: 30}
  worker:
    image: busybox
    deploy: {labels: {ecs.task.family: app}}
    x-scaling:
      Range: "1-5"
      TargetScaling: {CpuTarget: 50, MemoryTarget: 80, ScaleInCooldown: 600, DisableScaleIn: true}
`, 1, 8, 50.0, 80.0, 600, 30, true, 3, map[string]string{
			"services.api.x-scaling.TargetScaling.CpuTarget": "family app: api asks for 70 and worker for 50; the family is one ECS service, so the lower target 50 applies",
		}},
		{"three services, defaults for unset cooldowns", `
  a:
    image: nginx
    deploy: {labels: {ecs.task.family: app}}
    x-scaling: {Range: "2-4", TargetScaling: {MemoryTarget: 60}}
  b:
    image: nginx
    deploy: {labels: {ecs.task.family: app}}
    x-scaling: {Range: "3-10", TargetScaling: {MemoryTarget: 75}}
  c:
    image: nginx
    deploy: {labels: {ecs.task.family: app}}
`, 2, 10, nil, 60.0, 300, 60, false, 2, map[string]string{}},
		{"replicas above the range are clamped", `
  a:
    image: nginx
    deploy: {replicas: 12, labels: {ecs.task.family: app}}
    x-scaling: {Range: "1-6"}
  b:
    image: nginx
    deploy: {labels: {ecs.task.family: app}}
    x-scaling: {Range: "2-3"}
`, 1, 6, nil, nil, 0, 0, false, 6, map[string]string{
			"services.a.deploy.replicas": "family app: 12 replica(s) is outside the scaling range 1-6; auto scaling keeps the task count within the range",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rendertest.MustRender(t, "services:"+tc.services)
			st := r.Get(t, "AppScalableTarget", targetType)
			if st["MinCapacity"] != tc.min || st["MaxCapacity"] != tc.max {
				t.Errorf("range %v-%v, want %d-%d", st["MinCapacity"], st["MaxCapacity"], tc.min, tc.max)
			}
			if got := len(r.Of(targetType)); got != 1 {
				t.Errorf("%d scalable targets, want one for the family", got)
			}
			for id, want := range map[string]any{"AppCpuTrackingPolicy": tc.cpu, "AppMemoryTrackingPolicy": tc.memory} {
				res, ok := r.Resources[id]
				if want == nil {
					if ok {
						t.Errorf("%s created, none asked for", id)
					}
					continue
				}
				if !ok {
					t.Fatalf("%s missing", id)
				}
				cfg := res.Properties["TargetTrackingScalingPolicyConfiguration"].(map[string]any)
				if num(cfg["TargetValue"]) != want.(float64) || cfg["ScaleInCooldown"] != tc.in || cfg["ScaleOutCooldown"] != tc.out || cfg["DisableScaleIn"] != tc.disableScaleIn {
					t.Errorf("%s: %v; want target %v, cooldowns in %d out %d, DisableScaleIn %v", id, cfg, want, tc.in, tc.out, tc.disableScaleIn)
				}
				if res.Properties["ScalingTargetId"].(map[string]any)["Ref"] != "AppScalableTarget" {
					t.Errorf("%s not tied to the target: %v", id, res.Properties["ScalingTargetId"])
				}
			}
			// Auto scaling owns the count: a DesiredCount in the template
			// would be sent again by every stack update and undo scaling.
			svc := r.Get(t, "AppService", "AWS::ECS::Service")
			if d, set := svc["DesiredCount"]; set {
				t.Errorf("DesiredCount %v set on a scaled service", d)
			}
			for path, msg := range tc.warnings {
				d := rendertest.Find(r.Diags, render.Warning, path)
				if d == nil || d.Message != msg {
					t.Errorf("warning at %s: got %v, want %q\n%s", path, d, msg, r.Diags.Error())
				}
			}
		})
	}
}

// TestTargetResources checks the scalable target of a plain service, its
// scheduled actions and that a family without x-scaling gets none.
func TestTargetResources(t *testing.T) {
	r := rendertest.MustRender(t, `
services:
  web:
    image: nginx
    deploy: {replicas: 2}
    x-scaling:
      Range: "2-10"
      TargetScaling: {CpuTarget: 65.5}
      ScheduledActions:
        - ScheduledActionName: night
          Schedule: cron(0 20 * * ? *)
          Timezone: Europe/Paris
          ScalableTargetAction: {MinCapacity: 1, MaxCapacity: 2}
        - ScheduledActionName: morning
          Schedule: cron(0 7 * * ? *)
          StartTime: "2027-01-01T00:00:00Z"
          ScalableTargetAction: {MinCapacity: 2, MaxCapacity: 10}
          MacroParameters: {AddServiceName: true}
  db:
    image: postgres
`)
	st := r.Get(t, "WebScalableTarget", targetType)
	if st["ScalableDimension"] != "ecs:service:DesiredCount" || st["ServiceNamespace"] != "ecs" || st["MinCapacity"] != 2 || st["MaxCapacity"] != 10 {
		t.Errorf("target: %v", st)
	}
	sub := st["ResourceId"].(map[string]any)["Fn::Sub"].([]any)
	if sub[0] != "service/${EcsClusterName}/${WebService.Name}" {
		t.Errorf("ResourceId: %v", sub)
	}
	actions := st["ScheduledActions"].([]any)
	if len(actions) != 2 {
		t.Fatalf("scheduled actions: %v", actions)
	}
	night := actions[0].(map[string]any)
	want := map[string]any{"ScheduledActionName": "night", "Schedule": "cron(0 20 * * ? *)", "Timezone": "Europe/Paris",
		"ScalableTargetAction": map[string]any{"MinCapacity": 1, "MaxCapacity": 2}}
	if !reflect.DeepEqual(night, want) {
		t.Errorf("night: %v\nwant %v", night, want)
	}
	morning := actions[1].(map[string]any)
	if morning["ScheduledActionName"].(map[string]any)["Fn::Sub"] != "${WebService.Name}.morning" || morning["StartTime"] != "2027-01-01T00:00:00Z" {
		t.Errorf("morning: %v", morning)
	}
	cpu := r.Get(t, "WebCpuTrackingPolicy", policyType)
	if cpu["PolicyType"] != "TargetTrackingScaling" ||
		cpu["TargetTrackingScalingPolicyConfiguration"].(map[string]any)["TargetValue"] != 65.5 {
		t.Errorf("cpu policy: %v", cpu)
	}
	if _, ok := r.Resources["DbScalableTarget"]; ok {
		t.Errorf("db has no x-scaling and must not get a scalable target (compose-x pinned Min=Max=replicas)")
	}
	rendertest.CfnLint(t, r.Template)
}

// TestSeeds renders both seeds with their scaling resources.
func TestSeeds(t *testing.T) {
	cases := []struct {
		seed    string
		targets map[string][2]int
	}{
		{"seed-mysfits-workshop", map[string][2]int{"LikeScalableTarget": {2, 100}, "MonolithScalableTarget": {2, 10}}},
		{"seed-prometheus-blog", map[string][2]int{"ConnectScalableTarget": {3, 6}}},
	}
	for _, tc := range cases {
		t.Run(tc.seed, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(rendertest.SharedDir(), "fixtures", tc.seed, "docker-compose.yml"))
			if err != nil {
				t.Fatal(err)
			}
			r := rendertest.MustRender(t, string(data))
			if len(r.Of(targetType)) != len(tc.targets) {
				t.Errorf("targets: %v", r.Of(targetType))
			}
			for id, mm := range tc.targets {
				st := r.Get(t, id, targetType)
				if st["MinCapacity"] != mm[0] || st["MaxCapacity"] != mm[1] {
					t.Errorf("%s: %v-%v, want %d-%d", id, st["MinCapacity"], st["MaxCapacity"], mm[0], mm[1])
				}
			}
			rendertest.CfnLint(t, r.Template)
		})
	}
}

func indent(s, pad string) string {
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad) + "\n"
}

// num reads a YAML number (int or float) as a float.
func num(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case float64:
		return n
	}
	return -1
}
