// Package alarms reads x-alarms (a service's predefined alarms and the
// top-level alarms, composite alarms and alarm-driven step scaling) and
// x-sns (the topics alarms notify).
package alarms

import (
	"maps"
	"slices"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/sns"

	"github.com/composex/composex/render"
)

const key = "x-alarms"

// Extension implements render.Extension for x-alarms and x-sns.
type Extension struct{}

func (Extension) Name() string          { return key }
func (Extension) ServiceKeys() []string { return []string{key} }
func (Extension) ProjectKeys() []string { return []string{key, "x-sns"} }

// Validate checks x-sns, every service's x-alarms and the top-level
// x-alarms on their own. What needs the families (the service a step
// policy or ServiceName names, the scaling range of a predefined alarm) is
// checked in Extend, once x-scaling has recorded each family's range.
func (Extension) Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	read(in, &ds)
	return ds
}

// alarmID is the logical ID of a top-level alarm: its name in PascalCase,
// ending in Alarm.
func alarmID(name string) string { return withSuffix(render.LogicalName(name), "Alarm") }

// NamesByID maps the logical ID x-alarms gives each top-level alarm back
// to the alarm's name in the compose file, for the messages of extensions
// that read the rendered alarms (cwagent's resolution check, logmetrics).
func NamesByID(in *render.Input) map[string]string {
	out := map[string]string{}
	raw, _ := in.Project.Extensions["x-alarms"].(map[string]any)
	for name := range raw {
		out[alarmID(name)] = name
	}
	return out
}

// topicID is the logical ID of an x-sns topic composex creates.
func topicID(name string) string { return withSuffix(render.LogicalName(name), "Topic") }

func withSuffix(s, suffix string) string {
	if strings.HasSuffix(s, suffix) {
		return s
	}
	return s + suffix
}

// Extend adds the topics, the predefined alarms of each family, the
// top-level alarms and their step scaling policies.
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds render.Diagnostics
	var discard render.Diagnostics // Validate reported these already
	c := read(in, &discard)
	topics := addTopics(m, c, &ds)
	grantTopics(m, c, &ds)
	for _, f := range m.Families {
		addPredefined(f, c, topics, &ds)
	}
	addAlarms(m, c, topics, &ds)
	reportResetConflicts(m, c, &ds)
	return ds
}

// addTopics creates the x-sns topics that have Properties and returns the
// ARN (or Ref) of every x-sns topic by name.
func addTopics(m *render.Model, c *config, ds *render.Diagnostics) map[string]string {
	arns := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(c.sns)) {
		s := c.sns[name]
		if s.TopicArn != "" {
			arns[name] = topicArnValue(s.TopicArn)
			continue
		}
		if s.Lookup != nil {
			p := snsLookupParam(name)
			_ = m.AddParameter(p, render.Parameter{Type: "String", MinLength: 1, Description: "ARN (arn:aws:sns:REGION:ACCOUNT:NAME) of the existing SNS topic of x-sns." + name +
				" (its Lookup has compose-x find it by tags with an AWS call; composex renders offline)"})
			arns[name] = cloudformation.Ref(p)
			continue
		}
		t := sns.Topic(*s.Properties)
		id := topicID(name)
		if err := m.AddResource(id, &t); err != nil {
			ds.Errorf("", "x-sns."+render.Key(name), "%v", err)
			continue
		}
		arns[name] = cloudformation.Ref(id) // Ref of a topic is its ARN
	}
	return arns
}

// snsLookupParam is the template parameter that holds the ARN of an x-sns
// topic written with Lookup.
func snsLookupParam(name string) string { return render.LogicalName(name) + "TopicArn" }

// grantTopics lets the services named in an x-sns topic's Services publish
// to it: sns:Publish on the task role of each of their families, on that
// topic's ARN only (the created topic's Ref, the Lookup parameter's value,
// or the TopicArn as written, in which only ${AWS::Partition}, Region and
// AccountId stay live: the ARN pattern admits no * or ?).
func grantTopics(m *render.Model, c *config, ds *render.Diagnostics) {
	for _, name := range slices.Sorted(maps.Keys(c.sns)) {
		s := c.sns[name]
		var arn string
		switch {
		case s.TopicArn != "":
			arn = topicArnBody(s.TopicArn)
		case s.Lookup != nil:
			arn = "${" + snsLookupParam(name) + "}"
		default:
			arn = "${" + topicID(name) + "}"
		}
		for _, svc := range slices.Sorted(maps.Keys(s.Services)) {
			fs := familiesNamed(m, svc)
			if len(fs) == 0 {
				ds.Errorf("", "x-sns."+render.Key(name)+".Services."+render.Key(svc), "%q is neither a service nor a task family of this project", svc)
				continue
			}
			for _, f := range fs {
				f.TaskRole.AddPolicy("SnsPublish", render.Statement{Sid: "Publish" + render.LogicalName(name), Effect: "Allow", Action: []string{"sns:Publish"}, Resource: []string{arn}})
			}
		}
	}
}

// actions turns Topics into AlarmActions and OKActions (NotifyOn: alarm by
// default, okay, or all for both).
func actions(ts []Topic, arns map[string]string) (alarm, ok []string) {
	seenA, seenO := map[string]bool{}, map[string]bool{}
	for _, t := range ts {
		arn := topicArnValue(t.TopicArn)
		if t.Sns != "" {
			arn = arns[t.Sns]
		}
		on := "alarm"
		if len(t.NotifyOn.Values) == 1 {
			on = t.NotifyOn.Values[0]
		}
		if (on == "alarm" || on == "all") && !seenA[arn] {
			seenA[arn] = true
			alarm = append(alarm, arn)
		}
		if (on == "okay" || on == "all") && !seenO[arn] {
			seenO[arn] = true
			ok = append(ok, arn)
		}
	}
	return alarm, ok
}

// familiesNamed resolves a name used in x-alarms (Services, ServiceName) to
// task families: a compose service's families, else the family of that
// name (compose-x files name families).
func familiesNamed(m *render.Model, name string) []*render.Family {
	if fs := m.FamiliesOf(name); len(fs) > 0 {
		return fs
	}
	if f := m.Family(name); f != nil {
		return []*render.Family{f}
	}
	return nil
}
