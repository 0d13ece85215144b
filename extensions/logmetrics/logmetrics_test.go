package logmetrics_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

func service(filters string) string {
	return `
services:
  api:
    image: public.ecr.aws/docker/library/python:3.13-slim
    command: ["python", "-m", "http.server", "8080"]
    x-logging:
      MetricFilters:
` + filters
}

// Each rule CloudWatch Logs applies to a metric filter (PutMetricFilter)
// or that decides whether the filter can ever publish is refused at its
// key, with what is allowed.
func TestRefused(t *testing.T) {
	p := "services.api.x-logging.MetricFilters.0."
	for _, c := range []struct{ name, filters, path, msg string }{
		{"default value with dimensions", `
        - {MetricName: Latency, Pattern: '{ $.ms >= 0 }', Value: $.ms, DefaultValue: 0, Dimensions: {Route: $.route}}`,
			p + "DefaultValue", "CloudWatch Logs refuses a DefaultValue on a filter with Dimensions (a line that does not match has no dimension values); drop one of them"},
		{"four dimensions", `
        - {MetricName: Latency, Pattern: '{ $.ms >= 0 }', Value: $.ms, Dimensions: {A: $.a, B: $.b, C: $.c, D: $.d}}`,
			p + "Dimensions", "4 dimensions; a metric filter has at most 3"},
		{"selector on a terms pattern", `
        - {MetricName: Errors, Pattern: ERROR, Value: $.count}`,
			p + "Value", `"$.count" reads a field, but the pattern matches terms: only a JSON pattern ({ $.field ... }) or a space-delimited one ([a, b, ...]) has fields; give a number, or write the pattern with fields`},
		{"dimension on a terms pattern", `
        - {MetricName: Errors, Pattern: ERROR, Dimensions: {Level: $$level}}`,
			p + "Dimensions.Level", `"$level" reads a field, but the pattern matches terms: only a JSON pattern ({ $.field ... }) or a space-delimited one ([a, b, ...]) has fields; give a number, or write the pattern with fields`},
		{"space-delimited selector on a JSON pattern", `
        - {MetricName: Latency, Pattern: '{ $.ms >= 0 }', Value: $$ms}`,
			p + "Value", `"$ms" is not a JSON selector; with a JSON pattern write $.field (or $.a.b)`},
		{"field the space-delimited pattern lacks", `
        - {MetricName: Bytes, Pattern: '[ip, user, ts, request, status = 5*, size]', Value: $$bytes}`,
			p + "Value", `"$bytes" names no field of the pattern; its fields are ip, user, ts, request, status, size`},
		{"field name eaten by compose interpolation", `
        - {MetricName: Bytes, Pattern: '[ip, user, ts, request, status, size]', Value: $size}`,
			p + "Value", "is empty: compose replaced $name by the value of a variable; write $$name in the compose file for a field of the pattern"},
		{"JSON pattern without its brace", `
        - {MetricName: Latency, Pattern: '{ $.ms >= 0', Value: $.ms}`,
			p + "Pattern", "a JSON filter pattern is one { ... } expression; the closing } is missing"},
		{"AWS namespace", `
        - {MetricName: Errors, Pattern: ERROR, Namespace: AWS/ECS}`,
			p + "Namespace", `"AWS/ECS": namespaces starting with AWS/ are reserved for AWS services; use your own (default LogMetrics/<project>)`},
		{"metric name with a colon", `
        - {MetricName: "a:b", Pattern: ERROR}`,
			p + "MetricName", `"a:b" is not a metric name: 1 to 255 characters, none of : * $`},
		{"unit", `
        - {MetricName: Errors, Pattern: ERROR, Unit: Requests}`,
			p + "Unit", `"Requests" is not a CloudWatch unit; allowed: Seconds, Microseconds, Milliseconds, Bytes, Kilobytes, Megabytes, Gigabytes, Terabytes, Bits, Kilobits, Megabits, Gigabits, Terabits, Percent, Count, Bytes/Second, Kilobytes/Second, Megabytes/Second, Gigabytes/Second, Terabytes/Second, Bits/Second, Kilobits/Second, Megabits/Second, Gigabits/Second, Terabits/Second, Count/Second, None`},
		{"one metric twice", `
        - {MetricName: Errors, Pattern: ERROR}
        - {MetricName: Errors, Pattern: FATAL}`,
			"services.api.x-logging.MetricFilters.1.MetricName", "metric Errors in namespace LogMetrics/demo is already published by services.api.x-logging.MetricFilters.0; give this filter another MetricName or Namespace"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rendertest.ExpectRefused(t, service(c.filters), nil, c.path, c.msg)
		})
	}
}

