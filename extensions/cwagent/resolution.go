package cwagent

// High-resolution Prometheus metrics, as the CloudWatch agent publishes
// them, and the alarms that depend on them.
//
// The path of a scraped metric through the agent (amazon-cloudwatch-agent
// 1.300058.0 and later; composex pins 1.300072.0):
//   - its Prometheus scraper (plugins/inputs/prometheus, Prometheus 3.0.1
//     as a library) scrapes each job at the job's scrape_interval and
//     passes every sample on at once (a telegraf service input: the adapter
//     receiver's own interval plays no part), with the target's labels;
//   - a batch processor, whose timeout is logs.force_flush_interval, hands
//     the batches to the awsemfexporter, which writes one EMF log event per
//     label set, timestamped with the scrape, and flushes it to CloudWatch
//     Logs after every batch;
//   - the exporter writes each metric's definition with StorageResolution
//     60, or the value of the metric attribute aws.emf.storage_resolution
//     (render.StorageResolutionLabel) when it has one, and keeps that
//     attribute out of the dimensions and the log fields.
//
// So a service's metrics are high resolution when its scrape jobs carry the
// label aws.emf.storage_resolution: "1" (a UTF-8 label name, which the
// agent's Prometheus 3 accepts), and arrive every scrape_interval. An alarm
// with a 10 s or 30 s period reads one-second data: CloudWatch's
// PutMetricAlarm reference says such a period on a metric without
// sub-minute resolution misses the datapoints of most periods (the alarm
// lapses into INSUFFICIENT_DATA) and is billed as a high-resolution alarm.

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/composex/composex/extensions/alarms"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"

	"github.com/composex/composex/render"
)

// MinResolutionAgent is the first agent release whose EMF exporter reads
// aws.emf.storage_resolution (awsemfexporter v0.115.0, agent 1.300053.0)
// and whose Prometheus accepts that label name (Prometheus 3.0.1, agent
// 1.300058.0).
const MinResolutionAgent = 300058

// reAgentTag reads an agent image tag: 1.300072.0b1766 (or 1.300072.0).
var reAgentTag = regexp.MustCompile(`:1\.(\d{6})\.\d+(b\d+)?$`)

// checkAgentImage refuses an agent image too old for high resolution, and
// warns about one whose version cannot be read from its tag.
func checkAgentImage(f *render.Family, a *render.CloudWatchAgent, ds *render.Diagnostics) {
	if a.Image == "" || a.Prometheus == nil {
		return
	}
	for _, e := range a.Prometheus.Exporters {
		if e.StorageResolution != 1 || e.Service == "" {
			continue
		}
		path := render.ServicePath(e.Service, "x-prometheus", "ContainersInsights.ScrapingConfiguration.StorageResolution")
		m := reAgentTag.FindStringSubmatch(a.Image)
		if m == nil {
			ds.Warnf(e.Service, path, "family %s: the CloudWatch agent image %s has no version in its tag; high-resolution storage needs agent 1.%d.0 or later (composex pins %s)",
				f.Name, a.Image, MinResolutionAgent, AgentImage)
			return
		}
		if v, _ := strconv.Atoi(m[1]); v < MinResolutionAgent {
			ds.Errorf(e.Service, path, "family %s: the CloudWatch agent image %s is older than 1.%d.0, whose EMF exporter first writes StorageResolution from the label %s and whose Prometheus first accepts that label; use a newer image (composex pins %s)",
				f.Name, a.Image, MinResolutionAgent, render.StorageResolutionLabel, AgentImage)
		}
		return
	}
}

// metricRef is one metric an alarm reads, with where its period is set.
type metricRef struct {
	namespace, name string
	dims            []cloudwatch.Alarm_Dimension
	period          int
	path            string // under the alarm's path
}

