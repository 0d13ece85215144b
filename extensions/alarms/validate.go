package alarms

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

// Predefined alarm names and what they watch.
const (
	HighCpu = "HighCpuUsageAndMaxScaledOut"
	HighRam = "HighRamUsageAndMaxScaledOut"
)

var predefinedNames = []string{HighCpu, HighRam}

var (
	comparisonOperators = []string{"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold",
		"LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"}
	anomalyOperators = []string{"LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"}
	statistics       = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}
	missingData      = []string{"breaching", "notBreaching", "ignore", "missing"}
	notifyOn         = []string{"alarm", "okay", "all"}
	lowSampleCount   = []string{"evaluate", "ignore"}

	reMetricId  = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)
	reAnomalyFn = regexp.MustCompile(`^\s*ANOMALY_DETECTION_BAND\s*\(`)
)

// config is everything x-alarms and x-sns say, decoded and checked.
type config struct {
	sns      map[string]*Sns           // by x-sns name (broken entries left out)
	declared map[string]bool           // every x-sns name written
	services map[string]*ServiceAlarms // by service name
	alarms   map[string]*Alarm         // top-level, by name
	ids      map[string]string         // top-level alarm name -> logical ID
	// composite marks top-level alarms that are composite alarms, with the
	// alarm names their rule refers to.
	composite map[string][]string
}

func oneOf(v string, allowed []string) bool {
	for _, a := range allowed {
		if a == v {
			return true
		}
	}
	return false
}

func list(v []string) string { return strings.Join(v, ", ") }

// read decodes and checks x-sns, the services' x-alarms and the top-level
// x-alarms, reporting every problem.
func read(in *render.Input, ds *render.Diagnostics) *config {
	c := &config{sns: map[string]*Sns{}, declared: map[string]bool{}, services: map[string]*ServiceAlarms{},
		alarms: map[string]*Alarm{}, ids: map[string]string{}, composite: map[string][]string{}}
	readSns(in.Project.Extensions["x-sns"], c, ds)
	names := in.Project.ServiceNames()
	sort.Strings(names)
	for _, n := range names {
		if x := readService(in.Project.Services[n], c, ds); x != nil {
			c.services[n] = x
		}
	}
	readAlarms(in.Project.Extensions["x-alarms"], c, ds)
	return c
}

// entries decodes a top-level mapping into its raw entries.
func entries(key string, raw any, ds *render.Diagnostics) map[string]any {
	if raw == nil {
		return nil
	}
	var m map[string]any
	if err := render.DecodeExtension(raw, &m); err != nil {
		ds.Errorf("", key, "%v; expected a mapping of names to definitions", err)
		return nil
	}
	return m
}

func readSns(raw any, c *config, ds *render.Diagnostics) {
	m := entries("x-sns", raw, ds)
	ids := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		c.declared[name] = true
		path := "x-sns." + render.Key(name)
		var s Sns
		if err := render.DecodeExtension(m[name], &s); err != nil {
			msg := err.Error()
			if strings.Contains(msg, `"Subscriptions"`) {
				msg += " (the AWS::SNS::Topic property is Subscription)"
			}
			ds.Errorf("", path, "%s", msg)
			continue
		}
		for _, svc := range slices.Sorted(maps.Keys(s.Services)) {
			if a := s.Services[svc]; a == nil || a.Access != "Publish" {
				got := ""
				if a != nil {
					got = a.Access
				}
				ds.Errorf("", path+".Services."+render.Key(svc)+".Access", "%q is not an access to an SNS topic; allowed: Publish (sns:Publish on this topic)", got)
			}
		}
		switch {
		case s.Lookup != nil && (s.Properties != nil || s.TopicArn != ""):
			ds.Errorf("", path+".Lookup", "give Lookup (an existing topic, whose ARN becomes the parameter %s), Properties or TopicArn, not several", snsLookupParam(name))
			continue
		case s.Lookup != nil:
		case s.Properties != nil && s.TopicArn != "":
			ds.Errorf("", path, "give Properties (composex creates the topic) or TopicArn (an existing topic), not both")
			continue
		case s.Properties == nil && s.TopicArn == "":
			ds.Errorf("", path, "give Properties (composex creates the topic, Properties: {} for the defaults) or TopicArn (an existing topic)")
			continue
		case s.TopicArn != "" && !reTopicArn().MatchString(s.TopicArn):
			ds.Errorf("", path+".TopicArn", "%q is not an SNS topic ARN (arn:PARTITION:sns:REGION:ACCOUNT:NAME, no * or ?)", s.TopicArn)
			continue
		}
		if s.TopicArn != "" {
			warnTopicRegion("", path+".TopicArn", s.TopicArn, ds)
		}
		if s.Properties != nil {
			id := topicID(name)
			if other, dup := ids[id]; dup {
				ds.Errorf("", path, "x-sns %s and %s would both be the resource %s; rename one", other, name, id)
				continue
			}
			ids[id] = name
		}
		c.sns[name] = &s
	}
}

