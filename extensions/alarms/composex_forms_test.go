package alarms_test

import (
	"reflect"
	"sort"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// policyStatements returns the statements of the named inline policy of
// a role resource.
func policyStatements(t *testing.T, role rendertest.Resource, name string) []any {
	t.Helper()
	pols, _ := role.Properties["Policies"].([]any)
	for _, p := range pols {
		if rendertest.Dig(p, "PolicyName") == name {
			sts, _ := rendertest.Dig(p, "PolicyDocument", "Statement").([]any)
			return sts
		}
	}
	t.Fatalf("no policy %s in %#v", name, role.Properties["Policies"])
	return nil
}

// compose-x writes a predefined alarm's Period as 30 on AWS/ECS metrics,
// which are published once a minute: CloudWatch would see no datapoint
// in every other 30 s period and report INSUFFICIENT_DATA, so the alarm
// CloudWatch evaluates runs on 60 s, and the user is told.
func TestPredefinedPeriodRaisedToAMinute(t *testing.T) {
	r := rendertest.MustRender(t, `
services:
  web:
    image: nginx
    x-scaling: {Range: "1-4"}
    x-alarms:
      Predefined:
        HighCpuUsageAndMaxScaledOut: {Settings: {Period: 30, EvaluationPeriods: 15, DatapointsToAlarm: 10}}
`)
	d := rendertest.Find(r.Diags, render.Warning, "services.web.x-alarms.Predefined.HighCpuUsageAndMaxScaledOut.Settings.Period")
	if d == nil || d.Message != "30 s is not a whole number of minutes and AWS/ECS publishes one datapoint per minute (a 30 s alarm would see no datapoint in some periods: INSUFFICIENT_DATA); using 60 s" {
		t.Errorf("want the warning naming 30 and 60; got:\n%s", r.Diags.Error())
	}
	found := false
	for id, a := range r.Of(alarmType) {
		if a.Properties["MetricName"] == "CPUUtilization" {
			found = true
			if a.Properties["Period"] != 60 || a.Properties["EvaluationPeriods"] != 15 {
				t.Errorf("%s: Period %v EvaluationPeriods %v; want 60 and 15", id, a.Properties["Period"], a.Properties["EvaluationPeriods"])
			}
		}
	}
	if !found {
		t.Fatalf("no CPUUtilization alarm")
	}
}

// compose-x's files write topic ARNs as arn:aws:sns:REGION:ACCOUNT:topic/NAME.
// SNS ARNs end in the bare topic name, so the alarm would notify nothing:
// the ARN is accepted as written and the user told which ARN was meant.
func TestTopicArnWithPath(t *testing.T) {
	r := rendertest.MustRender(t, `
services:
  web: {image: nginx}
x-alarms:
  Q:
    Properties: {Namespace: N, MetricName: M, Statistic: Sum, Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: GreaterThanThreshold}
    Topics:
      - TopicArn: arn:aws:sns:eu-west-1:012346578900:topic/sometopic
`)
	d := rendertest.Find(r.Diags, render.Warning, "x-alarms.Q.Topics.0.TopicArn")
	want := `arn:aws:sns:eu-west-1:012346578900:topic/sometopic: "topic/sometopic" is not an SNS topic name (1 to 256 letters, digits, - or _, and .fifo), and SNS topic ARNs end in the bare name (did you mean arn:aws:sns:eu-west-1:012346578900:sometopic?); notifications to it fail unless such a topic exists`
	if d == nil || d.Message != want {
		t.Errorf("want\n  %s\ngot:\n%s", want, r.Diags.Error())
	}
	a := r.Resources["QAlarm"].Properties
	if !reflect.DeepEqual(a["AlarmActions"], []any{"arn:aws:sns:eu-west-1:012346578900:topic/sometopic"}) {
		t.Errorf("AlarmActions %#v", a["AlarmActions"])
	}
}

func TestTopicArnNeverAWildcard(t *testing.T) {
	rendertest.ExpectRefused(t, `
services:
  web: {image: nginx}
x-sns:
  ops:
    TopicArn: "arn:aws:sns:eu-west-1:123456789012:*"
    Services: {web: {Access: Publish}}
`, nil, "x-sns.ops.TopicArn", `"arn:aws:sns:eu-west-1:123456789012:*" is not an SNS topic ARN (arn:PARTITION:sns:REGION:ACCOUNT:NAME, no * or ?)`)
}

// Access in an alarm's Services grants nothing (an alarm gives no IAM
// access): NA, compose-x's value, is silent, anything else is warned about;
// on a composite alarm, Services is ignored as compose-x documents.
func TestAlarmServicesAccess(t *testing.T) {
	r := rendertest.MustRender(t, `
services:
  web: {image: nginx, x-scaling: {Range: "1-3"}}
x-alarms:
  A:
    Properties: {Namespace: N, MetricName: M, Statistic: Sum, Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: GreaterThanThreshold}
    Services: {web: {Access: NA, Scaling: {Steps: [{LowerBound: 0, Count: 2}]}}}
  B:
    MacroParameters: {CompositeExpression: ALARM(A)}
    Services: {web: {Access: RW, Scaling: {Steps: [{LowerBound: 0, Count: 2}]}}}
`)
	if d := rendertest.Find(r.Diags, render.Warning, "x-alarms.A.Services.web.Access"); d != nil {
		t.Errorf("Access: NA must be silent: %s", d.Message)
	}
	if d := rendertest.Find(r.Diags, render.Warning, "x-alarms.B.Services.web.Access"); d == nil ||
		d.Message != "an alarm grants a service no access, so Access means nothing here and is ignored (as compose-x does)" {
		t.Errorf("want the Access warning; got:\n%s", r.Diags.Error())
	}
	if d := rendertest.Find(r.Diags, render.Warning, "x-alarms.B.Services"); d == nil ||
		d.Message != "a composite alarm cannot run scaling policies (its actions are notifications), so Services is ignored, as compose-x does; scale from one of the metric alarms it combines" {
		t.Errorf("want the composite Services warning; got:\n%s", r.Diags.Error())
	}
	var ids []string
	for id := range r.Of(policyType) {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if !reflect.DeepEqual(ids, []string{"WebAAlarmResetPolicy", "WebAAlarmStepPolicy"}) {
		t.Errorf("scaling policies %v; want A's only", ids)
	}
}

// x-sns Services Access Publish lets the family's tasks publish to that
// topic: sns:Publish on the task role, on the topic's ARN only (created
// topic's Ref, a Lookup's parameter), never on the execution role.
func TestSnsServicesPublish(t *testing.T) {
	r := rendertest.MustRender(t, `
services:
  web: {image: nginx}
  worker: {image: nginx}
x-sns:
  abcd:
    Properties: {}
    Services: {web: {Access: Publish}}
  hello:
    Lookup: {Tags: [{costcentre: lambda}]}
    Services: {web: {Access: Publish}, worker: {Access: Publish}}
`)
	sts := policyStatements(t, r.Resources["WebTaskRole"], "SnsPublish")
	want := []any{
		map[string]any{"Sid": "PublishAbcd", "Effect": "Allow", "Action": []any{"sns:Publish"}, "Resource": []any{map[string]any{"Fn::Sub": "${AbcdTopic}"}}},
		map[string]any{"Sid": "PublishHello", "Effect": "Allow", "Action": []any{"sns:Publish"}, "Resource": []any{map[string]any{"Fn::Sub": "${HelloTopicArn}"}}},
	}
	if !reflect.DeepEqual(sts, want) {
		t.Errorf("web's SnsPublish:\n got %#v\nwant %#v", sts, want)
	}
	if sts := policyStatements(t, r.Resources["WorkerTaskRole"], "SnsPublish"); len(sts) != 1 {
		t.Errorf("worker's SnsPublish: %#v", sts)
	}
	if _, made := r.Resources["HelloTopic"]; made {
		t.Errorf("a looked-up topic must not be created")
	}
	p := rendertest.Parameters(t, r.Template)["HelloTopicArn"]
	if p["Type"] != "String" || p["MinLength"] != 1 || p["Default"] != nil ||
		p["Description"] != "ARN (arn:aws:sns:REGION:ACCOUNT:NAME) of the existing SNS topic of x-sns.hello (its Lookup has compose-x find it by tags with an AWS call; composex renders offline)" {
		t.Errorf("HelloTopicArn: %#v", p)
	}
}
