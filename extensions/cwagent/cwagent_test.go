package cwagent_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xeipuuv/gojsonschema"
	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/render"
)

// sharedDir is ../shared beside the repository (COMPOSEX_SHARED overrides).
func sharedDir() string {
	if d := os.Getenv("COMPOSEX_SHARED"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared")
}

// renderYAML renders a compose document with every extension.
func renderYAML(t *testing.T, compose string, extra map[string]string) (*render.Output, map[string]any) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, content := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, ds := render.Render(context.Background(), render.Options{
		Load:       render.LoadOptions{Files: []string{filepath.Join(dir, "docker-compose.yml")}, ProjectName: "demo", Environment: map[string]string{}},
		Extensions: extensions.All(),
	})
	if ds.HasErrors() || out == nil {
		t.Fatalf("render failed:\n%s", ds.Error())
	}
	var doc map[string]any
	if err := yaml.Unmarshal(out.Files[out.Template], &doc); err != nil {
		t.Fatal(err)
	}
	return out, doc
}

// parameterValues returns each SSM parameter's value as the agent will see
// it: Fn::Sub resolved for a stack called "demo-stack".
func parameterValues(t *testing.T, doc map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id, r := range doc["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] != "AWS::SSM::Parameter" {
			continue
		}
		v := res["Properties"].(map[string]any)["Value"]
		s, ok := v.(string)
		if !ok {
			s = v.(map[string]any)["Fn::Sub"].(string)
			s = strings.ReplaceAll(s, "${AWS::StackName}", "demo-stack")
			if strings.Contains(strings.ReplaceAll(s, "${!", ""), "${") {
				t.Fatalf("%s: unresolved reference left in %q", id, s)
			}
			s = strings.ReplaceAll(s, "${!", "${")
		}
		out[id] = s
	}
	return out
}

func loadAgentSchema(t *testing.T) *gojsonschema.Schema {
	t.Helper()
	p := filepath.Join(sharedDir(), "reference", "cloudwatch-agent-config.schema.json")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("the CloudWatch agent schema is needed: %v", err)
	}
	s, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(data))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkAgentConfig validates a generated agent configuration against the
// agent's own schema.
func checkAgentConfig(t *testing.T, schema *gojsonschema.Schema, name, body string) map[string]any {
	t.Helper()
	res, err := schema.Validate(gojsonschema.NewStringLoader(body))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, e := range res.Errors() {
		t.Errorf("%s: agent schema: %s", name, e)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(body), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// checkScrapeConfig runs promtool on a generated Prometheus configuration.
func checkScrapeConfig(t *testing.T, name, body string) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool is required in CI (Debian package prometheus)")
		}
		t.Logf("promtool not installed; skipping the promtool check of %s", name)
		return
	}
	f := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "config", f).CombinedOutput()
	if err != nil {
		t.Errorf("%s: promtool check config failed: %v\n%s\n%s", name, err, out, body)
	}
}

