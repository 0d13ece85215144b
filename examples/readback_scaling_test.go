package examples

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// This file reads back the scaling and alarm examples from what moto
// created: the scalable targets (min, max, ResourceId), the scaling policies
// (target tracking values and cooldowns, step adjustments), and the metric
// alarms with their actions (step policy ARNs, topic ARNs).
//
// Two things moto does not keep are checked in the rendered template instead:
//   - moto 5.2.1 has no CloudFormation handler for
//     AWS::CloudWatch::CompositeAlarm: the stack skips the resource (it
//     reaches CREATE_COMPLETE without it), so the composite alarms, their
//     rules and actions are read from the template;
//   - moto_plus's ScalableTarget handler does not register ScheduledActions,
//     and its Alarm handler drops Metrics and ThresholdMetricId.
func init() {
	motoChecks["scaling-target-tracking"] = checkScalingTargetTracking
	motoChecks["scaling-schedules"] = checkScalingSchedules
	motoChecks["scaling-steps"] = checkScalingSteps
	motoChecks["alarms-predefined"] = checkAlarmsPredefined
	motoChecks["alarms-composite"] = checkAlarmsComposite
}

type motoScalableTarget struct {
	ServiceNamespace  string `json:"ServiceNamespace"`
	ResourceId        string `json:"ResourceId"`
	ScalableDimension string `json:"ScalableDimension"`
	MinCapacity       int    `json:"MinCapacity"`
	MaxCapacity       int    `json:"MaxCapacity"`
}

type motoStep struct {
	Lower *float64 `json:"MetricIntervalLowerBound"`
	Upper *float64 `json:"MetricIntervalUpperBound"`
	Count int      `json:"ScalingAdjustment"`
}

type motoScalingPolicy struct {
	PolicyARN      string `json:"PolicyARN"`
	PolicyName     string `json:"PolicyName"`
	ResourceId     string `json:"ResourceId"`
	PolicyType     string `json:"PolicyType"`
	TargetTracking *struct {
		TargetValue float64 `json:"TargetValue"`
		Predefined  struct {
			Type string `json:"PredefinedMetricType"`
		} `json:"PredefinedMetricSpecification"`
		ScaleInCooldown  int  `json:"ScaleInCooldown"`
		ScaleOutCooldown int  `json:"ScaleOutCooldown"`
		DisableScaleIn   bool `json:"DisableScaleIn"`
	} `json:"TargetTrackingScalingPolicyConfiguration"`
	Step *struct {
		AdjustmentType        string     `json:"AdjustmentType"`
		StepAdjustments       []motoStep `json:"StepAdjustments"`
		Cooldown              int        `json:"Cooldown"`
		MetricAggregationType string     `json:"MetricAggregationType"`
	} `json:"StepScalingPolicyConfiguration"`
}

type motoAlarm struct {
	AlarmName          string   `json:"AlarmName"`
	AlarmActions       []string `json:"AlarmActions"`
	OKActions          []string `json:"OKActions"`
	Namespace          string   `json:"Namespace"`
	MetricName         string   `json:"MetricName"`
	Statistic          string   `json:"Statistic"`
	Period             int      `json:"Period"`
	EvaluationPeriods  int      `json:"EvaluationPeriods"`
	DatapointsToAlarm  int      `json:"DatapointsToAlarm"`
	Threshold          *float64 `json:"Threshold"`
	ComparisonOperator string   `json:"ComparisonOperator"`
	Dimensions         []struct {
		Name  string `json:"Name"`
		Value string `json:"Value"`
	} `json:"Dimensions"`
}

// motoScaling is what the scaling checks read from the summary.
type motoScaling struct {
	t         *testing.T
	sum       *motoSummary
	targets   []motoScalableTarget
	policies  []motoScalingPolicy
	alarms    []motoAlarm
	physical  map[string]string // logical ID -> physical ID
	types     map[string]string // logical ID -> type
	cluster   string
	resources map[string]map[string]any // the template's
}

