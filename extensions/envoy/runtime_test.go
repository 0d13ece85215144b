package envoy_test

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// series is one sample of a Prometheus scrape, with the labels the agent's
// ECS discovery adds to every sample of the target.
type series struct {
	name   string
	labels map[string]string
	value  float64
}

var reSample = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$`)
var reLabel = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"`)

// readScrape reads a text-format scrape and adds the target's labels.
func readScrape(t *testing.T, file string, target map[string]string) []series {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []series
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := reSample.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("%s: not a sample: %s", file, line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatal(err)
		}
		s := series{name: m[1], labels: map[string]string{}, value: v}
		for _, l := range reLabel.FindAllStringSubmatch(m[2], -1) {
			s.labels[l[1]] = l[2]
		}
		for k, v := range target {
			s.labels[k] = v
		}
		out = append(out, s)
	}
	return out
}

// emfSums applies the agent's EMF metric declarations as the agent does:
// a sample is selected by a declaration when its name matches one of the
// metric_selectors and the values of source_labels, joined with ";" (the
// default label_separator), match label_matcher; it becomes a datapoint of
// each dimension set whose labels it all has (identical sets deduplicated),
// and CloudWatch sums the datapoints that share a metric name and
// dimension values. The key is "name|dim=value,...".
func emfSums(t *testing.T, decls []any, samples []series) map[string]float64 {
	t.Helper()
	sums := map[string]float64{}
	for _, s := range samples {
		seen := map[string]bool{}
		for _, d := range decls {
			decl := d.(map[string]any)
			var values []string
			for _, l := range decl["source_labels"].([]any) {
				values = append(values, s.labels[l.(string)])
			}
			if !regexp.MustCompile(decl["label_matcher"].(string)).MatchString(strings.Join(values, ";")) {
				continue
			}
			selected := false
			for _, sel := range decl["metric_selectors"].([]any) {
				selected = selected || regexp.MustCompile(sel.(string)).MatchString(s.name)
			}
			if !selected {
				continue
			}
		dims:
			for _, set := range decl["dimensions"].([]any) {
				var parts []string
				for _, dim := range set.([]any) {
					v, ok := s.labels[dim.(string)]
					if !ok {
						continue dims // the agent drops a set with a missing label
					}
					parts = append(parts, dim.(string)+"="+v)
				}
				key := s.name + "|" + strings.Join(parts, ",")
				if !seen[key] {
					seen[key] = true
					sums[key] += s.value
				}
			}
		}
	}
	return sums
}

// Envoy counts the health checks (admin /ready), the agent's scrapes (the
// stats listener and the envoy_admin cluster behind it) and the app's
// traffic alike; the family metrics must count the app's traffic only.
func TestEnvoyEMFCountsAppTrafficOnly(t *testing.T) {
	r := rendertest.MustRender(t, envoyCompose(""))
	_, agents := checkConfigs(t, r)
	cfg := agents["LikeCloudWatchAgentConfig"]
	decls := rendertest.Dig(cfg, "logs", "metrics_collected", "prometheus", "emf_processor", "metric_declaration").([]any)
	target := map[string]string{"container_name": "envoy", "TaskDefinitionFamily": "demo-stack-like", "ClusterName": "demo"}
	sums := emfSums(t, decls, readScrape(t, "testdata/stats-prometheus.txt", target))
	family := "|ClusterName=demo,TaskDefinitionFamily=demo-stack-like"
	want := map[string]float64{
		"envoy_http_downstream_rq_total" + family:                               120,
		"envoy_http_downstream_rq_xx" + family:                                  120,
		"envoy_http_downstream_cx_destroy_remote_active_rq" + family:            2,
		"envoy_http_downstream_rq_xx" + family + ",envoy_response_code_class=2": 110,
		"envoy_http_downstream_rq_xx" + family + ",envoy_response_code_class=5": 10,
		"envoy_cluster_upstream_rq_total" + family:                              120,
		"envoy_cluster_upstream_rq_timeout" + family:                            1,
		"envoy_cluster_upstream_cx_rx_bytes_total" + family:                     245760,
		"envoy_cluster_membership_healthy" + family:                             1,
		"envoy_server_live" + family:                                            1,
		"envoy_server_memory_allocated" + family:                                8388608,
	}
	for k, v := range want {
		if sums[k] != v {
			t.Errorf("%s = %v, want %v", k, sums[k], v)
		}
	}
	for k := range sums {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected CloudWatch metric %s = %v", k, sums[k])
		}
	}
}

// Envoy binds its listeners as the envoy user unless ENVOY_UID is 0, and a
// process that is not root cannot bind below 1024: a low port keeps Envoy
// root, with a warning; high ports leave the image's user alone.
func TestEnvoyPrivilegedPorts(t *testing.T) {
	cases := []struct {
		name, ports, envoy string
		root               bool
		warning            string
	}{
		{"service port 80", `["80:80"]`, "AppPort: 8080", true,
			"Envoy listens on port 80, below 1024, which only root may bind: composex sets ENVOY_UID=0 so that the envoyproxy/envoy entrypoint keeps Envoy root instead of dropping to the envoy user; to run Envoy unprivileged, give web a service port of 1024 or more (and AdminPort, StatsPort too)"},
		{"service port 8000", `["8000:8000"]`, "AppPort: 8080", false, ""},
		{"admin port 901", `["8000:8000"]`, "{AppPort: 8080, AdminPort: 901}", true,
			"Envoy listens on port 901, below 1024, which only root may bind: composex sets ENVOY_UID=0 so that the envoyproxy/envoy entrypoint keeps Envoy root instead of dropping to the envoy user; to run Envoy unprivileged, give web a service port of 1024 or more (and AdminPort, StatsPort too)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			envoyBlock := "\n        " + c.envoy
			if strings.HasPrefix(c.envoy, "{") {
				envoyBlock = " " + c.envoy
			}
			r := rendertest.MustRender(t, "services:\n  web:\n    image: busybox:1.36\n    ports: "+c.ports+"\n    x-network:\n      Envoy:"+envoyBlock+"\n")
			env := rendertest.Containers(t, r, "WebTaskDefinition")["envoy"]["Environment"]
			if c.root {
				rendertest.EqualJSON(t, "envoy environment", env, `[{"Name": "ENVOY_UID", "Value": "0"}]`)
			} else if env != nil {
				t.Errorf("high ports: Envoy keeps the image's user, got environment %v", env)
			}
			d := rendertest.Find(r.Diags, render.Warning, "services.web.x-network.Envoy")
			switch {
			case c.warning == "" && d != nil:
				t.Errorf("unexpected warning: %s", d.Message)
			case c.warning != "" && (d == nil || d.Message != c.warning):
				t.Errorf("want warning\n  %s\ngot %v", c.warning, d)
			}
		})
	}
}