func readService(s types.ServiceConfig, c *config, ds *render.Diagnostics) *ServiceAlarms {
	raw, ok := s.Extensions[key]
	if !ok {
		return nil
	}
	path := render.ServicePath(s.Name, key)
	var x ServiceAlarms
	if err := render.DecodeExtension(raw, &x); err != nil {
		ds.Errorf(s.Name, path, "%v", err)
		return nil
	}
	if len(x.Predefined) == 0 {
		ds.Errorf(s.Name, path+".Predefined", "name at least one predefined alarm; allowed: %s", list(predefinedNames))
		return nil
	}
	good := map[string]*Predefined{}
	for _, name := range slices.Sorted(maps.Keys(x.Predefined)) {
		p := path + ".Predefined." + render.Key(name)
		if !oneOf(name, predefinedNames) {
			ds.Errorf(s.Name, p, "%q is not a predefined alarm; allowed: %s", name, list(predefinedNames))
			continue
		}
		pre := x.Predefined[name]
		if pre == nil {
			pre = &Predefined{}
		}
		okTopics := checkTopics(s.Name, p+".Topics", pre.Topics, c, ds)
		okSettings := checkSettings(s.Name, p+".Settings", name, pre.Settings, ds)
		if okTopics && okSettings {
			good[name] = pre
		}
	}
	x.Predefined = good
	return &x
}

// checkSettings checks a predefined alarm's Settings.
func checkSettings(service, path, name string, st *Settings, ds *render.Diagnostics) bool {
	if st == nil {
		return true
	}
	n := errCount(*ds)
	own, other := "CPUUtilization", "MemoryUtilization"
	ownV, otherV := st.CPUUtilization, st.MemoryUtilization
	if name == HighRam {
		own, other = other, own
		ownV, otherV = otherV, ownV
	}
	if otherV != nil {
		ds.Errorf(service, path+"."+other, "%s watches %s, not %s", name, own, other)
	}
	if ownV != nil && (*ownV <= 0 || *ownV > 100) {
		ds.Errorf(service, path+"."+own, "%g is out of range: a utilisation threshold is a percentage, above 0 and at most 100", *ownV)
	}
	if st.RunningTaskCount != nil && *st.RunningTaskCount < 1 {
		ds.Errorf(service, path+".RunningTaskCount", "%d: the task count threshold must be at least 1", *st.RunningTaskCount)
	}
	switch {
	case st.Period != nil && *st.Period < 1:
		ds.Errorf(service, path+".Period", "%d: a period is at least 1 second (and a multiple of 60: AWS/ECS publishes one datapoint per minute)", *st.Period)
	case st.Period != nil && *st.Period%60 != 0:
		// A 30 s period on a per-minute metric holds a datapoint every
		// other period only: the alarm flips to INSUFFICIENT_DATA half the
		// time. The next whole minute is what was meant.
		up := (*st.Period/60 + 1) * 60
		ds.Warnf(service, path+".Period", "%d s is not a whole number of minutes and AWS/ECS publishes one datapoint per minute (a %d s alarm would see no datapoint in some periods: INSUFFICIENT_DATA); using %d s", *st.Period, *st.Period, up)
		st.Period = &up
	}
	d := settingsOf(name, st, 0)
	if st.EvaluationPeriods != nil && *st.EvaluationPeriods < 1 {
		ds.Errorf(service, path+".EvaluationPeriods", "%d: at least 1", *st.EvaluationPeriods)
	} else if d.Period*d.EvaluationPeriods > 86400 {
		ds.Errorf(service, path+".EvaluationPeriods", "%d periods of %d s exceed the one day CloudWatch evaluates", d.EvaluationPeriods, d.Period)
	}
	if st.DatapointsToAlarm != nil && (*st.DatapointsToAlarm < 1 || *st.DatapointsToAlarm > d.EvaluationPeriods) {
		ds.Errorf(service, path+".DatapointsToAlarm", "%d is out of range: 1 to EvaluationPeriods (%d)", *st.DatapointsToAlarm, d.EvaluationPeriods)
	}
	return errCount(*ds) == n
}

