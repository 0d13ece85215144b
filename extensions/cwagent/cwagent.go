// Package cwagent turns each family's CloudWatch agent request (the shared
// place in the model that x-prometheus, x-monitoring and tracing fill) into
// one sidecar, its two configurations in SSM and the IAM it needs.
package cwagent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/awslabs/goformation/v7/cloudformation/ssm"
	"github.com/awslabs/goformation/v7/cloudformation/tags"

	"github.com/composex/composex/render"
)

const (
	// ContainerName is the agent sidecar's name in every family.
	ContainerName = "cloudwatch-agent"
	// AgentImage is the pinned agent release; the image parameter lets an
	// operator move to another one without re-rendering.
	AgentImage = render.CloudWatchAgentImage // checked as recorded in render.Pins
	imageParam = "CloudWatchAgentImage"
	// EMFEndpoint is where the apps send EMF logs: the agent in the task.
	EMFEndpoint = "tcp://127.0.0.1:25888"
	// XRayAddress and OTLPEndpoint are where the agent receives traces
	// when CollectTraces is set (X-Ray segments over UDP, OTLP over HTTP).
	XRayAddress  = "127.0.0.1:2000"
	OTLPEndpoint = "http://127.0.0.1:4318"
)

// Extension implements render.Extension; it has no x- key of its own and
// must come after every extension that fills the agent request.
type Extension struct{}

func (Extension) Name() string                                 { return "cloudwatch-agent" }
func (Extension) ServiceKeys() []string                        { return nil }
func (Extension) ProjectKeys() []string                        { return nil }
func (Extension) Validate(in *render.Input) render.Diagnostics { return nil }

// Logical IDs of a family's agent resources.
func ConfigParameterID(f *render.Family) string     { return f.Logical + "CloudWatchAgentConfig" }
func PrometheusParameterID(f *render.Family) string { return f.Logical + "PrometheusConfig" }
func MetricsLogGroupID(f *render.Family) string     { return f.Logical + "MetricsLogGroup" }
func PrometheusLogGroupID(f *render.Family) string  { return f.Logical + "PrometheusLogGroup" }

// Extend materialises the agent of every family that asked for one.
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds render.Diagnostics
	for _, f := range m.Families {
		if f.CloudWatchAgent == nil {
			continue
		}
		if err := materialise(m, f, &ds); err != nil {
			s := f.Services[0].Name
			ds.Errorf(s, render.ServicePath(s), "family %s: %v", f.Name, err)
		}
	}
	checkAlarmResolution(in, m, &ds)
	return ds
}

func parameterArn(id string) string {
	// The parameter names start with a slash, which the ARN does not repeat.
	return "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${" + id + "}"
}