func readScaling(t *testing.T, p *project, sum *motoSummary) *motoScaling {
	t.Helper()
	s := &motoScaling{t: t, sum: sum, physical: map[string]string{}, types: map[string]string{}, resources: templateResources(t, p)}
	for what, raw := range map[string]struct {
		data json.RawMessage
		into any
	}{
		"scalable_targets": {sum.ScalableTargets, &s.targets},
		"scaling_policies": {sum.ScalingPolicies, &s.policies},
		"alarms":           {sum.Alarms, &s.alarms},
	} {
		if err := json.Unmarshal(raw.data, raw.into); err != nil {
			t.Fatalf("moto summary %s: %v", what, err)
		}
	}
	var resources [][]*string
	if err := json.Unmarshal(sum.Resources, &resources); err != nil {
		t.Fatalf("moto summary resources: %v", err)
	}
	for _, r := range resources {
		if len(r) == 3 && r[0] != nil && r[1] != nil && r[2] != nil {
			s.physical[*r[0]], s.types[*r[0]] = *r[2], *r[1]
		}
	}
	s.cluster = s.physical["Cluster"]
	if s.cluster == "" {
		t.Fatal("no ECS cluster in the stack's resources")
	}
	return s
}

// resourceId is the Application Auto Scaling ResourceId of a family's ECS
// service: service/<cluster>/<service name>.
func (s *motoScaling) resourceId(family string) string {
	return "service/" + s.cluster + "/" + s.sum.service(s.t, family).ServiceName
}

// target checks the scalable target of a family and returns its ResourceId.
func (s *motoScaling) target(family string, min, max int) string {
	s.t.Helper()
	want := s.resourceId(family)
	for _, tg := range s.targets {
		if tg.ResourceId != want {
			continue
		}
		equal(s.t, family+" target namespace/dimension", tg.ServiceNamespace+" "+tg.ScalableDimension, "ecs ecs:service:DesiredCount")
		equal(s.t, family+" target min-max", []int{tg.MinCapacity, tg.MaxCapacity}, []int{min, max})
		return want
	}
	s.t.Errorf("no scalable target with ResourceId %s in moto (have %d)", want, len(s.targets))
	return want
}

func (s *motoScaling) policy(resourceId, name string) motoScalingPolicy {
	s.t.Helper()
	for _, p := range s.policies {
		if p.ResourceId == resourceId && p.PolicyName == name {
			return p
		}
	}
	s.t.Fatalf("no scaling policy %s on %s in moto", name, resourceId)
	return motoScalingPolicy{}
}

// policyNames lists the policies of a target, sorted.
func (s *motoScaling) policyNames(resourceId string) []string {
	var out []string
	for _, p := range s.policies {
		if p.ResourceId == resourceId {
			out = append(out, p.PolicyName)
		}
	}
	sort.Strings(out)
	return out
}

// tracking checks a target tracking policy.
func (s *motoScaling) tracking(resourceId, name, metric string, value float64, in, out int, disableIn bool) {
	s.t.Helper()
	p := s.policy(resourceId, name)
	if p.PolicyType != "TargetTrackingScaling" || p.TargetTracking == nil {
		s.t.Errorf("%s: type %s, want TargetTrackingScaling", name, p.PolicyType)
		return
	}
	c := p.TargetTracking
	type tt struct {
		Metric    string
		Value     float64
		In, Out   int
		DisableIn bool
	}
	equal(s.t, resourceId+" "+name, tt{c.Predefined.Type, c.TargetValue, c.ScaleInCooldown, c.ScaleOutCooldown, c.DisableScaleIn},
		tt{metric, value, in, out, disableIn})
}

// step checks a step scaling policy and returns its ARN; steps are written
// "lower..upper:count" with an empty side for an open bound.
func (s *motoScaling) step(resourceId, name, adjustment string, cooldown int, aggregation string, steps ...string) string {
	s.t.Helper()
	p := s.policy(resourceId, name)
	if p.PolicyType != "StepScaling" || p.Step == nil {
		s.t.Errorf("%s: type %s, want StepScaling", name, p.PolicyType)
		return p.PolicyARN
	}
	var got []string
	for _, a := range p.Step.StepAdjustments {
		got = append(got, bound(a.Lower)+".."+bound(a.Upper)+":"+itoa(a.Count))
	}
	equal(s.t, name+" adjustment/cooldown/aggregation", []any{p.Step.AdjustmentType, p.Step.Cooldown, p.Step.MetricAggregationType}, []any{adjustment, cooldown, aggregation})
	equal(s.t, name+" steps", got, steps)
	return p.PolicyARN
}

