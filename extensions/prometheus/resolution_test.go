package prometheus_test

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

type job struct {
	JobName        string `yaml:"job_name"`
	ScrapeInterval string `yaml:"scrape_interval"`
	ScrapeTimeout  string `yaml:"scrape_timeout"`
	StaticConfigs  []struct {
		Labels map[string]string `yaml:"labels"`
	} `yaml:"static_configs"`
}

func jobs(t *testing.T, scrape string) (global map[string]string, out map[string]job) {
	t.Helper()
	var doc struct {
		Global        map[string]string `yaml:"global"`
		ScrapeConfigs []job             `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(scrape), &doc); err != nil {
		t.Fatalf("%v\n%s", err, scrape)
	}
	out = map[string]job{}
	for _, j := range doc.ScrapeConfigs {
		out[j.JobName] = j
	}
	return doc.Global, out
}

// TestPerServiceScrapeSettings: each service's Interval, Timeout and
// StorageResolution go on the scrape jobs of its own exporters; the first
// service's interval is the family's global one, which a service that sets
// none keeps (as compose-x applies them task-wide).
func TestPerServiceScrapeSettings(t *testing.T) {
	_, res := rendertest.MustRenderFiles(t, `services:
  web:
    image: nginx
    expose: ["9113"]
    deploy: {labels: {ecs.task.family: shop}}
    x-prometheus:
      ContainersInsights:
        CollectForNginx: true
        ScrapingConfiguration: {Interval: 1m}
  api:
    image: tomcat
    expose: ["9404"]
    deploy: {labels: {ecs.task.family: shop}}
    x-prometheus:
      ContainersInsights:
        CollectForJavaJmx: true
        ScrapingConfiguration: {Interval: 10s, Timeout: 4s, StorageResolution: 1}
  worker:
    image: tomcat
    expose: ["9405"]
    deploy: {labels: {ecs.task.family: shop}}
    x-prometheus:
      ContainersInsights:
        CollectForJavaJmx: {ExporterPort: 9405}
  zbatch:
    image: tomcat
    expose: ["9406"]
    deploy: {labels: {ecs.task.family: shop}}
    x-prometheus:
      ContainersInsights:
        CollectForJavaJmx: {ExporterPort: 9406}
        ScrapingConfiguration: {Timeout: 2s}
`, nil)
	global, js := jobs(t, scrapeConfig(t, res, "Shop"))
	if global["scrape_interval"] != "10s" || global["scrape_timeout"] != "4s" {
		t.Errorf("global %v: the first service of the family (api, in name order) gives it", global)
	}
	for name, want := range map[string][3]string{
		"jmx-api":    {"", "", "1"},     // the global: its own service's
		"nginx-web":  {"1m", "10s", ""}, // its own, standard resolution
		"jmx-worker": {"", "", ""},      // none of its own: the family's
		"jmx-zbatch": {"10s", "2s", ""}, // its own timeout, the family's interval
	} {
		j, ok := js[name]
		if !ok {
			t.Errorf("no job %s in %v", name, js)
			continue
		}
		got := [3]string{j.ScrapeInterval, j.ScrapeTimeout, j.StaticConfigs[0].Labels[render.StorageResolutionLabel]}
		if got != want {
			t.Errorf("job %s: interval, timeout, resolution label %q; want %q", name, got, want)
		}
	}
}

// TestStorageResolutionInput: what high-resolution storage needs from the
// rest of ScrapingConfiguration, with the exact message and place.
func TestStorageResolutionInput(t *testing.T) {
	const p = "services.app.x-prometheus.ContainersInsights.ScrapingConfiguration.StorageResolution"
	t.Run("with a Prometheus configuration file", func(t *testing.T) {
		compose := app("        CollectForJavaJmx: true\n        ScrapingConfiguration:\n          ScrapingConfigurationFile: prom.yml\n          StorageResolution: 1\n")
		rendertest.ExpectRefused(t, compose, map[string]string{"prom.yml": "scrape_configs: []\n"}, p,
			`1 needs the scrape jobs composex writes, and ScrapingConfigurationFile replaces them: drop StorageResolution and give each static target of your file the label aws.emf.storage_resolution: "1" yourself (CloudWatch agent 1.300058.0 or later)`)
		ds, _ := rendertest.RenderFiles(t, compose, map[string]string{"prom.yml": "scrape_configs: []\n"})
		if d := rendertest.Find(ds, render.Error, p); d == nil || d.Service != "app" || d.Line != lineIn(compose, "StorageResolution") {
			t.Errorf("placed at %v; want service app, line %d", d, lineIn(compose, "StorageResolution"))
		}
	})
	for _, tc := range []struct{ name, scrape, every string }{
		{"with the default interval", "          StorageResolution: 1\n", "1m (the default)"},
		{"with a 2 m interval", "          Interval: 2m\n          StorageResolution: 1\n", "2m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			compose := app("        CollectForJavaJmx: true\n        ScrapingConfiguration:\n" + tc.scrape)
			ds, _ := rendertest.MustRenderFiles(t, compose, nil)
			d := rendertest.Find(ds, render.Warning, p)
			want := "1 (high resolution) with Interval " + tc.every + ": the agent writes one datapoint a minute, so a 10 s or 30 s alarm still sees no data in most periods; set an Interval below 1m (e.g. 10s)"
			if d == nil || d.Message != want || d.Service != "app" || d.Line != lineIn(compose, "StorageResolution") {
				t.Errorf("want the warning at %s line %d:\n%s\ngot:\n%s", p, lineIn(compose, "StorageResolution"), want, ds.Error())
			}
		})
	}
	t.Run("below a minute: nothing to say", func(t *testing.T) {
		ds, _ := rendertest.MustRenderFiles(t, app("        CollectForJavaJmx: true\n        ScrapingConfiguration: {Interval: 30s, StorageResolution: 1}\n"), nil)
		if d := rendertest.Find(ds, render.Warning, p); d != nil {
			t.Errorf("unexpected %s", d)
		}
	})
}

func lineIn(compose, s string) int {
	for i, l := range strings.Split(compose, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	return 0
}