func materialise(m *render.Model, f *render.Family, ds *render.Diagnostics) error {
	a := f.CloudWatchAgent
	checkAgentImage(f, a, ds)
	param := imageParam
	if a.Image != "" {
		param = f.Logical + "CloudWatchAgentImage"
		img := a.Image
		if err := m.FamilySidecarImage(f, param, img, "CloudWatch agent"); err != nil {
			return err
		}
	} else if err := m.SidecarImage(imageParam, AgentImage, "CloudWatch agent"); err != nil {
		return err
	}
	agent := &render.Container{
		Name:              ContainerName,
		ImageParam:        param,
		Cpu:               128,
		MemoryReservation: 256,
		Essential:         false,
	}
	if err := f.AddSidecar(agent); err != nil {
		return err
	}

	body, err := encodeConfig(buildConfig(f, a))
	if err != nil {
		return err
	}
	configID := ConfigParameterID(f)
	desc := "CloudWatch agent configuration of " + f.Name
	config, err := ssmParameter(f, "cloudwatch-agent", desc, body)
	if err != nil {
		// Indentation costs room: a configuration that only fits compact
		// is stored compact rather than refused.
		if compact, cerr := encodeCompact(body); cerr == nil {
			config, err = ssmParameter(f, "cloudwatch-agent", desc, compact)
		}
	}
	if err != nil {
		return fmt.Errorf("%v: use fewer EMF rules or metric selectors", err)
	}
	if err := f.AddResource(configID, config); err != nil {
		return err
	}
	agent.Secrets = append(agent.Secrets, render.ContainerSecret{Name: "CW_CONFIG_CONTENT", ValueFrom: parameterArn(configID)})
	readable := []string{parameterArn(configID)}

	if p := a.Prometheus; p != nil {
		scrape, err := buildScrapeConfig(f, p)
		if err != nil {
			return err
		}
		id := PrometheusParameterID(f)
		stored, err := ssmParameter(f, "prometheus", "Prometheus configuration of the CloudWatch agent of "+f.Name, scrape)
		if err != nil {
			return fmt.Errorf("%v: scrape fewer exporters", err)
		}
		if err := f.AddResource(id, stored); err != nil {
			return err
		}
		agent.Secrets = append(agent.Secrets, render.ContainerSecret{Name: "PROMETHEUS_CONFIG_CONTENT", ValueFrom: parameterArn(id)})
		readable = append(readable, parameterArn(id))
		if err := prometheusLogGroup(m, f); err != nil {
			return err
		}
		if usesDiscovery(p) {
			declarePorts(f, p)
			grantDiscovery(f)
			s := f.Services[0].Name
			ds.Warnf(s, render.ServicePath(s, "x-prometheus", "ContainersInsights", "ScrapingConfiguration", "ScrapingConfigurationFile"),
				"family %s: the Prometheus configuration reads the targets of the agent's ECS discovery (%s); that discovery lists every task of the family in the cluster, so the agent of each task scrapes all of them and Sum and SampleCount grow with the task count. Scrape the task's own exporters at localhost:<port> with static_configs instead", f.Name, sdResultFile)
		}
		checkDimensions(f, p, ds)
	}
	f.ExecutionRole.AddPolicy("ReadCloudWatchAgentConfig", render.Statement{Sid: "AgentConfigFromSsm", Effect: "Allow",
		Action: []string{"ssm:GetParameters"}, Resource: readable})

	if a.CollectEMF {
		agent.Ports = append(agent.Ports,
			render.Port{ContainerPort: 25888, Protocol: "tcp", Name: "emf_tcp"},
			render.Port{ContainerPort: 25888, Protocol: "udp", Name: "emf_udp"})
		if err := emfLogGroup(m, f); err != nil {
			return err
		}
		for _, c := range f.AppContainers() {
			setDefault(c.Environment, "AWS_EMF_AGENT_ENDPOINT", EMFEndpoint)
			// The name holds ${AWS::StackName}: emitted through Fn::Sub.
			c.SetEnvRef("AWS_EMF_LOG_GROUP_NAME", metricsLogGroupName(f))
			c.DependOn(ContainerName, "START")
		}
	}
	if a.CollectTraces {
		agent.Ports = append(agent.Ports,
			render.Port{ContainerPort: 2000, Protocol: "udp", Name: "xray_udp"},
			render.Port{ContainerPort: 4317, Protocol: "tcp", Name: "otlp_grpc"},
			render.Port{ContainerPort: 4318, Protocol: "tcp", Name: "otlp_http"})
		f.TaskRole.AddManagedPolicy("arn:${AWS::Partition}:iam::aws:policy/AWSXRayDaemonWriteAccess")
		// The apps' X-Ray and OpenTelemetry SDKs find the agent through
		// their standard variables; a value the user set is kept.
		for _, c := range f.AppContainers() {
			setDefault(c.Environment, "AWS_XRAY_DAEMON_ADDRESS", XRayAddress)
			setDefault(c.Environment, "OTEL_EXPORTER_OTLP_ENDPOINT", OTLPEndpoint)
			setDefault(c.Environment, "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
			c.DependOn(ContainerName, "START")
		}
	}
	f.Reorder()
	return nil
}

// encodeConfig writes the agent configuration for review (indented,
// keys sorted: render.ReviewJSON); the agent reads it from
// CW_CONFIG_CONTENT whatever its layout.
func encodeConfig(cfg agentConfig) (string, error) { return render.ReviewJSON(cfg) }

// encodeCompact is the reviewable configuration without its indentation.
func encodeCompact(review string) (string, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(review)); err != nil {
		return "", err
	}
	return b.String(), nil
}

func setDefault(env map[string]string, k, v string) {
	if _, set := env[k]; !set {
		env[k] = v
	}
}

// ssmParameter stores an agent configuration, in the cheapest tier that
// holds it at its longest (render.ParameterTier). A value that names the
// stack goes through Fn::Sub, the user's text escaped first; any other
// value is written as it is (a Fn::Sub without references is useless, and
// cfn-lint says so).
func ssmParameter(f *render.Family, what, description, value string) (*ssm.Parameter, error) {
	sub := strings.Contains(value, stackPlaceholder)
	if sub {
		value = strings.ReplaceAll(render.EscapeSub(value), stackPlaceholder, "${AWS::StackName}")
	}
	tier, err := render.ParameterTier("the "+description, value, sub)
	if err != nil {
		return nil, err
	}
	if sub {
		value = render.Sub(value)
	}
	return &ssm.Parameter{
		Name:        cloudformation.SubPtr("/composex/${AWS::StackName}/" + render.ResourceName(f.Name) + "/" + what),
		Type:        "String",
		Tier:        cloudformation.String(tier),
		Description: cloudformation.String(description),
		Value:       value,
	}, nil
}

// declarePorts makes sure that each exporter's port is in the port
// mappings of a container of the task: the agent's ECS discovery reads the
// port from there and skips a target whose container does not map it.
func declarePorts(f *render.Family, p *render.PrometheusScrape) {
	for _, e := range p.Exporters {
		owner := f.Container(portOwner(f, e))
		if owner == nil || mapsPort(owner, e.Port) {
			continue
		}
		owner.Ports = append(owner.Ports, render.Port{ContainerPort: e.Port, Protocol: "tcp", Name: fmt.Sprintf("tcp_%d", e.Port)})
	}
}

