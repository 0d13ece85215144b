package monitoring_test

import (
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

func TestRefused(t *testing.T) {
	const p = "services.app.x-monitoring.CWAgentCollectEmf"
	cases := []struct{ name, block, path, msg string }{
		{"UseLatest and OverrideImage", "{UseLatest: true, OverrideImage: \"example/agent:1\"}", p,
			"give either UseLatest or OverrideImage, not both"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rendertest.ExpectRefused(t, "services:\n  app:\n    image: busybox\n    x-monitoring:\n      CWAgentCollectEmf: "+tc.block+"\n", nil, tc.path, tc.msg)
		})
	}
	t.Run("two agent images in one family", func(t *testing.T) {
		rendertest.ExpectRefused(t, `services:
  a:
    image: busybox
    deploy: {labels: {ecs.task.family: shop}}
    x-monitoring: {CWAgentCollectEmf: {OverrideImage: "example/agent:1"}}
  b:
    image: busybox
    deploy: {labels: {ecs.task.family: shop}}
    x-monitoring: {CWAgentCollectEmf: {OverrideImage: "example/agent:2"}}
`, nil, "services.b.x-monitoring.CWAgentCollectEmf", "family shop: b asks for agent image example/agent:2 but a for example/agent:1; a task has one agent")
	})
}

// TestInterpolateWithDigest: compose-x resolves the agent image's digest
// while rendering; composex renders offline, so the flag is ignored with a
// warning that names the image the agent runs, unless that image is
// already pinned by digest.
func TestInterpolateWithDigest(t *testing.T) {
	const p = "services.app.x-monitoring.CWAgentCollectEmf.InterpolateWithDigest"
	cases := []struct{ name, block, msg string }{
		{"pinned default", "{InterpolateWithDigest: true}",
			"ignored: looking up the digest of " + render.CloudWatchAgentImage + " needs registry access and composex renders offline, so the agent runs that tag; to pin by digest, put it in OverrideImage (image@sha256:...)"},
		{"override tag", "{InterpolateWithDigest: true, OverrideImage: \"example/agent:1\"}",
			"ignored: looking up the digest of example/agent:1 needs registry access and composex renders offline, so the agent runs that tag; to pin by digest, put it in OverrideImage (image@sha256:...)"},
		{"override digest", "{InterpolateWithDigest: true, OverrideImage: \"example/agent@sha256:" + strings.Repeat("a", 64) + "\"}", ""},
		{"false", "{InterpolateWithDigest: false}", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rendertest.Render(t, "services:\n  app:\n    image: busybox\n    x-monitoring:\n      CWAgentCollectEmf: "+tc.block+"\n")
			if r.Template == "" {
				t.Fatalf("refused:\n%s", r.Diags.Error())
			}
			d := rendertest.Find(r.Diags, render.Warning, p)
			switch {
			case tc.msg == "" && d != nil:
				t.Errorf("unexpected warning: %s", d.Message)
			case tc.msg != "" && (d == nil || d.Message != tc.msg || d.Service != "app"):
				t.Errorf("warning %+v\nwant %q", d, tc.msg)
			}
			if len(r.Of("AWS::ECS::TaskDefinition")) != 1 {
				t.Errorf("task definitions: %v", r.Of("AWS::ECS::TaskDefinition"))
			}
		})
	}
}

func containers(res map[string]rendertest.Resource, family string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, c := range rendertest.Dig(res[family+"TaskDefinition"].Properties, "ContainerDefinitions").([]any) {
		out[rendertest.Dig(c, "Name").(string)] = c.(map[string]any)
	}
	return out
}

func envOf(c map[string]any) map[string]any {
	out := map[string]any{}
	for _, e := range rendertest.Dig(c, "Environment").([]any) {
		out[rendertest.Dig(e, "Name").(string)] = rendertest.Dig(e, "Value")
	}
	return out
}

func TestEmfSidecar(t *testing.T) {
	_, res := rendertest.MustRenderFiles(t, `services:
  api:
    image: busybox
    deploy: {labels: {ecs.task.family: shop}}
    x-monitoring: {CWAgentCollectEmf: true}
  worker:
    image: busybox
    environment:
      AWS_EMF_LOG_GROUP_NAME: my-own-group
    deploy: {labels: {ecs.task.family: shop}}
`, nil)
	cs := containers(res, "Shop")
	agent := cs["cloudwatch-agent"]
	if agent == nil || len(cs) != 3 {
		t.Fatalf("want api, worker and one agent; got %d containers", len(cs))
	}
	if got, _ := yaml.Marshal(agent["PortMappings"]); !strings.Contains(string(got), "25888") || !strings.Contains(string(got), "udp") {
		t.Errorf("agent ports: %s", got)
	}
	// The log group name holds the stack name: Fn::Sub, resolved by CloudFormation.
	group := map[string]any{"Fn::Sub": "/ecs/${AWS::StackName}/shop/metrics"}
	if got := envOf(cs["api"]); !reflect.DeepEqual(got, map[string]any{"AWS_EMF_AGENT_ENDPOINT": "tcp://127.0.0.1:25888", "AWS_EMF_LOG_GROUP_NAME": group}) {
		t.Errorf("api environment: %#v", got)
	}
	// A value the service sets is kept, as literal text.
	if got := envOf(cs["worker"])["AWS_EMF_LOG_GROUP_NAME"]; got != "my-own-group" {
		t.Errorf("worker's own AWS_EMF_LOG_GROUP_NAME replaced: %#v", got)
	}
	for _, name := range []string{"api", "worker"} {
		if got, _ := yaml.Marshal(cs[name]["DependsOn"]); string(got) != "- Condition: START\n  ContainerName: cloudwatch-agent\n" {
			t.Errorf("%s DependsOn: %s", name, got)
		}
	}
	lg := res["ShopMetricsLogGroup"]
	if lg.Type != "AWS::Logs::LogGroup" || !reflect.DeepEqual(lg.Properties["LogGroupName"], group) {
		t.Errorf("metrics log group: %#v", lg)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(res["ShopCloudWatchAgentConfig"].Properties["Value"].(string)), &cfg); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, map[string]any{"logs": map[string]any{"metrics_collected": map[string]any{"emf": map[string]any{}}, "force_flush_interval": 5}}) {
		t.Errorf("agent configuration: %v", cfg)
	}
	if _, ok := res["ShopPrometheusConfig"]; ok {
		t.Errorf("EMF alone needs no Prometheus configuration")
	}
}

func TestAgentImage(t *testing.T) {
	t.Run("OverrideImage", func(t *testing.T) {
		_, res := rendertest.MustRenderFiles(t, "services:\n  app:\n    image: busybox\n    x-monitoring:\n      CWAgentCollectEmf: {OverrideImage: \"example.com/agent:7\"}\n", nil)
		if got := rendertest.Dig(containers(res, "App")["cloudwatch-agent"], "Image"); !reflect.DeepEqual(got, map[string]any{"Ref": "AppCloudWatchAgentImage"}) {
			t.Errorf("agent image: %v", got)
		}
	})
	t.Run("UseLatest warns", func(t *testing.T) {
		ds, _ := rendertest.MustRenderFiles(t, "services:\n  app:\n    image: busybox\n    x-monitoring:\n      CWAgentCollectEmf: {UseLatest: true}\n", nil)
		d := rendertest.Find(ds, render.Warning, "services.app.x-monitoring.CWAgentCollectEmf.UseLatest")
		if d == nil || !strings.Contains(d.Message, ":latest") {
			t.Errorf("want a warning about :latest; got:\n%s", ds.Error())
		}
	})
}
