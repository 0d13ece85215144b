package prometheus_test

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
	"gopkg.in/yaml.v3"
)

// app is a one-service compose file with an x-prometheus block.
func app(ci string) string {
	return "services:\n  app:\n    image: busybox\n    expose: [\"8080\", \"9404\"]\n    x-prometheus:\n      ContainersInsights:\n" + ci
}

func regexpError(expr string) string {
	_, err := regexp.Compile(expr)
	return err.Error()
}

func TestRefused(t *testing.T) {
	const p = "services.app.x-prometheus.ContainersInsights."
	cases := []struct {
		name, compose, path, msg string
		extra                    map[string]string
		prefix                   bool // msg is the start of the message
	}{
		{name: "CustomRules without ExporterPort", compose: app(`
        CustomRules:
          - EmfProcessors:
              - source_labels: [job]
                label_matcher: "^app$"
                dimensions: [[ClusterName]]
                metric_selectors: ["^up$"]
`), path: p + "CustomRules.0.ExporterPort", msg: "ExporterPort is required: the port the exporter serves its metrics on (1 to 65535)"},
		{name: "CustomRules without EmfProcessors", compose: app(`
        CustomRules:
          - ExporterPort: 8080
            EmfProcessors: []
`), path: p + "CustomRules.0.EmfProcessors", msg: "at least one EMF processor rule is required: without one, no metric reaches CloudWatch"},
		{name: "bad regex in label_matcher", compose: app(`
        CollectForNginx:
          label_matcher: "^nginx(["
`), path: p + "CollectForNginx.label_matcher", msg: `"^nginx([" is not a regular expression: ` + regexpError("^nginx([")},
		{name: "bad regex in an EMF rule", compose: app(`
        CustomRules:
          - ExporterPort: 8080
            EmfProcessors:
              - source_labels: [job]
                label_matcher: "^app$"
                dimensions: [[ClusterName]]
                metric_selectors: ["^up$", "*bad"]
`), path: p + "CustomRules.0.EmfProcessors.0.metric_selectors.1", msg: `"*bad" is not a regular expression: ` + regexpError("*bad")},
		{name: "CollectForAppMesh true (App Mesh is gone)", compose: app(`
        CollectForAppMesh: true
`), path: p + "CollectForAppMesh", msg: "App Mesh reached end of support on 2026-09-30; for Envoy metrics use x-network.Envoy with PrometheusMetrics (false is accepted: it asks for nothing)"},
		{name: "exporter port out of range", compose: app(`
        CollectForJavaJmx:
          ExporterPort: 70000
`), path: p + "CollectForJavaJmx.ExporterPort", msg: "70000 is not a port; allowed: 1 to 65535"},
		{name: "ExporterPath without a slash", compose: app(`
        CollectForJavaJmx:
          ExporterPath: metrics
`), path: p + "CollectForJavaJmx.ExporterPath", msg: `"metrics" must start with /`},
		{name: "Timeout above Interval", compose: app(`
        ScrapingConfiguration:
          Interval: 10s
          Timeout: 20s
`), path: p + "ScrapingConfiguration.Timeout", msg: "20s is longer than the interval 10s; Prometheus refuses a scrape timeout above the scrape interval"},
		{name: "not a duration", compose: app(`
        ScrapingConfiguration:
          Interval: 10 seconds
`), path: p + "ScrapingConfiguration.Interval", msg: `"10 seconds" is not a Prometheus duration (e.g. 30s, 1m, 1m30s)`},
		{name: "missing ScrapingConfigurationFile", compose: app(`
        ScrapingConfiguration:
          ScrapingConfigurationFile: nope.yml
`), path: p + "ScrapingConfiguration.ScrapingConfigurationFile", msg: "cannot read the Prometheus configuration: open ", prefix: true},
		{name: "ScrapingConfigurationFile that is not YAML", compose: app(`
        ScrapingConfiguration:
          ScrapingConfigurationFile: prom.yml
`), extra: map[string]string{"prom.yml": "global: [unclosed\n"}, path: p + "ScrapingConfiguration.ScrapingConfigurationFile", msg: "prom.yml is not a YAML Prometheus configuration: ", prefix: true},
		{name: "no ContainersInsights", compose: "services:\n  app:\n    image: busybox\n    x-prometheus: {}\n",
			path: "services.app.x-prometheus", msg: "ContainersInsights is required: it says what to collect"},
		// Intervals may differ (each service's jobs get their own, see
		// TestPerServiceScrapeSettings); a Prometheus configuration file
		// is the task's whole configuration.
		{name: "two services of a family with different ScrapingConfigurationFile", compose: `services:
  a:
    image: busybox
    deploy: {labels: {ecs.task.family: shop}}
    x-prometheus:
      ContainersInsights:
        ScrapingConfiguration: {ScrapingConfigurationFile: a.yml}
  b:
    image: busybox
    deploy: {labels: {ecs.task.family: shop}}
    x-prometheus:
      ContainersInsights:
        ScrapingConfiguration: {Interval: 1m}
`, extra: map[string]string{"a.yml": "scrape_configs: []\n"}, path: "services.b.x-prometheus.ContainersInsights.ScrapingConfiguration", msg: "family shop: a and b set different scraping configurations; a task has one CloudWatch agent, give them the same"},
		{name: "a service named like the exporter sidecar", compose: `services:
  web:
    image: nginx
    deploy: {labels: {ecs.task.family: shop}}
    x-prometheus:
      ContainersInsights: {CollectForNginx: true, AutoAddNginxPrometheusExporter: true}
  nginx-prometheus-exporter:
    image: busybox
    deploy: {labels: {ecs.task.family: shop}}
`, path: "services.web.x-prometheus.ContainersInsights.AutoAddNginxPrometheusExporter", msg: "family shop already has a service named nginx-prometheus-exporter; rename it or turn AutoAddNginxPrometheusExporter off"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.prefix {
				rendertest.ExpectRefused(t, tc.compose, tc.extra, tc.path, tc.msg)
				return
			}
			ds, res := rendertest.RenderFiles(t, tc.compose, tc.extra)
			if res != nil {
				t.Fatalf("rendered; want an error at %s", tc.path)
			}
			for _, d := range ds.Errors() {
				if d.Path == tc.path && strings.HasPrefix(d.Message, tc.msg) {
					return
				}
			}
			t.Errorf("no error at %s starting with %q; got:\n%s", tc.path, tc.msg, ds.Error())
		})
	}
}

