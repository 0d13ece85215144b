// Package cwagent turns each family's CloudWatch agent request (the shared
// place in the model that x-prometheus, x-monitoring and tracing fill) into
// one sidecar, its two configurations in SSM and the IAM it needs.
package cwagent

import (
	"bytes"
	"encoding/json"
	"fmt"

	"strconv"
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

// Extend materialises the agent of every family that asked for one.
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds render.Diagnostics
	for _, f := range m.Families {
		if f.CloudWatchAgent == nil {
			continue
		}
		if err := materialise(m, f); err != nil {
			s := f.Services[0].Name
			ds.Errorf(s, render.ServicePath(s), "family %s: %v", f.Name, err)
		}
	}
	return ds
}

func parameterArn(id string) string {
	// The parameter names start with a slash, which the ARN does not repeat.
	return "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${" + id + "}"
}

func materialise(m *render.Model, f *render.Family) error {
	a := f.CloudWatchAgent
	param := imageParam
	if a.Image != "" {
		param = f.Logical + "CloudWatchAgentImage"
		img := a.Image
		if err := m.AddParameter(param, render.Parameter{Type: "String", Description: "Image of the CloudWatch agent of " + f.Name, Default: &img}); err != nil {
			return err
		}
	} else {
		m.SidecarImage(imageParam, AgentImage, "CloudWatch agent")
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

	body, err := encodeConfig(buildConfig(m, f, a))
	if err != nil {
		return err
	}
	if len(body) > maxParameterSize {
		return fmt.Errorf("the CloudWatch agent configuration is %d bytes; an SSM parameter holds %d: use fewer EMF rules or metric selectors", len(body), maxParameterSize)
	}
	configID := ConfigParameterID(f)
	if err := f.AddResource(configID, ssmParameter(m, f, "cloudwatch-agent", "CloudWatch agent configuration of "+f.Name, body)); err != nil {
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
		if err := f.AddResource(id, ssmParameter(m, f, "prometheus", "Prometheus configuration of the CloudWatch agent of "+f.Name, scrape)); err != nil {
			return err
		}
		agent.Secrets = append(agent.Secrets, render.ContainerSecret{Name: "PROMETHEUS_CONFIG_CONTENT", ValueFrom: parameterArn(id)})
		readable = append(readable, parameterArn(id))
		labelExporters(m, f, p)
		grantPrometheus(f)
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

// encodeConfig writes the agent configuration as compact JSON (an SSM
// parameter holds 8 KB at most) without HTML escaping of regexes.
func encodeConfig(cfg agentConfig) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(cfg); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

func setDefault(env map[string]string, k, v string) {
	if _, set := env[k]; !set {
		env[k] = v
	}
}

// maxParameterSize is what an advanced-tier SSM parameter holds.
const maxParameterSize = 8192

// ssmParameter stores an agent configuration. A value that names the
// stack goes through Fn::Sub, the user's text escaped first; any other value
// is written as it is (a Fn::Sub without references is useless, and
// cfn-lint says so).
func ssmParameter(m *render.Model, f *render.Family, what, description, value string) *ssm.Parameter {
	if strings.Contains(value, stackPlaceholder) {
		value = render.Sub(strings.ReplaceAll(render.EscapeSub(value), stackPlaceholder, "${AWS::StackName}"))
	}
	return &ssm.Parameter{
		Name:        cloudformation.SubPtr("/composex/${AWS::StackName}/" + render.ResourceName(f.Name) + "/" + what),
		Type:        "String",
		Tier:        cloudformation.String("Intelligent-Tiering"),
		Description: cloudformation.String(description),
		Value:       value,
	}
}

// labelExporters puts on each exporter container the docker labels the
// agent discovers it by (one port per container; see splitExporters),
// plus the standard ECS_PROMETHEUS_* labels that a cluster-wide agent reads.
func labelExporters(m *render.Model, f *render.Family, p *render.PrometheusScrape) {
	labelled, _ := splitExporters(p.Exporters)
	for _, e := range labelled {
		c := f.Container(e.Container)
		if c == nil {
			continue
		}
		port := strconv.Itoa(e.Port)
		c.DockerLabels[PortLabel(m.Name, f.Name)] = port
		c.DockerLabels["ECS_PROMETHEUS_EXPORTER_PORT"] = port
		if e.Path != "/metrics" {
			c.DockerLabels["ECS_PROMETHEUS_METRICS_PATH"] = e.Path
		}
		setDefault(c.DockerLabels, "job", e.Job)
	}
}

// grantPrometheus lets the agent find this cluster's tasks and write the
// Container Insights Prometheus log group of this cluster, nothing more.
func grantPrometheus(f *render.Family) {
	clusterArn := render.Sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/${" + render.ClusterNameVar + "}")
	group := "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/ecs/containerinsights/${" + render.ClusterNameVar + "}/prometheus"
	f.TaskRole.AddPolicy("CloudWatchAgentPrometheus",
		render.Statement{Sid: "DiscoverClusterTasks", Effect: "Allow", Action: []string{"ecs:DescribeTasks", "ecs:ListTasks"},
			Resource: []string{"*"}, Condition: map[string]any{"ArnEquals": map[string]any{"ecs:cluster": clusterArn}}},
		// DescribeTaskDefinition has no resource-level permissions.
		render.Statement{Sid: "ReadTaskDefinitions", Effect: "Allow", Action: []string{"ecs:DescribeTaskDefinition"}, Resource: []string{"*"}},
		render.Statement{Sid: "WritePrometheusMetrics", Effect: "Allow",
			Action:   []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"},
			Resource: []string{group, group + ":log-stream:*"}},
	)
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
