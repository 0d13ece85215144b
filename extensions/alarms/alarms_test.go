package alarms_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

const (
	alarmType     = "AWS::CloudWatch::Alarm"
	compositeType = "AWS::CloudWatch::CompositeAlarm"
	policyType    = "AWS::ApplicationAutoScaling::ScalingPolicy"
	targetType    = "AWS::ApplicationAutoScaling::ScalableTarget"
	topicType     = "AWS::SNS::Topic"
)

// stepCompose is a service scaled 2-20 and one alarm "Busy" that fires
// above its threshold and runs the given Scaling block on like.
func stepCompose(op, scaling string) string {
	return fmt.Sprintf(`
services:
  like:
    image: nginx
    x-scaling: {Range: "2-20"}
  other:
    image: nginx
x-alarms:
  Busy:
    Properties:
      Namespace: AWS/ApplicationELB
      MetricName: RequestCount
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1000
      ComparisonOperator: %s
    Services:
      like:
        Scaling: %s
`, op, scaling)
}

const (
	gte = "GreaterThanOrEqualToThreshold"
	lte = "LessThanOrEqualToThreshold"
)

// TestRefused: each bad input is refused with its exact message at its
// exact key path (and service, for service-level keys).
func TestRefused(t *testing.T) {
	const stepsPath = "x-alarms.Busy.Services.like.Scaling.Steps"
	cases := []struct {
		name, compose, service, path, message string
	}{
		{"overlapping steps", stepCompose(gte, `{AdjustmentType: ChangeInCapacity, Steps: [{LowerBound: 0, UpperBound: 21, Count: 1}, {LowerBound: 20, UpperBound: 52, Count: 5}]}`),
			"", stepsPath + ".1", "step 1 (20 to 52) overlaps step 0 (0 to 21); each step must start where the previous one ends"},
		{"gap between steps", stepCompose(gte, `{AdjustmentType: ChangeInCapacity, Steps: [{LowerBound: 0, UpperBound: 10, Count: 1}, {LowerBound: 20, Count: 2}]}`),
			"", stepsPath + ".1", "gap between 10 and 20: step 0 ends at 10 and step 1 starts at 20; each step must start where the previous one ends"},
		{"steps out of order", stepCompose(gte, `{AdjustmentType: ChangeInCapacity, Steps: [{LowerBound: 20, UpperBound: 52, Count: 5}, {LowerBound: 0, UpperBound: 20, Count: 1}]}`),
			"", stepsPath + ".1", "steps are out of order: step 1 (0 to 20) comes before step 0 (20 to 52); the alarm fires above its threshold (GreaterThanOrEqualToThreshold), so list the steps upwards from it"},
		{"scale-in steps listed upwards", stepCompose(lte, `{AdjustmentType: ChangeInCapacity, Steps: [{UpperBound: -900, Count: -5}, {LowerBound: -900, UpperBound: 0, Count: -10}]}`),
			"", stepsPath + ".0", "only the last step may omit LowerBound: steps are listed downwards from the threshold"},
		{"open step before the last", stepCompose(gte, `{AdjustmentType: ChangeInCapacity, Steps: [{LowerBound: 0, Count: 1}, {LowerBound: 10, UpperBound: 20, Count: 2}]}`),
			"", stepsPath + ".0", "only the last step may omit UpperBound: steps are listed upwards from the threshold"},
		{"open lower bound after the first", stepCompose(gte, `{AdjustmentType: ChangeInCapacity, Steps: [{LowerBound: 0, UpperBound: 10, Count: 1}, {UpperBound: 20, Count: 2}]}`),
			"", stepsPath + ".1", "only the first step may omit LowerBound: steps are listed upwards from the threshold"},
		{"inverted step", stepCompose(gte, `{Steps: [{LowerBound: 10, UpperBound: 5, Count: 3}]}`),
			"", stepsPath + ".0", "LowerBound 10 must be below UpperBound 5"},
		{"step without bounds", stepCompose(gte, `{Steps: [{Count: 3}]}`),
			"", stepsPath + ".0", "give LowerBound, UpperBound or both (relative to the alarm threshold)"},
		{"step without count", stepCompose(gte, `{Steps: [{LowerBound: 0}]}`),
			"", stepsPath + ".0.Count", "Count is required: the tasks to set, add or remove"},
		{"negative first lower bound", stepCompose(gte, `{AdjustmentType: ChangeInCapacity, Steps: [{LowerBound: -10, UpperBound: 10, Count: 1}, {LowerBound: 10, Count: 2}]}`),
			"", stepsPath + ".0.LowerBound", "-10 is below the threshold, so Application Auto Scaling needs a step open below it: omit LowerBound on the first step"},
		{"steps scaling both ways", stepCompose(gte, `{AdjustmentType: ChangeInCapacity, Steps: [{LowerBound: 0, UpperBound: 10, Count: 1}, {LowerBound: 10, Count: -1}]}`),
			"", stepsPath + ".1.Count", "step 0 scales out and step 1 scales in: one alarm's policy scales one way; use a second alarm for the other"},
		{"unknown adjustment type", stepCompose(gte, `{AdjustmentType: Exact, Steps: [{LowerBound: 0, Count: 3}]}`),
			"", "x-alarms.Busy.Services.like.Scaling.AdjustmentType", `"Exact" is not an adjustment type; allowed: ExactCapacity, ChangeInCapacity, PercentChangeInCapacity`},
		{"exact count outside the range", stepCompose(gte, `{Steps: [{LowerBound: 0, UpperBound: 10, Count: 5}, {LowerBound: 10, Count: 30}]}`),
			"", stepsPath + ".1.Count", "30 tasks is outside the scaling range 2-20 of family like"},
		{"step scaling a service without Range", strings.Replace(stepCompose(gte, `{Steps: [{LowerBound: 0, Count: 3}]}`), "      like:\n        Scaling", "      other:\n        Scaling", 1),
			"", "x-alarms.Busy.Services.other", "service other has no x-scaling.Range: step scaling needs the scalable target of family other; add x-scaling with a Range to one of its services"},
		{"step scaling an unknown service", strings.Replace(stepCompose(gte, `{Steps: [{LowerBound: 0, Count: 3}]}`), "      like:\n        Scaling", "      nosuch:\n        Scaling", 1),
			"", "x-alarms.Busy.Services.nosuch", `"nosuch" is neither a service nor a task family of this project`},
		{"predefined alarm without Range", `
services:
  web:
    image: nginx
    x-alarms:
      Predefined:
        HighCpuUsageAndMaxScaledOut: {}
`, "web", "services.web.x-alarms.Predefined.HighCpuUsageAndMaxScaledOut",
			"HighCpuUsageAndMaxScaledOut alarms when the service runs at its scaling maximum, so it needs x-scaling.Range on web (or on another service of family web)"},
		{"unknown predefined name", `
services:
  worker:
    image: busybox
    x-scaling: {Range: "1-4"}
    x-alarms:
      Predefined:
        HighDiskUsage: {Settings: {Period: 60}}
`, "worker", "services.worker.x-alarms.Predefined.HighDiskUsage",
			`"HighDiskUsage" is not a predefined alarm; allowed: HighCpuUsageAndMaxScaledOut, HighRamUsageAndMaxScaledOut`},
		{"unknown topic of a predefined alarm", `
services:
  worker:
    image: busybox
    x-scaling: {Range: "1-4"}
    x-alarms:
      Predefined:
        HighCpuUsageAndMaxScaledOut:
          Topics: [{x-sns: on-call}]
x-sns:
  ops: {Properties: {}}
`, "worker", "services.worker.x-alarms.Predefined.HighCpuUsageAndMaxScaledOut.Topics.0",
			`x-sns topic "on-call" is not defined; add it to the top-level x-sns (defined: ops)`},
		{"predefined setting of the other metric", `
services:
  web:
    image: nginx
    x-scaling: {Range: "1-4"}
    x-alarms:
      Predefined:
        HighCpuUsageAndMaxScaledOut: {Settings: {MemoryUtilization: 80}}
`, "web", "services.web.x-alarms.Predefined.HighCpuUsageAndMaxScaledOut.Settings.MemoryUtilization",
			"HighCpuUsageAndMaxScaledOut watches CPUUtilization, not MemoryUtilization"},
		{"predefined period below a second", `
services:
  web:
    image: nginx
    x-scaling: {Range: "1-4"}
    x-alarms:
      Predefined:
        HighRamUsageAndMaxScaledOut: {Settings: {Period: 0}}
`, "web", "services.web.x-alarms.Predefined.HighRamUsageAndMaxScaledOut.Settings.Period",
			"0: a period is at least 1 second (and a multiple of 60: AWS/ECS publishes one datapoint per minute)"},
		{"predefined datapoints above evaluation periods", `
services:
  web:
    image: nginx
    x-scaling: {Range: "1-4"}
    x-alarms:
      Predefined:
        HighRamUsageAndMaxScaledOut: {Settings: {EvaluationPeriods: 3, DatapointsToAlarm: 4}}
`, "web", "services.web.x-alarms.Predefined.HighRamUsageAndMaxScaledOut.Settings.DatapointsToAlarm",
			"4 is out of range: 1 to EvaluationPeriods (3)"},
		{"predefined settings that disagree in a family", `
services:
  a:
    image: nginx
    deploy: {labels: {ecs.task.family: app}}
    x-scaling: {Range: "1-4"}
    x-alarms: {Predefined: {HighCpuUsageAndMaxScaledOut: {Settings: {CPUUtilization: 80}}}}
  b:
    image: nginx
    deploy: {labels: {ecs.task.family: app}}
    x-alarms: {Predefined: {HighCpuUsageAndMaxScaledOut: {Settings: {CPUUtilization: 90}}}}
`, "b", "services.b.x-alarms.Predefined.HighCpuUsageAndMaxScaledOut.Settings.CPUUtilization",
			"family app: a sets CPUUtilization to 80, b to 90; the family is one ECS service with one alarm, give them the same"},
		{"unknown topic of an alarm", strings.Replace(stepCompose(gte, `{Steps: [{LowerBound: 0, Count: 3}]}`), "    Services:", "    Topics: [{x-sns: pager}]\n    Services:", 1),
			"", "x-alarms.Busy.Topics.0", `x-sns topic "pager" is not defined; add it to the top-level x-sns (there is no top-level x-sns)`},
		{"topic ARN not an ARN", strings.Replace(stepCompose(gte, `{Steps: [{LowerBound: 0, Count: 3}]}`), "    Services:", "    Topics: [{TopicArn: 'arn:aws:sqs:eu-west-1:123456789012:q'}]\n    Services:", 1),
			"", "x-alarms.Busy.Topics.0.TopicArn", `"arn:aws:sqs:eu-west-1:123456789012:q" is not an SNS topic ARN (arn:PARTITION:sns:REGION:ACCOUNT:NAME, no * or ?)`},
		{"NotifyOn with two values", strings.Replace(stepCompose(gte, `{Steps: [{LowerBound: 0, Count: 3}]}`), "    Services:", "    Topics: [{TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops', NotifyOn: [alarm, okay]}]\n    Services:", 1),
			"", "x-alarms.Busy.Topics.0.NotifyOn", "give one of alarm, okay, all (all covers both alarm and okay), not a list of 2"},
		{"NotifyOn unknown", strings.Replace(stepCompose(gte, `{Steps: [{LowerBound: 0, Count: 3}]}`), "    Services:", "    Topics: [{TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops', NotifyOn: always}]\n    Services:", 1),
			"", "x-alarms.Busy.Topics.0.NotifyOn", `"always" is not allowed; allowed: alarm, okay, all`},
		{"unknown alarm in a composite", compositeCompose("ALARM(Busy) AND ALARM(Nope)"),
			"", "x-alarms.Both.MacroParameters.CompositeExpression", `"Nope" in ALARM(Nope) is not an alarm of x-alarms; known: Busy, Slow`},
		{"composite with a stray word", compositeCompose("ALARM(Busy) AN ALARM(Slow)"),
			"", "x-alarms.Both.MacroParameters.CompositeExpression", `"AN" is not part of an alarm rule: use ALARM(name), OK(name), INSUFFICIENT_DATA(name), AND, OR, NOT, TRUE, FALSE and parentheses`},
		{"composite loop", `
services:
  web: {image: nginx}
x-alarms:
  A: {MacroParameters: {CompositeExpression: ALARM(B)}}
  B: {MacroParameters: {CompositeExpression: ALARM(A)}}
`, "", "x-alarms.A", "composite alarms refer to each other in a loop: A -> B -> A"},
		{"alarm period not accepted", metricCompose("Namespace: Custom/App\n      MetricName: Q\n      Statistic: Sum\n      Period: 45"),
			"", "x-alarms.Q.Properties.Period", "45 is not a period CloudWatch alarms accept: 10, 30 (high-resolution metrics) or a multiple of 60"},
		{"low sample count percentile not accepted", metricCompose("Namespace: Custom/App\n      MetricName: Q\n      ExtendedStatistic: p99\n      Period: 60\n      EvaluateLowSampleCountPercentile: skip"),
			"", "x-alarms.Q.Properties.EvaluateLowSampleCountPercentile", `"skip" is not allowed; allowed: evaluate, ignore`},
		{"high-resolution period on an AWS metric", metricCompose("Namespace: AWS/ECS\n      MetricName: CPUUtilization\n      Statistic: Average\n      Period: 10"),
			"", "x-alarms.Q.Properties.Period", "10: AWS/ECS publishes one datapoint per minute; a 10 s period needs a high-resolution custom metric, use a multiple of 60"},
		{"alarm without threshold", `
services:
  web: {image: nginx}
x-alarms:
  Q: {Properties: {Namespace: N, MetricName: M, Statistic: Sum, Period: 60, EvaluationPeriods: 1, ComparisonOperator: GreaterThanThreshold}}
`, "", "x-alarms.Q.Properties.Threshold", "Threshold is required (or ThresholdMetricId for an anomaly detection alarm)"},
		{"anomaly operator without band", `
services:
  web: {image: nginx}
x-alarms:
  Q:
    Properties:
      ComparisonOperator: GreaterThanUpperThreshold
      EvaluationPeriods: 2
      Metrics:
        - {Id: m1, MetricStat: {Metric: {Namespace: AWS/ECS, MetricName: CPUUtilization}, Period: 60, Stat: Average}}
`, "", "x-alarms.Q.Properties.ThresholdMetricId", "GreaterThanUpperThreshold compares with an anomaly detection band: give ThresholdMetricId, the Id of the ANOMALY_DETECTION_BAND entry of Metrics"},
		{"threshold metric that is not a band", `
services:
  web: {image: nginx}
x-alarms:
  Q:
    Properties:
      ComparisonOperator: GreaterThanUpperThreshold
      EvaluationPeriods: 2
      ThresholdMetricId: e1
      Metrics:
        - {Id: m1, MetricStat: {Metric: {Namespace: AWS/ECS, MetricName: CPUUtilization}, Period: 60, Stat: Average}}
        - {Id: e1, Expression: "m1 * 2"}
`, "", "x-alarms.Q.Properties.ThresholdMetricId", `"e1" is not the Id of an ANOMALY_DETECTION_BAND expression in Metrics`},
		{"metric math returning two series", `
services:
  web: {image: nginx}
x-alarms:
  Q:
    Properties:
      ComparisonOperator: GreaterThanThreshold
      EvaluationPeriods: 2
      Threshold: 5
      Metrics:
        - {Id: errors, MetricStat: {Metric: {Namespace: AWS/ApplicationELB, MetricName: HTTPCode_Target_5XX_Count}, Period: 60, Stat: Sum}}
        - {Id: rate, Expression: "errors * 100"}
`, "", "x-alarms.Q.Properties.Metrics", "exactly one entry must return data (the value the alarm compares); 2 do: set ReturnData: false on the others"},
		{"x-sns lookup and TopicArn", `
services:
  web: {image: nginx}
x-sns:
  ops: {Lookup: {Tags: [{name: ops}]}, TopicArn: "arn:aws:sns:eu-west-1:123456789012:ops"}
`, "", "x-sns.ops.Lookup", "give Lookup (an existing topic, whose ARN becomes the parameter OpsTopicArn), Properties or TopicArn, not several"},
		{"x-sns Services access unknown", `
services:
  web: {image: nginx}
x-sns:
  ops: {Properties: {}, Services: {web: {Access: Subscribe}}}
`, "", "x-sns.ops.Services.web.Access", `"Subscribe" is not an access to an SNS topic; allowed: Publish (sns:Publish on this topic)`},
		{"x-sns Services naming no service", `
services:
  web: {image: nginx}
x-sns:
  ops: {Properties: {}, Services: {api: {Access: Publish}}}
`, "", "x-sns.ops.Services.api", `"api" is neither a service nor a task family of this project`},
		{"alarm ServiceName unknown", strings.Replace(metricCompose("Namespace: AWS/ECS\n      MetricName: CPUUtilization\n      Statistic: Average\n      Period: 60"), "    Properties:", "    MacroParameters: {ServiceName: api}\n    Properties:", 1),
			"", "x-alarms.Q.MacroParameters.ServiceName", `"api" is neither a service nor a task family of this project`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rendertest.Render(t, tc.compose)
			if r.Template != "" {
				t.Fatalf("rendered; want the error %q at %s", tc.message, tc.path)
			}
			d := rendertest.Find(r.Diags, render.Error, tc.path)
			if d == nil {
				t.Fatalf("no error at %s; got:\n%s", tc.path, r.Diags.Error())
			}
			if d.Message != tc.message || d.Service != tc.service {
				t.Errorf("service %q message\n  %q\nwant service %q and\n  %q", d.Service, d.Message, tc.service, tc.message)
			}
		})
	}
}