func alarmMetrics(al *cloudwatch.Alarm) []metricRef {
	if len(al.Metrics) == 0 {
		if al.Namespace == nil || al.MetricName == nil || al.Period == nil {
			return nil
		}
		return []metricRef{{*al.Namespace, *al.MetricName, al.Dimensions, *al.Period, ".Properties.Period"}}
	}
	var out []metricRef
	for i, q := range al.Metrics {
		ms := q.MetricStat
		if ms == nil || ms.Metric == nil || ms.Metric.Namespace == nil || ms.Metric.MetricName == nil {
			continue
		}
		var dims []cloudwatch.Alarm_Dimension
		for _, d := range ms.Metric.Dimensions {
			dims = append(dims, cloudwatch.Alarm_Dimension{Name: d.Name, Value: d.Value})
		}
		out = append(out, metricRef{*ms.Metric.Namespace, *ms.Metric.MetricName, dims, ms.Period, fmt.Sprintf(".Properties.Metrics.%d.MetricStat.Period", i)})
	}
	return out
}

// source is one scrape target of a family whose metrics an EMF
// declaration publishes under the alarm's name and dimensions.
type source struct {
	f *render.Family
	e render.PrometheusExporter
}

// TaskFamilyDimension is the value of the TaskDefinitionFamily dimension
// the agent gives a family's metrics: its task definition's family.
func TaskFamilyDimension(f *render.Family) string {
	return cloudformation.Sub("${AWS::StackName}-" + render.ResourceName(f.Name))
}

// targetLabels are the labels of an exporter's metrics the EMF
// declarations match on (those buildScrapeConfig writes, the job and
// instance Prometheus adds, and the agent's ClusterName).
func targetLabels(f *render.Family, e render.PrometheusExporter) map[string]string {
	return map[string]string{"job": e.Job, "instance": fmt.Sprintf("localhost:%d", e.Port), "container_name": e.Container,
		"TaskDefinitionFamily": taskFamily(f), "ClusterName": "cluster"}
}

// declares says whether an EMF declaration publishes metric name, with
// exactly the dimension names dims, for a target with these labels (the
// awsemfexporter's rule: label_matcher on the source_labels' values joined
// by ";", a metric selector matching the name, a dimension set).
func declares(r render.EMFRule, labels map[string]string, name string, dims []string) bool {
	var vals []string
	for _, l := range r.SourceLabels {
		vals = append(vals, labels[l])
	}
	if lm, err := regexp.Compile(r.LabelMatcher); err != nil || !lm.MatchString(strings.Join(vals, ";")) {
		return false
	}
	selected := false
	for _, sel := range r.MetricSelectors {
		if re, err := regexp.Compile(sel); err == nil && re.MatchString(name) {
			selected = true
		}
	}
	if !selected {
		return false
	}
	for _, set := range r.Dimensions {
		s := slices.Sorted(slices.Values(set))
		if slices.Equal(s, dims) {
			return true
		}
	}
	return false
}

// sourcesOf finds the targets whose metrics the alarm's metric is: same
// namespace, name and dimension names, and the family its
// TaskDefinitionFamily dimension names when it names one of this stack.
func sourcesOf(m *render.Model, ref metricRef) []source {
	var dims []string
	family := ""
	for _, d := range ref.dims {
		dims = append(dims, d.Name)
		if d.Name == "TaskDefinitionFamily" {
			family = d.Value
		}
	}
	slices.Sort(dims)
	named := false
	for _, f := range m.Families {
		if family != "" && TaskFamilyDimension(f) == family {
			named = true
		}
	}
	var out []source
	for _, f := range m.Families {
		a := f.CloudWatchAgent
		if a == nil || a.Prometheus == nil || (named && TaskFamilyDimension(f) != family) {
			continue
		}
		for _, e := range a.Prometheus.Exporters {
			labels := targetLabels(f, e)
			for _, r := range a.Prometheus.Rules {
				if declares(r, labels, ref.name, dims) {
					out = append(out, source{f, e})
					break
				}
			}
		}
	}
	return out
}