// agentConfig returns a family's agent configuration from the template.
func agentConfig(t *testing.T, res map[string]rendertest.Resource, family string) map[string]any {
	t.Helper()
	v := res[family+"CloudWatchAgentConfig"].Properties["Value"]
	s, ok := v.(string)
	if !ok {
		s, _ = rendertest.Dig(v, "Fn::Sub").(string)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(s), &cfg); err != nil {
		t.Fatalf("%s agent configuration: %v\n%s", family, err, s)
	}
	return cfg
}

// promLabels are a container's docker labels that the agent's discovery
// could read.
func promLabels(c map[string]any) []string {
	var out []string
	labels, _ := c["DockerLabels"].(map[string]any)
	for k := range labels {
		if strings.HasPrefix(k, "ECS_PROMETHEUS") || k == "job" {
			out = append(out, k)
		}
	}
	return out
}

// scrapeConfig returns a family's Prometheus configuration as stored.
func scrapeConfig(t *testing.T, res map[string]rendertest.Resource, family string) string {
	t.Helper()
	v := res[family+"PrometheusConfig"].Properties["Value"]
	if s, ok := v.(string); ok {
		return s
	}
	s, _ := rendertest.Dig(v, "Fn::Sub").(string)
	return s
}

func selectors(cfg map[string]any) []string {
	var out []string
	for _, d := range rendertest.Dig(cfg, "logs", "metrics_collected", "prometheus", "emf_processor", "metric_declaration").([]any) {
		out = append(out, toString(rendertest.Dig(d, "metric_selectors", 0)))
	}
	return out
}

func toString(v any) string { b, _ := yaml.Marshal(v); return strings.TrimSpace(string(b)) }

func containers(res map[string]rendertest.Resource, family string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, c := range rendertest.Dig(res[family+"TaskDefinition"].Properties, "ContainerDefinitions").([]any) {
		out[rendertest.Dig(c, "Name").(string)] = c.(map[string]any)
	}
	return out
}

// TestFamilyRulesKept: the rules of every service of a family reach the
// family's one agent, in service order (compose-x kept the last one's).
func TestFamilyRulesKept(t *testing.T) {
	_, res := rendertest.MustRenderFiles(t, `services:
  java:
    image: tomcat
    expose: ["9404"]
    deploy: {labels: {ecs.task.family: shop}}
    x-prometheus:
      ContainersInsights: {CollectForJavaJmx: true}
  web:
    image: nginx
    expose: ["9113"]
    deploy: {labels: {ecs.task.family: shop}}
    x-prometheus:
      ContainersInsights: {CollectForNginx: true}
`, nil)
	cfg := agentConfig(t, res, "Shop")
	want := []string{"^jvm_threads_(current|daemon)$", "^jvm_memory_(bytes_used|used_bytes)$", "^jvm_memory_pool_(bytes_used|used_bytes)$", "^nginx_.*$"}
	if got := selectors(cfg); !reflect.DeepEqual(got, want) {
		t.Errorf("first selector of each declaration: got %v, want %v", got, want)
	}
	cs := containers(res, "Shop")
	// Scraped at localhost by the task's own agent: no discovery label.
	for _, c := range []string{"java", "web"} {
		if l := promLabels(cs[c]); len(l) > 0 {
			t.Errorf("%s carries discovery labels %v; a cluster-wide agent would collect it a second time", c, l)
		}
	}
	scrape := scrapeConfig(t, res, "Shop")
	for _, want := range []string{"job_name: jmx-java\n", "- localhost:9404\n", "container_name: java\n", "job_name: nginx-web\n", "- localhost:9113\n", "container_name: web\n"} {
		if !strings.Contains(scrape, want) {
			t.Errorf("scrape configuration lacks %q:\n%s", want, scrape)
		}
	}
	if _, ok := cs["cloudwatch-agent"]; !ok || len(cs) != 3 {
		t.Errorf("want one agent for the family; containers %v", len(cs))
	}
}

