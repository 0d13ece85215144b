package dashboards

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/applicationautoscaling"
	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"
	"github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
	"github.com/awslabs/goformation/v7/cloudformation/logs"

	"github.com/composex/composex/extensions/logmetrics"
	"github.com/composex/composex/render"
)

// Extension implements render.Extension for x-dashboards. It runs after
// every extension whose resources its widgets show.
type Extension struct{}

func (Extension) Name() string          { return key }
func (Extension) ServiceKeys() []string { return nil }
func (Extension) ProjectKeys() []string { return []string{key} }

// Validate checks x-dashboards on its own; the services it names are
// resolved in Extend, once the families exist.
func (Extension) Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	read(in, &ds)
	return ds
}

// Namespaces and metrics the predefined widgets read, as CloudWatch
// documents them: AWS/ECS service utilisation and Container Insights task
// counts (dimensions ClusterName, ServiceName), the load balancers' metrics
// (LoadBalancer, TargetGroup: the resources' full names), and the
// namespace of the CloudWatch agent's EMF processor (extensions/cwagent).
const (
	NamespaceECS        = "AWS/ECS"
	NamespaceInsights   = "ECS/ContainerInsights"
	NamespaceALB        = "AWS/ApplicationELB"
	NamespaceNLB        = "AWS/NetworkELB"
	NamespacePrometheus = "ECS/ContainerInsights/Prometheus"
)

// Extend adds the dashboards and their URLs as stack outputs.
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds, discard render.Diagnostics
	all := read(in, &discard)
	for _, name := range slices.Sorted(maps.Keys(all)) {
		d := all[name]
		path := key + "." + render.Key(name)
		b := &builder{m: m, vars: map[string]any{}}
		insights := false
		for _, s := range slices.Sorted(maps.Keys(d.Services)) {
			f := oneFamily(m, s, path+".Services."+render.Key(s), &ds)
			if f == nil {
				continue
			}
			md := d.Services[s]
			if md == nil {
				md = &MetricsDef{}
			}
			if !b.checkMetrics(f, md, path+".Services."+render.Key(s), &ds) {
				continue
			}
			predefined := md.UsePredefinedMetrics == nil || *md.UsePredefinedMetrics
			insights = insights || predefined
			b.family(f, md, predefined)
		}
		if insights && m.ClusterName != "" {
			ds.Warnf("", path, "the task-count widgets read Container Insights (ECS/ContainerInsights), which cluster %s publishes only with Container Insights on: aws ecs update-cluster-settings --cluster %s --settings name=containerInsights,value=enabled", m.ClusterName, m.ClusterName)
		}
		start := DefaultStart
		if d.Settings != nil && d.Settings.Start != "" {
			start = d.Settings.Start
		}
		body, err := b.body(start)
		if err != nil {
			ds.Errorf("", path, "%v", err)
			continue
		}
		id := ID(name)
		if err := m.AddResource(id, &cloudwatch.Dashboard{
			DashboardName: cloudformation.String(cloudformation.Sub("${AWS::StackName}-" + name)),
			DashboardBody: body,
		}); err != nil {
			ds.Errorf("", path, "%v", err)
			continue
		}
		m.Outputs[id+"Url"] = cloudformation.Output{
			Description: cloudformation.String("CloudWatch dashboard " + name),
			Value:       cloudformation.Sub("https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=${AWS::Region}#dashboards/dashboard/${" + id + "}"),
		}
	}
	return ds
}

// ID is the logical ID of a dashboard.
func ID(name string) string { return render.LogicalName(name) + "Dashboard" }

// oneFamily resolves a Services key: a task family (compose-x names
// families) or a compose service that runs in one family.
func oneFamily(m *render.Model, name, path string, ds *render.Diagnostics) *render.Family {
	if f := m.Family(name); f != nil {
		return f
	}
	fs := m.FamiliesOf(name)
	switch len(fs) {
	case 0:
		var names []string
		for _, f := range m.Families {
			names = append(names, f.Name)
		}
		ds.Errorf("", path, "%q is neither a task family nor a service of this project; families: %s", name, strings.Join(names, ", "))
		return nil
	case 1:
		return fs[0]
	}
	ds.Errorf("", path, "service %s runs in several task families; name the family", name)
	return nil
}