// checkAlarmResolution refuses an alarm with a period below a minute on a
// Prometheus metric the stack's agents publish at standard resolution, or
// scrape less often than the period, naming the alarm and the metric's
// source; it warns when no agent of the stack publishes the metric at all.
//
// Refused, not warned: CloudWatch accepts such an alarm, but it watches
// data that does not exist in most of its periods, so it goes to
// INSUFFICIENT_DATA instead of firing, at the high-resolution price.
func checkAlarmResolution(in *render.Input, m *render.Model, ds *render.Diagnostics) {
	names := alarms.NamesByID(in)
	for _, id := range slices.Sorted(maps.Keys(m.Resources)) {
		al, ok := m.Resources[id].(*cloudwatch.Alarm)
		if !ok {
			continue
		}
		base := id
		if n := names[id]; n != "" {
			base = "x-alarms." + render.Key(n)
		}
		for _, ref := range alarmMetrics(al) {
			if ref.namespace != render.PrometheusNamespace || ref.period <= 0 || ref.period >= 60 {
				continue
			}
			var dims []string
			for _, d := range ref.dims {
				dims = append(dims, d.Name)
			}
			what := fmt.Sprintf("%s (%s, dimensions %s)", ref.name, ref.namespace, strings.Join(dims, ", "))
			srcs := sourcesOf(m, ref)
			if len(srcs) == 0 {
				ds.Warnf("", base+ref.path, "a %d s period needs a high-resolution metric, and no CloudWatch agent of this project publishes %s: "+
					"check the metric name and dimensions against the services' EMF rules, or make sure whatever publishes it stores it at 1 s resolution", ref.period, what)
				continue
			}
			for _, s := range srcs {
				checkSource(base+ref.path, ref, what, s, ds)
			}
		}
	}
}

func checkSource(path string, ref metricRef, what string, s source, ds *render.Diagnostics) {
	p := s.f.CloudWatchAgent.Prometheus
	from := fmt.Sprintf("the exporter %s:%d", s.e.Container, s.e.Port)
	fix := "services.<service>.x-prometheus.ContainersInsights.ScrapingConfiguration"
	if s.e.Service != "" {
		from += " of service " + s.e.Service
		fix = render.ServicePath(s.e.Service, "x-prometheus", "ContainersInsights.ScrapingConfiguration")
	}
	from += " (family " + s.f.Name + ")"
	iv, _ := jobTiming(p, s.e)
	if p.ConfigFile != "" {
		if !strings.Contains(p.ConfigFile, render.StorageResolutionLabel) {
			ds.Errorf("", path, "a %d s period needs a high-resolution metric; %s comes from %s, scraped as the family's own Prometheus configuration says, whose targets have no label %s: CloudWatch stores it at standard resolution (60 s), so the alarm would see no datapoint in most periods (INSUFFICIENT_DATA). Label the targets %s: \"1\" and scrape them at most every %d s, or use a Period that is a multiple of 60",
				ref.period, what, from, render.StorageResolutionLabel, render.StorageResolutionLabel, ref.period)
		}
		return
	}
	if s.e.StorageResolution != 1 {
		ds.Errorf("", path, "a %d s period needs a high-resolution metric; %s comes from %s, scraped every %s and stored at standard resolution (60 s): the alarm would see no datapoint in most periods (INSUFFICIENT_DATA), at the high-resolution alarm price. Set %s.StorageResolution: 1 and an Interval of at most %ds, or use a Period that is a multiple of 60",
			ref.period, what, from, iv, fix, ref.period)
		return
	}
	if d := ScrapeInterval(p, s.e); d == 0 || d > time.Duration(ref.period)*time.Second {
		ds.Errorf("", path, "a %d s period needs a datapoint every %d s; %s comes from %s, stored at high resolution but scraped every %s, so some periods have no datapoint (INSUFFICIENT_DATA). Set %s.Interval to at most %ds, or use a Period of at least the interval",
			ref.period, ref.period, what, from, iv, fix, ref.period)
	}
}