// checkTopics checks where an alarm notifies.
func checkTopics(service, path string, topics []Topic, c *config, ds *render.Diagnostics) bool {
	n := errCount(*ds)
	for i, t := range topics {
		p := fmt.Sprintf("%s.%d", path, i)
		switch {
		case t.TopicArn != "" && t.Sns != "":
			ds.Errorf(service, p, "give TopicArn or x-sns, not both")
		case t.TopicArn == "" && t.Sns == "":
			ds.Errorf(service, p, "give TopicArn (an existing topic) or x-sns (a topic of the top-level x-sns)")
		case t.TopicArn != "" && !reTopicArn().MatchString(t.TopicArn):
			ds.Errorf(service, p+".TopicArn", "%q is not an SNS topic ARN (arn:PARTITION:sns:REGION:ACCOUNT:NAME, no * or ?)", t.TopicArn)
		case t.TopicArn != "":
			warnTopicRegion(service, p+".TopicArn", t.TopicArn, ds)
		case t.Sns != "" && !c.declared[t.Sns]:
			known := slices.Sorted(maps.Keys(c.declared))
			hint := "there is no top-level x-sns"
			if len(known) > 0 {
				hint = "defined: " + list(known)
			}
			ds.Errorf(service, p, "x-sns topic %q is not defined; add it to the top-level x-sns (%s)", t.Sns, hint)
		}
		switch v := t.NotifyOn.Values; {
		case len(v) > 1:
			ds.Errorf(service, p+".NotifyOn", "give one of %s (all covers both alarm and okay), not a list of %d", list(notifyOn), len(v))
		case len(v) == 1 && !oneOf(v[0], notifyOn):
			ds.Errorf(service, p+".NotifyOn", "%q is not allowed; allowed: %s", v[0], list(notifyOn))
		}
	}
	return errCount(*ds) == n
}

func readAlarms(raw any, c *config, ds *render.Diagnostics) {
	m := entries(key, raw, ds)
	idOwner := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		path := key + "." + render.Key(name)
		var a Alarm
		if err := render.DecodeExtension(m[name], &a); err != nil {
			ds.Errorf("", path, "%v", err)
			continue
		}
		id := alarmID(name)
		if other, dup := idOwner[id]; dup {
			ds.Errorf("", path, "x-alarms %s and %s would both be the resource %s; rename one", other, name, id)
			continue
		}
		idOwner[id] = name
		c.ids[name] = id
		c.alarms[name] = &a
	}
	for _, name := range slices.Sorted(maps.Keys(c.alarms)) {
		if !checkAlarm(name, c.alarms[name], c, ds) {
			delete(c.alarms, name)
		}
	}
	checkCycles(c, ds)
}

