package alarms

import (
	"encoding/json"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"
	"github.com/awslabs/goformation/v7/cloudformation/sns"
	"github.com/awslabs/goformation/v7/cloudformation/tags"

	"github.com/composex/composex/render"
)

// ServiceAlarms is the service-level x-alarms block.
type ServiceAlarms struct {
	Predefined map[string]*Predefined `json:"Predefined"`
}

// Predefined is one predefined alarm of a service.
type Predefined struct {
	Topics   []Topic   `json:"Topics,omitempty"`
	Settings *Settings `json:"Settings,omitempty"`
}

// Settings tune a predefined alarm; see defaultsFor for the defaults.
type Settings struct {
	CPUUtilization    *float64 `json:"CPUUtilization,omitempty"`
	MemoryUtilization *float64 `json:"MemoryUtilization,omitempty"`
	RunningTaskCount  *int     `json:"RunningTaskCount,omitempty"`
	Period            *int     `json:"Period,omitempty"`
	EvaluationPeriods *int     `json:"EvaluationPeriods,omitempty"`
	DatapointsToAlarm *int     `json:"DatapointsToAlarm,omitempty"`
}

// Topic is where an alarm notifies: `x-sns: name`, `TopicArn: arn`, or a
// plain string (an ARN when it starts with arn:, else an x-sns name).
type Topic struct {
	TopicArn string   `json:"TopicArn,omitempty"`
	Sns      string   `json:"x-sns,omitempty"`
	NotifyOn NotifyOn `json:"NotifyOn,omitempty"`
}

// UnmarshalJSON accepts a string or {TopicArn|x-sns, NotifyOn}.
func (t *Topic) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if strings.HasPrefix(s, "arn:") {
			t.TopicArn = s
		} else {
			t.Sns = s
		}
		return nil
	}
	type plain Topic
	var v plain
	if err := render.DecodeExtension(json.RawMessage(b), &v); err != nil {
		return err
	}
	*t = Topic(v)
	return nil
}

// NotifyOn is alarm, okay or all, written as a string or a one-element
// list (compose-x's schema says list, its code says string).
type NotifyOn struct {
	Values []string
}

// UnmarshalJSON accepts a string or a list of strings; Validate checks it.
func (n *NotifyOn) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		n.Values = []string{s}
		return nil
	}
	return json.Unmarshal(b, &n.Values)
}

// IsZero lets NotifyOn be omitted.
func (n NotifyOn) IsZero() bool { return len(n.Values) == 0 }

// Alarm is one entry of the top-level x-alarms.
type Alarm struct {
	Properties      *Properties               `json:"Properties,omitempty"`
	MacroParameters *Macros                   `json:"MacroParameters,omitempty"`
	Topics          []Topic                   `json:"Topics,omitempty"`
	Services        map[string]*ServiceTarget `json:"Services,omitempty"`
}

// Macros are compose-x's helpers for alarms.
type Macros struct {
	// ServiceName fills the ClusterName and ServiceName dimensions with the
	// ECS service of this compose service's (or family's) task family.
	ServiceName string `json:"ServiceName,omitempty"`
	// CompositeExpression is an AlarmRule over other x-alarms by name.
	CompositeExpression string `json:"CompositeExpression,omitempty"`
}

// ServiceTarget is what the alarm does to one service.
type ServiceTarget struct {
	Scaling *StepScaling `json:"Scaling"`
	// Access is compose-x's common Services key (what IAM access a service
	// gets to the resource); an alarm gives none, so it has no meaning here
	// and compose-x ignores it. Read so that its files decode; any value but
	// NA is warned about.
	Access any `json:"Access,omitempty"`
}

// StepScaling is a step scaling policy run by the alarm.
type StepScaling struct {
	// AdjustmentType is ExactCapacity (default, as compose-x),
	// ChangeInCapacity or PercentChangeInCapacity.
	AdjustmentType   string `json:"AdjustmentType,omitempty"`
	Steps            []Step `json:"Steps"`
	ScaleInCooldown  *int   `json:"ScaleInCooldown,omitempty"`
	ScaleOutCooldown *int   `json:"ScaleOutCooldown,omitempty"`
}

