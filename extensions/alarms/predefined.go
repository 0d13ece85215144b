package alarms

import (
	"fmt"
	"maps"
	"slices"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"

	"github.com/composex/composex/render"
)

// Defaults of the predefined alarms' Settings (compose-x's code, which
// its documentation contradicts for the two datapoint settings):
//   - CPUUtilization / MemoryUtilization: 75 (percent, average over the
//     service's tasks, AWS/ECS);
//   - RunningTaskCount: the scaling maximum (x-scaling Range max);
//   - Period: 60 s; EvaluationPeriods: 10; DatapointsToAlarm: 5 (or
//     EvaluationPeriods when that is fewer).
//
// Period, EvaluationPeriods and DatapointsToAlarm tune the utilisation
// alarm. The running-task-count alarm (ECS/ContainerInsights, which the
// cluster composex creates has on) states the present: Maximum over one
// 60 s period, one datapoint. The composite alarm fires when both are in
// ALARM and notifies the Topics.
const (
	DefaultUtilization       = 75.0
	DefaultPeriod            = 60
	DefaultEvaluationPeriods = 10
	DefaultDatapointsToAlarm = 5
)

// resolved are a predefined alarm's settings with the defaults applied.
type resolved struct {
	Threshold         float64
	RunningTaskCount  int
	Period            int
	EvaluationPeriods int
	DatapointsToAlarm int
}

// settingsOf applies the defaults; maxTasks is the scaling maximum.
func settingsOf(name string, st *Settings, maxTasks int) resolved {
	r := resolved{Threshold: DefaultUtilization, RunningTaskCount: maxTasks, Period: DefaultPeriod, EvaluationPeriods: DefaultEvaluationPeriods}
	if st == nil {
		st = &Settings{}
	}
	if name == HighCpu && st.CPUUtilization != nil {
		r.Threshold = *st.CPUUtilization
	}
	if name == HighRam && st.MemoryUtilization != nil {
		r.Threshold = *st.MemoryUtilization
	}
	if st.RunningTaskCount != nil {
		r.RunningTaskCount = *st.RunningTaskCount
	}
	if st.Period != nil {
		r.Period = *st.Period
	}
	if st.EvaluationPeriods != nil {
		r.EvaluationPeriods = *st.EvaluationPeriods
	}
	r.DatapointsToAlarm = min(DefaultDatapointsToAlarm, r.EvaluationPeriods)
	if st.DatapointsToAlarm != nil {
		r.DatapointsToAlarm = *st.DatapointsToAlarm
	}
	return r
}

// predefinedKind says what a predefined alarm watches.
type predefinedKind struct {
	stem   string // logical ID stem
	metric string // AWS/ECS metric
	what   string // for descriptions
}

var kinds = map[string]predefinedKind{
	HighCpu: {"HighCpuUsage", "CPUUtilization", "CPU"},
	HighRam: {"HighRamUsage", "MemoryUtilization", "memory"},
}