func compositeCompose(expr string) string {
	return fmt.Sprintf(`
services:
  web: {image: nginx}
x-alarms:
  Busy: {Properties: {Namespace: N, MetricName: M, Statistic: Sum, Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: GreaterThanThreshold}}
  Slow: {Properties: {Namespace: N, MetricName: L, Statistic: Average, Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: GreaterThanThreshold}}
  Both: {MacroParameters: {CompositeExpression: %q}}
`, expr)
}

// metricCompose is one alarm Q with the given metric lines.
func metricCompose(metric string) string {
	return fmt.Sprintf(`
services:
  web: {image: nginx}
x-alarms:
  Q:
    Properties:
      %s
      EvaluationPeriods: 1
      Threshold: 5
      ComparisonOperator: GreaterThanThreshold
`, metric)
}

// TestStepPolicies checks the generated step policies: bounds relative to
// the threshold, adjustment type, cooldown, the target they scale and the
// alarm actions that run them.
func TestStepPolicies(t *testing.T) {
	cases := []struct {
		name, op, scaling string
		adjustment        string
		cooldown          int
		steps             []any
		reset             []any // ExactCapacity's return to the minimum on OK
		warning           [2]string
	}{
		{"change in capacity upwards", gte, `{AdjustmentType: ChangeInCapacity, ScaleOutCooldown: 45, Steps: [{LowerBound: 0, UpperBound: 1000, Count: 2}, {LowerBound: 1000, Count: 5}]}`,
			"ChangeInCapacity", 45, []any{
				map[string]any{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 1000, "ScalingAdjustment": 2},
				map[string]any{"MetricIntervalLowerBound": 1000, "ScalingAdjustment": 5},
			}, nil, [2]string{}},
		{"scale in downwards", lte, `{AdjustmentType: ChangeInCapacity, Steps: [{LowerBound: -900, UpperBound: 0, Count: -1}, {UpperBound: -900, Count: -3}]}`,
			"ChangeInCapacity", 300, []any{
				map[string]any{"MetricIntervalLowerBound": -900, "MetricIntervalUpperBound": 0, "ScalingAdjustment": -1},
				map[string]any{"MetricIntervalUpperBound": -900, "ScalingAdjustment": -3},
			}, nil, [2]string{}},
		{"percent change", gte, `{AdjustmentType: PercentChangeInCapacity, Steps: [{LowerBound: 0, Count: 50}]}`,
			"PercentChangeInCapacity", 60, []any{map[string]any{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 50}}, nil, [2]string{}},
		{"exact capacity as compose-x", gte, `{ScaleInCooldown: 120, Steps: [{LowerBound: 0, UpperBound: 20, Count: 4}, {LowerBound: 20, UpperBound: 52, Count: 10}]}`,
			"ExactCapacity", 60, []any{
				map[string]any{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 4},
				map[string]any{"MetricIntervalLowerBound": 20, "ScalingAdjustment": 10},
			}, []any{map[string]any{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 2}},
			[2]string{"x-alarms.Busy.Services.like.Scaling.Steps.1.UpperBound", "the last step is open-ended: Application Auto Scaling needs a step for every value above the threshold, so UpperBound 52 is dropped (as compose-x does)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rendertest.MustRender(t, stepCompose(tc.op, tc.scaling))
			p := r.Get(t, "LikeBusyAlarmStepPolicy", policyType)
			if p["PolicyType"] != "StepScaling" || !reflect.DeepEqual(p["ScalingTargetId"], map[string]any{"Ref": "LikeScalableTarget"}) {
				t.Errorf("policy: %v", p)
			}
			cfg := p["StepScalingPolicyConfiguration"].(map[string]any)
			if cfg["AdjustmentType"] != tc.adjustment || cfg["Cooldown"] != tc.cooldown {
				t.Errorf("config: %v; want %s, cooldown %d", cfg, tc.adjustment, tc.cooldown)
			}
			if !reflect.DeepEqual(cfg["StepAdjustments"], tc.steps) {
				t.Errorf("steps:\n%v\nwant\n%v", cfg["StepAdjustments"], tc.steps)
			}
			alarm := r.Get(t, "BusyAlarm", alarmType)
			if !reflect.DeepEqual(alarm["AlarmActions"], []any{map[string]any{"Ref": "LikeBusyAlarmStepPolicy"}}) {
				t.Errorf("AlarmActions: %v", alarm["AlarmActions"])
			}
			if tc.reset == nil {
				if _, ok := r.Resources["LikeBusyAlarmResetPolicy"]; ok || alarm["OKActions"] != nil {
					t.Errorf("no reset policy expected: %v", alarm["OKActions"])
				}
			} else {
				rp := r.Get(t, "LikeBusyAlarmResetPolicy", policyType)["StepScalingPolicyConfiguration"].(map[string]any)
				if !reflect.DeepEqual(rp["StepAdjustments"], tc.reset) || rp["Cooldown"] != 120 || rp["AdjustmentType"] != "ExactCapacity" {
					t.Errorf("reset policy: %v", rp)
				}
				if !reflect.DeepEqual(alarm["OKActions"], []any{map[string]any{"Ref": "LikeBusyAlarmResetPolicy"}}) {
					t.Errorf("OKActions: %v", alarm["OKActions"])
				}
			}
			if tc.warning[0] != "" {
				d := rendertest.Find(r.Diags, render.Warning, tc.warning[0])
				if d == nil || d.Message != tc.warning[1] {
					t.Errorf("warning at %s: %v, want %q", tc.warning[0], d, tc.warning[1])
				}
			}
			rendertest.CfnLint(t, r.Template)
		})
	}
}