// checkAlarm checks one top-level alarm.
func checkAlarm(name string, a *Alarm, c *config, ds *render.Diagnostics) bool {
	n := errCount(*ds)
	path := key + "." + render.Key(name)
	var expr string
	fromMacro := false
	if a.MacroParameters != nil && a.MacroParameters.CompositeExpression != "" {
		expr, fromMacro = a.MacroParameters.CompositeExpression, true
	}
	if a.Properties != nil && a.Properties.AlarmRule != nil {
		if fromMacro {
			ds.Errorf("", path+".MacroParameters.CompositeExpression", "give CompositeExpression or Properties.AlarmRule, not both")
		}
		expr = *a.Properties.AlarmRule
	}
	composite := fromMacro || (a.Properties != nil && a.Properties.AlarmRule != nil)
	switch {
	case composite:
		exprPath := path + ".Properties.AlarmRule"
		if fromMacro {
			exprPath = path + ".MacroParameters.CompositeExpression"
		}
		refs, ok := parseRule(name, exprPath, expr, fromMacro, c, ds)
		if ok {
			c.composite[name] = refs
		}
		if a.Properties != nil {
			checkCompositeProperties(path+".Properties", a.Properties, ds)
		}
		if a.MacroParameters != nil && a.MacroParameters.ServiceName != "" {
			ds.Errorf("", path+".MacroParameters.ServiceName", "a composite alarm has no metric, so no dimensions to fill; set ServiceName on the alarms it combines")
		}
		if len(a.Services) > 0 {
			// compose-x documents that a composite alarm ignores Services.
			ds.Warnf("", path+".Services", "a composite alarm cannot run scaling policies (its actions are notifications), so Services is ignored, as compose-x does; scale from one of the metric alarms it combines")
		}
	case a.Properties == nil:
		ds.Errorf("", path+".Properties", "Properties is required: the metric, threshold and comparison of the alarm (or MacroParameters.CompositeExpression for a composite alarm)")
	default:
		checkMetricAlarm(path+".Properties", a.Properties, ds)
	}
	checkTopics("", path+".Topics", a.Topics, c, ds)
	op := ""
	if a.Properties != nil {
		op = a.Properties.ComparisonOperator
	}
	for _, svc := range slices.Sorted(maps.Keys(a.Services)) {
		p := path + ".Services." + render.Key(svc)
		t := a.Services[svc]
		if t != nil && t.Access != nil && t.Access != "NA" {
			ds.Warnf("", p+".Access", "an alarm grants a service no access, so Access means nothing here and is ignored (as compose-x does)")
		}
		if composite {
			continue
		}
		if t == nil || t.Scaling == nil {
			ds.Errorf("", p+".Scaling", "Scaling is required: the step scaling policy the alarm runs")
			continue
		}
		checkStepScaling("", p+".Scaling", op, t.Scaling, ds)
	}
	return errCount(*ds) == n
}

func checkStepScaling(service, path, op string, s *StepScaling, ds *render.Diagnostics) {
	adj := s.AdjustmentType
	if adj == "" {
		adj = ExactCapacity
	}
	if !oneOf(adj, adjustmentTypes) {
		ds.Errorf(service, path+".AdjustmentType", "%q is not an adjustment type; allowed: %s", s.AdjustmentType, list(adjustmentTypes))
	}
	for _, cd := range []struct {
		name string
		v    *int
	}{{"ScaleInCooldown", s.ScaleInCooldown}, {"ScaleOutCooldown", s.ScaleOutCooldown}} {
		if cd.v != nil && (*cd.v < 0 || *cd.v > 86400) {
			ds.Errorf(service, path+"."+cd.name, "%d is out of range: a cooldown is 0 to 86400 seconds", *cd.v)
		}
	}
	steps, dir, ok := checkSteps(service, path+".Steps", op, s.Steps, ds)
	if !ok {
		return
	}
	checkCounts(service, path+".Steps", adj, steps, dir, ds)
}

// checkPeriod accepts 10 and 30 s (high-resolution metrics) and multiples
// of 60; AWS metrics are published per minute, so they get multiples of 60.
func checkPeriod(path, namespace string, p int, ds *render.Diagnostics) {
	switch {
	case p == 10 || p == 30:
		if strings.HasPrefix(namespace, "AWS/") || namespace == "ECS/ContainerInsights" {
			ds.Errorf("", path, "%d: %s publishes one datapoint per minute; a %d s period needs a high-resolution custom metric, use a multiple of 60", p, namespace, p)
		}
	case p < 60 || p%60 != 0:
		ds.Errorf("", path, "%d is not a period CloudWatch alarms accept: 10, 30 (high-resolution metrics) or a multiple of 60", p)
	}
}

