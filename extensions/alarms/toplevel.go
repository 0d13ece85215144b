package alarms

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/applicationautoscaling"
	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"

	"github.com/composex/composex/render"
)

// addAlarms renders the top-level x-alarms: metric alarms and composite
// alarms on the model (they are the project's), their step scaling
// policies on the families they scale.
func addAlarms(m *render.Model, c *config, arns map[string]string, ds *render.Diagnostics) {
	for _, name := range slices.Sorted(maps.Keys(c.alarms)) {
		a := c.alarms[name]
		path := key + "." + render.Key(name)
		alarmActions, okActions := actions(a.Topics, arns)
		if p := a.Properties; p != nil {
			propertyTopics(path, &p.AlarmActions, &p.OKActions, &p.InsufficientDataActions, ds)
		}
		var res cloudformation.Resource
		if _, composite := c.composite[name]; composite || (a.Properties != nil && a.Properties.AlarmRule != nil) {
			res = compositeAlarm(a, c, alarmActions, okActions)
		} else {
			al := metricAlarm(a.Properties)
			resolveLoadBalancerDimensions(m, al, path, ds)
			al.AlarmActions = append(al.AlarmActions, alarmActions...)
			al.OKActions = append(al.OKActions, okActions...)
			if mp := a.MacroParameters; mp != nil && mp.ServiceName != "" {
				if f := oneFamily(m, mp.ServiceName, path+".MacroParameters.ServiceName", ds); f != nil {
					fillServiceDimensions(al, f)
					watchAlarmCeiling(f, name, path, al)
				}
			}
			for _, svc := range slices.Sorted(maps.Keys(a.Services)) {
				addStepPolicies(m, c, name, svc, a, al, ds)
			}
			res = al
		}
		if err := m.AddResource(c.ids[name], res); err != nil {
			ds.Errorf("", path, "%v", err)
		}
	}
}

// oneFamily resolves ServiceName to the one family whose ECS service the
// alarm watches.
func oneFamily(m *render.Model, name, path string, ds *render.Diagnostics) *render.Family {
	fs := familiesNamed(m, name)
	switch len(fs) {
	case 0:
		ds.Errorf("", path, "%q is neither a service nor a task family of this project", name)
		return nil
	case 1:
		return fs[0]
	}
	var names []string
	for _, f := range fs {
		names = append(names, f.Name)
	}
	ds.Errorf("", path, "service %s runs in the families %s; an alarm watches one ECS service, so name the family", name, list(names))
	return nil
}

// fillServiceDimensions sets the ClusterName and ServiceName dimensions of
// the alarm's metric (or of every metric of its metric math) to the
// family's ECS service, keeping the other dimensions.
//
// In the namespace of the CloudWatch agent's Prometheus metrics the family
// is named by the dimensions the agent gives them instead: ClusterName and
// TaskDefinitionFamily (the family's task definition family); no
// ServiceName, which no target of composex's agents has.
func fillServiceDimensions(al *cloudwatch.Alarm, f *render.Family) {
	fill := func(ns *string, dims []cloudwatch.Alarm_Dimension) []cloudwatch.Alarm_Dimension {
		own := serviceDimensions(f)
		if ns != nil && *ns == render.PrometheusNamespace {
			own = []cloudwatch.Alarm_Dimension{{Name: "ClusterName", Value: render.ClusterRef()},
				{Name: "TaskDefinitionFamily", Value: cloudformation.Sub("${AWS::StackName}-" + render.ResourceName(f.Name))}}
		}
		var out []cloudwatch.Alarm_Dimension
		for _, d := range dims {
			if !slices.ContainsFunc(own, func(o cloudwatch.Alarm_Dimension) bool { return o.Name == d.Name }) && d.Name != "ServiceName" {
				out = append(out, d)
			}
		}
		return append(out, own...)
	}
	if len(al.Metrics) == 0 {
		al.Dimensions = fill(al.Namespace, al.Dimensions)
		return
	}
	for i := range al.Metrics {
		if ms := al.Metrics[i].MetricStat; ms != nil && ms.Metric != nil {
			ms.Metric.Dimensions = fill(ms.Metric.Namespace, ms.Metric.Dimensions)
		}
	}
}

