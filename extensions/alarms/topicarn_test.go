package alarms_test

import (
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// TestTopicArnRegion: CloudWatch notifies only topics of the alarm's own
// region, and the stack's region is known at deploy time. A literal region
// in a topic ARN is reported with the fix; ${AWS::Region} (and
// ${AWS::AccountId}, ${AWS::Partition}) are accepted and emitted through
// Fn::Sub.
func TestTopicArnRegion(t *testing.T) {
	compose := func(arn string) string {
		return `
services:
  api:
    image: nginx
    x-scaling: {Range: "1-4"}
    x-alarms:
      Predefined:
        HighCpuUsageAndMaxScaledOut:
          Topics: [{TopicArn: "` + arn + `"}, pager]
x-sns:
  pager: {TopicArn: "` + arn + `"}
`
	}
	t.Run("literal region", func(t *testing.T) {
		r := rendertest.MustRender(t, compose("arn:aws:sns:eu-west-1:123456789012:pager"))
		want := "arn:aws:sns:eu-west-1:123456789012:pager names the region eu-west-1: CloudWatch alarms notify only topics of their own region, so a stack deployed to any other region cannot create the alarm, and the region is known only at deploy time; if the topic exists in every region you deploy to, write arn:aws:sns:$${AWS::Region}:123456789012:pager (compose needs the $ doubled), else deploy only to eu-west-1"
		for _, path := range []string{"x-sns.pager.TopicArn", "services.api.x-alarms.Predefined.HighCpuUsageAndMaxScaledOut.Topics.0.TopicArn"} {
			d := rendertest.Find(r.Diags, render.Warning, path)
			if d == nil || d.Message != want {
				t.Errorf("warning at %s: got %v, want\n  %q\n%s", path, d, want, r.Diags.Error())
			}
		}
	})
	t.Run("region of the stack", func(t *testing.T) {
		r := rendertest.MustRender(t, compose("arn:$${AWS::Partition}:sns:$${AWS::Region}:$${AWS::AccountId}:pager"))
		for _, d := range r.Diags.Warnings() {
			if d.Path == "x-sns.pager.TopicArn" {
				t.Errorf("unexpected warning: %s", d)
			}
		}
		composite := r.Get(t, "ApiHighCpuUsageAndMaxScaledOutAlarm", "AWS::CloudWatch::CompositeAlarm")
		rendertest.EqualJSON(t, "AlarmActions", composite["AlarmActions"],
			`[{"Fn::Sub":"arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:pager"}]`)
	})
	t.Run("other references are refused", func(t *testing.T) {
		rendertest.ExpectRefused(t, compose("arn:aws:sns:$${Bucket}:123456789012:pager"), nil, "x-sns.pager.TopicArn",
			`"arn:aws:sns:${Bucket}:123456789012:pager" is not an SNS topic ARN (arn:PARTITION:sns:REGION:ACCOUNT:NAME, no * or ?)`)
	})
}

// TestPropertyActionTopics: SNS topic ARNs written in an alarm's own
// Properties actions follow the same rules as Topics.
func TestPropertyActionTopics(t *testing.T) {
	r := rendertest.MustRender(t, `
services:
  api:
    image: nginx
x-alarms:
  Errors:
    Properties:
      Namespace: Shop/App
      MetricName: Errors
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 10
      ComparisonOperator: GreaterThanThreshold
      AlarmActions: ["arn:aws:sns:$${AWS::Region}:123456789012:ops"]
      OKActions: ["arn:aws:sns:eu-west-1:123456789012:ops"]
`)
	al := r.Get(t, "ErrorsAlarm", "AWS::CloudWatch::Alarm")
	rendertest.EqualJSON(t, "AlarmActions", al["AlarmActions"], `[{"Fn::Sub":"arn:aws:sns:${AWS::Region}:123456789012:ops"}]`)
	rendertest.EqualJSON(t, "OKActions", al["OKActions"], `["arn:aws:sns:eu-west-1:123456789012:ops"]`)
	if d := rendertest.Find(r.Diags, render.Warning, "x-alarms.Errors.Properties.OKActions.0"); d == nil {
		t.Errorf("no warning about the literal region:\n%s", r.Diags.Error())
	}
	if d := rendertest.Find(r.Diags, render.Warning, "x-alarms.Errors.Properties.AlarmActions.0"); d != nil {
		t.Errorf("unexpected warning: %s", d)
	}
}