// checkMetricAlarm checks the Properties of an AWS::CloudWatch::Alarm,
// metric math and anomaly detection included.
func checkMetricAlarm(path string, p *Properties, ds *render.Diagnostics) {
	var compositeOnly []string
	if p.ActionsSuppressor != nil {
		compositeOnly = append(compositeOnly, "ActionsSuppressor")
	}
	if p.ActionsSuppressorExtensionPeriod != nil {
		compositeOnly = append(compositeOnly, "ActionsSuppressorExtensionPeriod")
	}
	if p.ActionsSuppressorWaitPeriod != nil {
		compositeOnly = append(compositeOnly, "ActionsSuppressorWaitPeriod")
	}
	if len(compositeOnly) > 0 {
		ds.Errorf("", path, "%s belong to composite alarms; give AlarmRule (or MacroParameters.CompositeExpression) to make one", list(compositeOnly))
	}
	switch {
	case p.ComparisonOperator == "":
		ds.Errorf("", path+".ComparisonOperator", "ComparisonOperator is required; allowed: %s", list(comparisonOperators))
	case !oneOf(p.ComparisonOperator, comparisonOperators):
		ds.Errorf("", path+".ComparisonOperator", "%q is not allowed; allowed: %s", p.ComparisonOperator, list(comparisonOperators))
	}
	evals := 0
	switch {
	case p.EvaluationPeriods == nil:
		ds.Errorf("", path+".EvaluationPeriods", "EvaluationPeriods is required: how many periods the alarm looks at")
	case *p.EvaluationPeriods < 1:
		ds.Errorf("", path+".EvaluationPeriods", "%d: at least 1", *p.EvaluationPeriods)
	default:
		evals = *p.EvaluationPeriods
	}
	if p.DatapointsToAlarm != nil && evals > 0 && (*p.DatapointsToAlarm < 1 || *p.DatapointsToAlarm > evals) {
		ds.Errorf("", path+".DatapointsToAlarm", "%d is out of range: 1 to EvaluationPeriods (%d)", *p.DatapointsToAlarm, evals)
	}
	if p.TreatMissingData != nil && !oneOf(*p.TreatMissingData, missingData) {
		ds.Errorf("", path+".TreatMissingData", "%q is not allowed; allowed: %s", *p.TreatMissingData, list(missingData))
	}
	if p.EvaluateLowSampleCountPercentile != nil && !oneOf(*p.EvaluateLowSampleCountPercentile, lowSampleCount) {
		ds.Errorf("", path+".EvaluateLowSampleCountPercentile", "%q is not allowed; allowed: %s", *p.EvaluateLowSampleCountPercentile, list(lowSampleCount))
	}
	anomaly := oneOf(p.ComparisonOperator, anomalyOperators)
	switch {
	case anomaly && p.ThresholdMetricId == nil:
		ds.Errorf("", path+".ThresholdMetricId", "%s compares with an anomaly detection band: give ThresholdMetricId, the Id of the ANOMALY_DETECTION_BAND entry of Metrics", p.ComparisonOperator)
	case !anomaly && p.ThresholdMetricId != nil && p.ComparisonOperator != "":
		ds.Errorf("", path+".ComparisonOperator", "with ThresholdMetricId use an anomaly band comparison; allowed: %s", list(anomalyOperators))
	case p.ThresholdMetricId != nil && p.Threshold != nil:
		ds.Errorf("", path+".Threshold", "give Threshold or ThresholdMetricId, not both")
	case p.ThresholdMetricId == nil && p.Threshold == nil:
		ds.Errorf("", path+".Threshold", "Threshold is required (or ThresholdMetricId for an anomaly detection alarm)")
	}
	period := 0
	if len(p.Metrics) > 0 {
		var single []string
		for k, set := range map[string]bool{"MetricName": p.MetricName != nil, "Namespace": p.Namespace != nil, "Dimensions": len(p.Dimensions) > 0,
			"Period": p.Period != nil, "Statistic": p.Statistic != nil, "ExtendedStatistic": p.ExtendedStatistic != nil, "Unit": p.Unit != nil} {
			if set {
				single = append(single, k)
			}
		}
		sort.Strings(single)
		if len(single) > 0 {
			ds.Errorf("", path+".Metrics", "with Metrics, give %s in the entries of Metrics, not beside it", list(single))
		}
		period = checkMetrics(path+".Metrics", p, anomaly, ds)
	} else {
		if p.ThresholdMetricId != nil {
			ds.Errorf("", path+".Metrics", "ThresholdMetricId needs Metrics with an ANOMALY_DETECTION_BAND expression")
		}
		if p.MetricName == nil {
			ds.Errorf("", path+".MetricName", "MetricName is required (or Metrics for metric math and anomaly detection)")
		}
		if p.Namespace == nil {
			ds.Errorf("", path+".Namespace", "Namespace is required with MetricName")
		}
		switch {
		case p.Statistic != nil && p.ExtendedStatistic != nil:
			ds.Errorf("", path+".Statistic", "give Statistic or ExtendedStatistic, not both")
		case p.Statistic == nil && p.ExtendedStatistic == nil:
			ds.Errorf("", path+".Statistic", "Statistic is required (or ExtendedStatistic, e.g. p99); allowed: %s", list(statistics))
		case p.Statistic != nil && !oneOf(*p.Statistic, statistics):
			ds.Errorf("", path+".Statistic", "%q is not allowed; allowed: %s", *p.Statistic, list(statistics))
		}
		if p.Period == nil {
			ds.Errorf("", path+".Period", "Period is required: 10, 30 (high-resolution metrics) or a multiple of 60 seconds")
		} else {
			ns := ""
			if p.Namespace != nil {
				ns = *p.Namespace
			}
			checkPeriod(path+".Period", ns, *p.Period, ds)
			period = *p.Period
		}
	}
	if period > 0 && evals > 0 {
		limit := 86400
		if period >= 3600 {
			limit = 7 * 86400
		}
		if period*evals > limit {
			ds.Errorf("", path+".EvaluationPeriods", "%d periods of %d s exceed the %d s CloudWatch evaluates", evals, period, limit)
		}
	}
}

