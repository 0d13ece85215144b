package alarms

import (
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"

	"github.com/composex/composex/render"
)

// An alarm on the ECS service's CPUUtilization or MemoryUtilization (AWS/ECS,
// the tasks' use over the task size) above what the containers can use
// together never fires: the task size comes from Fargate's size table, and
// with sidecars it can hold much more memory than the app's hard limits (see
// render.Family.MemoryCeiling). The task size is known only at emit time, so
// these checks are registered as the family's size checks.

// watchCeiling registers the check of one alarm threshold on a utilisation
// metric of the family's service; metric is CPUUtilization or
// MemoryUtilization, label names the alarm in the message.
func watchCeiling(f *render.Family, metric, label string, threshold float64, service, path string) {
	what := "CPU"
	if metric == "MemoryUtilization" {
		what = "memory"
	}
	f.SizeChecks = append(f.SizeChecks, func() render.Diagnostics {
		c := f.CpuCeiling()
		if what == "memory" {
			c = f.MemoryCeiling()
		}
		var ds render.Diagnostics
		if c.Bounded && threshold >= c.Percent {
			ds.Warnf(service, path, "family %s: %s at %g%% on %s can never fire: %s; set the threshold below %.1f, or %s",
				f.Name, label, threshold, metric, c.Explain(f, what), c.Percent, render.LimitFix(what))
		}
		return ds
	})
}

// watchAlarmCeiling checks a top-level alarm that ServiceName ties to a
// family: a single-metric AWS/ECS utilisation alarm that fires above its
// threshold.
func watchAlarmCeiling(f *render.Family, name, path string, al *cloudwatch.Alarm) {
	if al.Namespace == nil || *al.Namespace != "AWS/ECS" || al.MetricName == nil || al.Threshold == nil ||
		!strings.HasPrefix(al.ComparisonOperator, "GreaterThan") {
		return
	}
	if m := *al.MetricName; m == "CPUUtilization" || m == "MemoryUtilization" {
		watchCeiling(f, m, "alarm "+name, *al.Threshold, "", path+".Properties.Threshold")
	}
}