func metricAlarm(p *Properties) *cloudwatch.Alarm {
	return &cloudwatch.Alarm{
		ActionsEnabled:                   p.ActionsEnabled,
		AlarmActions:                     append([]string(nil), p.AlarmActions...),
		AlarmDescription:                 p.AlarmDescription,
		AlarmName:                        p.AlarmName,
		ComparisonOperator:               p.ComparisonOperator,
		DatapointsToAlarm:                p.DatapointsToAlarm,
		Dimensions:                       p.Dimensions,
		EvaluateLowSampleCountPercentile: p.EvaluateLowSampleCountPercentile,
		EvaluationPeriods:                *p.EvaluationPeriods,
		ExtendedStatistic:                p.ExtendedStatistic,
		InsufficientDataActions:          p.InsufficientDataActions,
		MetricName:                       p.MetricName,
		Metrics:                          p.Metrics,
		Namespace:                        p.Namespace,
		OKActions:                        append([]string(nil), p.OKActions...),
		Period:                           p.Period,
		Statistic:                        p.Statistic,
		Tags:                             p.Tags,
		Threshold:                        p.Threshold,
		ThresholdMetricId:                p.ThresholdMetricId,
		TreatMissingData:                 p.TreatMissingData,
		Unit:                             p.Unit,
	}
}

func compositeAlarm(a *Alarm, c *config, alarmActions, okActions []string) *cloudwatch.CompositeAlarm {
	p := a.Properties
	if p == nil {
		p = &Properties{}
	}
	expr := ""
	if p.AlarmRule != nil {
		expr = *p.AlarmRule
	} else {
		expr = a.MacroParameters.CompositeExpression
	}
	return &cloudwatch.CompositeAlarm{
		ActionsEnabled:                   p.ActionsEnabled,
		ActionsSuppressor:                p.ActionsSuppressor,
		ActionsSuppressorExtensionPeriod: p.ActionsSuppressorExtensionPeriod,
		ActionsSuppressorWaitPeriod:      p.ActionsSuppressorWaitPeriod,
		AlarmActions:                     append(append([]string(nil), p.AlarmActions...), alarmActions...),
		AlarmDescription:                 p.AlarmDescription,
		AlarmName:                        p.AlarmName,
		AlarmRule:                        renderRule(expr, c),
		InsufficientDataActions:          p.InsufficientDataActions,
		OKActions:                        append(append([]string(nil), p.OKActions...), okActions...),
		Tags:                             p.Tags,
	}
}

var reRuleOperator = regexp.MustCompile(`(?i)\b(and|or|not|true|false)\b`)

// renderRule turns a rule over x-alarms names into an AlarmRule that names
// the alarms by ARN (Fn::Sub of their Arn attributes, which also orders
// their creation first); operators are upper-cased as CloudWatch wants.
func renderRule(expr string, c *config) string {
	var b strings.Builder
	refs := false
	last := 0
	plain := func(s string) string {
		return reRuleOperator.ReplaceAllStringFunc(render.EscapeSub(s), strings.ToUpper)
	}
	for _, loc := range reRuleCall.FindAllStringSubmatchIndex(expr, -1) {
		b.WriteString(plain(expr[last:loc[0]]))
		state := strings.ToUpper(expr[loc[2]:loc[3]])
		name := ""
		if loc[4] >= 0 {
			name = expr[loc[4]:loc[5]]
		} else {
			name = expr[loc[6]:loc[7]]
		}
		if id := c.ids[name]; id != "" {
			fmt.Fprintf(&b, "%s(${%s.Arn})", state, id)
			refs = true
		} else {
			b.WriteString(render.EscapeSub(expr[loc[0]:loc[1]]))
		}
		last = loc[1]
	}
	b.WriteString(plain(expr[last:]))
	rule := strings.TrimSpace(b.String())
	if !refs {
		return strings.ReplaceAll(rule, "${!", "${")
	}
	return cloudformation.Sub(rule)
}