func TestAgentConfigsValidate(t *testing.T) {
	schema := loadAgentSchema(t)
	cases := []struct {
		name    string
		compose string
		extra   map[string]string
		check   func(t *testing.T, configs map[string]map[string]any, scrapes map[string]string)
	}{
		{"nginx with exporter sidecar", `
services:
  web:
    image: nginx:1.27
    ports: ["80:80"]
    x-prometheus:
      ContainersInsights:
        EnableCWAgentDebug: true
        CollectForNginx: true
        AutoAddNginxPrometheusExporter: true
`, nil, func(t *testing.T, configs map[string]map[string]any, scrapes map[string]string) {
			cfg := configs["WebCloudWatchAgentConfig"]
			if cfg["agent"].(map[string]any)["debug"] != true {
				t.Errorf("debug not set: %v", cfg)
			}
			// The sidecar scrapes its own task at localhost: no ECS discovery,
			// which would list every task of the cluster.
			if sd := dig(cfg, "logs", "metrics_collected", "prometheus", "ecs_service_discovery"); sd != nil {
				t.Errorf("a sidecar agent must not discover the cluster's tasks: %v", sd)
			}
			if g := dig(cfg, "logs", "metrics_collected", "prometheus", "log_group_name"); g != "/ecs/demo-stack/web/prometheus" {
				t.Errorf("log_group_name = %v, want the stack's own group", g)
			}
			want := "scrape_configs:\n  - job_name: nginx-prometheus-exporter\n    sample_limit: 10000\n    metrics_path: /metrics\n    static_configs:\n      - targets:\n          - localhost:9113\n        labels:\n          TaskDefinitionFamily: 'demo-stack-web'\n          container_name: nginx-prometheus-exporter\n"
			if !strings.Contains(scrapes["WebPrometheusConfig"], "scrape_interval: 1m") || !strings.HasSuffix(scrapes["WebPrometheusConfig"], want) {
				t.Errorf("scrape config:\n%s\nwant it to end with\n%s", scrapes["WebPrometheusConfig"], want)
			}
		}},
		{"jmx with custom rules and EMF", `
services:
  app:
    image: amazoncorretto:21
    labels: {job: my-jmx}
    x-monitoring:
      CWAgentCollectEmf: true
    x-prometheus:
      ContainersInsights:
        CollectForJavaJmx:
          ExporterPort: 1234
        CustomRules:
          - ExporterPort: 8080
            ExporterPath: /actuator/prometheus
            EmfProcessors:
              - source_labels: [job]
                label_matcher: "^app-.*$"
                dimensions: [[ClusterName, TaskDefinitionFamily]]
                metric_selectors: ["^http_server_requests_seconds_count$"]
        ScrapingConfiguration:
          Interval: 30s
          Timeout: 5s
`, nil, func(t *testing.T, configs map[string]map[string]any, scrapes map[string]string) {
			cfg := configs["AppCloudWatchAgentConfig"]
			if dig(cfg, "logs", "metrics_collected", "emf") == nil {
				t.Errorf("EMF collection missing: %v", cfg)
			}
			decl := dig(cfg, "logs", "metrics_collected", "prometheus", "emf_processor", "metric_declaration").([]any)
			if len(decl) != 4 {
				t.Errorf("want 3 JMX + 1 custom declarations, got %d", len(decl))
			}
			// Two ports of one container: two jobs of their own (one metrics
			// path each), the job name of the service kept as the job label.
			scrape := scrapes["AppPrometheusConfig"]
			for _, want := range []string{"scrape_timeout: 5s", "job_name: my-jmx\n", "- localhost:1234\n", "job_name: my-jmx-8080\n", "metrics_path: /actuator/prometheus\n", "- localhost:8080\n", "job: my-jmx\n"} {
				if !strings.Contains(scrape, want) {
					t.Errorf("scrape config lacks %q:\n%s", want, scrape)
				}
			}
		}},
		{"user scrape file", `
services:
  app:
    image: busybox
    x-prometheus:
      ContainersInsights:
        ScrapingConfiguration:
          ScrapingConfigurationFile: prom.yml
`, map[string]string{"prom.yml": "global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: ecs\n    file_sd_configs:\n      - files: [/tmp/cwagent_ecs_auto_sd.yaml]\n    relabel_configs:\n      - source_labels: [__address__]\n        target_label: instance\n        replacement: '${1}'\n"},
			func(t *testing.T, configs map[string]map[string]any, scrapes map[string]string) {
				if !strings.Contains(scrapes["AppPrometheusConfig"], "replacement: '${1}'") {
					t.Errorf("user file must reach the agent verbatim (with ${1} escaped for Fn::Sub): %s", scrapes["AppPrometheusConfig"])
				}
				// The file reads the discovery's result file: discovery by this
				// stack's task definition, the container that maps the port.
				list := dig(configs["AppCloudWatchAgentConfig"], "logs", "metrics_collected", "prometheus", "ecs_service_discovery", "task_definition_list")
				if list != nil {
					t.Errorf("no exporter was declared, nothing to discover: %v", list)
				}
			}},
		{"user scrape file reading the discovery", `
services:
  web:
    image: nginx:1.27
    ports: ["80:80", {target: 9113}]
    x-prometheus:
      ContainersInsights:
        CollectForNginx: true
        AutoAddNginxPrometheusExporter: true
        ScrapingConfiguration:
          ScrapingConfigurationFile: prom.yml
`, map[string]string{"prom.yml": "scrape_configs:\n  - job_name: ecs\n    file_sd_configs:\n      - files: [/tmp/cwagent_ecs_auto_sd.yaml]\n"},
			func(t *testing.T, configs map[string]map[string]any, scrapes map[string]string) {
				sd := dig(configs["WebCloudWatchAgentConfig"], "logs", "metrics_collected", "prometheus", "ecs_service_discovery")
				want := map[string]any{"sd_frequency": "1m", "sd_result_file": "/tmp/cwagent_ecs_auto_sd.yaml", "task_definition_list": []any{map[string]any{
					"sd_job_name": "nginx-prometheus-exporter", "sd_metrics_ports": "9113", "sd_metrics_path": "/metrics",
					// The stack's own task definition; nginx, not the exporter,
					// maps 9113, and the agent reads the port from there.
					"sd_task_definition_arn_pattern": ".*:task-definition/demo-stack-web:[0-9]+$", "sd_container_name_pattern": "^web$"}}}
				if !reflect.DeepEqual(sd, want) {
					t.Errorf("discovery:\n got %v\nwant %v", sd, want)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, doc := renderYAML(t, tc.compose, tc.extra)
			configs := map[string]map[string]any{}
			scrapes := map[string]string{}
			for id, v := range parameterValues(t, doc) {
				if strings.HasSuffix(id, "CloudWatchAgentConfig") {
					configs[id] = checkAgentConfig(t, schema, id, v)
				} else {
					scrapes[id] = v
					checkScrapeConfig(t, id, v)
				}
			}
			tc.check(t, configs, scrapes)
		})
	}
}

// TestSeedAgentConfigs renders the Prometheus seed and checks every agent
// and scrape configuration it produces with the real validators.
func TestSeedAgentConfigs(t *testing.T) {
	schema := loadAgentSchema(t)
	seed := filepath.Join(sharedDir(), "fixtures", "seed-prometheus-blog", "docker-compose.yml")
	data, err := os.ReadFile(seed)
	if err != nil {
		t.Fatal(err)
	}
	_, doc := renderYAML(t, string(data), nil)
	values := parameterValues(t, doc)
	if len(values) != 6 {
		t.Fatalf("want 2 parameters for each of 3 families, got %d", len(values))
	}
	for id, v := range values {
		if strings.HasSuffix(id, "CloudWatchAgentConfig") {
			checkAgentConfig(t, schema, id, v)
		} else {
			checkScrapeConfig(t, id, v)
		}
	}
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
