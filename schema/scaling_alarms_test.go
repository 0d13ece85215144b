package schema_test

import (
	"strings"
	"testing"

	"github.com/composex/composex/extensions/alarms"
	"github.com/composex/composex/extensions/scaling"
	"github.com/composex/composex/render"
	"github.com/composex/composex/schema"
)

// agreeCase is one input to x-scaling, x-alarms or x-sns. The Go code of
// the extensions is the truth: the schema must accept what it accepts, and
// refuse what it refuses, with schemaMsg, unless schemaMsg is empty: then
// the rule is one a schema cannot state (a cross-field or cross-entry
// check) and only the Go code refuses it.
type agreeCase struct {
	name      string
	yaml      string
	ok        bool
	schemaMsg string
}

const scaled = "services:\n  web:\n    image: nginx\n    x-scaling:\n      Range: \"1-4\"\n"

func scalingCase(block string) string {
	return "services:\n  web:\n    image: nginx\n    x-scaling:\n" + indent(block, 6)
}

func alarmsCase(block string) string {
	return scaled + "    x-alarms:\n" + indent(block, 6) + "x-sns:\n  alerts: {Properties: {}}\n"
}

func topCase(block string) string {
	return scaled + "x-sns:\n  alerts: {Properties: {}}\n" + block
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// metric is a complete metric alarm's Properties, one key a line.
const metric = `Namespace: AWS/ECS
MetricName: CPUUtilization
Statistic: Average
Period: 60
EvaluationPeriods: 3
Threshold: 80
ComparisonOperator: GreaterThanOrEqualToThreshold
`

func alarm(props string) string {
	return "x-alarms:\n  busy:\n    Properties:\n" + indent(props, 6)
}

var agreeCases = []agreeCase{
	// x-scaling
	{"range only", scalingCase(`Range: "1-4"`), true, ""},
	{"range with spaces", scalingCase(`Range: " 2 - 10 "`), true, ""},
	{"range missing", scalingCase(`TargetScaling: {CpuTarget: 50}`), false, `missing required key "Range"`},
	{"range garbage", scalingCase(`Range: "1-"`), false, `Range is "MIN-MAX" task counts`},
	{"range inverted", scalingCase(`Range: "5-1"`), false, ""},
	{"range above 5000", scalingCase(`Range: "1-5001"`), false, ""},
	{"decimal targets", scalingCase("Range: \"1-4\"\nTargetScaling: {CpuTarget: 65.5, MemoryTarget: 0.5}"), true, ""},
	{"target 100", scalingCase("Range: \"1-4\"\nTargetScaling: {CpuTarget: 100}"), true, ""},
	{"target above 100", scalingCase("Range: \"1-4\"\nTargetScaling: {CpuTarget: 100.5}"), false, "a target is a utilisation percentage, above 0 and at most 100"},
	{"target zero", scalingCase("Range: \"1-4\"\nTargetScaling: {MemoryTarget: 0}"), false, "a target is a utilisation percentage, above 0 and at most 100"},
	{"no target (compose-x makes no policy: a warning)", scalingCase("Range: \"1-4\"\nTargetScaling: {ScaleInCooldown: 60}"), true, ""},
	{"cooldowns and DisableScaleIn", scalingCase("Range: \"1-4\"\nTargetScaling: {CpuTarget: 50, ScaleInCooldown: 0, ScaleOutCooldown: 86400, DisableScaleIn: true}"), true, ""},
	{"cooldown above a day", scalingCase("Range: \"1-4\"\nTargetScaling: {CpuTarget: 50, ScaleOutCooldown: 86401}"), false, "86401 is above the maximum of 86400; allowed: 0 to 86400"},
	// Whether the service is behind an ALB is judged when x-elbv2 has built
	// the target groups (Extend), not by either Validate.
	{"TgtTargetsCount", scalingCase("Range: \"1-4\"\nTargetScaling: {TgtTargetsCount: 100}"), true, ""},
	{"TgtTargetsCount zero", scalingCase("Range: \"1-4\"\nTargetScaling: {TgtTargetsCount: 0}"), false, "must be greater than 0"},
	{"scheduled actions", scalingCase(`Range: "1-4"
ScheduledActions:
  - ScheduledActionName: night.scale-in_1
    Schedule: cron(0 20 * * ? *)
    Timezone: Europe/Paris
    StartTime: "2026-12-01T00:00:00Z"
    EndTime: "2027-03-01T00:00:00+01:00"
    ScalableTargetAction: {MinCapacity: 0, MaxCapacity: 1}
    MacroParameters: {AddServiceName: true}
  - ScheduledActionName: morning
    Schedule: rate(1 day)
    ScalableTargetAction: {MaxCapacity: 5000}
    MacroParameters: {AddRandomId: true, AddServiceName: false}
  - ScheduledActionName: once
    Schedule: at(2026-12-24T18:00:00)
    StartTime: "2026-12-01T00:00:00"
    ScalableTargetAction: {MinCapacity: 2}`), true, ""},
	{"action name with a space (the API allows it)", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: night shift, Schedule: rate(1 day), ScalableTargetAction: {MinCapacity: 0}}"), true, ""},
	{"action name with a slash", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: night/shift, Schedule: rate(1 day), ScalableTargetAction: {MinCapacity: 0}}"), false, "not a scheduled action name"},
	{"action name ending with a space", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: 'night ', Schedule: rate(1 day), ScalableTargetAction: {MinCapacity: 0}}"), false, "not a scheduled action name"},
	{"compose-x's rate(1h) (written out, a warning)", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: a, Schedule: rate(1h), ScalableTargetAction: {MinCapacity: 0}}"), true, ""},
	{"rate in weeks", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: a, Schedule: rate(1w), ScalableTargetAction: {MinCapacity: 0}}"), false, "not a schedule"},
	{"action name too long", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: " + strings.Repeat("n", 201) + ", Schedule: rate(1 day), ScalableTargetAction: {MinCapacity: 0}}"), false, "not a scheduled action name"},
	{"action without name", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {Schedule: rate(1 day), ScalableTargetAction: {MinCapacity: 0}}"), false, `missing required key "ScheduledActionName"`},
	{"action without schedule", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: a, ScalableTargetAction: {MinCapacity: 0}}"), false, `missing required key "Schedule"`},
	{"bad schedule", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: a, Schedule: every day, ScalableTargetAction: {MinCapacity: 0}}"), false, "not a schedule"},
	{"rate of zero", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: a, Schedule: rate(0 days), ScalableTargetAction: {MinCapacity: 0}}"), false, "not a schedule"},
	{"bad start time", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: a, Schedule: rate(1 day), StartTime: tomorrow, ScalableTargetAction: {MinCapacity: 0}}"), false, "not a time"},
	{"end before start", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: a, Schedule: rate(1 day), StartTime: \"2027-01-01T00:00:00Z\", EndTime: \"2026-01-01T00:00:00Z\", ScalableTargetAction: {MinCapacity: 0}}"), false, ""},
	{"unknown time zone", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: a, Schedule: rate(1 day), Timezone: Mars/Olympus, ScalableTargetAction: {MinCapacity: 0}}"), false, ""},
	{"action without target action", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: a, Schedule: rate(1 day)}"), false, `missing required key "ScalableTargetAction"`},
	{"empty target action", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: a, Schedule: rate(1 day), ScalableTargetAction: {}}"), false, "give MinCapacity, MaxCapacity or both"},
	{"negative min capacity", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: a, Schedule: rate(1 day), ScalableTargetAction: {MinCapacity: -1}}"), false, "-1 is below the minimum of 0"},
	{"max capacity above 5000", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: a, Schedule: rate(1 day), ScalableTargetAction: {MaxCapacity: 5001}}"), false, "5001 is above the maximum of 5000"},
	{"min capacity above max", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: a, Schedule: rate(1 day), ScalableTargetAction: {MinCapacity: 3, MaxCapacity: 2}}"), false, ""},
	{"both name macros", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: a, Schedule: rate(1 day), ScalableTargetAction: {MinCapacity: 0}, MacroParameters: {AddServiceName: true, AddRandomId: true}}"), false, "give AddServiceName or AddRandomId, not both"},
	{"duplicate action names", scalingCase("Range: \"1-4\"\nScheduledActions:\n  - {ScheduledActionName: a, Schedule: rate(1 day), ScalableTargetAction: {MinCapacity: 0}}\n  - {ScheduledActionName: a, Schedule: rate(2 days), ScalableTargetAction: {MinCapacity: 1}}"), false, ""},

	// x-alarms (service)
	{"predefined with defaults", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut: {}"), true, ""},
	{"predefined without a value", alarmsCase("Predefined:\n  HighRamUsageAndMaxScaledOut:"), true, ""},
	{"predefined with everything", alarmsCase(`Predefined:
  HighCpuUsageAndMaxScaledOut:
    Topics:
      - alerts
      - arn:aws:sns:eu-west-1:123456789012:ops.fifo
      - {x-sns: alerts, NotifyOn: all}
      - {TopicArn: "arn:aws-us-gov:sns:us-gov-west-1:123456789012:ops", NotifyOn: [okay]}
    Settings: {CPUUtilization: 87.5, RunningTaskCount: 4, Period: 120, EvaluationPeriods: 5, DatapointsToAlarm: 5}
  HighRamUsageAndMaxScaledOut:
    Settings: {MemoryUtilization: 90}`), true, ""},
	{"no predefined alarm", alarmsCase("Predefined: {}"), false, "needs at least 1 key(s)"},
	{"no Predefined", alarmsCase("Custom: {}"), false, `unknown key "Custom"`},
	{"unknown predefined alarm", alarmsCase("Predefined:\n  HighDiskUsage: {}"), false, `unknown key "HighDiskUsage"`},
	{"setting of the other alarm", alarmsCase("Predefined:\n  HighRamUsageAndMaxScaledOut:\n    Settings: {CPUUtilization: 80}"), false, "HighRamUsageAndMaxScaledOut watches MemoryUtilization, not CPUUtilization"},
	{"threshold above 100", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Settings: {CPUUtilization: 101}"), false, "a utilisation threshold is a percentage, above 0 and at most 100"},
	{"running task count zero", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Settings: {RunningTaskCount: 0}"), false, "0 is below the minimum of 1"},
	{"period of 30 s (raised to 60 by the extension, with a warning)", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Settings: {Period: 30}"), true, ""},
	{"period of 0 s", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Settings: {Period: 0}"), false, "below the minimum of 1"},
	{"datapoints zero", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Settings: {DatapointsToAlarm: 0}"), false, "0 is below the minimum of 1"},
	{"datapoints above evaluations", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Settings: {EvaluationPeriods: 3, DatapointsToAlarm: 4}"), false, ""},
	{"evaluations beyond a day", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Settings: {Period: 3600, EvaluationPeriods: 25}"), false, ""},
	{"topic with both forms", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Topics: [{x-sns: alerts, TopicArn: \"arn:aws:sns:eu-west-1:123456789012:ops\"}]"), false, "a topic has exactly one of TopicArn"},
	{"topic with neither form", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Topics: [{NotifyOn: all}]"), false, "a topic has exactly one of TopicArn"},
	{"topic ARN of another service", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Topics: [\"arn:aws:sqs:eu-west-1:123456789012:ops\"]"), false, "not an SNS topic ARN"},
	{"topic ARN object of another service", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Topics: [{TopicArn: \"arn:aws:sqs:eu-west-1:123456789012:ops\"}]"), false, "not an SNS topic ARN"},
	{"empty topic", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Topics: [\"\"]"), false, "not an SNS topic ARN"},
	{"topic missing from x-sns", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Topics: [on-call]"), false, ""},
	{"notify on two values", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Topics: [{x-sns: alerts, NotifyOn: [alarm, okay]}]"), false, "takes at most 1 item(s)"},
	{"notify on a bad value", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Topics: [{x-sns: alerts, NotifyOn: ok}]"), false, `"ok" is not allowed; allowed: "alarm", "okay", "all"`},
	{"unknown topic key", alarmsCase("Predefined:\n  HighCpuUsageAndMaxScaledOut:\n    Topics: [{x-sns: alerts, Protocol: email}]"), false, `unknown key "Protocol"`},

	// x-sns
	{"sns created and existing", scaled + "x-sns:\n  a: {Properties: {TopicName: ops-alerts, DisplayName: Ops, Subscription: [{Endpoint: ops@example.com, Protocol: email}], Tags: [{Key: team, Value: ops}]}}\n  b: {TopicArn: \"arn:aws:sns:eu-west-1:123456789012:ops\"}\n  c: {Properties: {FifoTopic: true, TopicName: ops.fifo, ContentBasedDeduplication: true, SignatureVersion: \"2\", TracingConfig: Active, DeliveryStatusLogging: [{Protocol: sqs, SuccessFeedbackSampleRate: \"50\"}]}}\n", true, ""},
	{"sns neither form", scaled + "x-sns:\n  a: {}\n", false, "an x-sns topic has exactly one of Properties"},
	{"sns both forms", scaled + "x-sns:\n  a: {Properties: {}, TopicArn: \"arn:aws:sns:eu-west-1:123456789012:ops\"}\n", false, "an x-sns topic has exactly one of Properties"},
	{"sns lookup (a TopicArn parameter)", scaled + "x-sns:\n  a: {Lookup: {Tags: [{team: ops}]}}\n", true, ""},
	{"sns bad ARN", scaled + "x-sns:\n  a: {TopicArn: \"arn:aws:sns:eu-west-1:1234:ops\"}\n", false, "not an SNS topic ARN"},
	{"sns unknown property", scaled + "x-sns:\n  a: {Properties: {FifoThroughputScope: Topic}}\n", false, `unknown key "FifoThroughputScope"`},
	{"sns subscriptions typo", scaled + "x-sns:\n  a: {Properties: {Subscriptions: []}}\n", false, `unknown key "Subscriptions" (did you mean "Subscription"?)`},

	// x-alarms (top level)
	{"metric alarm", topCase(alarm(metric + "TreatMissingData: notBreaching\nDatapointsToAlarm: 2\nAlarmDescription: busy\nTags: [{Key: team, Value: ops}]\nEvaluateLowSampleCountPercentile: ignore")), true, ""},
	{"percentile alarm", topCase(alarm("Namespace: Custom/App\nMetricName: Latency\nExtendedStatistic: p99.9\nPeriod: 10\nEvaluationPeriods: 6\nThreshold: 0.25\nComparisonOperator: GreaterThanThreshold")), true, ""},
	{"alarm without Properties", topCase("x-alarms:\n  busy:\n    Topics: [alerts]\n"), false, "give Properties (the metric, threshold and comparison of the alarm) or MacroParameters.CompositeExpression"},
	{"alarm with ServiceName only", topCase("x-alarms:\n  busy:\n    MacroParameters: {ServiceName: web}\n"), false, ""},
	{"unknown alarm key", topCase(alarm(metric) + "    Scaling: {}\n"), false, `unknown key "Scaling"`},
	{"comparison unknown", topCase(alarm(strings.Replace(metric, "GreaterThanOrEqualToThreshold", "Above", 1))), false, `"Above" is not allowed`},
	{"comparison missing", topCase(alarm(strings.Replace(metric, "ComparisonOperator: GreaterThanOrEqualToThreshold\n", "", 1))), false, ""},
	{"period of 20 s", topCase(alarm(strings.Replace(metric, "Period: 60", "Period: 20", 1))), false, "CloudWatch alarm periods are 10, 30 (high-resolution metrics) or a multiple of 60 seconds"},
	{"period of 10 s on AWS/ECS", topCase(alarm(strings.Replace(metric, "Period: 60", "Period: 10", 1))), false, ""},
	{"statistic unknown", topCase(alarm(strings.Replace(metric, "Statistic: Average", "Statistic: Mean", 1))), false, `"Mean" is not allowed`},
	{"low sample count unknown", topCase(alarm(metric + "EvaluateLowSampleCountPercentile: skip")), false, `"skip" is not allowed; allowed: "evaluate", "ignore"`},
	{"composite only property on a metric alarm", topCase(alarm(metric + "ActionsSuppressor: other")), false, ""},
	{"metric math", topCase(alarm(`Metrics:
  - {Id: errors, MetricStat: {Metric: {Namespace: Custom/App, MetricName: Errors}, Period: 60, Stat: Sum}, ReturnData: false}
  - {Id: requests, MetricStat: {Metric: {Namespace: Custom/App, MetricName: Requests, Dimensions: [{Name: Stage, Value: prod}]}, Period: 60, Stat: Sum, Unit: Count}, ReturnData: false, AccountId: "123456789012"}
  - {Id: rate, Expression: 100*errors/requests, Label: Error rate, Period: 60}
EvaluationPeriods: 3
Threshold: 5
ComparisonOperator: GreaterThanThreshold`)), true, ""},
	{"anomaly band", topCase(alarm(`Metrics:
  - {Id: m1, MetricStat: {Metric: {Namespace: AWS/ECS, MetricName: CPUUtilization}, Period: 300, Stat: Average}}
  - {Id: band, Expression: "ANOMALY_DETECTION_BAND(m1, 2)"}
ThresholdMetricId: band
EvaluationPeriods: 2
ComparisonOperator: LessThanLowerOrGreaterThanUpperThreshold`)), true, ""},
	{"metrics entry with both forms", topCase(alarm("Metrics:\n  - {Id: m1, Expression: m2, MetricStat: {Metric: {MetricName: M}, Period: 60, Stat: Sum}}\nEvaluationPeriods: 1\nThreshold: 1\nComparisonOperator: GreaterThanThreshold")), false, "a Metrics entry has exactly one of Expression (metric math) or MetricStat (a metric)"},
	{"metrics entry without Id", topCase(alarm("Metrics:\n  - {Expression: \"1\"}\nEvaluationPeriods: 1\nThreshold: 1\nComparisonOperator: GreaterThanThreshold")), false, `missing required key "Id"`},
	{"metrics Id upper case", topCase(alarm("Metrics:\n  - {Id: M1, Expression: \"1\"}\nEvaluationPeriods: 1\nThreshold: 1\nComparisonOperator: GreaterThanThreshold")), false, "not a metric Id"},
	{"metric stat without period", topCase(alarm("Metrics:\n  - {Id: m1, MetricStat: {Metric: {MetricName: M}, Stat: Sum}}\nEvaluationPeriods: 1\nThreshold: 1\nComparisonOperator: GreaterThanThreshold")), false, `missing required key "Period"`},
	{"metric without name", topCase(alarm("Metrics:\n  - {Id: m1, MetricStat: {Metric: {Namespace: N}, Period: 60, Stat: Sum}}\nEvaluationPeriods: 1\nThreshold: 1\nComparisonOperator: GreaterThanThreshold")), false, `missing required key "MetricName"`},
	{"metrics beside MetricName", topCase(alarm(metric + "Metrics:\n  - {Id: m1, Expression: \"1\"}")), false, ""},
	{"composite", topCase(alarm(metric) + "  both:\n    MacroParameters: {CompositeExpression: ALARM(busy) AND NOT OK(busy)}\n    Topics: [{x-sns: alerts, NotifyOn: all}]\n  rule:\n    Properties: {AlarmRule: ALARM(busy) OR ALARM(\"outside\"), ActionsSuppressor: busy, ActionsSuppressorWaitPeriod: 60, ActionsSuppressorExtensionPeriod: 60, AlarmDescription: rule}\n"), true, ""},
	{"composite naming an unknown alarm", topCase(alarm(metric) + "  both:\n    MacroParameters: {CompositeExpression: ALARM(idle)}\n"), false, ""},
	{"service dimensions", topCase(alarm(metric) + "    MacroParameters: {ServiceName: web}\n"), true, ""},
	{"steps", topCase(alarm(metric) + `    Services:
      web:
        Scaling:
          AdjustmentType: ChangeInCapacity
          ScaleOutCooldown: 0
          Steps:
            - {LowerBound: 0, UpperBound: 10.5, Count: 1}
            - {LowerBound: 10.5, Count: 3}
`), true, ""},
	{"negative bounds and counts", topCase(alarm(strings.Replace(metric, "GreaterThanOrEqualToThreshold", "LessThanThreshold", 1)) + `    Services:
      web:
        Scaling:
          AdjustmentType: PercentChangeInCapacity
          ScaleInCooldown: 600
          Steps:
            - {UpperBound: 0, LowerBound: -20, Count: -25}
            - {UpperBound: -20, Count: -50}
`), true, ""},
	{"a step with only UpperBound", topCase(alarm(strings.Replace(metric, "GreaterThanOrEqualToThreshold", "LessThanThreshold", 1)) + "    Services:\n      web:\n        Scaling: {Steps: [{UpperBound: 0, Count: 1}]}\n"), true, ""},
	{"step without bounds", topCase(alarm(metric) + "    Services:\n      web:\n        Scaling: {Steps: [{Count: 2}]}\n"), false, "give LowerBound, UpperBound or both (relative to the alarm threshold)"},
	{"step without count", topCase(alarm(metric) + "    Services:\n      web:\n        Scaling: {Steps: [{LowerBound: 0}]}\n"), false, `missing required key "Count"`},
	{"step count not an integer", topCase(alarm(metric) + "    Services:\n      web:\n        Scaling: {Steps: [{LowerBound: 0, Count: 1.5}]}\n"), false, "expected an integer"},
	{"no steps", topCase(alarm(metric) + "    Services:\n      web:\n        Scaling: {Steps: []}\n"), false, "needs at least 1 item(s)"},
	{"no Scaling", topCase(alarm(metric) + "    Services:\n      web: {}\n"), false, `missing required key "Scaling"`},
	{"adjustment type unknown", topCase(alarm(metric) + "    Services:\n      web:\n        Scaling: {AdjustmentType: Exact, Steps: [{LowerBound: 0, Count: 2}]}\n"), false, `"Exact" is not allowed`},
	{"step cooldown above a day", topCase(alarm(metric) + "    Services:\n      web:\n        Scaling: {ScaleOutCooldown: 90000, Steps: [{LowerBound: 0, Count: 2}]}\n"), false, "90000 is above the maximum of 86400"},
	{"overlapping steps", topCase(alarm(metric) + "    Services:\n      web:\n        Scaling: {AdjustmentType: ChangeInCapacity, Steps: [{LowerBound: 0, UpperBound: 10, Count: 1}, {LowerBound: 5, Count: 2}]}\n"), false, ""},
	{"negative exact capacity", topCase(alarm(metric) + "    Services:\n      web:\n        Scaling: {Steps: [{LowerBound: 0, Count: -1}]}\n"), false, ""},
}

// TestSchemaAgreesWithGo runs each case through the schema and through the
// Validate of x-scaling and x-alarms (which also reads x-sns).
func TestSchemaAgreesWithGo(t *testing.T) {
	exts := []render.Extension{scaling.Extension{}, alarms.Extension{}}
	for _, c := range agreeCases {
		t.Run(c.name, func(t *testing.T) {
			in := loadYAML(t, c.yaml)
			var goDs render.Diagnostics
			for _, e := range exts {
				goDs = append(goDs, e.Validate(in)...)
			}
			schemaDs := schema.Validate(in)
			switch {
			case goDs.HasErrors() == c.ok:
				t.Errorf("the Go code says ok=%v, the case says %v:\n%s", !goDs.HasErrors(), c.ok, dump(goDs))
			case c.ok || c.schemaMsg == "":
				if schemaDs.HasErrors() {
					t.Errorf("the schema refuses what only the Go code may judge:\n%s", dump(schemaDs))
				}
			default:
				for _, d := range schemaDs {
					if strings.Contains(d.Message, c.schemaMsg) {
						return
					}
				}
				t.Errorf("want a schema error containing %q; got:\n%s\nthe Go code says:\n%s", c.schemaMsg, dump(schemaDs), dump(goDs))
			}
		})
	}
}