// addStepPolicies gives the families a service name points at a step
// scaling policy run by the alarm (AlarmActions). With ExactCapacity on an
// alarm that fires above its threshold, a second policy brings the service
// back to the range minimum when the alarm returns to OK (OKActions), as
// compose-x does.
func addStepPolicies(m *render.Model, c *config, alarm, svc string, a *Alarm, al *cloudwatch.Alarm, ds *render.Diagnostics) {
	path := key + "." + render.Key(alarm) + ".Services." + render.Key(svc)
	sc := a.Services[svc].Scaling
	fs := familiesNamed(m, svc)
	if len(fs) == 0 {
		ds.Errorf("", path, "%q is neither a service nor a task family of this project", svc)
		return
	}
	var discard render.Diagnostics // reported by Validate
	steps, dir, ok := checkSteps("", path+".Scaling.Steps", al.ComparisonOperator, sc.Steps, &discard)
	if !ok {
		return
	}
	adj := sc.AdjustmentType
	if adj == "" {
		adj = ExactCapacity
	}
	scaleIn := checkCounts("", path+".Scaling.Steps", adj, steps, dir, &discard)
	reset := adj == ExactCapacity && dir == up
	cooldown := DefaultScaleOutCooldown
	if sc.ScaleOutCooldown != nil {
		cooldown = *sc.ScaleOutCooldown
	}
	if scaleIn {
		cooldown = DefaultScaleInCooldown
		if sc.ScaleInCooldown != nil {
			cooldown = *sc.ScaleInCooldown
		}
		if sc.ScaleOutCooldown != nil {
			ds.Warnf("", path+".Scaling.ScaleOutCooldown", "has no effect: the steps of %s only scale in (ScaleInCooldown applies)", alarm)
		}
	} else if sc.ScaleInCooldown != nil && !reset {
		ds.Warnf("", path+".Scaling.ScaleInCooldown", "has no effect: the steps of %s only scale out (ScaleOutCooldown applies)", alarm)
	}
	resetCooldown := DefaultScaleInCooldown
	if sc.ScaleInCooldown != nil {
		resetCooldown = *sc.ScaleInCooldown
	}
	var aggregation *string
	if al.Statistic != nil && oneOf(*al.Statistic, []string{"Average", "Minimum", "Maximum"}) {
		s := *al.Statistic
		aggregation = &s
	}
	for _, f := range fs {
		if f.Scaling == nil {
			ds.Errorf("", path, "service %s has no x-scaling.Range: step scaling needs the scalable target of family %s; add x-scaling with a Range to one of its services", svc, f.Name)
			continue
		}
		bad := false
		if adj == ExactCapacity {
			for i, s := range steps {
				if *s.Count < f.Scaling.Min || *s.Count > f.Scaling.Max {
					ds.Errorf("", fmt.Sprintf("%s.Scaling.Steps.%d.Count", path, i), "%d tasks is outside the scaling range %d-%d of family %s", *s.Count, f.Scaling.Min, f.Scaling.Max, f.Name)
					bad = true
				}
			}
		}
		if bad {
			continue
		}
		id := f.Logical + c.ids[alarm] + "StepPolicy"
		if _, dup := f.Resources[id]; dup {
			ds.Errorf("", path, "family %s is already scaled by %s through another of its services; name it once", f.Name, alarm)
			continue
		}
		policy := stepPolicy(f, "step-"+render.ResourceName(alarm), adj, cooldown, aggregation, steps)
		if err := f.AddResource(id, policy); err != nil {
			ds.Errorf("", path, "%v", err)
			continue
		}
		al.AlarmActions = append(al.AlarmActions, cloudformation.Ref(id)) // Ref of a policy is its ARN
		if reset && resetFightsTracking(f, alarm, path, ds) {
			continue
		}
		if reset {
			zero := 0.0
			rid := f.Logical + c.ids[alarm] + "ResetPolicy"
			count := f.Scaling.Min
			rp := stepPolicy(f, "reset-"+render.ResourceName(alarm), ExactCapacity, resetCooldown, aggregation, []Step{{UpperBound: &zero, Count: &count}})
			if err := f.AddResource(rid, rp); err != nil {
				ds.Errorf("", path, "%v", err)
				continue
			}
			al.OKActions = append(al.OKActions, cloudformation.Ref(rid))
		}
	}
}

func stepPolicy(f *render.Family, name, adj string, cooldown int, aggregation *string, steps []Step) *applicationautoscaling.ScalingPolicy {
	cfg := &applicationautoscaling.ScalingPolicy_StepScalingPolicyConfiguration{
		AdjustmentType:        &adj,
		Cooldown:              &cooldown,
		MetricAggregationType: aggregation,
	}
	for _, s := range steps {
		cfg.StepAdjustments = append(cfg.StepAdjustments, applicationautoscaling.ScalingPolicy_StepAdjustment{
			MetricIntervalLowerBound: s.LowerBound,
			MetricIntervalUpperBound: s.UpperBound,
			ScalingAdjustment:        *s.Count,
		})
	}
	return &applicationautoscaling.ScalingPolicy{
		PolicyName: name,
		PolicyType: "StepScaling",
		// The target's Ref ("resource|dimension|namespace") ties the policy
		// to it and makes CloudFormation create the target first.
		ScalingTargetId:                cloudformation.RefPtr(f.ScalableTargetID()),
		StepScalingPolicyConfiguration: cfg,
	}
}
