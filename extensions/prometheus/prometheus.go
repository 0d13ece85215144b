package prometheus

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/composex/composex/render"
)

const (
	key = "x-prometheus"
	// NginxExporterName is the sidecar added by AutoAddNginxPrometheusExporter.
	NginxExporterName  = "nginx-prometheus-exporter"
	nginxExporterImage = render.NginxPrometheusExporterImage // see render.Pins
	// The nginx exporter's own default scrape address: stub_status on 8080.
	defaultStubStatus = "http://127.0.0.1:8080/stub_status"
	defaultJmxPort    = 9404
	defaultNginxPort  = 9113
	defaultPath       = "/metrics"
	// StorageResolutionLabel is the metric attribute the agent's EMF
	// exporter (awsemfexporter, CloudWatch agent 1.300053.0 and later)
	// reads as the CloudWatch storage resolution of a metric (1 or 60);
	// a label of the scrape target reaches every metric of the target.
	StorageResolutionLabel = render.StorageResolutionLabel
)

// Extension implements render.Extension for x-prometheus.
type Extension struct{}

func (Extension) Name() string          { return key }
func (Extension) ServiceKeys() []string { return []string{key} }
func (Extension) ProjectKeys() []string { return nil }

// reDuration is Prometheus's duration syntax.
var reDuration = regexp.MustCompile(`^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$`)

// read decodes and checks one service's block; nil when absent or broken.
func read(in *render.Input, s types.ServiceConfig, ds *render.Diagnostics) *ContainersInsights {
	raw, ok := s.Extensions[key]
	if !ok {
		return nil
	}
	path := render.ServicePath(s.Name, key)
	var x XPrometheus
	if err := render.DecodeExtension(raw, &x); err != nil {
		ds.Errorf(s.Name, path, "%v", err)
		return nil
	}
	ci := x.ContainersInsights
	if ci == nil {
		ds.Errorf(s.Name, path, "ContainersInsights is required: it says what to collect")
		return nil
	}
	path += ".ContainersInsights"
	for name, v := range map[string]*bool{"CollectForAppMesh": ci.CollectForAppMesh, "CollectForAppmesh": ci.CollectForAppmesh} {
		if v != nil && *v {
			ds.Errorf(s.Name, path+"."+name, "App Mesh reached end of support on 2026-09-30; for Envoy metrics use x-network.Envoy with PrometheusMetrics (false is accepted: it asks for nothing)")
		}
	}
	for name, t := range map[string]*ExporterToggle{"CollectForJavaJmx": ci.CollectForJavaJmx, "CollectForNginx": ci.CollectForNginx} {
		if t != nil && t.Enabled {
			checkExporter(s.Name, path+"."+name, t.ExporterConfig, ds)
		}
	}
	for i, r := range ci.CustomRules {
		p := fmt.Sprintf("%s.CustomRules.%d", path, i)
		if r.ExporterPort == 0 {
			ds.Errorf(s.Name, p+".ExporterPort", "ExporterPort is required: the port the exporter serves its metrics on (1 to 65535)")
		}
		checkExporter(s.Name, p, ExporterConfig{ExporterPort: r.ExporterPort, ExporterPath: r.ExporterPath}, ds)
		if len(r.EmfProcessors) == 0 {
			ds.Errorf(s.Name, p+".EmfProcessors", "at least one EMF processor rule is required: without one, no metric reaches CloudWatch")
		}
		for j, e := range r.EmfProcessors {
			checkRule(s.Name, fmt.Sprintf("%s.EmfProcessors.%d", p, j), e, ds)
		}
	}
	if sc := ci.ScrapingConfiguration; sc != nil {
		p := path + ".ScrapingConfiguration"
		iv, okI := duration(s.Name, p+".Interval", sc.Interval, ds)
		to, okT := duration(s.Name, p+".Timeout", sc.Timeout, ds)
		if okI && okT && iv > 0 && to > iv {
			ds.Errorf(s.Name, p+".Timeout", "%s is longer than the interval %s; Prometheus refuses a scrape timeout above the scrape interval", sc.Timeout, sc.Interval)
		}
		if f := sc.ScrapingConfigurationFile; f != "" {
			if _, err := readConfigFile(in, f); err != nil {
				ds.Errorf(s.Name, p+".ScrapingConfigurationFile", "%v", err)
			}
		}
		if okI {
			checkResolution(s.Name, p, sc, iv, ds)
		}
	}
	return ci
}

