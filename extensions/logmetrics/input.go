// Package logmetrics reads x-logging.MetricFilters and x-logging.SavedQueries
// of a service: CloudWatch Logs metric filters on the family's log group
// (log lines become metrics that x-alarms and x-dashboards use by name) and
// saved Logs Insights queries for the family. compose-x has neither; they
// live under x-logging because both read the family's log group.
package logmetrics

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/composex/composex/render"
)

const key = "x-logging"

// Filter is one entry of x-logging.MetricFilters.
type Filter struct {
	MetricName   string            `json:"MetricName"`
	Pattern      string            `json:"Pattern"`
	Namespace    string            `json:"Namespace,omitempty"`
	Value        *string           `json:"Value,omitempty"`
	DefaultValue *float64          `json:"DefaultValue,omitempty"`
	Dimensions   map[string]string `json:"Dimensions,omitempty"`
	Unit         string            `json:"Unit,omitempty"`

	// Set by read: the service it is written under and its key path.
	Service string `json:"-"`
	Path    string `json:"-"`
}

// Pattern kinds of the CloudWatch Logs filter syntax.
const (
	kindTerms  = "terms"  // ERROR, "two words", ?A ?B, -NOT, %regex%
	kindJSON   = "json"   // { $.level = "error" && $.latency > 100 }
	kindSpaced = "spaced" // [ip, user, ..., status = 5*, latency]
)

// units are the units CloudWatch accepts for a metric.
var units = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
	"Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
	"Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
	"Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"}

var (
	// A JSON selector: $. then a property path ($.a.b, $.list[0].c).
	reJSONSelector = regexp.MustCompile(`^\$\.[A-Za-z0-9_@-]+(\[[0-9]+\])?(\.[A-Za-z0-9_@-]+(\[[0-9]+\])?)*$`)
	// A space-delimited field selector: $ then a field name of the pattern.
	reSpacedSelector = regexp.MustCompile(`^\$[A-Za-z_][A-Za-z0-9_]*$`)
	// Compiled at first use: a counted repetition of hundreds compiles to a
	// program that large, which every process used to build at start.
	reMetricName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[^:*$]{1,255}$`) })
	reFieldName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`)
)

// DefaultNamespace is the namespace of a filter that names none.
func DefaultNamespace(project string) string { return "LogMetrics/" + project }

// config is every service's input, by service name.
type config struct {
	filters map[string][]*Filter
	queries map[string]bool
}

// read decodes and checks x-logging.MetricFilters and SavedQueries of every
// service; the rest of x-logging is the core's.
func read(in *render.Input, ds *render.Diagnostics) *config {
	c := &config{filters: map[string][]*Filter{}, queries: map[string]bool{}}
	seen := map[string]string{} // namespace/metric -> path of its first filter
	for _, name := range slices.Sorted(maps.Keys(in.Project.Services)) {
		raw, _ := in.Project.Services[name].Extensions[key].(map[string]any)
		if raw == nil {
			continue
		}
		if q, ok := raw["SavedQueries"].(bool); ok {
			c.queries[name] = q
		}
		mf, ok := raw["MetricFilters"]
		if !ok || mf == nil {
			continue
		}
		path := render.ServicePath(name, key, "MetricFilters")
		var fs []*Filter
		if err := render.DecodeExtension(mf, &fs); err != nil {
			ds.Errorf(name, path, "%v", err)
			continue
		}
		for i, f := range fs {
			f.Service, f.Path = name, fmt.Sprintf("%s.%d", path, i)
			if f.Namespace == "" {
				f.Namespace = DefaultNamespace(in.Project.Name)
			}
			if f.Value == nil {
				one := "1"
				f.Value = &one
			}
			if !check(f, ds) {
				continue
			}
			id := f.Namespace + "/" + f.MetricName
			if first, dup := seen[id]; dup {
				ds.Errorf(name, f.Path+".MetricName", "metric %s in namespace %s is already published by %s; give this filter another MetricName or Namespace", f.MetricName, f.Namespace, first)
				continue
			}
			seen[id] = f.Path
			c.filters[name] = append(c.filters[name], f)
		}
	}
	return c
}

