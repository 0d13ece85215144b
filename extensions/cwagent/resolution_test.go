package cwagent_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// hires is nginx with its exporter scraped by the family's agent, and an
// alarm on one of the exporter's metrics. scrape is the body of
// ScrapingConfiguration (YAML flow, "" for none); metric the alarm's
// Properties lines after Namespace.
func hires(scrape, more, alarm string) string {
	sc := ""
	if scrape != "" {
		sc = "\n        ScrapingConfiguration: {" + scrape + "}"
	}
	return `services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27
    ports: ["80:80"]` + more + `
    x-prometheus:
      ContainersInsights:
        CollectForNginx: {ExporterPort: 9113}
        AutoAddNginxPrometheusExporter: {ScrapeUri: "http://127.0.0.1:8080/stub_status"}` + sc + `
x-alarms:
  Fast:
    Properties:
      Namespace: ECS/ContainerInsights/Prometheus
` + alarm + `
      Statistic: Average
      EvaluationPeriods: 3
      Threshold: 100
      ComparisonOperator: GreaterThanOrEqualToThreshold
    MacroParameters:
      ServiceName: web
`
}

func single(metric string, period int) string {
	return fmt.Sprintf("      MetricName: %s\n      Period: %d", metric, period)
}

// lineOf is the 1-based line of the first line of compose containing s.
func lineOf(compose, s string) int {
	for i, l := range strings.Split(compose, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	return 0
}

const (
	what    = "nginx_connections_active (ECS/ContainerInsights/Prometheus, dimensions ClusterName, TaskDefinitionFamily)"
	from    = "the exporter nginx-prometheus-exporter:9113 of service web (family web)"
	fixPath = "services.web.x-prometheus.ContainersInsights.ScrapingConfiguration"
)

func standard(period int, every string) string {
	return fmt.Sprintf("a %d s period needs a high-resolution metric; %s comes from %s, scraped every %s and stored at standard resolution (60 s): the alarm would see no datapoint in most periods (INSUFFICIENT_DATA), at the high-resolution alarm price. Set %s.StorageResolution: 1 and an Interval of at most %ds, or use a Period that is a multiple of 60",
		period, what, from, every, fixPath, period)
}

func tooRare(period int, every string) string {
	return fmt.Sprintf("a %d s period needs a datapoint every %d s; %s comes from %s, stored at high resolution but scraped every %s, so some periods have no datapoint (INSUFFICIENT_DATA). Set %s.Interval to at most %ds, or use a Period of at least the interval",
		period, period, what, from, every, fixPath, period)
}

// TestAlarmResolutionRules: the table of scrape interval, storage
// resolution and alarm period, and what composex says about each: nothing
// when every period of the alarm gets high-resolution datapoints, the exact
// error (file, line, service, key) when it would not.
func TestAlarmResolutionRules(t *testing.T) {
	const period = "x-alarms.Fast.Properties.Period"
	cases := []struct {
		name, scrape, alarm string
		sev                 render.Severity
		path, msg, at       string // at: the text on the reported line
		flush               int    // the agent's force_flush_interval, when checked
	}{
		{name: "10 s scrape, 1 s storage, 10 s alarm", scrape: "Interval: 10s, Timeout: 5s, StorageResolution: 1", alarm: single("nginx_connections_active", 10), flush: 5},
		{name: "10 s scrape, 1 s storage, 30 s alarm", scrape: "Interval: 10s, StorageResolution: 1", alarm: single("nginx_connections_active", 30)},
		{name: "30 s scrape, 1 s storage, 30 s alarm", scrape: "Interval: 30s, StorageResolution: 1", alarm: single("nginx_connections_active", 30)},
		{name: "2 s scrape flushes every 2 s", scrape: "Interval: 2s, StorageResolution: 1", alarm: single("nginx_connections_active", 10), flush: 2},
		{name: "1 m alarm on a standard metric", scrape: "", alarm: single("nginx_connections_active", 60), flush: 5},
		{name: "10 s alarm, standard storage", scrape: "Interval: 10s", alarm: single("nginx_connections_active", 10),
			sev: render.Error, path: period, msg: standard(10, "10s"), at: "Period: 10"},
		{name: "30 s alarm, default scrape", scrape: "", alarm: single("nginx_connections_active", 30),
			sev: render.Error, path: period, msg: standard(30, "1m"), at: "Period: 30"},
		{name: "explicit StorageResolution 60", scrape: "Interval: 10s, StorageResolution: 60", alarm: single("nginx_connections_active", 10),
			sev: render.Error, path: period, msg: standard(10, "10s"), at: "Period: 10"},
		{name: "10 s alarm, 30 s scrape", scrape: "Interval: 30s, StorageResolution: 1", alarm: single("nginx_connections_active", 10),
			sev: render.Error, path: period, msg: tooRare(10, "30s"), at: "Period: 10"},
		{name: "metric math reads a standard metric at 10 s", scrape: "Interval: 10s", alarm: `      Metrics:
        - Id: m1
          MetricStat:
            Metric: {Namespace: ECS/ContainerInsights/Prometheus, MetricName: nginx_connections_active}
            Period: 10
            Stat: Average`,
			sev: render.Error, path: "x-alarms.Fast.Properties.Metrics.0.MetricStat.Period", msg: standard(10, "10s"), at: "Period: 10"},
		{name: "no agent publishes the metric", scrape: "Interval: 10s, StorageResolution: 1", alarm: single("http_requests_total", 10),
			sev: render.Warning, path: period, at: "Period: 10",
			msg: "a 10 s period needs a high-resolution metric, and no CloudWatch agent of this project publishes http_requests_total (ECS/ContainerInsights/Prometheus, dimensions ClusterName, TaskDefinitionFamily): check the metric name and dimensions against the services' EMF rules, or make sure whatever publishes it stores it at 1 s resolution"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			alarm := tc.alarm
			if strings.Contains(alarm, "Metrics:") {
				// Statistic and the rest go in the query; keep the file valid.
				compose := strings.Replace(hires(tc.scrape, "", alarm), "      Statistic: Average\n", "", 1)
				compose = strings.Replace(compose, "      Namespace: ECS/ContainerInsights/Prometheus\n", "", 1)
				check(t, compose, tc.sev, tc.path, tc.msg, tc.at, tc.flush)
				return
			}
			check(t, hires(tc.scrape, "", alarm), tc.sev, tc.path, tc.msg, tc.at, tc.flush)
		})
	}
}