// filters returns the family's metric filters by logical ID, sorted.
func filters(f *render.Family) []string {
	var ids []string
	for id, r := range f.Resources {
		if _, ok := r.(*logs.MetricFilter); ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// checkMetrics checks that Metrics names the family's filter metrics.
func (b *builder) checkMetrics(f *render.Family, md *MetricsDef, path string, ds *render.Diagnostics) bool {
	var have []string
	for _, id := range filters(f) {
		have = append(have, f.Resources[id].(*logs.MetricFilter).MetricTransformations[0].MetricName)
	}
	ok := true
	for i, n := range md.Metrics {
		if !slices.Contains(have, n) {
			ok = false
			if len(have) == 0 {
				ds.Errorf("", fmt.Sprintf("%s.Metrics.%d", path, i), "%q: family %s has no log metric filter (x-logging.MetricFilters) to graph", n, f.Name)
			} else {
				ds.Errorf("", fmt.Sprintf("%s.Metrics.%d", path, i), "%q is not a metric of family %s's log metric filters; its metrics: %s", n, f.Name, strings.Join(have, ", "))
			}
		}
	}
	return ok
}

// builder lays the widgets out on CloudWatch's 24-column grid and keeps
// the Fn::Sub variables the body needs.
type builder struct {
	m       *render.Model
	vars    map[string]any
	widgets []map[string]any
	x, y, h int // cursor and the height of the current row
}

// place puts a widget of width w and height h at the cursor.
func (b *builder) place(typ string, w, h int, props map[string]any) {
	if b.x+w > 24 {
		b.newRow()
	}
	b.widgets = append(b.widgets, map[string]any{"type": typ, "x": b.x, "y": b.y, "width": w, "height": h, "properties": props})
	b.x += w
	b.h = max(b.h, h)
}

func (b *builder) newRow() {
	if b.x > 0 {
		b.y += b.h
	}
	b.x, b.h = 0, 0
}

// body is the dashboard's JSON, in Fn::Sub with the variables it uses.
func (b *builder) body(start string) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if b.widgets == nil {
		b.widgets = []map[string]any{}
	}
	if err := enc.Encode(map[string]any{"start": lit(start), "periodOverride": "inherit", "widgets": b.widgets}); err != nil {
		return "", err
	}
	s := asciiJSON(strings.TrimSpace(buf.String()))
	if len(b.vars) == 0 {
		return cloudformation.Sub(s), nil
	}
	return cloudformation.SubVars(s, b.vars), nil
}

// asciiJSON escapes every non-ASCII character of a JSON text as \uXXXX,
// so that the text survives any quoting on its way into the template.
func asciiJSON(s string) string {
	var out strings.Builder
	for _, r := range s {
		if r < 0x7f {
			out.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&out, `\u%04x`, u)
		}
	}
	return out.String()
}

// lit is user or literal text inside the body's Fn::Sub: ${ is escaped.
func lit(s string) string { return render.EscapeSub(s) }

// value turns a model value (literal text or a goformation intrinsic) into
// Fn::Sub text: Ref and GetAtt become ${X} and ${X.Attr}, the cluster
// becomes ${EcsClusterName}, any other intrinsic a variable of its own.
func (b *builder) value(v string) string {
	if v == render.ClusterRef() {
		b.vars[render.ClusterNameVar] = render.ClusterRef()
		return "${" + render.ClusterNameVar + "}"
	}
	fn, ok := intrinsic(v)
	if !ok {
		return lit(v)
	}
	if r, ok := fn["Ref"].(string); ok {
		return "${" + r + "}"
	}
	if ga, ok := fn["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
		return fmt.Sprintf("${%v.%v}", ga[0], ga[1])
	}
	name := fmt.Sprintf("Value%d", len(b.vars)+1)
	b.vars[name] = v
	return "${" + name + "}"
}

func (b *builder) cluster() string { return b.value(render.ClusterRef()) }