// check applies the CloudWatch Logs rules for a metric filter that the
// service would otherwise only apply at deploy time (PutMetricFilter), or
// never: a selector the pattern cannot fill publishes nothing.
func check(f *Filter, ds *render.Diagnostics) bool {
	n := len(*ds)
	if !reMetricName().MatchString(f.MetricName) {
		ds.Errorf(f.Service, f.Path+"."+"MetricName", "%q is not a metric name: 1 to 255 characters, none of : * $", f.MetricName)
	}
	if !reMetricName().MatchString(f.Namespace) {
		ds.Errorf(f.Service, f.Path+"."+"Namespace", "%q is not a namespace: 1 to 255 characters, none of : * $", f.Namespace)
	} else if strings.HasPrefix(f.Namespace, "AWS/") {
		ds.Errorf(f.Service, f.Path+"."+"Namespace", "%q: namespaces starting with AWS/ are reserved for AWS services; use your own (default %s)", f.Namespace, "LogMetrics/<project>")
	}
	pattern := strings.TrimSpace(f.Pattern)
	if pattern == "" || len(f.Pattern) > 1024 {
		ds.Errorf(f.Service, f.Path+"."+"Pattern", "a filter pattern is 1 to 1024 characters")
	}
	kind, fields, err := patternKind(pattern)
	if err != "" {
		ds.Errorf(f.Service, f.Path+"."+"Pattern", "%s", err)
	}
	if len(*f.Value) > 100 {
		ds.Errorf(f.Service, f.Path+"."+"Value", "at most 100 characters")
	} else if _, num := strconv.ParseFloat(*f.Value, 64); num != nil {
		if msg := selectorProblem(*f.Value, kind, fields); msg != "" {
			ds.Errorf(f.Service, f.Path+"."+"Value", "%s", msg)
		}
	}
	if len(f.Dimensions) > 3 {
		ds.Errorf(f.Service, f.Path+"."+"Dimensions", "%d dimensions; a metric filter has at most 3", len(f.Dimensions))
	}
	if len(f.Dimensions) > 0 && f.DefaultValue != nil {
		ds.Errorf(f.Service, f.Path+"."+"DefaultValue", "CloudWatch Logs refuses a DefaultValue on a filter with Dimensions (a line that does not match has no dimension values); drop one of them")
	}
	for _, d := range slices.Sorted(maps.Keys(f.Dimensions)) {
		if !reMetricName().MatchString(d) {
			ds.Errorf(f.Service, f.Path+".Dimensions."+render.Key(d), "%q is not a dimension name: 1 to 255 characters, none of : * $", d)
		}
		if msg := selectorProblem(f.Dimensions[d], kind, fields); msg != "" {
			ds.Errorf(f.Service, f.Path+".Dimensions."+render.Key(d), "%s", msg)
		}
	}
	if f.Unit != "" && !slices.Contains(units, f.Unit) {
		ds.Errorf(f.Service, f.Path+"."+"Unit", "%q is not a CloudWatch unit; allowed: %s", f.Unit, strings.Join(units, ", "))
	}
	return len(*ds) == n
}

// patternKind says which of the three filter syntaxes a pattern is written
// in, and for a space-delimited one the names of its fields.
func patternKind(p string) (kind string, fields []string, problem string) {
	switch {
	case strings.HasPrefix(p, "{"):
		if !strings.HasSuffix(p, "}") {
			return kindJSON, nil, "a JSON filter pattern is one { ... } expression; the closing } is missing"
		}
		inner := strings.TrimSpace(p[1 : len(p)-1])
		if !strings.Contains(inner, "$.") && inner != "$" && !strings.HasPrefix(inner, "$") {
			return kindJSON, nil, "a JSON filter pattern compares selectors such as $.level = \"error\"; this one has none"
		}
		return kindJSON, nil, ""
	case strings.HasPrefix(p, "["):
		if !strings.HasSuffix(p, "]") {
			return kindSpaced, nil, "a space-delimited filter pattern is one [ ... ] list; the closing ] is missing"
		}
		for _, part := range strings.Split(p[1:len(p)-1], ",") {
			part = strings.TrimSpace(part)
			if part == "..." || part == "" {
				continue
			}
			if name := reFieldName.FindString(part); name != "" {
				fields = append(fields, name)
			}
		}
		return kindSpaced, fields, ""
	}
	return kindTerms, nil, ""
}

// selectorProblem checks a Value or a dimension against the pattern: a
// selector reads a field that only a JSON or space-delimited pattern has.
func selectorProblem(sel, kind string, fields []string) string {
	switch {
	case sel == "":
		return "is empty: compose replaced $name by the value of a variable; write $$name in the compose file for a field of the pattern"
	case kind == kindTerms:
		return fmt.Sprintf("%q reads a field, but the pattern matches terms: only a JSON pattern ({ $.field ... }) or a space-delimited one ([a, b, ...]) has fields; give a number, or write the pattern with fields", sel)
	case kind == kindJSON && !reJSONSelector.MatchString(sel):
		return fmt.Sprintf("%q is not a JSON selector; with a JSON pattern write $.field (or $.a.b)", sel)
	case kind == kindSpaced && !reSpacedSelector.MatchString(sel):
		return fmt.Sprintf("%q is not a field of a space-delimited pattern; write $name, name one of %s", sel, strings.Join(fields, ", "))
	case kind == kindSpaced && !slices.Contains(fields, sel[1:]):
		return fmt.Sprintf("%q names no field of the pattern; its fields are %s", sel, strings.Join(fields, ", "))
	}
	return ""
}
