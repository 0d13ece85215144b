package xray_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xeipuuv/gojsonschema"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

const taskDefType = "AWS::ECS::TaskDefinition"

// containers returns a task definition's containers by name, without
// their log configuration (the same for every container).

// equalJSON compares a parsed template value with the expected JSON.

// daemonGolden is the daemon sidecar of every family with x-xray: true.
const daemonGolden = `{
  "Name": "xray-daemon", "Image": {"Ref": "XRayDaemonImage"}, "Essential": false,
  "Cpu": 32, "User": "10001", "ReadonlyRootFilesystem": true,
  "Environment": [{"Name": "AWS_REGION", "Value": {"Ref": "AWS::Region"}}],
  "PortMappings": [
    {"ContainerPort": 2000, "Name": "xray_udp", "Protocol": "udp"},
    {"ContainerPort": 2000, "Name": "xray_tcp", "Protocol": "tcp"}
  ]
}`

const twoServices = `
services:
  api:
    image: public.ecr.aws/docker/library/python:3.12
    ports: ["8080:8080"]
    environment:
      AWS_XRAY_DAEMON_ADDRESS: xray.internal:2000
    x-xray: true
  web:
    image: nginx:1.27
    ports: ["80:80"]
    x-ray: true
  quiet:
    image: busybox:1.36
`

func TestDaemonSidecar(t *testing.T) {
	r := rendertest.MustRender(t, twoServices)
	for _, fam := range []string{"Api", "Web"} {
		cs := rendertest.Containers(t, r, fam+"TaskDefinition")
		rendertest.EqualJSON(t, fam+" daemon", daemonWithoutLimit(t, cs["xray-daemon"]), daemonGolden)
		arns := r.Get(t, fam+"TaskRole", "AWS::IAM::Role")["ManagedPolicyArns"]
		rendertest.EqualJSON(t, fam+" task role", arns, `[{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"}]`)
	}
	api := rendertest.Containers(t, r, "ApiTaskDefinition")["api"]
	rendertest.EqualJSON(t, "api env (the user's address is kept)", api["Environment"], `[{"Name": "AWS_XRAY_DAEMON_ADDRESS", "Value": "xray.internal:2000"}]`)
	rendertest.EqualJSON(t, "api starts after the daemon", api["DependsOn"], `[{"Condition": "START", "ContainerName": "xray-daemon"}]`)
	web := rendertest.Containers(t, r, "WebTaskDefinition")["web"]
	rendertest.EqualJSON(t, "web env (legacy x-ray)", web["Environment"], `[{"Name": "AWS_XRAY_DAEMON_ADDRESS", "Value": "127.0.0.1:2000"}]`)
	if _, ok := r.Resources["QuietTaskDefinition"]; !ok {
		t.Fatal("quiet family missing")
	}
	if _, has := rendertest.Containers(t, r, "QuietTaskDefinition")["xray-daemon"]; has {
		t.Error("a family without x-xray got a daemon")
	}
	rendertest.CfnLint(t, r.Template)
}

// The daemon's reservation counts in the task size: 0.25 vCPU of app plus
// 32 units of daemon no longer fit the smallest Fargate size.
func TestDaemonCountsInTaskSize(t *testing.T) {
	r := rendertest.MustRender(t, `
services:
  api:
    image: busybox:1.36
    deploy: {resources: {limits: {cpus: "0.25", memory: 256M}}}
    x-xray: true
`)
	td := r.Get(t, "ApiTaskDefinition", taskDefType)
	if td["Cpu"] != "512" || td["Memory"] != "1024" {
		t.Errorf("task size %v/%v, want 512/1024 (256+32 CPU units, 256+256 MiB)", td["Cpu"], td["Memory"])
	}
}