// Step is one step adjustment; bounds are relative to the alarm threshold.
type Step struct {
	LowerBound *float64 `json:"LowerBound,omitempty"`
	UpperBound *float64 `json:"UpperBound,omitempty"`
	Count      *int     `json:"Count"`
}

// Properties are those of AWS::CloudWatch::Alarm, or of
// AWS::CloudWatch::CompositeAlarm when AlarmRule is given.
type Properties struct {
	ActionsEnabled                   *bool                              `json:"ActionsEnabled,omitempty"`
	AlarmActions                     []string                           `json:"AlarmActions,omitempty"`
	AlarmDescription                 *string                            `json:"AlarmDescription,omitempty"`
	AlarmName                        *string                            `json:"AlarmName,omitempty"`
	ComparisonOperator               string                             `json:"ComparisonOperator,omitempty"`
	DatapointsToAlarm                *int                               `json:"DatapointsToAlarm,omitempty"`
	Dimensions                       []cloudwatch.Alarm_Dimension       `json:"Dimensions,omitempty"`
	EvaluateLowSampleCountPercentile *string                            `json:"EvaluateLowSampleCountPercentile,omitempty"`
	EvaluationPeriods                *int                               `json:"EvaluationPeriods,omitempty"`
	ExtendedStatistic                *string                            `json:"ExtendedStatistic,omitempty"`
	InsufficientDataActions          []string                           `json:"InsufficientDataActions,omitempty"`
	MetricName                       *string                            `json:"MetricName,omitempty"`
	Metrics                          []cloudwatch.Alarm_MetricDataQuery `json:"Metrics,omitempty"`
	Namespace                        *string                            `json:"Namespace,omitempty"`
	OKActions                        []string                           `json:"OKActions,omitempty"`
	Period                           *int                               `json:"Period,omitempty"`
	Statistic                        *string                            `json:"Statistic,omitempty"`
	Tags                             []tags.Tag                         `json:"Tags,omitempty"`
	Threshold                        *float64                           `json:"Threshold,omitempty"`
	ThresholdMetricId                *string                            `json:"ThresholdMetricId,omitempty"`
	TreatMissingData                 *string                            `json:"TreatMissingData,omitempty"`
	Unit                             *string                            `json:"Unit,omitempty"`

	// Composite alarm only.
	AlarmRule                        *string `json:"AlarmRule,omitempty"`
	ActionsSuppressor                *string `json:"ActionsSuppressor,omitempty"`
	ActionsSuppressorExtensionPeriod *int    `json:"ActionsSuppressorExtensionPeriod,omitempty"`
	ActionsSuppressorWaitPeriod      *int    `json:"ActionsSuppressorWaitPeriod,omitempty"`
}

// Sns is one entry of the top-level x-sns: a topic composex creates
// (Properties of AWS::SNS::Topic) or an existing one (TopicArn).
type Sns struct {
	Properties *TopicProperties `json:"Properties,omitempty"`
	TopicArn   string           `json:"TopicArn,omitempty"`
	// Lookup is an existing topic compose-x finds by tags: composex renders
	// offline, so its ARN is the template parameter LookupParam(name).
	Lookup any `json:"Lookup,omitempty"`
	// Services gives services (or task families) access to the topic:
	// Access Publish lets their tasks publish to it (sns:Publish on this
	// topic only, on the family's task role), as compose-x does.
	Services map[string]*SnsAccess `json:"Services,omitempty"`
}

// SnsAccess is what one service may do with an x-sns topic.
type SnsAccess struct {
	Access string `json:"Access"`
}

// TopicProperties are the properties of AWS::SNS::Topic.
type TopicProperties sns.Topic