// checkMetrics checks metric math and anomaly detection queries and
// returns the period of the metrics they read (0 if unknown).
func checkMetrics(path string, p *Properties, anomaly bool, ds *render.Diagnostics) int {
	ids := map[string]int{}
	returning := 0
	period := 0
	bandIds := map[string]bool{}
	for i, q := range p.Metrics {
		qp := fmt.Sprintf("%s.%d", path, i)
		if !reMetricId.MatchString(q.Id) {
			ds.Errorf("", qp+".Id", "%q is not a metric Id: a lowercase letter, then letters, digits or _", q.Id)
		} else if j, dup := ids[q.Id]; dup {
			ds.Errorf("", qp+".Id", "%q is already the Id of entry %d", q.Id, j)
		}
		ids[q.Id] = i
		if q.ReturnData == nil || *q.ReturnData {
			returning++
		}
		switch {
		case q.Expression != nil && q.MetricStat != nil:
			ds.Errorf("", qp, "give Expression or MetricStat, not both")
		case q.Expression == nil && q.MetricStat == nil:
			ds.Errorf("", qp, "give Expression (metric math) or MetricStat (a metric)")
		case q.Expression != nil:
			if reAnomalyFn.MatchString(*q.Expression) {
				bandIds[q.Id] = true
			}
			if q.Period != nil {
				checkPeriod(qp+".Period", "", *q.Period, ds)
			}
		default:
			ms := q.MetricStat
			ns := ""
			if ms.Metric == nil || ms.Metric.MetricName == nil {
				ds.Errorf("", qp+".MetricStat.Metric.MetricName", "MetricName is required")
			}
			if ms.Metric != nil && ms.Metric.Namespace != nil {
				ns = *ms.Metric.Namespace
			}
			if ms.Stat == "" {
				ds.Errorf("", qp+".MetricStat.Stat", "Stat is required (Average, Sum, p99, ...)")
			}
			checkPeriod(qp+".MetricStat.Period", ns, ms.Period, ds)
			if period == 0 || ms.Period > period {
				period = ms.Period
			}
		}
	}
	if p.ThresholdMetricId != nil {
		if !bandIds[*p.ThresholdMetricId] {
			ds.Errorf("", strings.TrimSuffix(path, ".Metrics")+".ThresholdMetricId", "%q is not the Id of an ANOMALY_DETECTION_BAND expression in Metrics", *p.ThresholdMetricId)
		}
	} else if !anomaly && returning != 1 {
		ds.Errorf("", path, "exactly one entry must return data (the value the alarm compares); %d do: set ReturnData: false on the others", returning)
	}
	return period
}