func TestOverrideImageAndReuse(t *testing.T) {
	r := rendertest.MustRender(t, `
services:
  api:
    image: busybox:1.36
    x-xray: {OverrideImage: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/xray:3.3.14"}
  web:
    image: nginx:1.27
    x-xray: true
  xray-daemon:
    image: amazon/aws-xray-daemon:3.3.14
    labels: {composex.sidecar: xray-daemon}
    deploy: {labels: {ecs.task.family: web}}
`)
	out, err := os.ReadFile(r.Template)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "ApiXRayDaemonImage:") || !strings.Contains(string(out), "Default: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/xray:3.3.14") {
		t.Errorf("OverrideImage must become the family's image parameter default")
	}
	rendertest.EqualJSON(t, "api daemon image", rendertest.Containers(t, r, "ApiTaskDefinition")["xray-daemon"]["Image"], `{"Ref": "ApiXRayDaemonImage"}`)
	web := rendertest.Containers(t, r, "WebTaskDefinition")
	if web["xray-daemon"]["Image"].(map[string]any)["Ref"] != "XrayDaemonImage" {
		t.Errorf("the family's own xray-daemon service must be reused, got %v", web["xray-daemon"]["Image"])
	}
	if len(web) != 2 {
		t.Errorf("want web and its xray-daemon service only, got %d containers", len(web))
	}
	rendertest.EqualJSON(t, "web depends on the reused daemon", web["web"]["DependsOn"], `[{"Condition": "START", "ContainerName": "xray-daemon"}]`)
	if strings.Contains(string(out), "XRayDaemonImage:\n    Default: public.ecr.aws") {
		t.Errorf("no family uses the pinned daemon, so its parameter must not be declared")
	}
	rendertest.CfnLint(t, r.Template)
}

func loadAgentSchema(t *testing.T) *gojsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(rendertest.SharedDir(), "reference", "cloudwatch-agent-config.schema.json"))
	if err != nil {
		t.Fatalf("the CloudWatch agent schema is needed: %v", err)
	}
	s, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(data))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// agentConfig returns a family's agent configuration, checked against the