// fullCompose exercises every kind of alarm at once; the cfn-lint and
// moto tests deploy it.
const fullCompose = `
services:
  api:
    image: nginx
    deploy: {replicas: 2}
    x-scaling:
      Range: "2-12"
      TargetScaling: {CpuTarget: 60}
    x-alarms:
      Predefined:
        HighCpuUsageAndMaxScaledOut:
          Topics:
            - x-sns: ops
            - TopicArn: arn:aws:sns:us-east-1:123456789012:pager
              NotifyOn: [all]
        HighRamUsageAndMaxScaledOut:
          Topics: [ops]
          Settings: {MemoryUtilization: 90, RunningTaskCount: 10, Period: 300, EvaluationPeriods: 3}
  worker:
    image: busybox
x-sns:
  ops:
    Properties:
      Subscription:
        - {Protocol: email, Endpoint: ops@example.com}
  existing:
    TopicArn: arn:aws:sns:us-east-1:123456789012:existing
x-alarms:
  Busy:
    Properties:
      Namespace: Custom/App
      MetricName: QueueDepth
      Statistic: Maximum
      Period: 10
      EvaluationPeriods: 3
      DatapointsToAlarm: 2
      Threshold: 100
      ComparisonOperator: GreaterThanOrEqualToThreshold
    Topics:
      - {x-sns: ops, NotifyOn: all}
      - {x-sns: existing, NotifyOn: okay}
    Services:
      api:
        Scaling:
          AdjustmentType: ChangeInCapacity
          Steps:
            - {LowerBound: 0, UpperBound: 100, Count: 1}
            - {LowerBound: 100, Count: 3}
  Idle:
    Properties:
      Namespace: Custom/App
      MetricName: QueueDepth
      Statistic: Average
      Period: 60
      EvaluationPeriods: 5
      Threshold: 10
      ComparisonOperator: LessThanThreshold
    Services:
      api:
        Scaling:
          AdjustmentType: ChangeInCapacity
          ScaleInCooldown: 600
          Steps:
            - {LowerBound: -5, UpperBound: 0, Count: -1}
            - {UpperBound: -5, Count: -2}
  ApiCpu:
    MacroParameters: {ServiceName: api}
    Properties:
      Namespace: AWS/ECS
      MetricName: CPUUtilization
      Dimensions: [{Name: ClusterName, Value: placeholder}, {Name: Extra, Value: kept}]
      Statistic: Average
      Period: 60
      EvaluationPeriods: 2
      Threshold: 90
      ComparisonOperator: GreaterThanThreshold
  ErrorRate:
    Properties:
      ComparisonOperator: GreaterThanThreshold
      EvaluationPeriods: 3
      Threshold: 5
      TreatMissingData: notBreaching
      Metrics:
        - {Id: errors, ReturnData: false, MetricStat: {Metric: {Namespace: AWS/ApplicationELB, MetricName: HTTPCode_Target_5XX_Count, Dimensions: [{Name: LoadBalancer, Value: app/alb/1}]}, Period: 60, Stat: Sum}}
        - {Id: requests, ReturnData: false, MetricStat: {Metric: {Namespace: AWS/ApplicationELB, MetricName: RequestCount, Dimensions: [{Name: LoadBalancer, Value: app/alb/1}]}, Period: 60, Stat: Sum}}
        - {Id: rate, Expression: "100 * errors / requests", Label: error rate}
  CpuAnomaly:
    MacroParameters: {ServiceName: api}
    Properties:
      ComparisonOperator: LessThanLowerOrGreaterThanUpperThreshold
      EvaluationPeriods: 3
      ThresholdMetricId: band
      Metrics:
        - {Id: cpu, MetricStat: {Metric: {Namespace: AWS/ECS, MetricName: CPUUtilization}, Period: 300, Stat: Average}}
        - {Id: band, Expression: "ANOMALY_DETECTION_BAND(cpu, 2)"}
  Trouble:
    MacroParameters: {CompositeExpression: "alarm(Busy) and not ok(ErrorRate) OR ALARM(\"ApiCpu\")"}
    Topics: [ops]
`

