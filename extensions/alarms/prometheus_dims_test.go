package alarms_test

import (
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
)

// TestServiceNameInPrometheusNamespace: MacroParameters.ServiceName names
// the family by the dimensions of the namespace the alarm reads. In AWS/ECS
// those are ClusterName and ServiceName; in the CloudWatch agent's
// Prometheus namespace, ClusterName and TaskDefinitionFamily, the labels
// its EMF rules publish (no target there has a ServiceName), whatever the
// user wrote for them; other dimensions are kept.
func TestServiceNameInPrometheusNamespace(t *testing.T) {
	r := rendertest.MustRender(t, `
services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27
    x-prometheus:
      ContainersInsights:
        CustomRules:
          - ExporterPort: 9113
            EmfProcessors:
              - source_labels: [job]
                label_matcher: "^.*$"
                dimensions: [[ClusterName, TaskDefinitionFamily, area]]
                metric_selectors: ["^jvm_memory_used_bytes$"]
x-alarms:
  Heap:
    Properties:
      Namespace: ECS/ContainerInsights/Prometheus
      MetricName: jvm_memory_used_bytes
      Dimensions:
        - {Name: area, Value: heap}
        - {Name: ServiceName, Value: web}
        - {Name: TaskDefinitionFamily, Value: web}
      Statistic: Maximum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1000000000
      ComparisonOperator: GreaterThanThreshold
    MacroParameters: {ServiceName: web}
  Cpu:
    Properties:
      Namespace: AWS/ECS
      MetricName: CPUUtilization
      Statistic: Average
      Period: 60
      EvaluationPeriods: 1
      Threshold: 90
      ComparisonOperator: GreaterThanThreshold
    MacroParameters: {ServiceName: web}
`)
	rendertest.EqualJSON(t, "Heap dimensions", r.Get(t, "HeapAlarm", "AWS::CloudWatch::Alarm")["Dimensions"],
		`[{"Name":"area","Value":"heap"},{"Name":"ClusterName","Value":{"Fn::If":["CreateCluster",{"Ref":"Cluster"},{"Ref":"ClusterName"}]}},{"Name":"TaskDefinitionFamily","Value":{"Fn::Sub":"${AWS::StackName}-web"}}]`)
	rendertest.EqualJSON(t, "Cpu dimensions", r.Get(t, "CpuAlarm", "AWS::CloudWatch::Alarm")["Dimensions"],
		`[{"Name":"ClusterName","Value":{"Fn::If":["CreateCluster",{"Ref":"Cluster"},{"Ref":"ClusterName"}]}},{"Name":"ServiceName","Value":{"Fn::GetAtt":["WebService","Name"]}}]`)
}