// Every problem of a file is reported in one run.
func TestAllProblemsAtOnce(t *testing.T) {
	ds, res := rendertest.RenderFiles(t, service(`
        - {MetricName: Errors, Pattern: ERROR, Value: $.n, Unit: Requests}
        - {MetricName: Latency, Pattern: '{ $.ms >= 0 }', Value: $.ms, DefaultValue: 0, Dimensions: {Route: $.route}}`), nil)
	if res != nil {
		t.Fatal("rendered")
	}
	var paths []string
	for _, d := range ds.Errors() {
		paths = append(paths, d.Path)
	}
	for _, want := range []string{"services.api.x-logging.MetricFilters.0.Value", "services.api.x-logging.MetricFilters.0.Unit", "services.api.x-logging.MetricFilters.1.DefaultValue"} {
		if !slices.Contains(paths, want) {
			t.Errorf("no error at %s; got %v", want, paths)
		}
	}
}

// An alarm on a filter's metric must ask for exactly the dimensions the
// filter publishes: CloudWatch identifies a metric by namespace, name and
// its set of dimensions, so any other set is a metric without data.
func TestAlarmOnFilterMetricNeedsItsDimensions(t *testing.T) {
	compose := service(`
        - {MetricName: Latency, Pattern: '{ $.ms >= 0 }', Value: $.ms, Dimensions: {Route: $.route}}`) + `
x-alarms:
  SlowApi:
    Properties:
      Namespace: LogMetrics/demo
      MetricName: Latency
      Statistic: Average
      Period: 60
      EvaluationPeriods: 1
      Threshold: 500
      ComparisonOperator: GreaterThanThreshold
`
	rendertest.ExpectRefused(t, compose, nil, "x-alarms.SlowApi.Properties.Dimensions",
		"metric Latency of api's log metric filter (services.api.x-logging.MetricFilters.0) has the dimensions [Route]; this alarm asks for [], a metric that never gets data: give exactly the filter's dimension names")

	ok := strings.Replace(compose, "      Statistic: Average", "      Dimensions: [{Name: Route, Value: /orders}]\n      Statistic: Average", 1)
	rendertest.MustRender(t, ok)

	other := strings.Replace(compose, "Namespace: LogMetrics/demo", "Namespace: Api", 1)
	r := rendertest.MustRender(t, other)
	d := rendertest.Find(r.Diags, render.Warning, "x-alarms.SlowApi.Properties.Namespace")
	if d == nil || d.Message != `metric Latency is published by a log metric filter in namespace LogMetrics/demo, not "Api"; this alarm watches another metric` {
		t.Errorf("want the namespace warning; got %v", r.Diags)
	}
}