// grantDiscovery lets the agent find this cluster's tasks and read their
// task definitions, nothing more.
func grantDiscovery(f *render.Family) {
	clusterArn := render.Sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/${" + render.ClusterNameVar + "}")
	f.TaskRole.AddPolicy("CloudWatchAgentDiscovery",
		render.Statement{Sid: "DiscoverClusterTasks", Effect: "Allow", Action: []string{"ecs:DescribeTasks", "ecs:ListTasks"},
			Resource: []string{"*"}, Condition: map[string]any{"ArnEquals": map[string]any{"ecs:cluster": clusterArn}}},
		// DescribeTaskDefinition has no resource-level permissions.
		render.Statement{Sid: "ReadTaskDefinitions", Effect: "Allow", Action: []string{"ecs:DescribeTaskDefinition"}, Resource: []string{"*"}},
	)
}

// prometheusLogGroup creates the log group the agent writes the family's
// Prometheus metrics to (the agent's log_group_name), with the family's
// retention, and lets the agent write to it and nowhere else. Left to the
// agent, the group would be created at run time, outside the stack, kept
// forever and shared by every stack of the cluster.
func prometheusLogGroup(m *render.Model, f *render.Family) error {
	id := PrometheusLogGroupID(f)
	if err := f.AddResource(id, &logs.LogGroup{
		LogGroupName:    cloudformation.SubPtr(prometheusLogGroupName(f)),
		RetentionInDays: cloudformation.Int(f.LogRetentionDays),
		Tags:            []tags.Tag{{Key: "composex:project", Value: m.Name}, {Key: "composex:family", Value: f.Name}},
	}); err != nil {
		return err
	}
	f.TaskRole.AddPolicy("CloudWatchAgentPrometheus", render.Statement{Sid: "WritePrometheusMetrics", Effect: "Allow",
		Action:   []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"},
		Resource: []string{"${" + id + ".Arn}"}})
	return nil
}

// Labels of the agent's ECS discovery that a target scraped at localhost
// does not have (decoratedtask.go of the agent attaches them from the
// task's description; ServiceName only for service_name_list_for_tasks,
// the EC2 ones only on EC2), and those the discovery of a user's own
// configuration still lacks on Fargate.
var (
	discoveryOnlyLabels = []string{"ServiceName", "TaskRevision", "TaskGroup", "StartedBy", "LaunchType", "TaskClusterName", "TaskId", "InstanceType", "VpcId", "SubnetId"}
	neverOnFargate      = []string{"ServiceName", "InstanceType", "VpcId", "SubnetId"}
)

// checkDimensions warns about a user's EMF rule whose dimension set names
// a discovery label this family's targets never have: the agent's EMF
// exporter drops a dimension set with a missing label, and a metric left
// with none stays in the logs only.
func checkDimensions(f *render.Family, p *render.PrometheusScrape, ds *render.Diagnostics) {
	missing := discoveryOnlyLabels
	how := "the agent scrapes its own task at localhost, and its targets have container_name, TaskDefinitionFamily, job and instance (the agent adds ClusterName)"
	if usesDiscovery(p) {
		missing = neverOnFargate
		how = "the agent's discovery by task definition does not attach it on Fargate"
	}
	for _, r := range p.Rules {
		if r.Path == "" {
			continue
		}
		for i, set := range r.Dimensions {
			for _, d := range set {
				if slices.Contains(missing, d) {
					ds.Warnf(r.Service, fmt.Sprintf("%s.dimensions.%d", r.Path, i),
						"family %s: no target has the label %s (%s); CloudWatch drops this dimension set, so use labels the targets or the metrics have", f.Name, d, how)
				}
			}
		}
	}
}

func metricsLogGroupName(f *render.Family) string {
	return "/ecs/" + "${AWS::StackName}/" + render.ResourceName(f.Name) + "/metrics"
}

// emfLogGroup creates the log group the apps' EMF metrics land in, so that
// the agent needs no right to create groups.
func emfLogGroup(m *render.Model, f *render.Family) error {
	id := MetricsLogGroupID(f)
	if err := f.AddResource(id, &logs.LogGroup{
		LogGroupName:    cloudformation.SubPtr(metricsLogGroupName(f)),
		RetentionInDays: cloudformation.Int(f.LogRetentionDays),
		Tags:            []tags.Tag{{Key: "composex:project", Value: m.Name}, {Key: "composex:family", Value: f.Name}},
	}); err != nil {
		return err
	}
	f.TaskRole.AddPolicy("CloudWatchAgentEmf", render.Statement{Sid: "WriteEmfMetrics", Effect: "Allow",
		Action:   []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"},
		Resource: []string{"${" + id + ".Arn}"}})
	return nil
}