// addPredefined renders the predefined alarms of one family. The family is
// one ECS service: its services' requests for the same alarm are merged,
// Topics joined and Settings combined; two services giving one setting
// different values are refused.
func addPredefined(f *render.Family, c *config, arns map[string]string, ds *render.Diagnostics) {
	type merged struct {
		topics   []Topic
		settings Settings
		from     map[string]string // setting -> service that gave it
		first    string            // the first service that asks for the alarm
	}
	byName := map[string]*merged{}
	for _, s := range f.Services {
		x := c.services[s.Name]
		if x == nil {
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(x.Predefined)) {
			path := render.ServicePath(s.Name, key, "Predefined", render.Key(name))
			if f.Scaling == nil {
				ds.Errorf(s.Name, path, "%s alarms when the service runs at its scaling maximum, so it needs x-scaling.Range on %s (or on another service of family %s)", name, s.Name, f.Name)
				continue
			}
			p := x.Predefined[name]
			mg := byName[name]
			if mg == nil {
				mg = &merged{from: map[string]string{}, first: s.Name}
				byName[name] = mg
			}
			mg.topics = append(mg.topics, p.Topics...)
			if p.Settings != nil {
				mergeSettings(f, s.Name, path+".Settings", &mg.settings, p.Settings, mg.from, ds)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		mg := byName[name]
		r := settingsOf(name, &mg.settings, f.Scaling.Max)
		svc := f.Services[0].Name
		if from, ok := mg.from["RunningTaskCount"]; ok {
			svc = from
		}
		if r.DatapointsToAlarm > r.EvaluationPeriods {
			ds.Errorf(svc, render.ServicePath(svc, key, "Predefined", name, "Settings.DatapointsToAlarm"),
				"family %s: DatapointsToAlarm %d exceeds EvaluationPeriods %d once the services' settings are combined", f.Name, r.DatapointsToAlarm, r.EvaluationPeriods)
			continue
		}
		if r.RunningTaskCount > f.Scaling.Max {
			ds.Warnf(svc, render.ServicePath(svc, key, "Predefined", name, "Settings.RunningTaskCount"),
				"family %s: RunningTaskCount %d is above the scaling maximum %d, so %s can never fire", f.Name, r.RunningTaskCount, f.Scaling.Max, name)
		}
		setting := kinds[name].metric // the Settings key is the metric's name
		at, from := render.ServicePath(mg.first, key, "Predefined", name), mg.first
		if s, ok := mg.from[setting]; ok {
			at, from = render.ServicePath(s, key, "Predefined", name, "Settings."+setting), s
		}
		watchCeiling(f, setting, name, r.Threshold, from, at)
		if err := emitPredefined(f, name, r, mg.topics, arns); err != nil {
			ds.Errorf(svc, render.ServicePath(svc, key, "Predefined", name), "%v", err)
		}
	}
}

func mergeSettings(f *render.Family, service, path string, into, st *Settings, from map[string]string, ds *render.Diagnostics) {
	mergeFloat := func(name string, dst **float64, v *float64) {
		if v == nil {
			return
		}
		if *dst != nil && **dst != *v {
			ds.Errorf(service, path+"."+name, "family %s: %s sets %s to %g, %s to %g; the family is one ECS service with one alarm, give them the same", f.Name, from[name], name, **dst, service, *v)
			return
		}
		*dst, from[name] = v, service
	}
	mergeInt := func(name string, dst **int, v *int) {
		if v == nil {
			return
		}
		if *dst != nil && **dst != *v {
			ds.Errorf(service, path+"."+name, "family %s: %s sets %s to %d, %s to %d; the family is one ECS service with one alarm, give them the same", f.Name, from[name], name, **dst, service, *v)
			return
		}
		*dst, from[name] = v, service
	}
	mergeFloat("CPUUtilization", &into.CPUUtilization, st.CPUUtilization)
	mergeFloat("MemoryUtilization", &into.MemoryUtilization, st.MemoryUtilization)
	mergeInt("RunningTaskCount", &into.RunningTaskCount, st.RunningTaskCount)
	mergeInt("Period", &into.Period, st.Period)
	mergeInt("EvaluationPeriods", &into.EvaluationPeriods, st.EvaluationPeriods)
	mergeInt("DatapointsToAlarm", &into.DatapointsToAlarm, st.DatapointsToAlarm)
}

// serviceDimensions name the family's ECS service in CloudWatch.
func serviceDimensions(f *render.Family) []cloudwatch.Alarm_Dimension {
	return []cloudwatch.Alarm_Dimension{
		{Name: "ClusterName", Value: render.ClusterRef()},
		{Name: "ServiceName", Value: cloudformation.GetAtt(f.ServiceID(), "Name")},
	}
}

// Logical IDs of a family's predefined alarms.
func predefinedIDs(f *render.Family, name string) (primary, tasks, composite string) {
	k := kinds[name]
	return f.Logical + k.stem + "Alarm", f.Logical + k.stem + "TaskCountAlarm", f.Logical + name + "Alarm"
}

func emitPredefined(f *render.Family, name string, r resolved, topics []Topic, arns map[string]string) error {
	k := kinds[name]
	primaryID, tasksID, compositeID := predefinedIDs(f, name)
	str := func(s string) *string { return &s }
	num := func(v float64) *float64 { return &v }
	intp := func(v int) *int { return &v }
	primary := &cloudwatch.Alarm{
		AlarmDescription: str(fmt.Sprintf("composex: %s of family %s at or above %g%% in %d of %d periods of %d s",
			k.what, f.Name, r.Threshold, r.DatapointsToAlarm, r.EvaluationPeriods, r.Period)),
		Namespace:          str("AWS/ECS"),
		MetricName:         str(k.metric),
		Dimensions:         serviceDimensions(f),
		Statistic:          str("Average"),
		Period:             intp(r.Period),
		EvaluationPeriods:  r.EvaluationPeriods,
		DatapointsToAlarm:  intp(r.DatapointsToAlarm),
		Threshold:          num(r.Threshold),
		ComparisonOperator: "GreaterThanOrEqualToThreshold",
	}
	tasks := &cloudwatch.Alarm{
		AlarmDescription:   str(fmt.Sprintf("composex: family %s runs %d task(s) or more (scaling maximum %d)", f.Name, r.RunningTaskCount, f.Scaling.Max)),
		Namespace:          str("ECS/ContainerInsights"),
		MetricName:         str("RunningTaskCount"),
		Dimensions:         serviceDimensions(f),
		Statistic:          str("Maximum"),
		Period:             intp(60),
		EvaluationPeriods:  1,
		DatapointsToAlarm:  intp(1),
		Threshold:          num(float64(r.RunningTaskCount)),
		ComparisonOperator: "GreaterThanOrEqualToThreshold",
	}
	alarmActions, okActions := actions(topics, arns)
	composite := &cloudwatch.CompositeAlarm{
		AlarmDescription: str(fmt.Sprintf("composex: family %s is out of %s and cannot scale out further (%s)", f.Name, k.what, name)),
		AlarmRule:        cloudformation.Sub(fmt.Sprintf("ALARM(${%s.Arn}) AND ALARM(${%s.Arn})", primaryID, tasksID)),
		ActionsEnabled:   boolp(true),
		AlarmActions:     alarmActions,
		OKActions:        okActions,
	}
	for _, r := range []struct {
		id  string
		res cloudformation.Resource
	}{{primaryID, primary}, {tasksID, tasks}, {compositeID, composite}} {
		if err := f.AddResource(r.id, r.res); err != nil {
			return err
		}
	}
	return nil
}

func boolp(b bool) *bool { return &b }