func TestNginxExporterSidecar(t *testing.T) {
	_, res := rendertest.MustRenderFiles(t, `services:
  web:
    image: nginx
    ports: ["80:80", {target: 9113}]
    x-prometheus:
      ContainersInsights:
        CollectForNginx: {ExporterPort: 9113}
        AutoAddNginxPrometheusExporter: {ScrapeUri: "http://localhost:8081/status"}
`, nil)
	cs := containers(res, "Web")
	exp := cs["nginx-prometheus-exporter"]
	if exp == nil {
		t.Fatalf("no exporter sidecar: %v", cs)
	}
	if got := toString(exp["Command"]); got != "- --nginx.scrape-uri=http://localhost:8081/status\n- --web.listen-address=:9113" {
		t.Errorf("command: %s", got)
	}
	// nginx already declares 9113: the task has one interface, declared once.
	if exp["PortMappings"] != nil {
		t.Errorf("exporter port declared twice: %v", exp["PortMappings"])
	}
	if toString(exp["DependsOn"]) != "- Condition: START\n  ContainerName: web" || exp["Essential"] != false {
		t.Errorf("exporter start: %v essential %v", exp["DependsOn"], exp["Essential"])
	}
	if len(promLabels(exp)) > 0 || len(promLabels(cs["web"])) > 0 {
		t.Errorf("no discovery labels expected: %v / %v", exp["DockerLabels"], cs["web"]["DockerLabels"])
	}
	if scrape := scrapeConfig(t, res, "Web"); !strings.Contains(scrape, "job_name: nginx-prometheus-exporter\n") || !strings.Contains(scrape, "- localhost:9113\n") {
		t.Errorf("scrape configuration:\n%s", scrape)
	}
	if secrets := toString(cs["cloudwatch-agent"]["Secrets"]); !strings.Contains(secrets, "CW_CONFIG_CONTENT") || !strings.Contains(secrets, "PROMETHEUS_CONFIG_CONTENT") {
		t.Errorf("agent secrets: %s", secrets)
	}
}

func TestDebugAloneEnablesScraping(t *testing.T) {
	_, res := rendertest.MustRenderFiles(t, app("        EnableCWAgentDebug: true\n"), nil)
	cfg := agentConfig(t, res, "App")
	if rendertest.Dig(cfg, "agent", "debug") != true || rendertest.Dig(cfg, "logs", "metrics_collected", "prometheus", "prometheus_config_path") != "env:PROMETHEUS_CONFIG_CONTENT" {
		t.Errorf("agent configuration: %v", cfg)
	}
	if _, ok := res["AppPrometheusConfig"]; !ok {
		t.Errorf("no Prometheus configuration parameter")
	}
}

// TestWarnings: input that renders, but whose metrics would not all reach
// CloudWatch the way the user expects.
func TestWarnings(t *testing.T) {
	const p = "services.app.x-prometheus.ContainersInsights."
	cases := []struct {
		name, compose, path, msg string
		extra                    map[string]string
	}{
		{name: "a dimension only service_name_list_for_tasks discovery attaches", compose: app(`
        CustomRules:
          - ExporterPort: 8080
            EmfProcessors:
              - source_labels: [job]
                label_matcher: "^app$"
                dimensions: [[ClusterName], [ClusterName, ServiceName]]
                metric_selectors: ["^http_requests_total$"]
`), path: p + "CustomRules.0.EmfProcessors.0.dimensions.1",
			msg: "family app: no target has the label ServiceName (the agent scrapes its own task at localhost, and its targets have container_name, TaskDefinitionFamily, job and instance (the agent adds ClusterName)); CloudWatch drops this dimension set, so use labels the targets or the metrics have"},
		{name: "a user configuration that reads the cluster-wide discovery", compose: app(`
        CollectForJavaJmx: true
        ScrapingConfiguration:
          ScrapingConfigurationFile: prom.yml
`), extra: map[string]string{"prom.yml": "scrape_configs:\n  - job_name: ecs\n    file_sd_configs:\n      - files: [/tmp/cwagent_ecs_auto_sd.yaml]\n"},
			path: p + "ScrapingConfiguration.ScrapingConfigurationFile",
			msg:  "family app: the Prometheus configuration reads the targets of the agent's ECS discovery (/tmp/cwagent_ecs_auto_sd.yaml); that discovery lists every task of the family in the cluster, so the agent of each task scrapes all of them and Sum and SampleCount grow with the task count. Scrape the task's own exporters at localhost:<port> with static_configs instead"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds, _ := rendertest.MustRenderFiles(t, tc.compose, tc.extra)
			d := rendertest.Find(ds, render.Warning, tc.path)
			if d == nil || d.Message != tc.msg || d.Service != "app" {
				t.Errorf("want warning at %s:\n%s\ngot:\n%s", tc.path, tc.msg, ds.Error())
			}
		})
	}
}