func bound(v *float64) string {
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(*v)
	return string(b)
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// alarm returns the metric alarm of a logical ID, found by its physical name.
func (s *motoScaling) alarm(logical string) motoAlarm {
	s.t.Helper()
	name := s.physical[logical]
	for _, a := range s.alarms {
		if name != "" && a.AlarmName == name {
			return a
		}
	}
	s.t.Fatalf("no CloudWatch alarm %s (%q) in moto", logical, name)
	return motoAlarm{}
}

// dims lists an alarm's dimensions as Name=Value.
func dims(a motoAlarm) []string {
	var out []string
	for _, d := range a.Dimensions {
		out = append(out, d.Name+"="+d.Value)
	}
	sort.Strings(out)
	return out
}

// serviceDims are the ClusterName and ServiceName dimensions of a family's
// ECS service.
func (s *motoScaling) serviceDims(family string) []string {
	return []string{"ClusterName=" + s.cluster, "ServiceName=" + s.sum.service(s.t, family).ServiceName}
}

// metricAlarm checks what moto keeps of a metric alarm.
func (s *motoScaling) metricAlarm(logical, namespace, metric, statistic string, period, evaluations, datapoints int, threshold float64, op string) motoAlarm {
	s.t.Helper()
	a := s.alarm(logical)
	th := -1.0
	if a.Threshold != nil {
		th = *a.Threshold
	}
	type ma struct {
		Namespace, Metric, Statistic   string
		Period, Evaluations, Datapoint int
		Threshold                      float64
		Op                             string
	}
	equal(s.t, logical, ma{a.Namespace, a.MetricName, a.Statistic, a.Period, a.EvaluationPeriods, a.DatapointsToAlarm, th, a.ComparisonOperator},
		ma{namespace, metric, statistic, period, evaluations, datapoints, threshold, op})
	return a
}

// topicArn is the ARN of a topic the stack created (its physical ID).
func (s *motoScaling) topicArn(logical string) string {
	s.t.Helper()
	arn := s.physical[logical]
	if s.types[logical] != "AWS::SNS::Topic" || !strings.HasPrefix(arn, "arn:aws:sns:us-east-1:123456789012:") {
		s.t.Errorf("%s: %s %q, want an SNS topic ARN", logical, s.types[logical], arn)
	}
	return arn
}

// composite checks a composite alarm in the template (moto skips them) and
// that moto indeed did not create it.
func (s *motoScaling) composite(logical string, rule string, alarmActions, okActions []any) {
	s.t.Helper()
	r := s.resources[logical]
	if r == nil || r["Type"] != "AWS::CloudWatch::CompositeAlarm" {
		s.t.Errorf("template: %s is not an AWS::CloudWatch::CompositeAlarm: %v", logical, r)
		return
	}
	if _, created := s.physical[logical]; created {
		s.t.Errorf("moto created the composite alarm %s: the readback can move from the template to moto", logical)
	}
	props, _ := r["Properties"].(map[string]any)
	equal(s.t, logical+" AlarmRule", props["AlarmRule"], map[string]any{"Fn::Sub": rule})
	for _, a := range []struct {
		key  string
		want []any
	}{{"AlarmActions", alarmActions}, {"OKActions", okActions}} {
		var want any // absent when there is none
		if a.want != nil {
			want = a.want
		}
		equal(s.t, logical+" "+a.key, props[a.key], want)
	}
}

func ref(id string) map[string]any { return map[string]any{"Ref": id} }

// ---- the checks ------------------------------------------------------------------

func checkScalingTargetTracking(t *testing.T, p *project, sum *motoSummary) {
	s := readScaling(t, p, sum)
	// shop = api (2-8, CPU 65.5, memory 80, out 120) + cache (3-12, CPU 60,
	// in 600, DisableScaleIn): widest range, lowest targets, longest cooldowns.
	shop := s.target("shop", 2, 12)
	equal(t, "shop policies", s.policyNames(shop), []string{"cpu-target-tracking", "memory-target-tracking"})
	s.tracking(shop, "cpu-target-tracking", "ECSServiceAverageCPUUtilization", 60, 600, 120, true)
	s.tracking(shop, "memory-target-tracking", "ECSServiceAverageMemoryUtilization", 80, 600, 120, true)
	// No DesiredCount on a scaled service: the target's minimum (2) decides.
	equal(t, "shop desiredCount (none in the template; moto's default)", sum.service(t, "shop").DesiredCount, 0)
	// worker alone: its memory target (a decimal) and the default cooldowns.
	worker := s.target("worker", 1, 4)
	equal(t, "worker policies", s.policyNames(worker), []string{"memory-target-tracking"})
	s.tracking(worker, "memory-target-tracking", "ECSServiceAverageMemoryUtilization", 72.5, 300, 60, false)
	equal(t, "worker desiredCount (none in the template; moto's default)", sum.service(t, "worker").DesiredCount, 0)
}

func checkScalingSchedules(t *testing.T, p *project, sum *motoSummary) {
	s := readScaling(t, p, sum)
	web := s.target("web", 2, 10)
	equal(t, "web policies", s.policyNames(web), []string{"cpu-target-tracking"})
	s.tracking(web, "cpu-target-tracking", "ECSServiceAverageCPUUtilization", 70, 300, 60, false)
	// Scheduled actions: from the template (moto_plus does not register them).
	props, _ := s.resources["WebScalableTarget"]["Properties"].(map[string]any)
	actions, _ := props["ScheduledActions"].([]any)
	var got []string
	for _, a := range actions {
		m := a.(map[string]any)
		name, _ := json.Marshal(m["ScheduledActionName"])
		capacity, _ := json.Marshal(m["ScalableTargetAction"])
		line := string(name) + " " + m["Schedule"].(string) + " " + string(capacity)
		for _, k := range []string{"Timezone", "StartTime", "EndTime"} {
			if v, ok := m[k]; ok {
				line += " " + k + "=" + v.(string)
			}
		}
		got = append(got, line)
	}
	stackIdShort := `{"Fn::Select":[0,{"Fn::Split":["-",{"Fn::Select":[2,{"Fn::Split":["/",{"Ref":"AWS::StackId"}]}]}]}]}`
	equal(t, "web scheduled actions (log-router's first: family order)", got, []string{
		`"reset-max" rate(6 hours) {"MaxCapacity":10}`,
		`{"Fn::Sub":"${WebService.Name}.office-hours"} cron(0 8 ? * MON-FRI *) {"MaxCapacity":10,"MinCapacity":4} Timezone=Europe/Paris`,
		`{"Fn::Sub":"${WebService.Name}.evenings"} cron(0 20 ? * MON-FRI *) {"MinCapacity":2} Timezone=Europe/Paris`,
		`{"Fn::Sub":["${StackIdShort}winter-sale",{"StackIdShort":` + stackIdShort + `}]} at(2026-12-26T06:00:00) {"MaxCapacity":20,"MinCapacity":10} StartTime=2026-12-01T00:00:00Z EndTime=2026-12-27T00:00:00Z`,
	})
}

func checkScalingSteps(t *testing.T, p *project, sum *motoSummary) {
	s := readScaling(t, p, sum)
	api := s.target("api", 2, 20)
	worker := s.target("queue-worker", 1, 10)
	equal(t, "api policies", s.policyNames(api), []string{"step-ApiCpuHigh", "step-ApiCpuLow"})
	equal(t, "queue-worker policies", s.policyNames(worker), []string{"reset-JobsBacklog", "step-JobsBacklog"})
	// Bounds are relative to the threshold: CPU 70-85 % adds 1 task, 85 % and above 3.
	high := s.step(api, "step-ApiCpuHigh", "ChangeInCapacity", 120, "Average", "0..15:1", "15..:3")
	// Downwards from 30 %: 15-30 % removes 1 task, below 15 % removes 2.
	low := s.step(api, "step-ApiCpuLow", "ChangeInCapacity", 600, "Average", "-15..0:-1", "..-15:-2")
	// Above 100 messages: 4 workers up to 500, 10 above; back to the minimum 1 on OK.
	backlog := s.step(worker, "step-JobsBacklog", "ExactCapacity", 60, "Maximum", "0..400:4", "400..:10")
	reset := s.step(worker, "reset-JobsBacklog", "ExactCapacity", 300, "Maximum", "..0:1")

	a := s.metricAlarm("ApiCpuHighAlarm", "AWS/ECS", "CPUUtilization", "Average", 60, 3, 0, 70, "GreaterThanOrEqualToThreshold")
	equal(t, "ApiCpuHighAlarm dimensions", dims(a), s.serviceDims("api"))
	equal(t, "ApiCpuHighAlarm actions", [][]string{a.AlarmActions, a.OKActions}, [][]string{{high}, {}})
	a = s.metricAlarm("ApiCpuLowAlarm", "AWS/ECS", "CPUUtilization", "Average", 60, 10, 0, 30, "LessThanOrEqualToThreshold")
	equal(t, "ApiCpuLowAlarm dimensions", dims(a), s.serviceDims("api"))
	equal(t, "ApiCpuLowAlarm actions", [][]string{a.AlarmActions, a.OKActions}, [][]string{{low}, {}})
	a = s.metricAlarm("JobsBacklogAlarm", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 60, 2, 0, 100, "GreaterThanThreshold")
	equal(t, "JobsBacklogAlarm dimensions", dims(a), []string{"QueueName=jobs"})
	equal(t, "JobsBacklogAlarm actions", [][]string{a.AlarmActions, a.OKActions}, [][]string{{backlog}, {reset}})
}

func checkAlarmsPredefined(t *testing.T, p *project, sum *motoSummary) {
	s := readScaling(t, p, sum)
	api := s.target("api", 2, 6)
	s.tracking(api, "cpu-target-tracking", "ECSServiceAverageCPUUtilization", 60, 300, 60, false)
	svc := s.serviceDims("api")
	// HighCpuUsageAndMaxScaledOut with Settings: 85.5 %, 3 of 5 periods of 120 s, 5 tasks.
	a := s.metricAlarm("ApiHighCpuUsageAlarm", "AWS/ECS", "CPUUtilization", "Average", 120, 5, 3, 85.5, "GreaterThanOrEqualToThreshold")
	equal(t, "ApiHighCpuUsageAlarm dimensions", dims(a), svc)
	a = s.metricAlarm("ApiHighCpuUsageTaskCountAlarm", "ECS/ContainerInsights", "RunningTaskCount", "Maximum", 60, 1, 1, 5, "GreaterThanOrEqualToThreshold")
	equal(t, "ApiHighCpuUsageTaskCountAlarm dimensions", dims(a), svc)
	// HighRamUsageAndMaxScaledOut: 90 %, the defaults 5 of 10 periods of 60 s, Range max 6.
	a = s.metricAlarm("ApiHighRamUsageAlarm", "AWS/ECS", "MemoryUtilization", "Average", 60, 10, 5, 90, "GreaterThanOrEqualToThreshold")
	equal(t, "ApiHighRamUsageAlarm dimensions", dims(a), svc)
	a = s.metricAlarm("ApiHighRamUsageTaskCountAlarm", "ECS/ContainerInsights", "RunningTaskCount", "Maximum", 60, 1, 1, 6, "GreaterThanOrEqualToThreshold")
	equal(t, "ApiHighRamUsageTaskCountAlarm dimensions", dims(a), svc)
	for _, id := range []string{"ApiHighCpuUsageAlarm", "ApiHighCpuUsageTaskCountAlarm", "ApiHighRamUsageAlarm", "ApiHighRamUsageTaskCountAlarm"} {
		a := s.alarm(id)
		equal(t, id+" actions (the composite notifies)", len(a.AlarmActions)+len(a.OKActions), 0)
	}
	s.topicArn("OpsTopic")
	// The existing topic's ARN names the stack's region: the composite
	// (read from the template, moto creates none) has it through Fn::Sub.
	pager := map[string]any{"Fn::Sub": "arn:aws:sns:${AWS::Region}:123456789012:pager-duty"}
	s.composite("ApiHighCpuUsageAndMaxScaledOutAlarm", "ALARM(${ApiHighCpuUsageAlarm.Arn}) AND ALARM(${ApiHighCpuUsageTaskCountAlarm.Arn})",
		[]any{ref("OpsTopic"), pager}, []any{pager})
	s.composite("ApiHighRamUsageAndMaxScaledOutAlarm", "ALARM(${ApiHighRamUsageAlarm.Arn}) AND ALARM(${ApiHighRamUsageTaskCountAlarm.Arn})",
		nil, []any{ref("OpsTopic")})
}

func checkAlarmsComposite(t *testing.T, p *project, sum *motoSummary) {
	s := readScaling(t, p, sum)
	ops := s.topicArn("OpsTopic")
	if !strings.HasSuffix(ops, ":shop-ops-alerts") {
		t.Errorf("OpsTopic %s: want the TopicName shop-ops-alerts", ops)
	}
	onCall := map[string]any{"Fn::Sub": "arn:aws:sns:${AWS::Region}:123456789012:on-call"}
	a := s.metricAlarm("ApiCpuHighAlarm", "AWS/ECS", "CPUUtilization", "Average", 60, 5, 3, 80, "GreaterThanOrEqualToThreshold")
	equal(t, "ApiCpuHighAlarm dimensions (ServiceName: api)", dims(a), s.serviceDims("api"))
	equal(t, "ApiCpuHighAlarm actions", len(a.AlarmActions)+len(a.OKActions), 0)
	// Metric math and anomaly band: moto keeps the comparison, threshold and
	// actions; the Metrics are read from the template.
	a = s.alarm("ApiErrorRateAlarm")
	equal(t, "ApiErrorRateAlarm", []any{a.ComparisonOperator, *a.Threshold, a.AlarmActions, a.OKActions}, []any{"GreaterThanThreshold", 5.0, []string{ops}, []string{}})
	a = s.alarm("ApiMemoryAnomalyAlarm")
	equal(t, "ApiMemoryAnomalyAlarm", []any{a.ComparisonOperator, a.Threshold == nil}, []any{"GreaterThanUpperThreshold", true})

	metrics := func(id string) []string {
		props, _ := s.resources[id]["Properties"].(map[string]any)
		var out []string
		for _, q := range props["Metrics"].([]any) {
			b, _ := json.Marshal(q)
			out = append(out, string(b))
		}
		return out
	}
	equal(t, "ApiErrorRateAlarm Metrics", metrics("ApiErrorRateAlarm"), []string{
		`{"Id":"errors","MetricStat":{"Metric":{"Dimensions":[{"Name":"Service","Value":"api"}],"MetricName":"Errors","Namespace":"Shop/App"},"Period":300,"Stat":"Sum"},"ReturnData":false}`,
		`{"Id":"requests","MetricStat":{"Metric":{"Dimensions":[{"Name":"Service","Value":"api"}],"MetricName":"Requests","Namespace":"Shop/App"},"Period":300,"Stat":"Sum"},"ReturnData":false}`,
		`{"Expression":"100 * errors / requests","Id":"rate","Label":"Error rate (%)"}`,
	})
	// ServiceName fills the MetricStat's dimensions with the api's ECS service.
	equal(t, "ApiMemoryAnomalyAlarm Metrics", metrics("ApiMemoryAnomalyAlarm"), []string{
		`{"Id":"memory","MetricStat":{"Metric":{"Dimensions":[{"Name":"ClusterName","Value":{"Fn::If":["CreateCluster",{"Ref":"Cluster"},{"Ref":"ClusterName"}]}},{"Name":"ServiceName","Value":{"Fn::GetAtt":["ApiService","Name"]}}],"MetricName":"MemoryUtilization","Namespace":"AWS/ECS"},"Period":300,"Stat":"Average"}}`,
		`{"Expression":"ANOMALY_DETECTION_BAND(memory, 2)","Id":"band","Label":"Expected memory"}`,
	})
	props, _ := s.resources["ApiMemoryAnomalyAlarm"]["Properties"].(map[string]any)
	equal(t, "ApiMemoryAnomalyAlarm ThresholdMetricId", props["ThresholdMetricId"], "band")

	// CompositeExpression (names become ARNs, operators upper-cased) and AlarmRule.
	s.composite("ApiDegradedAlarm", "ALARM(${ApiCpuHighAlarm.Arn}) AND (ALARM(${ApiErrorRateAlarm.Arn}) OR ALARM(${ApiMemoryAnomalyAlarm.Arn}))",
		[]any{ref("OpsTopic"), onCall}, []any{ref("OpsTopic")})
	s.composite("ApiPagingAlarm", "ALARM(${ApiDegradedAlarm.Arn}) AND ALARM(${ApiErrorRateAlarm.Arn})",
		[]any{onCall}, []any{onCall})
}