func checkCompositeProperties(path string, p *Properties, ds *render.Diagnostics) {
	var alarmOnly []string
	for k, set := range map[string]bool{
		"ComparisonOperator": p.ComparisonOperator != "", "DatapointsToAlarm": p.DatapointsToAlarm != nil, "Dimensions": len(p.Dimensions) > 0,
		"EvaluateLowSampleCountPercentile": p.EvaluateLowSampleCountPercentile != nil, "EvaluationPeriods": p.EvaluationPeriods != nil,
		"ExtendedStatistic": p.ExtendedStatistic != nil, "MetricName": p.MetricName != nil, "Metrics": len(p.Metrics) > 0,
		"Namespace": p.Namespace != nil, "Period": p.Period != nil, "Statistic": p.Statistic != nil, "Threshold": p.Threshold != nil,
		"ThresholdMetricId": p.ThresholdMetricId != nil, "TreatMissingData": p.TreatMissingData != nil, "Unit": p.Unit != nil,
	} {
		if set {
			alarmOnly = append(alarmOnly, k)
		}
	}
	sort.Strings(alarmOnly)
	if len(alarmOnly) > 0 {
		ds.Errorf("", path, "a composite alarm combines other alarms and has no metric: %s do not apply", list(alarmOnly))
	}
}

// reRuleCall finds ALARM(name), OK(name) and INSUFFICIENT_DATA(name), the
// name bare or in double quotes.
var (
	reRuleCall = regexp.MustCompile(`(?i)\b(ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*(?:"([^"]*)"|([^()"\s]+))\s*\)`)
	reRuleWord = regexp.MustCompile(`(?i)^(AND|OR|NOT|TRUE|FALSE|\(|\))$`)
	reRuleTok  = regexp.MustCompile(`\(|\)|[^\s()]+`)
)

// parseRule checks a composite rule and returns the x-alarms it refers to.
// In a CompositeExpression every name must be an x-alarms entry; in an
// AlarmRule, other names are taken as alarms that exist outside the stack.
func parseRule(self, path, expr string, strict bool, c *config, ds *render.Diagnostics) ([]string, bool) {
	n := errCount(*ds)
	var refs []string
	seen := map[string]bool{}
	for _, m := range reRuleCall.FindAllStringSubmatch(expr, -1) {
		name := m[2] + m[3]
		switch {
		case name == self:
			ds.Errorf("", path, "%s refers to the alarm itself", m[0])
		case c.ids[name] != "":
			if !seen[name] {
				seen[name] = true
				refs = append(refs, name)
			}
		case strict:
			known := []string{}
			for _, k := range slices.Sorted(maps.Keys(c.ids)) {
				if k != self {
					known = append(known, k)
				}
			}
			ds.Errorf("", path, "%q in %s is not an alarm of x-alarms; known: %s", name, m[0], list(known))
		}
	}
	rest := reRuleCall.ReplaceAllString(expr, " ")
	for _, tok := range reRuleTok.FindAllString(rest, -1) {
		if !reRuleWord.MatchString(tok) {
			ds.Errorf("", path, "%q is not part of an alarm rule: use ALARM(name), OK(name), INSUFFICIENT_DATA(name), AND, OR, NOT, TRUE, FALSE and parentheses", tok)
			break
		}
	}
	if len(reRuleCall.FindAllString(expr, -1)) == 0 && errCount(*ds) == n {
		ds.Errorf("", path, "the rule names no alarm: write e.g. ALARM(HighLatency) AND ALARM(HighErrors)")
	}
	return refs, errCount(*ds) == n
}

// checkCycles refuses composite alarms that end up depending on themselves.
func checkCycles(c *config, ds *render.Diagnostics) {
	state := map[string]int{} // 0 new, 1 visiting, 2 done
	var visit func(name string, trail []string) bool
	visit = func(name string, trail []string) bool {
		switch state[name] {
		case 1:
			ds.Errorf("", key+"."+render.Key(trail[0]), "composite alarms refer to each other in a loop: %s", strings.Join(append(trail, name), " -> "))
			return false
		case 2:
			return true
		}
		state[name] = 1
		for _, r := range c.composite[name] {
			if !visit(r, append(trail, name)) {
				state[name] = 2
				return false
			}
		}
		state[name] = 2
		return true
	}
	for _, name := range slices.Sorted(maps.Keys(c.composite)) {
		if state[name] == 0 && !visit(name, nil) {
			delete(c.composite, name)
			delete(c.alarms, name)
		}
	}
}

func errCount(ds render.Diagnostics) int { return len(ds.Errors()) }
