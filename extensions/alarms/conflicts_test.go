package alarms_test

import (
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// TestResetFightsOtherScaling: CloudWatch runs an alarm's scaling action
// again every period the alarm stays in its state, so the ExactCapacity
// reset (OKActions, back to the Range minimum) runs every minute the alarm
// is OK. Beside target tracking it is left out, with a warning; beside
// another alarm's step policy it is reported.
func TestResetFightsOtherScaling(t *testing.T) {
	exact := "{AdjustmentType: ExactCapacity, Steps: [{LowerBound: 0, Count: 6}]}"
	t.Run("target tracking", func(t *testing.T) {
		compose := strings.Replace(stepCompose(gte, exact), `x-scaling: {Range: "2-20"}`, `x-scaling: {Range: "2-20", TargetScaling: {CpuTarget: 60}}`, 1)
		r := rendertest.MustRender(t, compose)
		if _, ok := r.Resources["LikeBusyAlarmResetPolicy"]; ok {
			t.Errorf("the reset policy is rendered beside target tracking: it would pull the service to 2 tasks every minute the alarm is OK")
		}
		if _, ok := r.Resources["LikeBusyAlarmStepPolicy"]; !ok {
			t.Errorf("the step policy itself must stay")
		}
		alarm := r.Get(t, "BusyAlarm", "AWS::CloudWatch::Alarm")
		if ok := alarm["OKActions"]; ok != nil {
			t.Errorf("OKActions %v: nothing should run when the alarm returns to OK", ok)
		}
		d := rendertest.Find(r.Diags, render.Warning, "x-alarms.Busy.Services.like.Scaling.AdjustmentType")
		want := "family like also has target tracking (x-scaling.TargetScaling CpuTarget): alarm actions that run scaling policies repeat every minute while the alarm stays in its state, so the reset to the Range minimum 2 that composex adds for ExactCapacity steps (run by the OK state of Busy) would undo target tracking every minute; composex leaves the reset out and target tracking scales the service back in. While Busy is in ALARM its ExactCapacity steps still set the task count every minute, over target tracking: use AdjustmentType ChangeInCapacity to add tasks on top of what target tracking runs"
		if d == nil || d.Message != want {
			t.Errorf("warning: got %v, want\n  %q\n%s", d, want, r.Diags.Error())
		}
	})
	t.Run("without target tracking the reset stays", func(t *testing.T) {
		r := rendertest.MustRender(t, stepCompose(gte, exact))
		if _, ok := r.Resources["LikeBusyAlarmResetPolicy"]; !ok {
			t.Errorf("reset policy missing")
		}
		for _, d := range r.Diags.Warnings() {
			if strings.Contains(d.Message, "every minute") {
				t.Errorf("unexpected warning: %s", d)
			}
		}
	})
	t.Run("another alarm scales the family", func(t *testing.T) {
		compose := stepCompose(gte, exact) + `
  Cpu:
    Properties:
      Namespace: AWS/ECS
      MetricName: CPUUtilization
      Statistic: Average
      Period: 60
      EvaluationPeriods: 3
      Threshold: 70
      ComparisonOperator: GreaterThanOrEqualToThreshold
    MacroParameters: {ServiceName: like}
    Services:
      like:
        Scaling: {AdjustmentType: ChangeInCapacity, Steps: [{LowerBound: 0, Count: 2}]}
`
		r := rendertest.MustRender(t, compose)
		d := rendertest.Find(r.Diags, render.Warning, "x-alarms.Busy.Services")
		want := "family like is also scaled by Cpu: alarm actions that run scaling policies repeat every minute while the alarm stays in its state, so the reset of Busy to the Range minimum 2 (its ExactCapacity steps' OK action) runs every minute Busy is OK and undoes their scale-out; give Busy ChangeInCapacity steps and a scale-in alarm instead, or scale the family from one alarm"
		if d == nil || d.Message != want {
			t.Errorf("warning: got %v, want\n  %q\n%s", d, want, r.Diags.Error())
		}
	})
}
