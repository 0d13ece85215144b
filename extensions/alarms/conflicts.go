package alarms

import (
	"maps"
	"slices"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/applicationautoscaling"

	"github.com/composex/composex/render"
)

// An alarm whose action is an Auto Scaling policy does not act once per
// change of state like other alarm actions: CloudWatch runs the policy again
// every period the alarm stays in that state (CloudWatch User Guide, "Alarm
// actions"). The reset policy composex adds for ExactCapacity steps (the
// alarm's OKActions, back to the Range minimum) therefore runs every minute
// the alarm is OK, that is nearly all the time. Beside any other policy of
// the same scalable target it undoes that policy's scale-out every minute;
// Application Auto Scaling does not block a step policy's scale-in for a
// target tracking policy (PutScalingPolicy: "if the step scaling policy
// initiates a scale-in activity before the target tracking policy is ready
// to scale in, the scale-in activity will not be blocked").

// resetFightsTracking reports, and tells the caller to leave out, the reset
// policy of an ExactCapacity alarm on a family that also has target
// tracking: target tracking scales the service back in, and the reset would
// pull it to the minimum every minute the alarm is OK.
func resetFightsTracking(f *render.Family, alarm, path string, ds *render.Diagnostics) bool {
	if f.Scaling == nil || len(f.Scaling.Tracking) == 0 {
		return false
	}
	ds.Warnf("", path+".Scaling.AdjustmentType",
		"family %s also has target tracking (x-scaling.TargetScaling %s): alarm actions that run scaling policies repeat every minute while the alarm stays in its state, so the reset to the Range minimum %d that composex adds for ExactCapacity steps (run by the OK state of %s) would undo target tracking every minute; composex leaves the reset out and target tracking scales the service back in. While %s is in ALARM its ExactCapacity steps still set the task count every minute, over target tracking: use AdjustmentType ChangeInCapacity to add tasks on top of what target tracking runs",
		f.Name, strings.Join(f.Scaling.Tracking, ", "), f.Scaling.Min, alarm, alarm)
	return true
}

// reportResetConflicts warns about a reset policy on a family that another
// alarm also scales: while the reset's alarm is OK it sets the Range minimum
// every minute, undoing what the other alarm's policy did.
func reportResetConflicts(m *render.Model, c *config, ds *render.Diagnostics) {
	byPolicy := map[string]string{} // policy name -> x-alarms name
	for name := range c.alarms {
		byPolicy["step-"+render.ResourceName(name)] = name
		byPolicy["reset-"+render.ResourceName(name)] = name
	}
	for _, f := range m.Families {
		var resets, steps []string // x-alarms names
		for _, id := range slices.Sorted(maps.Keys(f.Resources)) {
			p, ok := f.Resources[id].(*applicationautoscaling.ScalingPolicy)
			if !ok || p.PolicyType != "StepScaling" {
				continue
			}
			switch alarm := byPolicy[p.PolicyName]; {
			case alarm == "":
			case strings.HasPrefix(p.PolicyName, "reset-"):
				resets = append(resets, alarm)
			default:
				steps = append(steps, alarm)
			}
		}
		for _, r := range resets {
			var others []string
			for _, s := range steps {
				if s != r {
					others = append(others, s)
				}
			}
			if len(others) == 0 {
				continue
			}
			ds.Warnf("", key+"."+render.Key(r)+".Services",
				"family %s is also scaled by %s: alarm actions that run scaling policies repeat every minute while the alarm stays in its state, so the reset of %s to the Range minimum %d (its ExactCapacity steps' OK action) runs every minute %s is OK and undoes their scale-out; give %s ChangeInCapacity steps and a scale-in alarm instead, or scale the family from one alarm",
				f.Name, list(others), r, f.Scaling.Min, r, r)
		}
	}
}
