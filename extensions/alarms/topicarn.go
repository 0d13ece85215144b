package alarms

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/awslabs/goformation/v7/cloudformation"

	"github.com/composex/composex/render"
)

// A topic ARN may name the stack's partition, region and account through
// CloudFormation's pseudo parameters, so that one compose file serves every
// region it is deployed to: arn:aws:sns:${AWS::Region}:123456789012:ops
// (written $${AWS::Region} in a compose file, whose interpolation takes a
// lone ${...} for a variable).
var (
	// Compiled at first use: a counted repetition of hundreds compiles to a
	// program that large, which every process used to build at start.
	reTopicArn = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^arn:(aws[a-z-]*|\$\{AWS::Partition\}):sns:([a-z]{2}(-[a-z]+)+-\d|\$\{AWS::Region\}):(\d{12}|\$\{AWS::AccountId\}):([A-Za-z0-9_./:-]{1,256})$`)
	})
	// reTopicName is what SNS allows as a topic name, the resource part of
	// its ARN. The ARN pattern above is wider (compose-x's files write
	// arn:aws:sns:REGION:ACCOUNT:topic/NAME) but never lets * or ? through,
	// so a topic ARN cannot become an IAM wildcard.
	reTopicName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}(\.fifo)?$`) })
	rePseudo    = regexp.MustCompile(`\$\{AWS::(Partition|Region|AccountId)\}`)
)

// topicArnValue is the template value of a topic ARN: the ARN itself, or
// Fn::Sub of it when it names pseudo parameters. Everything else in it is
// user text and is escaped, so only those three references are live.
func topicArnValue(arn string) string {
	if !rePseudo.MatchString(arn) {
		return arn
	}
	return cloudformation.Sub(topicArnBody(arn))
}

// topicArnBody is the Fn::Sub text of a topic ARN: its pseudo parameters
// live, everything else escaped.
func topicArnBody(arn string) string {
	var b strings.Builder
	last := 0
	for _, loc := range rePseudo.FindAllStringIndex(arn, -1) {
		b.WriteString(render.EscapeSub(arn[last:loc[0]]))
		b.WriteString(arn[loc[0]:loc[1]])
		last = loc[1]
	}
	b.WriteString(render.EscapeSub(arn[last:]))
	return b.String()
}

// warnTopicName warns about an SNS ARN whose resource part is not a topic
// name: SNS topic ARNs end in the bare name, so CloudWatch's notification
// to such an ARN (or a publish by a task) fails at run time unless the ARN
// is corrected. It is passed as written, and grants exactly that string.
func warnTopicName(service, path, arn string, ds *render.Diagnostics) {
	m := reTopicArn().FindStringSubmatch(arn)
	if m == nil || reTopicName().MatchString(m[5]) {
		return
	}
	hint := ""
	if i := strings.LastIndexAny(m[5], "/:"); i >= 0 && reTopicName().MatchString(m[5][i+1:]) {
		hint = fmt.Sprintf(" (did you mean %s%s?)", strings.TrimSuffix(arn, m[5]), m[5][i+1:])
	}
	ds.Warnf(service, path, "%s: %q is not an SNS topic name (1 to 256 letters, digits, - or _, and .fifo), and SNS topic ARNs end in the bare name%s; notifications to it fail unless such a topic exists", arn, m[5], hint)
}

// warnTopicRegion warns about a topic ARN that names a region: CloudWatch
// sends an alarm's notifications only to topics of the alarm's own region,
// so the alarm cannot be created by a stack deployed to another region, and
// the stack's region is known only at deploy time.
func warnTopicRegion(service, path, arn string, ds *render.Diagnostics) {
	warnTopicName(service, path, arn, ds)
	m := reTopicArn().FindStringSubmatchIndex(arn)
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
			if !reTopicArn().MatchString(a) {
				continue
			}
			warnTopicRegion("", fmt.Sprintf("%s.Properties.%s.%d", path, l.name, i), a, ds)
			(*l.list)[i] = topicArnValue(a)
		}
	}
}
