package logmetrics

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/composex/composex/extensions/alarms"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"
	"github.com/awslabs/goformation/v7/cloudformation/logs"

	"github.com/composex/composex/extensions/envoy"
	"github.com/composex/composex/render"
)

// Extension implements render.Extension for x-logging.MetricFilters and
// x-logging.SavedQueries. x-logging itself is a core key (the core reads
// RetentionInDays), so the extension claims no key of its own.
type Extension struct{}

func (Extension) Name() string          { return "x-logging.MetricFilters" }
func (Extension) ServiceKeys() []string { return nil }
func (Extension) ProjectKeys() []string { return nil }

// Validate checks every service's metric filters on their own.
func (Extension) Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	read(in, &ds)
	return ds
}

// Extend adds each family's metric filters and saved queries, then checks
// the alarms of the stack that watch a filter's metric (it runs after
// x-alarms).
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds, discard render.Diagnostics
	c := read(in, &discard)
	var all []*Filter
	for _, f := range m.Families {
		var fs []*Filter
		queries := false
		for _, s := range f.Services {
			fs = append(fs, c.filters[s.Name]...)
			queries = queries || c.queries[s.Name]
		}
		for _, flt := range fs {
			if err := f.AddResource(FilterID(f, flt.MetricName), metricFilter(f, flt)); err != nil {
				ds.Errorf(flt.Service, flt.Path, "%v", err)
			}
		}
		all = append(all, fs...)
		if queries {
			for _, q := range Queries(f, fs) {
				if err := f.AddResource(q.ID, &logs.QueryDefinition{
					Name:          cloudformation.Sub("composex/${AWS::StackName}/" + render.ResourceName(f.Name) + "/" + q.Name),
					LogGroupNames: []string{cloudformation.Ref(f.LogGroupID())},
					QueryString:   q.Query,
				}); err != nil {
					ds.Errorf(f.Services[0].Name, render.ServicePath(f.Services[0].Name, key, "SavedQueries"), "%v", err)
				}
			}
		}
	}
	checkAlarms(in, m, all, &ds)
	return ds
}

// FilterID is the logical ID of a family's metric filter.
func FilterID(f *render.Family, metric string) string {
	return f.Logical + render.LogicalName(metric) + "MetricFilter"
}

func metricFilter(f *render.Family, flt *Filter) *logs.MetricFilter {
	tr := logs.MetricFilter_MetricTransformation{
		MetricName:      flt.MetricName,
		MetricNamespace: flt.Namespace,
		MetricValue:     *flt.Value,
		DefaultValue:    flt.DefaultValue,
	}
	if flt.Unit != "" {
		u := flt.Unit
		tr.Unit = &u
	}
	for _, d := range slices.Sorted(maps.Keys(flt.Dimensions)) {
		tr.Dimensions = append(tr.Dimensions, logs.MetricFilter_Dimension{Key: d, Value: flt.Dimensions[d]})
	}
	return &logs.MetricFilter{
		LogGroupName:          cloudformation.Ref(f.LogGroupID()),
		FilterPattern:         flt.Pattern,
		MetricTransformations: []logs.MetricFilter_MetricTransformation{tr},
	}
}

// Query is one saved Logs Insights query of a family.
type Query struct {
	ID, Name, Query string
}

// ErrorsQuery finds the family's error lines, newest first: the lines of
// every container of the task (sidecars included) that say error,
// exception, fatal or panic, in any case.
const ErrorsQuery = "fields @timestamp, @logStream, @message\n" +
	"| filter @message like /(?i)(error|exception|fatal|panic)/\n" +
	"| sort @timestamp desc\n" +
	"| limit 100"