func check(t *testing.T, compose string, sev render.Severity, path, msg, at string, flush int) {
	t.Helper()
	ds, res := rendertest.RenderFiles(t, compose, nil)
	if msg == "" {
		if ds.HasErrors() {
			t.Fatalf("refused:\n%s", ds.Error())
		}
		for _, d := range ds {
			if strings.HasPrefix(d.Path, "x-alarms") || strings.Contains(d.Path, "StorageResolution") {
				t.Errorf("unexpected %s", d)
			}
		}
		if flush > 0 {
			cfg := hiresAgentConfig(t, res, "Web")
			if got := rendertest.Dig(cfg, "logs", "force_flush_interval"); got != float64(flush) {
				t.Errorf("force_flush_interval %v, want %d", got, flush)
			}
		}
		return
	}
	d := rendertest.Find(ds, sev, path)
	if d == nil {
		t.Fatalf("no %s at %s; got:\n%s", sev, path, ds.Error())
	}
	if d.Message != msg {
		t.Errorf("message:\n got %s\nwant %s", d.Message, msg)
	}
	if filepath.Base(d.File) != "docker-compose.yml" || d.Line != lineOf(compose, at) || d.Service != "" {
		t.Errorf("placed at %s:%d (service %q); want docker-compose.yml:%d, no service", d.File, d.Line, d.Service, lineOf(compose, at))
	}
	if sev == render.Error && res != nil {
		t.Errorf("rendered despite the error")
	}
}

// TestAgentImageForHighResolution: an agent image older than the first
// release that writes StorageResolution from the label is refused, one
// whose tag says no version is warned about, at the key that asked for it.
func TestAgentImageForHighResolution(t *testing.T) {
	const path = "services.web.x-prometheus.ContainersInsights.ScrapingConfiguration.StorageResolution"
	monitoring := func(image string) string {
		return "\n    x-monitoring:\n      CWAgentCollectEmf:\n        OverrideImage: " + image
	}
	for _, tc := range []struct {
		image string
		sev   render.Severity
		msg   string
	}{
		{"public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300045.0b1000", render.Error,
			"family web: the CloudWatch agent image public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300045.0b1000 is older than 1.300058.0, whose EMF exporter first writes StorageResolution from the label aws.emf.storage_resolution and whose Prometheus first accepts that label; use a newer image (composex pins " + render.CloudWatchAgentImage + ")"},
		{"public.ecr.aws/cloudwatch-agent/cloudwatch-agent:latest", render.Warning,
			"family web: the CloudWatch agent image public.ecr.aws/cloudwatch-agent/cloudwatch-agent:latest has no version in its tag; high-resolution storage needs agent 1.300058.0 or later (composex pins " + render.CloudWatchAgentImage + ")"},
		{"public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300058.0b1200", render.Warning, ""},
	} {
		t.Run(tc.image, func(t *testing.T) {
			compose := hires("Interval: 10s, StorageResolution: 1", monitoring(tc.image), single("nginx_connections_active", 10))
			ds, _ := rendertest.RenderFiles(t, compose, nil)
			d := rendertest.Find(ds, tc.sev, path)
			if tc.msg == "" {
				if d != nil || ds.HasErrors() {
					t.Errorf("a release with high resolution: %s", ds.Error())
				}
				return
			}
			if d == nil || d.Message != tc.msg || d.Service != "web" || d.Line != lineOf(compose, "StorageResolution") {
				t.Errorf("want %s at %s (line %d):\n%s\ngot:\n%s", tc.sev, path, lineOf(compose, "StorageResolution"), tc.msg, ds.Error())
			}
		})
	}
}

// hiresAgentConfig is a family's agent configuration, as the template
// holds it (the stack name left in).
func hiresAgentConfig(t *testing.T, res map[string]rendertest.Resource, family string) map[string]any {
	t.Helper()
	v := res[family+"CloudWatchAgentConfig"].Properties["Value"]
	s, ok := v.(string)
	if !ok {
		s, _ = rendertest.Dig(v, "Fn::Sub").(string)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(s), &cfg); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return cfg
}