// checkResolution applies what high-resolution storage needs. The agent
// stores a scraped metric at one-second resolution when its target carries
// the label cwagent.StorageResolutionLabel (its EMF exporter reads it);
// composex writes that label on the scrape jobs it generates, so a user's
// own Prometheus configuration cannot get it from here. A metric scraped
// once a minute or less often gains nothing from it: one datapoint a
// minute is all a 10 s alarm would see.
func checkResolution(service, path string, sc *ScrapingConfiguration, interval time.Duration, ds *render.Diagnostics) {
	if sc.StorageResolution == nil || *sc.StorageResolution != 1 {
		return
	}
	if sc.ScrapingConfigurationFile != "" {
		ds.Errorf(service, path+".StorageResolution", "1 needs the scrape jobs composex writes, and ScrapingConfigurationFile replaces them: "+
			"drop StorageResolution and give each static target of your file the label %s: \"1\" yourself (CloudWatch agent 1.300058.0 or later)", StorageResolutionLabel)
		return
	}
	if interval == 0 || interval >= time.Minute {
		every := sc.Interval
		if every == "" {
			every = "1m (the default)"
		}
		ds.Warnf(service, path+".StorageResolution", "1 (high resolution) with Interval %s: the agent writes one datapoint a minute, so a 10 s or 30 s alarm still sees no data in most periods; set an Interval below 1m (e.g. 10s)", every)
	}
}

func checkExporter(service, path string, c ExporterConfig, ds *render.Diagnostics) {
	if c.ExporterPort < 0 || c.ExporterPort > 65535 {
		ds.Errorf(service, path+".ExporterPort", "%d is not a port; allowed: 1 to 65535", c.ExporterPort)
	}
	if c.ExporterPath != "" && !strings.HasPrefix(c.ExporterPath, "/") {
		ds.Errorf(service, path+".ExporterPath", "%q must start with /", c.ExporterPath)
	}
	if c.LabelMatcher != "" {
		if _, err := regexp.Compile(c.LabelMatcher); err != nil {
			ds.Errorf(service, path+".label_matcher", "%q is not a regular expression: %v", c.LabelMatcher, err)
		}
	}
}

func checkRule(service, path string, r render.EMFRule, ds *render.Diagnostics) {
	if len(r.SourceLabels) == 0 {
		ds.Errorf(service, path+".source_labels", "at least one source label is required")
	}
	if len(r.MetricSelectors) == 0 {
		ds.Errorf(service, path+".metric_selectors", "at least one metric selector is required")
	}
	for i, sel := range append([]string{r.LabelMatcher}, r.MetricSelectors...) {
		if _, err := regexp.Compile(sel); err != nil {
			p := path + ".label_matcher"
			if i > 0 {
				p = fmt.Sprintf("%s.metric_selectors.%d", path, i-1)
			}
			ds.Errorf(service, p, "%q is not a regular expression: %v", sel, err)
		}
	}
}

func duration(service, path, v string, ds *render.Diagnostics) (time.Duration, bool) {
	if v == "" {
		return 0, true
	}
	if v == "0" || !reDuration.MatchString(v) {
		ds.Errorf(service, path, "%q is not a Prometheus duration (e.g. 30s, 1m, 1m30s)", v)
		return 0, false
	}
	d, err := time.ParseDuration(strings.NewReplacer("y", "h", "w", "h", "d", "h").Replace(v))
	if err != nil || strings.ContainsAny(v, "ywd") {
		return 0, true // long units: valid, no ordering check
	}
	return d, true
}

// readConfigFile reads the user's Prometheus configuration relative to the
// compose project and checks that it is YAML.
func readConfigFile(in *render.Input, name string) (string, error) {
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(in.Project.WorkingDir, name)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("cannot read the Prometheus configuration: %v", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("%s is not a YAML Prometheus configuration: %v", name, err)
	}
	return string(data), nil
}

// Validate checks every service's x-prometheus block.
func (Extension) Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	names := in.Project.ServiceNames()
	sort.Strings(names)
	for _, name := range names {
		read(in, in.Project.Services[name], &ds)
	}
	return ds
}
