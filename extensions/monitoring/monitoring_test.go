package monitoring_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/render"
)

func TestRefused(t *testing.T) {
	const p = "services.app.x-monitoring.CWAgentCollectEmf"
	cases := []struct{ name, block, path, msg string }{
		{"UseLatest and OverrideImage", "{UseLatest: true, OverrideImage: \"example/agent:1\"}", p,
			"give either UseLatest or OverrideImage, not both"},
		{"InterpolateWithDigest", "{InterpolateWithDigest: true}", p + ".InterpolateWithDigest",
			"looking up an image digest needs registry access and composex renders offline; put the digest in OverrideImage (image@sha256:...)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectRefused(t, "services:\n  app:\n    image: busybox\n    x-monitoring:\n      CWAgentCollectEmf: "+tc.block+"\n", nil, tc.path, tc.msg)
		})
	}
	t.Run("two agent images in one family", func(t *testing.T) {
		expectRefused(t, `services:
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

func containers(res map[string]resource, family string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, c := range dig(res[family+"TaskDefinition"].Properties, "ContainerDefinitions").([]any) {
		out[dig(c, "Name").(string)] = c.(map[string]any)
	}
	return out
}

func envOf(c map[string]any) map[string]any {
	out := map[string]any{}
	for _, e := range dig(c, "Environment").([]any) {
		out[dig(e, "Name").(string)] = dig(e, "Value")
	}
	return out
}

func TestEmfSidecar(t *testing.T) {
	_, res := mustRender(t, `services:
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
		_, res := mustRender(t, "services:\n  app:\n    image: busybox\n    x-monitoring:\n      CWAgentCollectEmf: {OverrideImage: \"example.com/agent:7\"}\n", nil)
		if got := dig(containers(res, "App")["cloudwatch-agent"], "Image"); !reflect.DeepEqual(got, map[string]any{"Ref": "AppCloudWatchAgentImage"}) {
			t.Errorf("agent image: %v", got)
		}
	})
	t.Run("UseLatest warns", func(t *testing.T) {
		ds, _ := mustRender(t, "services:\n  app:\n    image: busybox\n    x-monitoring:\n      CWAgentCollectEmf: {UseLatest: true}\n", nil)
		d := findDiag(ds, render.Warning, "services.app.x-monitoring.CWAgentCollectEmf.UseLatest")
		if d == nil || !strings.Contains(d.Message, ":latest") {
			t.Errorf("want a warning about :latest; got:\n%s", ds.Error())
		}
	})
}

// renderCompose writes compose (and extra files) into a temporary project
// and renders it with every extension, as `composex render -p demo` does
// minus the JSON Schemas: the Go checks of the extensions are what these
// tests assert.
func renderCompose(t *testing.T, compose string, extra map[string]string) (render.Diagnostics, map[string]resource) {
	t.Helper()
	dir := t.TempDir()
	extra = maps.Clone(extra)
	if extra == nil {
		extra = map[string]string{}
	}
	extra["docker-compose.yml"] = compose
	for name, body := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, ds := render.Render(context.Background(), render.Options{
		Load:       render.LoadOptions{Files: []string{filepath.Join(dir, "docker-compose.yml")}, ProjectName: "demo", Environment: map[string]string{}},
		Extensions: extensions.All(),
	})
	if out == nil || ds.HasErrors() {
		return ds, nil
	}
	var doc struct {
		Resources map[string]resource `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(out.Files[out.Template], &doc); err != nil {
		t.Fatal(err)
	}
	return ds, doc.Resources
}

// resource is a template resource as parsed from YAML.
type resource struct {
	Type       string         `yaml:"Type"`
	Properties map[string]any `yaml:"Properties"`
}

// mustRender renders and fails on any error.
func mustRender(t *testing.T, compose string, extra map[string]string) (render.Diagnostics, map[string]resource) {
	t.Helper()
	ds, res := renderCompose(t, compose, extra)
	if res == nil {
		t.Fatalf("render failed:\n%s", ds.Error())
	}
	return ds, res
}

// expectRefused checks that rendering fails with an error at path whose
// message is exactly msg.
func expectRefused(t *testing.T, compose string, extra map[string]string, path, msg string) {
	t.Helper()
	ds, res := renderCompose(t, compose, extra)
	if res != nil {
		t.Fatalf("rendered; want the error %s: %s", path, msg)
	}
	for _, d := range ds.Errors() {
		if d.Path == path && d.Message == msg {
			return
		}
	}
	t.Errorf("no error at %s with message\n  %s\ngot:\n%s", path, msg, ds.Error())
}

// findDiag returns the diagnostic of that severity at path, or nil.
func findDiag(ds render.Diagnostics, sev render.Severity, path string) *render.Diagnostic {
	for i := range ds {
		if ds[i].Severity == sev && ds[i].Path == path {
			return &ds[i]
		}
	}
	return nil
}

func dig(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func ofType(res map[string]resource, typ string) map[string]resource {
	out := map[string]resource{}
	for id, r := range res {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}
