package examples

// High resolution, with the CloudWatch agent and CloudWatch as consumers.
//
// What the agent does with a family's two configurations (its source,
// github.com/aws/amazon-cloudwatch-agent at v1.300071.0, and the
// awsemfexporter of its go.mod, github.com/amazon-contributing/
// opentelemetry-collector-contrib, rebased on upstream v0.115.0 and later):
//   - the Prometheus scraper scrapes each job every scrape_interval (the
//     job's own, else global) and hands each scrape on at once;
//   - the batch processor before the EMF exporter waits at most
//     logs.force_flush_interval seconds, and the exporter flushes each batch
//     to CloudWatch Logs, each EMF event timestamped with its scrape;
//   - the exporter drops the attribute aws.emf.storage_resolution from the
//     labels it matches declarations on and from the dimensions, and writes
//     StorageResolution 60, or that attribute's value, in each metric's
//     definition (metric_translator.go, groupedMetricToCWMeasurementsWithFilters).
//
// CloudWatch's rule (PutMetricAlarm, Period): 10, 20 or 30 only for metrics
// stored with StorageResolution 1, else most periods have no data. An alarm
// reads the metric of its exact namespace, name and dimensions (names and
// values).

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/render"
)

// emfMetric is one metric the agent publishes: what an alarm must name.
type emfMetric struct {
	Namespace, Name string
	Dimensions      map[string]string // name → value
	Resolution      int
	Every           time.Duration // how often a datapoint arrives
	Flush           time.Duration // longest wait before it is sent
}

type hiresJob struct {
	JobName        string `yaml:"job_name"`
	ScrapeInterval string `yaml:"scrape_interval"`
	ScrapeTimeout  string `yaml:"scrape_timeout"`
	StaticConfigs  []struct {
		Targets []string          `yaml:"targets"`
		Labels  map[string]string `yaml:"labels"`
	} `yaml:"static_configs"`
}

type hiresConfig struct {
	Global struct {
		ScrapeInterval string `yaml:"scrape_interval"`
		ScrapeTimeout  string `yaml:"scrape_timeout"`
	} `yaml:"global"`
	ScrapeConfigs []hiresJob `yaml:"scrape_configs"`
}

// published applies the agent's rules to a task's configurations and the
// exporters' real output: the CloudWatch metrics it writes, per target.
func published(t *testing.T, own sdTask, cluster []sdTask, kinds map[string]string) []emfMetric {
	t.Helper()
	var cfg hiresConfig
	if err := yaml.Unmarshal([]byte(own.ScrapeConfig), &cfg); err != nil {
		t.Fatal(err)
	}
	flush, _ := dig(own.AgentConfig, "logs", "force_flush_interval").(float64)
	if flush == 0 {
		flush = 5 // the batch processor's default for the logs section
	}
	ns, _ := dig(own.AgentConfig, "logs", "metrics_collected", "prometheus", "emf_processor", "metric_namespace").(string)
	decls := emfDeclarations(t, own.AgentConfig)
	var out []emfMetric
	for _, g := range scrapeTargets(t, own, cluster) {
		var job *hiresJob
		for i := range cfg.ScrapeConfigs {
			if cfg.ScrapeConfigs[i].JobName == g.Labels["job"] || (g.Labels["job"] != "" && strings.HasPrefix(cfg.ScrapeConfigs[i].JobName, g.Labels["job"]+"-")) {
				job = &cfg.ScrapeConfigs[i]
			}
		}
		if job == nil {
			t.Fatalf("%s: no job for target %s", own.Family, g)
		}
		every, err := time.ParseDuration(orDefault(job.ScrapeInterval, orDefault(cfg.Global.ScrapeInterval, "1m")))
		if err != nil {
			t.Fatalf("%s: job %s: %v", own.Family, job.JobName, err)
		}
		timeout, _ := time.ParseDuration(orDefault(job.ScrapeTimeout, orDefault(cfg.Global.ScrapeTimeout, "10s")))
		if timeout > every {
			t.Errorf("%s: job %s times out after %s, above its interval %s: Prometheus refuses it", own.Family, job.JobName, timeout, every)
		}
		// The exporter's own attribute: out of the labels and dimensions.
		labels := map[string]string{}
		resolution := 60
		for k, v := range g.Labels {
			if k == render.StorageResolutionLabel {
				n, err := strconv.Atoi(v)
				if err != nil {
					t.Errorf("%s: %s=%q is not a number; the agent ignores it", own.Family, k, v)
					continue
				}
				resolution = n
				continue
			}
			labels[k] = v
		}
		kind := kinds[g.Container]
		if kind == "" {
			continue
		}
		for _, s := range samples[kind] {
			for _, m := range readSample(t, s.file) {
				if !keptByAgent(m.Type) {
					continue
				}
				for _, d := range decls {
					if !d.matches(labels) || !d.selects(m.Name) {
						continue
					}
					for _, set := range d.Dimensions {
						dims := map[string]string{}
						for _, n := range set {
							if v, ok := labels[n]; ok {
								dims[n] = v
							} else if m.Labels[n] {
								dims[n] = "*"
							}
						}
						if len(dims) == len(set) {
							out = append(out, emfMetric{ns, m.Name, dims, resolution, every, time.Duration(flush) * time.Second})
						}
					}
				}
			}
		}
	}
	return out
}