// agent's own schema.
func agentConfig(t *testing.T, schema *gojsonschema.Schema, r rendertest.Result, id string) map[string]any {
	t.Helper()
	v := r.Get(t, id, "AWS::SSM::Parameter")["Value"]
	body, ok := v.(string)
	if !ok {
		body = strings.ReplaceAll(v.(map[string]any)["Fn::Sub"].(string), "${AWS::StackName}", "demo-stack")
	}
	res, err := schema.Validate(gojsonschema.NewStringLoader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors() {
		t.Errorf("%s: agent schema: %s", id, e)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(body), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestAgentCollector(t *testing.T) {
	schema := loadAgentSchema(t)
	r := rendertest.MustRender(t, `
services:
  api:
    image: amazoncorretto:21
    ports: ["8080:8080"]
    environment:
      OTEL_EXPORTER_OTLP_ENDPOINT: http://collector:4318
    x-xray: {Collector: cloudwatch-agent}
    x-prometheus:
      ContainersInsights:
        CollectForJavaJmx: true
  lone:
    image: busybox:1.36
    x-xray: {Collector: cloudwatch-agent}
`)
	cs := rendertest.Containers(t, r, "ApiTaskDefinition")
	if _, has := cs["xray-daemon"]; has {
		t.Error("the agent collects; no daemon may run")
	}
	if len(cs) != 2 {
		t.Errorf("want api and one agent (shared with x-prometheus), got %d containers", len(cs))
	}
	rendertest.EqualJSON(t, "agent ports", cs["cloudwatch-agent"]["PortMappings"], `[
		{"ContainerPort": 2000, "Name": "xray_udp", "Protocol": "udp"},
		{"ContainerPort": 4317, "Name": "otlp_grpc", "Protocol": "tcp"},
		{"ContainerPort": 4318, "Name": "otlp_http", "Protocol": "tcp"}]`)
	rendertest.EqualJSON(t, "api env", cs["api"]["Environment"], `[
		{"Name": "AWS_XRAY_DAEMON_ADDRESS", "Value": "127.0.0.1:2000"},
		{"Name": "OTEL_EXPORTER_OTLP_ENDPOINT", "Value": "http://collector:4318"},
		{"Name": "OTEL_EXPORTER_OTLP_PROTOCOL", "Value": "http/protobuf"}]`)
	rendertest.EqualJSON(t, "api starts after the agent", cs["api"]["DependsOn"], `[{"Condition": "START", "ContainerName": "cloudwatch-agent"}]`)

	cfg := agentConfig(t, schema, r, "ApiCloudWatchAgentConfig")
	rendertest.EqualJSON(t, "traces section", cfg["traces"], `{"traces_collected": {
		"xray": {"bind_address": "0.0.0.0:2000"},
		"otlp": {"grpc_endpoint": "0.0.0.0:4317", "http_endpoint": "0.0.0.0:4318"}}}`)
	if cfg["logs"] == nil {
		t.Error("the Prometheus part of the shared agent is gone")
	}
	lone := agentConfig(t, schema, r, "LoneCloudWatchAgentConfig")
	if lone["logs"] != nil || lone["traces"] == nil {
		t.Errorf("a trace-only agent has only the traces section: %v", lone)
	}
	rendertest.EqualJSON(t, "task role", r.Get(t, "LoneTaskRole", "AWS::IAM::Role")["ManagedPolicyArns"],
		`[{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"}]`)
	rendertest.CfnLint(t, r.Template)
}

func TestRefused(t *testing.T) {
	cases := []struct {
		name, compose, path, message string
	}{
		{"both keys", "x-xray: true\n    x-ray: true", "services.api.x-ray", "give x-xray or its legacy alias x-ray, not both"},
		{"unknown collector", "x-xray: {Collector: otel}", "services.api.x-xray.Collector",
			`"otel" is not a trace collector; allowed: xray-daemon (the X-Ray daemon sidecar), cloudwatch-agent (the family's CloudWatch agent)`},
		{"image for the agent", "x-xray: {Collector: cloudwatch-agent, OverrideImage: my/xray:1}", "services.api.x-xray.OverrideImage",
			"OverrideImage names the X-Ray daemon image, but with Collector cloudwatch-agent no daemon runs; drop it (the agent's image is x-monitoring's)"},
		{"unknown key", "x-xray: {Image: my/xray:1}", "services.api.x-xray", `x-xray is true, false or {OverrideImage, Collector}: unknown field "Image"`},
		{"port 2000 taken", "x-xray: true\n    expose: [\"2000/udp\"]", "services.api.x-xray",
			"family api: api listens on port 2000, where the X-Ray daemon receives segments; the task shares one network interface: move it, or use x-xray: {Collector: cloudwatch-agent} with an agent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rendertest.Render(t, "services:\n  api:\n    image: busybox:1.36\n    "+tc.compose+"\n")
			d := rendertest.Find(r.Diags, render.Error, tc.path)
			if d == nil {
				t.Fatalf("no error at %s; got:\n%s", tc.path, r.Diags.Error())
			}
			if d.Message != tc.message {
				t.Errorf("message:\n got %s\nwant %s", d.Message, tc.message)
			}
		})
	}
	r := rendertest.Render(t, `
services:
  api:
    image: busybox:1.36
    x-xray: true
  worker:
    image: busybox:1.36
    deploy: {labels: {ecs.task.family: api}}
    x-xray: {Collector: cloudwatch-agent}
`)
	if d := rendertest.Find(r.Diags, render.Error, "services.worker.x-xray"); d == nil || !strings.Contains(d.Message, "ask for different trace collectors (xray-daemon vs cloudwatch-agent)") {
		t.Errorf("mixed collectors in a family must be refused; got:\n%s", r.Diags.Error())
	}
}

// TestMysfitsFixture renders the workshop fixture: both services get the
// daemon (like shares it with its metadata-proxy), and the template lints
// and deploys.
func TestMysfitsFixture(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(rendertest.SharedDir(), "fixtures", "seed-mysfits-workshop", "docker-compose.yml"))
	if err != nil {
		t.Skipf("fixture not available: %v", err)
	}
	r := rendertest.MustRender(t, string(data))
	for _, fam := range []string{"Like", "Monolith"} {
		cs := rendertest.Containers(t, r, fam+"TaskDefinition")
		rendertest.EqualJSON(t, fam+" daemon", daemonWithoutLimit(t, cs["xray-daemon"]), daemonGolden)
	}
	like := rendertest.Containers(t, r, "LikeTaskDefinition")
	for _, app := range []string{"like", "metadata-proxy"} {
		rendertest.EqualJSON(t, app+" depends on the daemon", like[app]["DependsOn"], `[{"Condition": "START", "ContainerName": "xray-daemon"}]`)
	}
	rendertest.CfnLint(t, r.Template)
	out := rendertest.Moto(t, r.Template)
	found := 0
	for _, td := range out["task_definitions"].([]any) {
		for _, c := range td.(map[string]any)["containerDefinitions"].([]any) {
			cd := c.(map[string]any)
			if cd["name"] != "xray-daemon" {
				continue
			}
			found++
			ports, _ := json.Marshal(cd["portMappings"])
			if !strings.Contains(string(ports), `"protocol":"udp"`) || !strings.Contains(string(ports), `"containerPort":2000`) {
				t.Errorf("deployed daemon ports: %s", ports)
			}
		}
	}
	if found != 2 {
		t.Errorf("the emulator holds %d daemons, want 2", found)
	}
}

// TestDeploy puts the agent collector through cfn-lint and the emulator.
func TestDeploy(t *testing.T) {
	r := rendertest.MustRender(t, twoServices+`
  traced:
    image: busybox:1.36
    x-xray: {Collector: cloudwatch-agent}
`)
	rendertest.CfnLint(t, r.Template)
	out := rendertest.Moto(t, r.Template)
	var names []string
	for _, td := range out["task_definitions"].([]any) {
		for _, c := range td.(map[string]any)["containerDefinitions"].([]any) {
			cd := c.(map[string]any)
			if cd["name"] == "traced" {
				deps, _ := json.Marshal(cd["dependsOn"])
				if string(deps) != `[{"condition":"START","containerName":"cloudwatch-agent"}]` {
					t.Errorf("deployed traced dependsOn: %s", deps)
				}
			}
			names = append(names, cd["name"].(string))
		}
	}
	if got := strings.Join(names, ","); strings.Count(got, "xray-daemon") != 2 || strings.Count(got, "cloudwatch-agent") != 1 {
		t.Errorf("deployed containers: %s", got)
	}
}

// The agent's OTLP receiver takes traces only: an app that sends its OTLP
// to the agent gets its metrics and logs exporters turned off, unless the
// user chose them or sends them elsewhere.
func TestAgentOTLPTracesOnly(t *testing.T) {
	cases := []struct {
		name, env string
		want      map[string]string // expected value; "" means unset
	}{
		{"nothing set", "", map[string]string{"OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}},
		{"endpoint the agent's gRPC port", "OTEL_EXPORTER_OTLP_ENDPOINT: http://127.0.0.1:4317",
			map[string]string{"OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}},
		{"the user's metrics exporter is kept", "OTEL_METRICS_EXPORTER: prometheus",
			map[string]string{"OTEL_METRICS_EXPORTER": "prometheus", "OTEL_LOGS_EXPORTER": "none"}},
		{"logs sent to their own endpoint", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: http://logs.example:4318/v1/logs",
			map[string]string{"OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": ""}},
		{"an endpoint that is not the agent", "OTEL_EXPORTER_OTLP_ENDPOINT: http://collector:4318",
			map[string]string{"OTEL_METRICS_EXPORTER": "", "OTEL_LOGS_EXPORTER": ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := ""
			if c.env != "" {
				env = "    environment:\n      " + c.env + "\n"
			}
			r := rendertest.MustRender(t, "services:\n  api:\n    image: busybox:1.36\n"+env+"    x-xray: {Collector: cloudwatch-agent}\n")
			got := map[string]string{}
			for _, e := range rendertest.Containers(t, r, "ApiTaskDefinition")["api"]["Environment"].([]any) {
				kv := e.(map[string]any)
				if v, ok := kv["Value"].(string); ok {
					got[kv["Name"].(string)] = v
				}
			}
			for k, want := range c.want {
				if got[k] != want {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
			}
		})
	}
}

// The daemon receives X-Ray segments only and the apps get no OTLP
// endpoint, so no OpenTelemetry variable is set.
func TestDaemonSetsNoOTelVariables(t *testing.T) {
	r := rendertest.MustRender(t, "services:\n  api:\n    image: busybox:1.36\n    x-xray: true\n")
	for _, e := range rendertest.Containers(t, r, "ApiTaskDefinition")["api"]["Environment"].([]any) {
		if n := e.(map[string]any)["Name"].(string); strings.HasPrefix(n, "OTEL_") {
			t.Errorf("the daemon's family got %s", n)
		}
	}
}

// daemonWithoutLimit checks the daemon's hard memory limit (at least its
// 256 MiB reservation, render's TestMemoryLimits) and removes the memory
// settings for the golden.
func daemonWithoutLimit(t *testing.T, c map[string]any) map[string]any {
	t.Helper()
	if got, err := strconv.Atoi(fmt.Sprint(c["Memory"])); err != nil || got < 256 {
		t.Errorf("xray-daemon memory limit %v, want at least its 256 MiB reservation", c["Memory"])
	}
	delete(c, "Memory")
	delete(c, "MemoryReservation")
	return c
}
