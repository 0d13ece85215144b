// Package dashboards reads x-dashboards (compose-x's syntax) and creates one
// AWS::CloudWatch::Dashboard per entry, with predefined widgets for each
// service it names. Every widget is built from what the stack itself
// creates (the ECS services, the scaling policies, the alarms, the load
// balancers' target groups, the log metric filters, the CloudWatch agent's
// EMF rules, the log groups), so each graph shows a metric the stack
// produces, under the names the deployed resources get.
package dashboards

import (
	"maps"
	"regexp"
	"slices"
	"sync"

	"github.com/composex/composex/render"
)

const key = "x-dashboards"

// Dashboard is one entry of x-dashboards.
type Dashboard struct {
	Type     string                 `json:"Type,omitempty"`
	Settings *Settings              `json:"Settings,omitempty"`
	Services map[string]*MetricsDef `json:"Services,omitempty"`
	// Resources names compose-x modules' resources (x-rds::name, ...),
	// which composex does not create: reported and skipped.
	Resources map[string]*MetricsDef `json:"Resources,omitempty"`
}

// Settings of a dashboard.
type Settings struct {
	// Start is the time range the dashboard opens on: -PT12H by default.
	Start string `json:"start,omitempty"`
}

// MetricsDef says what a dashboard shows of one service.
type MetricsDef struct {
	// UsePredefinedMetrics (default true) shows the predefined widgets.
	UsePredefinedMetrics *bool `json:"UsePredefinedMetrics,omitempty"`
	// Metrics names the service's log metric filter metrics to graph
	// (x-logging.MetricFilters MetricName); empty: all of them.
	Metrics []string `json:"Metrics,omitempty"`
}

// DefaultStart is compose-x's default time range.
const DefaultStart = "-PT12H"

var (
	// Compiled at first use: a counted repetition of hundreds compiles to a
	// program that large, which every process used to build at start.
	reName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`) })
	// A relative start, an ISO 8601 duration before now.
	reStart = regexp.MustCompile(`^-P(?:[0-9]+[YMWD])*(?:T(?:[0-9]+[HMS])+)?$`)
)

// read decodes x-dashboards and checks what needs no families.
func read(in *render.Input, ds *render.Diagnostics) map[string]*Dashboard {
	raw, ok := in.Project.Extensions[key]
	if !ok || raw == nil {
		return nil
	}
	var all map[string]*Dashboard
	if err := render.DecodeExtension(raw, &all); err != nil {
		ds.Errorf("", key, "%v", err)
		return nil
	}
	out := map[string]*Dashboard{}
	for _, name := range slices.Sorted(maps.Keys(all)) {
		d := all[name]
		path := key + "." + render.Key(name)
		bad := false
		if !reName().MatchString(name) {
			ds.Errorf("", path, "%q cannot name a dashboard: 1 to 100 letters, digits, - and _ (the dashboard is named <stack>-%s)", name, name)
			bad = true
		}
		if d == nil {
			d = &Dashboard{}
		}
		if d.Type != "" && d.Type != "cloudwatch" {
			ds.Errorf("", path+".Type", "%q is not a dashboard type; allowed: cloudwatch", d.Type)
			bad = true
		}
		if d.Settings != nil && d.Settings.Start != "" && (!reStart.MatchString(d.Settings.Start) || d.Settings.Start == "-P") {
			ds.Errorf("", path+".Settings.start", "%q is not a time range; give an ISO 8601 duration before now, e.g. -PT3H or -P7D", d.Settings.Start)
			bad = true
		}
		if len(d.Services) == 0 {
			ds.Warnf("", path+".Services", "the dashboard names no service; it is created empty")
		}
		for _, r := range slices.Sorted(maps.Keys(d.Resources)) {
			ds.Warnf("", path+".Resources."+render.Key(r), "composex does not create compose-x modules' resources, so the dashboard has no widget for %s", r)
		}
		for _, s := range slices.Sorted(maps.Keys(d.Services)) {
			md := d.Services[s]
			if md != nil && md.UsePredefinedMetrics != nil && !*md.UsePredefinedMetrics && len(md.Metrics) == 0 {
				ds.Warnf("", path+".Services."+render.Key(s), "UsePredefinedMetrics is false and no Metrics are named: the dashboard shows nothing of %s", s)
			}
		}
		if !bad {
			out[name] = d
		}
	}
	return out
}