// intrinsic decodes a goformation intrinsic (base64 of its JSON).
func intrinsic(s string) (map[string]any, bool) {
	if !strings.HasPrefix(s, "eyAi") && !strings.HasPrefix(s, "eyJ") {
		return nil, false
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || len(m) != 1 {
		return nil, false
	}
	return m, true
}

// family adds one family's widgets, starting on a new row under a title.
func (b *builder) family(f *render.Family, md *MetricsDef, predefined bool) {
	b.newRow()
	b.place("text", 24, 1, map[string]any{"markdown": lit("## " + markdownText(f.Name) + " (ECS service)")})
	b.newRow()
	service := b.value(cloudformation.GetAtt(f.ServiceID(), "Name"))
	svcDims := []string{"ClusterName", b.cluster(), "ServiceName", service}
	if predefined {
		for _, u := range []struct{ metric, policy, title string }{
			{"CPUUtilization", "ECSServiceAverageCPUUtilization", "CPU utilisation (%)"},
			{"MemoryUtilization", "ECSServiceAverageMemoryUtilization", "Memory utilisation (%)"},
		} {
			ann := b.scalingTargets(f, u.policy)
			ann = append(ann, b.thresholds(f, NamespaceECS, u.metric, f.ServiceID())...)
			b.metricWidget(u.title, 8, []any{
				metric(NamespaceECS, u.metric, svcDims, map[string]any{"stat": "Average", "label": "average"}),
				metric(NamespaceECS, u.metric, svcDims, map[string]any{"stat": "Maximum", "label": "maximum"}),
			}, ann, map[string]any{"left": map[string]any{"min": 0, "max": 100}})
		}
		var ann []any
		if s := f.Scaling; s != nil {
			ann = append(ann, map[string]any{"label": "scaling minimum", "value": s.Min}, map[string]any{"label": "scaling maximum", "value": s.Max})
		}
		ann = append(ann, b.thresholds(f, NamespaceInsights, "RunningTaskCount", f.ServiceID())...)
		var ms []any
		for _, n := range []string{"RunningTaskCount", "DesiredTaskCount", "PendingTaskCount"} {
			ms = append(ms, metric(NamespaceInsights, n, svcDims, map[string]any{"stat": "Average", "label": strings.TrimSuffix(n, "TaskCount")}))
		}
		b.metricWidget("Tasks (Container Insights)", 8, ms, ann, map[string]any{"left": map[string]any{"min": 0}})
		b.loadBalancers(f)
	}
	b.logMetrics(f, md)
	if predefined {
		b.prometheus(f)
		b.alarms(f)
		b.newRow()
		b.place("log", 24, 6, map[string]any{
			"title":  lit(f.Name + ": error lines"),
			"region": "${AWS::Region}",
			"view":   "table",
			"query":  "SOURCE '" + b.value(cloudformation.Ref(f.LogGroupID())) + "' | " + strings.ReplaceAll(logmetrics.ErrorsQuery, "\n", " "),
		})
	}
}

// markdownText keeps a name from being read as markdown.
func markdownText(s string) string {
	return strings.NewReplacer("\\", "\\\\", "*", "\\*", "_", "\\_", "`", "\\`", "[", "\\[", "]", "\\]", "#", "\\#", "<", "&lt;").Replace(s)
}

// metric is one entry of a metric widget's metrics array: namespace,
// metric name, dimension name/value pairs, then the rendering options.
func metric(ns, name string, dims []string, opts map[string]any) []any {
	out := []any{lit(ns), lit(name)}
	for _, d := range dims {
		out = append(out, d)
	}
	return append(out, opts)
}

func (b *builder) metricWidget(title string, w int, metrics, annotations []any, yAxis map[string]any) {
	props := map[string]any{
		"title":   lit(title),
		"region":  "${AWS::Region}",
		"view":    "timeSeries",
		"stacked": false,
		"period":  60,
		"metrics": metrics,
	}
	if len(annotations) > 0 {
		props["annotations"] = map[string]any{"horizontal": annotations}
	}
	if yAxis != nil {
		props["yAxis"] = yAxis
	}
	b.place("metric", w, 6, props)
}

// scalingTargets are the target values of the family's target tracking
// policies on a predefined metric.
func (b *builder) scalingTargets(f *render.Family, policyMetric string) []any {
	var out []any
	for _, id := range slices.Sorted(maps.Keys(f.Resources)) {
		p, ok := f.Resources[id].(*applicationautoscaling.ScalingPolicy)
		if !ok || p.TargetTrackingScalingPolicyConfiguration == nil {
			continue
		}
		tt := p.TargetTrackingScalingPolicyConfiguration
		if tt.PredefinedMetricSpecification != nil && tt.PredefinedMetricSpecification.PredefinedMetricType == policyMetric {
			out = append(out, map[string]any{"label": "scaling target", "value": tt.TargetValue, "color": "#2ca02c"})
		}
	}
	return out
}

// alarmsOf are the stack's metric alarms, family and project ones, sorted
// by logical ID.
func (b *builder) alarmsOf(f *render.Family) []string {
	var ids []string
	for id, r := range f.Resources {
		if _, ok := r.(*cloudwatch.Alarm); ok {
			ids = append(ids, id)
		}
	}
	for id, r := range b.m.Resources {
		if _, ok := r.(*cloudwatch.Alarm); ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func (b *builder) alarm(f *render.Family, id string) *cloudwatch.Alarm {
	if r, ok := f.Resources[id].(*cloudwatch.Alarm); ok {
		return r
	}
	r, _ := b.m.Resources[id].(*cloudwatch.Alarm)
	return r
}

// thresholds are the thresholds of the alarms on one metric of the
// family's ECS service (ServiceName) or of another of its resources.
func (b *builder) thresholds(f *render.Family, ns, name, resource string) []any {
	var out []any
	for _, id := range b.alarmsOf(f) {
		a := b.alarm(f, id)
		if a.Threshold == nil || a.Namespace == nil || *a.Namespace != ns || a.MetricName == nil || *a.MetricName != name || !mentions(a, resource) {
			continue
		}
		out = append(out, map[string]any{"label": lit("alarm " + id), "value": *a.Threshold, "color": "#d62728"})
	}
	return out
}

// mentions reports whether an alarm's dimensions name a resource of the
// stack (a Ref or GetAtt of that logical ID).
func mentions(a *cloudwatch.Alarm, id string) bool {
	for _, d := range a.Dimensions {
		if refersTo(d.Value, id) {
			return true
		}
	}
	return false
}

func refersTo(v, id string) bool {
	fn, ok := intrinsic(v)
	if !ok {
		return false
	}
	if r, ok := fn["Ref"].(string); ok {
		return r == id
	}
	if ga, ok := fn["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
		return ga[0] == id
	}
	return false
}

// loadBalancers adds, per target group of the family, the load balancer's
// view of the service: requests and 5xx, and latency (ALB); healthy and
// unhealthy targets (NLB).
func (b *builder) loadBalancers(f *render.Family) {
	seen := map[string]bool{}
	for _, t := range f.LoadBalancerTargets {
		if seen[t.TargetGroup] || t.TargetGroup == "" || t.LoadBalancer == "" {
			continue
		}
		seen[t.TargetGroup] = true
		lbType := "application"
		if lb, ok := b.m.Resources[t.LoadBalancer].(*elasticloadbalancingv2.LoadBalancer); ok && lb.Type != nil {
			lbType = *lb.Type
		}
		lbName := b.value(cloudformation.GetAtt(t.LoadBalancer, "LoadBalancerFullName"))
		tgName := b.value(cloudformation.GetAtt(t.TargetGroup, "TargetGroupFullName"))
		dims := []string{"LoadBalancer", lbName, "TargetGroup", tgName}
		where := fmt.Sprintf("%s:%d", t.Container, t.ContainerPort)
		if lbType == "network" {
			b.metricWidget("Load balancer targets "+where, 8, []any{
				metric(NamespaceNLB, "HealthyHostCount", dims, map[string]any{"stat": "Minimum", "label": "healthy"}),
				metric(NamespaceNLB, "UnHealthyHostCount", dims, map[string]any{"stat": "Maximum", "label": "unhealthy"}),
			}, b.thresholds(f, NamespaceNLB, "HealthyHostCount", t.TargetGroup), map[string]any{"left": map[string]any{"min": 0}})
			continue
		}
		ann := b.thresholds(f, NamespaceALB, "RequestCount", t.TargetGroup)
		ann = append(ann, b.thresholds(f, NamespaceALB, "HTTPCode_Target_5XX_Count", t.TargetGroup)...)
		b.metricWidget("Requests and 5xx "+where, 8, []any{
			metric(NamespaceALB, "RequestCount", dims, map[string]any{"stat": "Sum", "label": "requests"}),
			metric(NamespaceALB, "HTTPCode_Target_5XX_Count", dims, map[string]any{"stat": "Sum", "label": "target 5xx", "yAxis": "right"}),
			metric(NamespaceALB, "HTTPCode_ELB_5XX_Count", []string{"LoadBalancer", lbName}, map[string]any{"stat": "Sum", "label": "load balancer 5xx (all targets)", "yAxis": "right"}),
		}, ann, nil)
		b.metricWidget("Latency "+where+" (s)", 8, []any{
			metric(NamespaceALB, "TargetResponseTime", dims, map[string]any{"stat": "p50", "label": "p50"}),
			metric(NamespaceALB, "TargetResponseTime", dims, map[string]any{"stat": "p99", "label": "p99"}),
		}, b.thresholds(f, NamespaceALB, "TargetResponseTime", t.TargetGroup), map[string]any{"left": map[string]any{"min": 0}})
	}
}

// logMetrics graphs the family's metric filter metrics (those Metrics
// names, or all): a metric with dimensions from log fields has a series
// per value, found by a search on its exact dimension set.
func (b *builder) logMetrics(f *render.Family, md *MetricsDef) {
	for _, id := range filters(f) {
		tr := f.Resources[id].(*logs.MetricFilter).MetricTransformations[0]
		if len(md.Metrics) > 0 && !slices.Contains(md.Metrics, tr.MetricName) {
			continue
		}
		stat := "Average"
		if _, err := strconv.ParseFloat(tr.MetricValue, 64); err == nil {
			stat = "Sum" // a count: each matching line adds a number
		}
		var ms []any
		if len(tr.Dimensions) == 0 {
			ms = []any{metric(tr.MetricNamespace, tr.MetricName, nil, map[string]any{"stat": stat})}
			if stat == "Average" {
				ms = append(ms, metric(tr.MetricNamespace, tr.MetricName, nil, map[string]any{"stat": "p99", "label": "p99"}))
			}
		} else {
			schema := []string{quote(tr.MetricNamespace)}
			for _, d := range tr.Dimensions {
				schema = append(schema, quote(d.Key))
			}
			ms = []any{[]any{map[string]any{"id": "e1", "expression": lit(fmt.Sprintf("SEARCH('{%s} MetricName=%s', '%s', 60)", strings.Join(schema, ","), quote(tr.MetricName), stat))}}}
		}
		var ann []any
		for _, aid := range b.alarmsOf(f) {
			a := b.alarm(f, aid)
			if a.Threshold != nil && a.Namespace != nil && *a.Namespace == tr.MetricNamespace && a.MetricName != nil && *a.MetricName == tr.MetricName {
				ann = append(ann, map[string]any{"label": lit("alarm " + aid), "value": *a.Threshold, "color": "#d62728"})
			}
		}
		title := tr.MetricName + " (log metric, " + strings.ToLower(stat) + ")"
		if tr.Unit != nil {
			title = tr.MetricName + " (log metric, " + strings.ToLower(stat) + ", " + *tr.Unit + ")"
		}
		b.metricWidget(title, 8, ms, ann, nil)
	}
}

// quote writes a name as a double-quoted term of a search expression.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `'`, `\'`).Replace(s) + `"`
}

// prometheus graphs what the CloudWatch agent's EMF rules publish for the
// family: one widget per dimension set, a search on that exact set with
// the values the agent gives the family's metrics (ClusterName,
// TaskDefinitionFamily), narrowed to the metric names when the rules'
// selectors name them literally.
func (b *builder) prometheus(f *render.Family) {
	a := f.CloudWatchAgent
	if a == nil || a.Prometheus == nil {
		return
	}
	type set struct {
		dims  []string
		names []string
		any   bool // a selector that is a pattern, not a name
		sels  []string
	}
	var order []string
	sets := map[string]*set{}
	for _, r := range a.Prometheus.Rules {
		for _, d := range r.Dimensions {
			k := strings.Join(d, "\x00")
			s := sets[k]
			if s == nil {
				s = &set{dims: d}
				sets[k] = s
				order = append(order, k)
			}
			for _, sel := range r.MetricSelectors {
				s.sels = append(s.sels, sel)
				if n, ok := literalName(sel); ok {
					s.names = append(s.names, n)
				} else {
					s.any = true
				}
			}
		}
	}
	for _, k := range order {
		s := sets[k]
		schema := []string{quote(NamespacePrometheus)}
		var terms []string
		for _, d := range s.dims {
			schema = append(schema, quote(d))
			switch d {
			case "ClusterName":
				terms = append(terms, "ClusterName="+`"`+b.cluster()+`"`)
			case "TaskDefinitionFamily":
				terms = append(terms, "TaskDefinitionFamily="+`"${AWS::StackName}-`+render.ResourceName(f.Name)+`"`)
			}
		}
		if !s.any && len(s.names) > 0 {
			var ors []string
			for _, n := range slices.Compact(slices.Sorted(slices.Values(s.names))) {
				ors = append(ors, "MetricName="+lit(quote(n)))
			}
			terms = append(terms, "("+strings.Join(ors, " OR ")+")")
		}
		expr := fmt.Sprintf("SEARCH('{%s} %s', 'Average', 60)", strings.Join(schema, ","), strings.Join(terms, " "))
		title := "Prometheus by " + strings.Join(s.dims, ", ")
		b.metricWidget(title, 8, []any{[]any{map[string]any{"id": "e1", "expression": expr}}}, nil, nil)
	}
}

// literalName returns the metric name a selector ^name$ matches exactly.
func literalName(sel string) (string, bool) {
	if !strings.HasPrefix(sel, "^") || !strings.HasSuffix(sel, "$") {
		return "", false
	}
	n := sel[1 : len(sel)-1]
	if n == "" || strings.ContainsAny(n, `\.+*?()|[]{}^$`) {
		return "", false
	}
	return n, true
}

// alarms shows the state of the family's alarms: its own (predefined,
// composite) and the project's alarms on its service, its target groups
// or its log metrics.
func (b *builder) alarms(f *render.Family) {
	metrics := map[string]bool{}
	for _, id := range filters(f) {
		tr := f.Resources[id].(*logs.MetricFilter).MetricTransformations[0]
		metrics[tr.MetricNamespace+"\x00"+tr.MetricName] = true
	}
	tgs := map[string]bool{f.ServiceID(): true}
	for _, t := range f.LoadBalancerTargets {
		tgs[t.TargetGroup] = true
	}
	var arns []any
	ids := map[string]bool{}
	for id, r := range f.Resources {
		switch r.(type) {
		case *cloudwatch.Alarm, *cloudwatch.CompositeAlarm:
			ids[id] = true
		}
	}
	for id, r := range b.m.Resources {
		a, ok := r.(*cloudwatch.Alarm)
		if !ok {
			continue
		}
		if a.Namespace != nil && a.MetricName != nil && metrics[*a.Namespace+"\x00"+*a.MetricName] {
			ids[id] = true
		}
		for res := range tgs {
			if mentions(a, res) {
				ids[id] = true
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		arns = append(arns, "${"+id+".Arn}")
	}
	if len(arns) == 0 {
		return
	}
	if len(arns) > 100 { // an alarm status widget shows at most 100 alarms
		arns = arns[:100]
	}
	b.place("alarm", 8, 6, map[string]any{"title": lit(f.Name + ": alarms"), "alarms": arns, "sortBy": "stateUpdatedTimestamp"})
}
