package alarms

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"

	"github.com/composex/composex/render"
)

// A topic ARN may name the stack's partition, region and account through
// CloudFormation's pseudo parameters, so that one compose file serves every
// region it is deployed to: arn:aws:sns:${AWS::Region}:123456789012:ops
// (written $${AWS::Region} in a compose file, whose interpolation takes a
// lone ${...} for a variable).
var (
	reTopicArn = regexp.MustCompile(`^arn:(aws[a-z-]*|\$\{AWS::Partition\}):sns:([a-z]{2}(-[a-z]+)+-\d|\$\{AWS::Region\}):(\d{12}|\$\{AWS::AccountId\}):[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
	rePseudo   = regexp.MustCompile(`\$\{AWS::(Partition|Region|AccountId)\}`)
)

// topicArnValue is the template value of a topic ARN: the ARN itself, or
// Fn::Sub of it when it names pseudo parameters. Everything else in it is
// user text and is escaped, so only those three references are live.
func topicArnValue(arn string) string {
	if !rePseudo.MatchString(arn) {
		return arn
	}
	var b strings.Builder
	last := 0
	for _, loc := range rePseudo.FindAllStringIndex(arn, -1) {
		b.WriteString(render.EscapeSub(arn[last:loc[0]]))
		b.WriteString(arn[loc[0]:loc[1]])
		last = loc[1]
	}
	b.WriteString(render.EscapeSub(arn[last:]))
	return cloudformation.Sub(b.String())
}

// warnTopicRegion warns about a topic ARN that names a region: CloudWatch
// sends an alarm's notifications only to topics of the alarm's own region,
// so the alarm cannot be created by a stack deployed to another region, and
// the stack's region is known only at deploy time.
func warnTopicRegion(service, path, arn string, ds *render.Diagnostics) {
	m := reTopicArn.FindStringSubmatchIndex(arn)
	if m == nil || arn[m[4]:m[5]] == "${AWS::Region}" {
		return
	}
	region := arn[m[4]:m[5]]
	suggested := strings.ReplaceAll(arn[:m[4]]+"${AWS::Region}"+arn[m[5]:], "${", "$${")
	ds.Warnf(service, path,
		"%s names the region %s: CloudWatch alarms notify only topics of their own region, so a stack deployed to any other region cannot create the alarm, and the region is known only at deploy time; if the topic exists in every region you deploy to, write %s (compose needs the $ doubled), else deploy only to %s", arn, region, suggested, region)
}

// propertyTopics treats the SNS topic ARNs a user wrote in an alarm's own
// Properties (AlarmActions, OKActions, InsufficientDataActions) as Topics:
// ${AWS::Region} and the other pseudo parameters go through Fn::Sub, and a
// literal region is reported. Other actions (a scaling policy's ARN, an
// intrinsic composex wrote) do not match a topic ARN and stay as they are.
func propertyTopics(path string, alarm, ok, insufficient *[]string, ds *render.Diagnostics) {
	for _, l := range []struct {
		name string
		list *[]string
	}{{"AlarmActions", alarm}, {"OKActions", ok}, {"InsufficientDataActions", insufficient}} {
		for i, a := range *l.list {
			if !reTopicArn.MatchString(a) {
				continue
			}
			warnTopicRegion("", fmt.Sprintf("%s.Properties.%s.%d", path, l.name, i), a, ds)
			(*l.list)[i] = topicArnValue(a)
		}
	}
}