// A log metric filter publishes at standard resolution (MetricTransformation
// has no StorageResolution): a 10 s or 30 s alarm on its metric would lapse
// into INSUFFICIENT_DATA, so it is refused at its Period; 60 s renders.
func TestSubMinuteAlarmOnFilterMetricRefused(t *testing.T) {
	compose := service(`
        - {MetricName: Errors, Pattern: ERROR, Value: "1", DefaultValue: 0}`) + `
x-alarms:
  ApiErrors:
    Properties:
      Namespace: LogMetrics/demo
      MetricName: Errors
      Statistic: Sum
      Period: PERIOD
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
`
	for _, period := range []string{"10", "30"} {
		rendertest.ExpectRefused(t, strings.Replace(compose, "PERIOD", period, 1), nil, "x-alarms.ApiErrors.Properties.Period",
			"a "+period+" s period needs a high-resolution metric; Errors comes from api's log metric filter (services.api.x-logging.MetricFilters.0), which CloudWatch Logs publishes at standard resolution (one datapoint a minute): the alarm would see no datapoint in most periods (INSUFFICIENT_DATA). Use a Period that is a multiple of 60")
	}
	rendertest.MustRender(t, strings.Replace(compose, "PERIOD", "60", 1))
}

// The rules of the CloudWatch Logs filter syntax and of MetricFilter,
// applied to the rendered filters of the examples and of this package's
// own project: one transformation per filter, at most three dimensions,
// no DefaultValue beside dimensions, every selector ($.x for JSON patterns,
// $name for a field of a space-delimited pattern) one the pattern can
// fill, a numeric value otherwise, and the filter on a log group of the
// stack that the family's containers write to.
func TestRenderedFiltersFollowCloudWatchLogsRules(t *testing.T) {
	sources := map[string]string{"every form": service(`
        - {MetricName: Errors, Pattern: '?ERROR ?FATAL', DefaultValue: 0, Unit: Count}
        - {MetricName: Latency, Pattern: '{ $.latency.ms >= 0 && $.level = "info" }', Value: $.latency.ms, Unit: Milliseconds, Dimensions: {Route: $.route, Method: $.http.method}}
        - {MetricName: Bytes, Pattern: '[ip, user, ts, request, status = 2*, size]', Value: $$size, Dimensions: {Status: $$status}}`)}
	for _, ex := range []string{"logs-metric-filters"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", ex, "docker-compose.yml"))
		if err != nil {
			t.Fatal(err)
		}
		sources[ex] = string(b)
	}
	jsonSel := regexp.MustCompile(`^\$\.[A-Za-z0-9_.@\[\]-]+$`)
	for name, compose := range sources {
		t.Run(name, func(t *testing.T) {
			r := rendertest.MustRender(t, compose)
			fs := r.Of("AWS::Logs::MetricFilter")
			if len(fs) == 0 {
				t.Fatal("no metric filter")
			}
			groups := r.Of("AWS::Logs::LogGroup")
			for id, f := range fs {
				p := f.Properties
				group, _ := rendertest.Dig(p, "LogGroupName", "Ref").(string)
				if _, ok := groups[group]; !ok {
					t.Errorf("%s: LogGroupName %v is not a log group of the stack", id, p["LogGroupName"])
				}
				if !writesTo(r, group) {
					t.Errorf("%s: no container writes to %s", id, group)
				}
				pattern, _ := p["FilterPattern"].(string)
				if len(pattern) == 0 || len(pattern) > 1024 {
					t.Errorf("%s: pattern length %d", id, len(pattern))
				}
				trs, _ := p["MetricTransformations"].([]any)
				if len(trs) != 1 {
					t.Fatalf("%s: %d transformations; CloudWatch Logs takes exactly one", id, len(trs))
				}
				tr := trs[0].(map[string]any)
				dims, _ := tr["Dimensions"].([]any)
				if len(dims) > 3 {
					t.Errorf("%s: %d dimensions", id, len(dims))
				}
				if len(dims) > 0 && tr["DefaultValue"] != nil {
					t.Errorf("%s: DefaultValue with dimensions", id)
				}
				fields := spacedFields(pattern)
				sels := []string{fmt.Sprint(tr["MetricValue"])}
				for _, d := range dims {
					sels = append(sels, fmt.Sprint(d.(map[string]any)["Value"]))
				}
				for i, sel := range sels {
					isNumber := regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`).MatchString(sel)
					switch {
					case i == 0 && isNumber:
					case strings.HasPrefix(pattern, "{"):
						if !jsonSel.MatchString(sel) || !strings.Contains(pattern, sel) && i == 0 && !strings.Contains(pattern, "$.") {
							t.Errorf("%s: %q with a JSON pattern", id, sel)
						}
					case strings.HasPrefix(pattern, "["):
						if !strings.HasPrefix(sel, "$") || !slices.Contains(fields, sel[1:]) {
							t.Errorf("%s: %q is no field of %s", id, sel, pattern)
						}
					default:
						t.Errorf("%s: %q cannot be filled by the terms pattern %q", id, sel, pattern)
					}
				}
				for _, k := range []string{"MetricName", "MetricNamespace"} {
					v := fmt.Sprint(tr[k])
					if v == "" || len(v) > 255 || strings.ContainsAny(v, ":*$") {
						t.Errorf("%s: %s %q", id, k, v)
					}
				}
			}
		})
	}
}

// writesTo reports whether a task definition of the stack logs to group.
func writesTo(r rendertest.Result, group string) bool {
	for _, td := range r.Of("AWS::ECS::TaskDefinition") {
		cds, _ := td.Properties["ContainerDefinitions"].([]any)
		for _, cd := range cds {
			if rendertest.Dig(cd, "LogConfiguration", "Options", "awslogs-group", "Ref") == group {
				return true
			}
		}
	}
	return false
}

func spacedFields(p string) []string {
	if !strings.HasPrefix(p, "[") {
		return nil
	}
	var out []string
	for _, part := range strings.Split(strings.Trim(p, "[]"), ",") {
		if m := regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)`).FindStringSubmatch(part); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

// Saved queries: the Logs Insights syntax the console runs (fields,
// filter, sort, limit commands joined by |), on the family's log group;
// the slowest-requests query of a family with the Envoy sidecar sorts by
// a field the sidecar's access log really has (its bootstrap's json_format).
func TestSavedQueries(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "logs-metric-filters", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	r := rendertest.MustRender(t, strings.ReplaceAll(string(b), "logs-metric-filters", "demo"))
	qs := r.Of("AWS::Logs::QueryDefinition")
	want := []string{"ApiErrorsQuery", "ApiRequestLatencySlowestQuery", "ApiSlowestRequestsQuery", "WebErrorsQuery"}
	var got []string
	for id := range qs {
		got = append(got, id)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("queries %v, want %v", got, want)
	}
	command := regexp.MustCompile(`^(fields|filter|sort|limit|stats|parse|display) `)
	for id, q := range qs {
		s, _ := q.Properties["QueryString"].(string)
		for _, c := range strings.Split(s, "\n") {
			if !command.MatchString(strings.TrimPrefix(c, "| ")) {
				t.Errorf("%s: %q is not a Logs Insights command", id, c)
			}
		}
		groups, _ := q.Properties["LogGroupNames"].([]any)
		if len(groups) != 1 || rendertest.Dig(groups[0], "Ref") != id[:3]+"LogGroup" {
			t.Errorf("%s: log groups %v", id, groups)
		}
	}
	slow, _ := qs["ApiSlowestRequestsQuery"].Properties["QueryString"].(string)
	for _, f := range []string{"duration_ms", "method", "path", "response_code", "upstream_host"} {
		if !strings.Contains(slow, f) {
			t.Errorf("slowest-requests query does not read %s", f)
		}
	}
	// The Envoy access log format is in the sidecar's bootstrap, an SSM
	// parameter or an environment value of the task: the fields the query
	// reads must be keys of it.
	var bootstrap string
	for _, res := range r.Resources {
		if s := fmt.Sprint(res.Properties); strings.Contains(s, "json_format") {
			bootstrap = s
		}
	}
	if bootstrap == "" {
		t.Fatal("no Envoy bootstrap with json_format in the template")
	}
	for _, f := range []string{"duration_ms", "method", "path", "response_code", "upstream_host"} {
		if !strings.Contains(bootstrap, f) {
			t.Errorf("the Envoy access log has no field %s", f)
		}
	}
}