// TestAlarmResources checks every alarm of fullCompose.
func TestAlarmResources(t *testing.T) {
	r := rendertest.MustRender(t, fullCompose)
	ref := func(id string) map[string]any { return map[string]any{"Ref": id} }
	const pager, existing = "arn:aws:sns:us-east-1:123456789012:pager", "arn:aws:sns:us-east-1:123456789012:existing"
	serviceDims := []any{
		map[string]any{"Name": "ClusterName", "Value": map[string]any{"Fn::If": []any{"CreateCluster", ref("Cluster"), ref("ClusterName")}}},
		map[string]any{"Name": "ServiceName", "Value": map[string]any{"Fn::GetAtt": []any{"ApiService", "Name"}}},
	}

	t.Run("topics", func(t *testing.T) {
		topics := r.Of(topicType)
		if len(topics) != 1 {
			t.Fatalf("one topic is created (existing is referenced by ARN): %v", topics)
		}
		sub := r.Get(t, "OpsTopic", topicType)["Subscription"]
		if !reflect.DeepEqual(sub, []any{map[string]any{"Protocol": "email", "Endpoint": "ops@example.com"}}) {
			t.Errorf("subscription: %v", sub)
		}
	})
	t.Run("predefined with defaults", func(t *testing.T) {
		cpu := r.Get(t, "ApiHighCpuUsageAlarm", alarmType)
		want := map[string]any{"Namespace": "AWS/ECS", "MetricName": "CPUUtilization", "Statistic": "Average", "Threshold": 75,
			"Period": 60, "EvaluationPeriods": 10, "DatapointsToAlarm": 5, "ComparisonOperator": "GreaterThanOrEqualToThreshold"}
		for k, v := range want {
			if cpu[k] != v {
				t.Errorf("%s = %v, want %v", k, cpu[k], v)
			}
		}
		if !reflect.DeepEqual(cpu["Dimensions"], serviceDims) {
			t.Errorf("dimensions: %v", cpu["Dimensions"])
		}
		tasks := r.Get(t, "ApiHighCpuUsageTaskCountAlarm", alarmType)
		if tasks["Namespace"] != "ECS/ContainerInsights" || tasks["MetricName"] != "RunningTaskCount" || tasks["Threshold"] != 12 ||
			tasks["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" {
			t.Errorf("task count alarm: %v", tasks)
		}
		comp := r.Get(t, "ApiHighCpuUsageAndMaxScaledOutAlarm", compositeType)
		if comp["AlarmRule"].(map[string]any)["Fn::Sub"] != "ALARM(${ApiHighCpuUsageAlarm.Arn}) AND ALARM(${ApiHighCpuUsageTaskCountAlarm.Arn})" {
			t.Errorf("rule: %v", comp["AlarmRule"])
		}
		if !reflect.DeepEqual(comp["AlarmActions"], []any{ref("OpsTopic"), pager}) || !reflect.DeepEqual(comp["OKActions"], []any{pager}) {
			t.Errorf("actions: %v / %v", comp["AlarmActions"], comp["OKActions"])
		}
	})
	t.Run("predefined with settings", func(t *testing.T) {
		ram := r.Get(t, "ApiHighRamUsageAlarm", alarmType)
		if ram["MetricName"] != "MemoryUtilization" || ram["Threshold"] != 90 || ram["Period"] != 300 || ram["EvaluationPeriods"] != 3 || ram["DatapointsToAlarm"] != 3 {
			t.Errorf("ram alarm: %v", ram)
		}
		if th := r.Get(t, "ApiHighRamUsageTaskCountAlarm", alarmType)["Threshold"]; th != 10 {
			t.Errorf("RunningTaskCount setting: %v", th)
		}
	})
	t.Run("step scaling alarms", func(t *testing.T) {
		busy := r.Get(t, "BusyAlarm", alarmType)
		if !reflect.DeepEqual(busy["AlarmActions"], []any{ref("OpsTopic"), ref("ApiBusyAlarmStepPolicy")}) ||
			!reflect.DeepEqual(busy["OKActions"], []any{ref("OpsTopic"), existing}) || busy["Period"] != 10 {
			t.Errorf("busy: %v", busy)
		}
		idle := r.Get(t, "IdleAlarm", alarmType)
		if !reflect.DeepEqual(idle["AlarmActions"], []any{ref("ApiIdleAlarmStepPolicy")}) {
			t.Errorf("idle actions: %v", idle["AlarmActions"])
		}
		cfg := r.Get(t, "ApiIdleAlarmStepPolicy", policyType)["StepScalingPolicyConfiguration"].(map[string]any)
		if cfg["Cooldown"] != 600 || cfg["MetricAggregationType"] != "Average" {
			t.Errorf("idle policy: %v", cfg)
		}
	})
	t.Run("ServiceName fills the dimensions", func(t *testing.T) {
		cpu := r.Get(t, "ApiCpuAlarm", alarmType)
		want := append([]any{map[string]any{"Name": "Extra", "Value": "kept"}}, serviceDims...)
		if !reflect.DeepEqual(cpu["Dimensions"], want) {
			t.Errorf("dimensions: %v\nwant %v", cpu["Dimensions"], want)
		}
		anomaly := r.Get(t, "CpuAnomalyAlarm", alarmType)
		m := anomaly["Metrics"].([]any)[0].(map[string]any)["MetricStat"].(map[string]any)["Metric"].(map[string]any)
		if !reflect.DeepEqual(m["Dimensions"], serviceDims) || anomaly["ThresholdMetricId"] != "band" || anomaly["Threshold"] != nil {
			t.Errorf("anomaly alarm: %v", anomaly)
		}
	})
	t.Run("metric math", func(t *testing.T) {
		er := r.Get(t, "ErrorRateAlarm", alarmType)
		if len(er["Metrics"].([]any)) != 3 || er["Period"] != nil {
			t.Errorf("metric math alarm: %v", er)
		}
	})
	t.Run("composite by name", func(t *testing.T) {
		c := r.Get(t, "TroubleAlarm", compositeType)
		want := `ALARM(${BusyAlarm.Arn}) AND NOT OK(${ErrorRateAlarm.Arn}) OR ALARM(${ApiCpuAlarm.Arn})`
		if c["AlarmRule"].(map[string]any)["Fn::Sub"] != want || !reflect.DeepEqual(c["AlarmActions"], []any{ref("OpsTopic")}) {
			t.Errorf("composite: %v\nwant rule %s", c, want)
		}
	})
	rendertest.CfnLint(t, r.Template)
}

// TestMoto deploys fullCompose into the emulator and reads back what the
// scaling and alarm APIs hold.
func TestMoto(t *testing.T) {
	r := rendertest.MustRender(t, fullCompose)
	out := rendertest.Moto(t, r.Template)
	targets := out["scalable_targets"].([]any)
	if len(targets) != 1 {
		t.Fatalf("scalable targets: %v", targets)
	}
	st := targets[0].(map[string]any)
	if st["MinCapacity"] != 2.0 || st["MaxCapacity"] != 12.0 || st["ScalableDimension"] != "ecs:service:DesiredCount" ||
		!strings.HasPrefix(st["ResourceId"].(string), "service/") {
		t.Errorf("target: %v", st)
	}
	policies := map[string]map[string]any{}
	for _, p := range out["scaling_policies"].([]any) {
		pm := p.(map[string]any)
		policies[pm["PolicyName"].(string)] = pm
	}
	names := make([]string, 0, len(policies))
	for n := range policies {
		names = append(names, n)
	}
	sort.Strings(names)
	if !reflect.DeepEqual(names, []string{"cpu-target-tracking", "step-Busy", "step-Idle"}) {
		t.Fatalf("policies: %v", names)
	}
	busy := policies["step-Busy"]["StepScalingPolicyConfiguration"].(map[string]any)
	wantSteps := []any{
		map[string]any{"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 100.0, "ScalingAdjustment": 1.0},
		map[string]any{"MetricIntervalLowerBound": 100.0, "ScalingAdjustment": 3.0},
	}
	if !reflect.DeepEqual(busy["StepAdjustments"], wantSteps) || busy["AdjustmentType"] != "ChangeInCapacity" {
		t.Errorf("step-Busy: %v", busy)
	}
	idle := policies["step-Idle"]["StepScalingPolicyConfiguration"].(map[string]any)
	if idle["Cooldown"] != 600.0 || len(idle["StepAdjustments"].([]any)) != 2 {
		t.Errorf("step-Idle: %v", idle)
	}
	alarms := map[string]map[string]any{}
	for _, a := range out["alarms"].([]any) {
		am := a.(map[string]any)
		name := am["AlarmName"].(string)
		if strings.HasPrefix(name, "probe-") {
			name = strings.TrimPrefix(name, "probe-")
			name = name[:strings.LastIndex(name, "-")] // CloudFormation's suffix
		}
		alarms[name] = am
	}
	busyAlarm := alarms["BusyAlarm"]
	if busyAlarm == nil {
		t.Fatalf("BusyAlarm not created: %v", alarms)
	}
	actions := busyAlarm["AlarmActions"].([]any)
	if len(actions) != 2 || !strings.HasPrefix(actions[0].(string), "arn:aws:sns:") || actions[1] != policies["step-Busy"]["PolicyARN"] {
		t.Errorf("BusyAlarm actions %v; want the ops topic and %v", actions, policies["step-Busy"]["PolicyARN"])
	}
	if ok := busyAlarm["OKActions"].([]any); len(ok) != 2 || ok[1] != "arn:aws:sns:us-east-1:123456789012:existing" {
		t.Errorf("BusyAlarm OK actions: %v", ok)
	}
	if a := alarms["IdleAlarm"]["AlarmActions"].([]any); len(a) != 1 || a[0] != policies["step-Idle"]["PolicyARN"] {
		t.Errorf("IdleAlarm actions: %v", a)
	}
	for _, name := range []string{"ApiHighCpuUsageAlarm", "ApiHighCpuUsageTaskCountAlarm", "ApiHighRamUsageAlarm", "ApiHighRamUsageTaskCountAlarm", "ApiCpuAlarm", "ErrorRateAlarm", "CpuAnomalyAlarm"} {
		if alarms[name] == nil {
			t.Errorf("%s not created", name)
		}
	}
	t.Logf("moto: %d scalable target, %d policies, %d alarms (composite alarms are not emulated)", len(targets), len(policies), len(alarms))
}

// TestSeeds renders both seeds with their alarms, topics and step policies.
func TestSeeds(t *testing.T) {
	cases := []struct {
		seed string
		ids  map[string]string
	}{
		{"seed-mysfits-workshop", map[string]string{
			"LikeScaleUpAlarm": alarmType, "LikeScaleDownAlarm": alarmType,
			"LikeLikeScaleUpAlarmStepPolicy": policyType, "LikeLikeScaleDownAlarmStepPolicy": policyType,
		}},
		{"seed-prometheus-blog", map[string]string{
			"ConnectAlarmsTopic":                      topicType,
			"ConnectHighCpuUsageAlarm":                alarmType,
			"ConnectHighCpuUsageTaskCountAlarm":       alarmType,
			"ConnectHighCpuUsageAndMaxScaledOutAlarm": compositeType,
			"ConnectHighRamUsageAlarm":                alarmType,
			"ConnectHighRamUsageTaskCountAlarm":       alarmType,
			"ConnectHighRamUsageAndMaxScaledOutAlarm": compositeType,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.seed, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(rendertest.SharedDir(), "fixtures", tc.seed, "docker-compose.yml"))
			if err != nil {
				t.Fatal(err)
			}
			r := rendertest.MustRender(t, string(data))
			for id, typ := range tc.ids {
				r.Get(t, id, typ)
			}
			if tc.seed == "seed-mysfits-workshop" {
				down := r.Get(t, "LikeLikeScaleDownAlarmStepPolicy", policyType)["StepScalingPolicyConfiguration"].(map[string]any)
				want := []any{
					map[string]any{"MetricIntervalLowerBound": -900, "MetricIntervalUpperBound": 0, "ScalingAdjustment": -10},
					map[string]any{"MetricIntervalUpperBound": -900, "ScalingAdjustment": -5},
				}
				if !reflect.DeepEqual(down["StepAdjustments"], want) || down["Cooldown"] != 300 {
					t.Errorf("scale-down policy: %v", down)
				}
			}
			rendertest.CfnLint(t, r.Template)
		})
	}
}