// Queries are the saved queries of a family: its errors; the slowest
// requests of its Envoy sidecar's JSON access log (field duration_ms, in
// the stream envoy/...); and, for each metric filter whose value is a JSON
// field, the lines with the largest value of that field.
func Queries(f *render.Family, fs []*Filter) []Query {
	qs := []Query{{ID: f.Logical + "ErrorsQuery", Name: "errors", Query: ErrorsQuery}}
	if c := f.Container(envoy.ContainerName); c != nil && c.Sidecar {
		qs = append(qs, Query{ID: f.Logical + "SlowestRequestsQuery", Name: "slowest-requests", Query: "fields @timestamp, method, path, response_code, duration_ms, upstream_host\n" +
			"| filter @logStream like /^" + render.ResourceName(envoy.ContainerName) + "\\// and ispresent(duration_ms)\n" +
			"| sort duration_ms desc\n" +
			"| limit 50"})
	}
	for _, flt := range fs {
		if !reJSONSelector.MatchString(*flt.Value) {
			continue
		}
		field := InsightsField(*flt.Value)
		qs = append(qs, Query{ID: f.Logical + render.LogicalName(flt.MetricName) + "SlowestQuery", Name: "slowest-" + render.ResourceName(flt.MetricName),
			Query: fmt.Sprintf("fields @timestamp, @logStream, %s, @message\n| filter ispresent(%s)\n| sort %s desc\n| limit 50", field, field, field)})
	}
	return qs
}

// InsightsField is the Logs Insights name of a JSON selector's field:
// Insights flattens JSON log events into dotted names ($.a.b is a.b, an
// array element $.a[0] is a.0).
func InsightsField(sel string) string {
	s := strings.TrimPrefix(sel, "$.")
	s = strings.NewReplacer("[", ".", "]", "").Replace(s)
	return s
}

// checkAlarms applies CloudWatch's identity of a metric (namespace, name
// and the exact set of dimension names) to the alarms on a filter's
// metric: an alarm whose dimensions differ from those the filter
// publishes watches a metric that never gets a data point.
func checkAlarms(in *render.Input, m *render.Model, fs []*Filter, ds *render.Diagnostics) {
	if len(fs) == 0 {
		return
	}
	names := alarms.NamesByID(in)
	check := func(id string, al *cloudwatch.Alarm) {
		if al.MetricName == nil {
			return
		}
		path := "x-alarms." + render.Key(names[id])
		if names[id] == "" {
			path = id
		}
		ns := ""
		if al.Namespace != nil {
			ns = *al.Namespace
		}
		var namesakes []string
		for _, flt := range fs {
			if flt.MetricName != *al.MetricName {
				continue
			}
			if flt.Namespace != ns {
				namesakes = append(namesakes, flt.Namespace)
				continue
			}
			var want, got []string
			for d := range flt.Dimensions {
				want = append(want, d)
			}
			for _, d := range al.Dimensions {
				got = append(got, d.Name)
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				ds.Errorf("", path+".Properties.Dimensions", "metric %s of %s's log metric filter (%s) has the dimensions [%s]; this alarm asks for [%s], a metric that never gets data: give exactly the filter's dimension names", flt.MetricName, flt.Service, flt.Path, strings.Join(want, ", "), strings.Join(got, ", "))
			}
			// A metric filter publishes at standard resolution: its
			// MetricTransformation has no StorageResolution, so CloudWatch
			// keeps one datapoint a minute. A 10 s or 30 s alarm on it sees
			// no datapoint in most periods (INSUFFICIENT_DATA), at the
			// high-resolution alarm price; refused as cwagent refuses the
			// same on a standard-resolution Prometheus metric.
			if al.Period != nil && *al.Period > 0 && *al.Period < 60 {
				ds.Errorf("", path+".Properties.Period", "a %d s period needs a high-resolution metric; %s comes from %s's log metric filter (%s), which CloudWatch Logs publishes at standard resolution (one datapoint a minute): the alarm would see no datapoint in most periods (INSUFFICIENT_DATA). Use a Period that is a multiple of 60", *al.Period, flt.MetricName, flt.Service, flt.Path)
			}
			return
		}
		if len(namesakes) > 0 {
			ds.Warnf("", path+".Properties.Namespace", "metric %s is published by a log metric filter in namespace %s, not %q; this alarm watches another metric", *al.MetricName, strings.Join(namesakes, ", "), ns)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(m.Resources)) {
		if al, ok := m.Resources[id].(*cloudwatch.Alarm); ok {
			check(id, al)
		}
	}
}