// alarmDimension resolves an alarm's dimension value as CloudFormation
// would in stack `stack`: the cluster (Fn::If CreateCluster Cluster
// ClusterName) is the cluster the tasks run in.
func alarmDimension(t *testing.T, v any, stack string) string {
	t.Helper()
	if cond, ok := dig(v, "Fn::If").([]any); ok && len(cond) == 3 && cond[0] == render.CondCreateCluster {
		return sdCluster
	}
	return resolveSub(t, v, stack)
}

// TestHighResolutionReachesCloudWatch: in the example with a 10 s scrape
// and a 10 s alarm, the scrape interval reaches the agent's Prometheus
// configuration, the agent flushes each scrape before the next, the EMF it
// writes makes the metric high resolution, and the alarm's namespace,
// metric, dimensions (values included) and period are those of a metric it
// publishes at that rate.
func TestHighResolutionReachesCloudWatch(t *testing.T) {
	p := agentProject(t, "prometheus-high-resolution")
	const stack = "prod"
	cluster := deployTasks(t, p, stack, 1)
	var metrics []emfMetric
	for _, own := range cluster {
		if own.AgentConfig == nil || own.ScrapeConfig == "" {
			continue
		}
		metrics = append(metrics, published(t, own, cluster, map[string]string{"nginx-prometheus-exporter": "nginx"})...)
	}
	if len(metrics) == 0 {
		t.Fatal("the agent publishes no metric")
	}
	alarms := 0
	res := templateResources(t, p)
	for _, id := range slices.Sorted(maps.Keys(res)) {
		r := res[id]
		if r["Type"] != "AWS::CloudWatch::Alarm" {
			continue
		}
		period, _ := dig(r, "Properties", "Period").(int)
		if period >= 60 {
			continue
		}
		alarms++
		ns, _ := dig(r, "Properties", "Namespace").(string)
		name, _ := dig(r, "Properties", "MetricName").(string)
		want := map[string]string{}
		ds, _ := dig(r, "Properties", "Dimensions").([]any)
		for _, d := range ds {
			want[dig(d, "Name").(string)] = alarmDimension(t, dig(d, "Value"), stack)
		}
		var same []emfMetric
		for _, m := range metrics {
			if m.Namespace != ns || m.Name != name || len(m.Dimensions) != len(want) {
				continue
			}
			ok := true
			for k, v := range want {
				if m.Dimensions[k] != v {
					ok = false
				}
			}
			if ok {
				same = append(same, m)
			}
		}
		if len(same) == 0 {
			var names []string
			for _, m := range metrics {
				if m.Name == name {
					names = append(names, m.Namespace+" "+m.Name+" "+strings.Join(keysOf(m.Dimensions), ","))
				}
			}
			t.Errorf("%s: %d s alarm on %s %s %v: the agent publishes no such metric (same name: %v)", id, period, ns, name, want, names)
			continue
		}
		for _, m := range same {
			if m.Resolution != 1 {
				t.Errorf("%s: %d s alarm on %s, which the agent writes with StorageResolution %d: CloudWatch keeps one datapoint a minute", id, period, name, m.Resolution)
			}
			if m.Every > time.Duration(period)*time.Second {
				t.Errorf("%s: %d s alarm on %s, scraped every %s: periods without a datapoint", id, period, name, m.Every)
			}
			if m.Flush > m.Every {
				t.Errorf("%s: the agent waits up to %s before sending a scrape taken every %s", id, m.Flush, m.Every)
			}
		}
	}
	if alarms == 0 {
		t.Fatal("the example has no alarm with a period below a minute")
	}
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
