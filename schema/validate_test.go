package schema_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/composex/composex/render"
	"github.com/composex/composex/schema"
)

// web is the head of most cases: lines 1 to 3.
const web = "services:\n  web:\n    image: nginx\n"

type badCase struct {
	name string
	yaml string
	path string // key path of the diagnostic
	line int    // line it must point at
	msg  string // substring of its message
}

var badCases = []badCase{
	// x-scaling
	{"scaling unknown key", web + `    x-scaling:
      TargetScaling:
        CpuTargett: 50
`, "services.web.x-scaling.TargetScaling.CpuTargett", 6, `unknown key "CpuTargett" (did you mean "CpuTarget"?); allowed: CpuTarget, DisableScaleIn`},
	{"scaling cpu target too high", web + `    x-scaling:
      Range: "1-4"
      TargetScaling:
        CpuTarget: 150
`, "services.web.x-scaling.TargetScaling.CpuTarget", 7, "a target is a utilisation percentage, above 0 and at most 100; got an integer (150)"},
	{"scaling memory target zero", web + `    x-scaling:
      TargetScaling:
        MemoryTarget: 0
`, "services.web.x-scaling.TargetScaling.MemoryTarget", 6, "a target is a utilisation percentage, above 0 and at most 100; got an integer (0)"},
	{"scaling range garbage", web + `    x-scaling:
      Range: lots
`, "services.web.x-scaling.Range", 5, `"lots": Range is "MIN-MAX" task counts`},
	{"scaling range number", web + `    x-scaling:
      Range: 5
`, "services.web.x-scaling.Range", 5, "expected a string; got an integer (5)"},
	{"scaling TgtTargetsCount zero", web + `    x-scaling:
      Range: "1-4"
      TargetScaling:
        TgtTargetsCount: 0
`, "services.web.x-scaling.TargetScaling.TgtTargetsCount", 7, "0"},
	{"scaling negative cooldown", web + `    x-scaling:
      TargetScaling:
        CpuTarget: 50
        ScaleInCooldown: -1
`, "services.web.x-scaling.TargetScaling.ScaleInCooldown", 7, "-1 is below the minimum of 0"},
	{"scaling scheduled action without schedule", web + `    x-scaling:
      ScheduledActions:
        - ScheduledActionName: night
          ScalableTargetAction: {MinCapacity: 0}
`, "services.web.x-scaling.ScheduledActions.0", 6, `missing required key "Schedule"`},
	// x-alarms (service)
	{"alarms unknown predefined", web + `    x-alarms:
      Predefined:
        HighDiskUsage: {}
`, "services.web.x-alarms.Predefined.HighDiskUsage", 6, `unknown key "HighDiskUsage"; allowed: HighCpuUsageAndMaxScaledOut, HighRamUsageAndMaxScaledOut`},
	{"alarms topic with a typo", web + `    x-alarms:
      Predefined:
        HighCpuUsageAndMaxScaledOut:
          Topics:
            - sns: alerts
`, "services.web.x-alarms.Predefined.HighCpuUsageAndMaxScaledOut.Topics.0.sns", 8, `unknown key "sns" (did you mean "x-sns"?)`},
	{"alarms bad period", web + `    x-alarms:
      Predefined:
        HighRamUsageAndMaxScaledOut:
          Settings:
            Period: 0
`, "services.web.x-alarms.Predefined.HighRamUsageAndMaxScaledOut.Settings.Period", 8, "below the minimum of 1"},
	{"alarms setting of the other alarm", web + `    x-alarms:
      Predefined:
        HighCpuUsageAndMaxScaledOut:
          Settings:
            MemoryUtilization: 80
`, "services.web.x-alarms.Predefined.HighCpuUsageAndMaxScaledOut.Settings.MemoryUtilization", 8, "HighCpuUsageAndMaxScaledOut watches CPUUtilization, not MemoryUtilization"},
	// x-iam
	{"iam policy without statement", web + `    x-iam:
      Policies:
        - PolicyName: ReadBucket
          PolicyDocument:
            Version: "2012-10-17"
`, "services.web.x-iam.Policies.0.PolicyDocument", 7, `missing required key "Statement"`},
	{"iam statement without action", web + `    x-iam:
      Policies:
        - PolicyName: ReadBucket
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Resource: "*"
`, "services.web.x-iam.Policies.0.PolicyDocument.Statement.0", 10, "a statement needs exactly one of Action or NotAction"},
	{"iam statement with Action and NotAction", web + `    x-iam:
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                NotAction: s3:PutObject
                Resource: "*"
`, "services.web.x-iam.Policies.0.PolicyDocument.Statement.0", 10, "a statement needs exactly one of Action or NotAction"},
	{"iam lower-case effect", web + `    x-iam:
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: allow
                Action: s3:GetObject
                Resource: "*"
`, "services.web.x-iam.Policies.0.PolicyDocument.Statement.0.Effect", 10, `"allow" is not allowed; allowed: "Allow", "Deny"`},
	{"iam principal refused", web + `    x-iam:
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Principal: {AWS: "*"}
                Action: s3:GetObject
                Resource: "*"
`, "services.web.x-iam.Policies.0.PolicyDocument.Statement.0.Principal", 11, "Principal is not allowed in a policy attached to a role"},
	{"iam bad version", web + `    x-iam:
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2012-10-18"
            Statement: []
`, "services.web.x-iam.Policies.0.PolicyDocument.Version", 8, `"2012-10-18" is not allowed; allowed: "2012-10-17", "2008-10-17"`},
	{"iam bad permissions boundary", web + `    x-iam:
      PermissionsBoundary: "arn:aws:iam::123:policy/boundary"
`, "services.web.x-iam.PermissionsBoundary", 5, "a permissions boundary is a managed policy name or ARN"},
	// x-network
	{"network bad cidr", web + `    x-network:
      Ingress:
        ExtSources:
          - IPv4: 10.0.0.256/33
            Name: office
`, "services.web.x-network.Ingress.ExtSources.0.IPv4", 7, `"10.0.0.256/33": not an IPv4 CIDR`},
	{"network source without address", web + `    x-network:
      Ingress:
        ExtSources:
          - Name: office
`, "services.web.x-network.Ingress.ExtSources.0", 7, "an ExtSources entry needs IPv4 or IPv6"},
	{"network port out of range", web + `    x-network:
      Ingress:
        Services:
          - Name: api
            Ports: [70000]
`, "services.web.x-network.Ingress.Services.0.Ports.0", 8, "70000 is above the maximum of 65535; allowed: 1 to 65535"},
	{"network bad security group id", web + `    x-network:
      Ingress:
        AwsSources:
          - Type: SecurityGroup
            Id: my-group
`, "services.web.x-network.Ingress.AwsSources.0.Id", 8, "expected a security group id (sg-...) or a prefix list id (pl-...)"},
	{"network AdditionalSecurityGroups refused", web + `    x-network:
      AdditionalSecurityGroups:
        extra: sg-123
`, "services.web.x-network.AdditionalSecurityGroups", 5, "AdditionalSecurityGroups is declared by compose-x but was never implemented"},
	{"network cloudmap namespace without a port", web + `    x-network:
      x-cloudmap:
        a: {Name: web}
`, "services.web.x-network.x-cloudmap.a", 6, "Port"},
	{"network service connect with both forms", web + `    x-network:
      x-ecs_connect:
        Properties: {Enabled: true}
        MacroParameters: {x-cloudmap: private}
`, "services.web.x-network.x-ecs_connect", 5, "x-ecs_connect takes exactly one of Properties or MacroParameters"},
	{"network envoy admin port", web + `    x-network:
      Envoy:
        AdminPort: 0
`, "services.web.x-network.Envoy.AdminPort", 6, "0 is below the minimum of 1"},
	// x-xray / x-ray
	{"xray not a boolean", web + `    x-xray: "yes"
`, "services.web.x-xray", 4, `x-xray is true, false or {OverrideImage, Collector}; got a string ("yes")`},
	{"xray unknown collector", web + `    x-xray:
      Collector: otel
`, "services.web.x-xray.Collector", 5, `"otel" is not allowed; allowed: "xray-daemon", "cloudwatch-agent"`},
	{"x-ray alias checked too", web + `    x-ray:
      OverideImage: public.ecr.aws/xray/aws-xray-daemon:3.3.14
`, "services.web.x-ray.OverideImage", 5, `unknown key "OverideImage" (did you mean "OverrideImage"?)`},
	// x-prometheus
	{"prometheus custom rule without port", web + `    x-prometheus:
      ContainersInsights:
        CustomRules:
          - EmfProcessors:
              - source_labels: [container_name]
                label_matcher: "^app$"
                dimensions: [["ClusterName"]]
                metric_selectors: ["^app_.*$"]
`, "services.web.x-prometheus.ContainersInsights.CustomRules.0", 7, `missing required key "ExporterPort"`},
	{"prometheus jmx without port", web + `    x-prometheus:
      ContainersInsights:
        CollectForJavaJmx:
          ExporterPath: /metrics
`, "services.web.x-prometheus.ContainersInsights.CollectForJavaJmx", 6, `missing required key "ExporterPort"`},
	{"prometheus path without slash", web + `    x-prometheus:
      ContainersInsights:
        CollectForNginx:
          ExporterPath: metrics
`, "services.web.x-prometheus.ContainersInsights.CollectForNginx.ExporterPath", 7, "a metrics path starts with /"},
	{"prometheus bad interval", web + `    x-prometheus:
      ContainersInsights:
        ScrapingConfiguration:
          Interval: 1 minute
`, "services.web.x-prometheus.ContainersInsights.ScrapingConfiguration.Interval", 7, "a Prometheus duration"},
	{"prometheus storage resolution neither 1 nor 60", web + `    x-prometheus:
      ContainersInsights:
        ScrapingConfiguration:
          StorageResolution: 10
`, "services.web.x-prometheus.ContainersInsights.ScrapingConfiguration.StorageResolution", 7, "10 is not allowed; allowed: 1, 60"},
	{"prometheus nginx plus refused", web + `    x-prometheus:
      ContainersInsights:
        CollectForNginxPlus: true
`, "services.web.x-prometheus.ContainersInsights.CollectForNginxPlus", 6, "CollectForNginxPlus is declared by compose-x but was never implemented"},
	{"prometheus emf processor incomplete", web + `    x-prometheus:
      ContainersInsights:
        CustomRules:
          - ExporterPort: 9100
            EmfProcessors:
              - source_labels: [job]
                label_matcher: node
                dimensions: [[ClusterName]]
`, "services.web.x-prometheus.ContainersInsights.CustomRules.0.EmfProcessors.0", 9, `missing required key "metric_selectors"`},
	// x-monitoring
	{"monitoring image and latest", web + `    x-monitoring:
      CWAgentCollectEmf:
        UseLatest: true
        OverrideImage: public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300049.1
`, "services.web.x-monitoring.CWAgentCollectEmf", 5, "give OverrideImage or UseLatest, not both"},
	// x-appmesh
	{"appmesh refused in a service", web + `    x-appmesh:
      Node: web
`, "services.web.x-appmesh", 4, "App Mesh reached end of support on 2026-09-30"},
	{"appmesh refused at the top", web + `x-appmesh:
  Settings: {}
`, "x-appmesh", 4, "use ECS Service Connect (x-network.ServiceConnect or x-network.x-ecs_connect) or the Envoy sidecar (x-network.Envoy)"},
	// x-ecs, x-logging
	{"ecs lower-case architecture", web + `    x-ecs:
      CpuArchitecture: arm64
`, "services.web.x-ecs.CpuArchitecture", 5, `"arm64" is not allowed; allowed: "X86_64", "ARM64"`},
	{"ecs weight too high", web + `    x-ecs:
      CapacityProviderStrategy:
        - CapacityProvider: FARGATE_SPOT
          Weight: 2000
`, "services.web.x-ecs.CapacityProviderStrategy.0.Weight", 7, "2000 is above the maximum of 1000; allowed: 0 to 1000"},
	{"logging retention zero", web + `    x-logging:
      RetentionInDays: 0
`, "services.web.x-logging.RetentionInDays", 5, "0 is below the minimum of 1"},
	{"logging firelens unknown key", web + `    x-logging:
      FireLens:
        Advanced:
          SourceFlie: extra.conf
`, "services.web.x-logging.FireLens.Advanced.SourceFlie", 7, `unknown key "SourceFlie" (did you mean "SourceFile"?)`},
	// top level
	{"cluster use and lookup", web + `x-cluster:
  Use: a
  Lookup: {ClusterName: b}
`, "x-cluster", 4, "x-cluster takes one of Use: NAME, Lookup: NAME (or {ClusterName: NAME}) or Properties (of the cluster the template creates)"},
	{"cluster not a name", web + `x-cluster: 12
`, "x-cluster", 4, "x-cluster is a cluster name, {Use: NAME}, {Lookup: NAME} or {Properties: ...}; got an integer (12)"},
	{"sns topic with both forms", web + `x-sns:
  alerts:
    TopicArn: arn:aws:sns:eu-west-1:123456789012:alerts
    Properties: {}
`, "x-sns.alerts", 5, "an x-sns topic has exactly one of Properties (a new topic, Properties: {} for the defaults), TopicArn (an existing one) or Lookup (an existing one, given as a parameter)"},
	{"sns bad topic arn", web + `x-sns:
  alerts:
    TopicArn: arn:aws:sns:eu-west-1:alerts
`, "x-sns.alerts.TopicArn", 6, "not an SNS topic ARN"},
	{"sns property typo", web + `x-sns:
  alerts:
    Properties:
      Subscriptions: []
`, "x-sns.alerts.Properties.Subscriptions", 7, `unknown key "Subscriptions" (did you mean "Subscription"?)`},
	{"alarms notify on", web + `x-alarms:
  busy:
    Topics:
      - x-sns: alerts
        NotifyOn: never
`, "x-alarms.busy.Topics.0.NotifyOn", 8, `"never" is not allowed; allowed: "alarm", "okay", "all"`},
	{"alarms step without count", web + `x-alarms:
  busy:
    Services:
      web:
        Scaling:
          Steps:
            - LowerBound: 0
`, "x-alarms.busy.Services.web.Scaling.Steps.0", 10, `missing required key "Count"`},
	{"alarms adjustment type", web + `x-alarms:
  busy:
    Services:
      web:
        Scaling:
          AdjustmentType: Exact
          Steps: [{Count: 2}]
`, "x-alarms.busy.Services.web.Scaling.AdjustmentType", 9, `"Exact" is not allowed; allowed: "ExactCapacity", "ChangeInCapacity", "PercentChangeInCapacity"`},
	{"alarms property typo", web + `x-alarms:
  busy:
    Properties:
      Treshold: 10
`, "x-alarms.busy.Properties.Treshold", 7, `unknown key "Treshold" (did you mean "Threshold"?)`},
	{"cloudmap namespace without zone", web + `x-cloudmap:
  private:
    Description: mine
`, "x-cloudmap.private", 5, "an x-cloudmap namespace has exactly one of ZoneName (or Name: create a private DNS namespace, or with Lookup use an existing one) or NamespaceId (use an existing one)"},
	{"cloudmap zone not a dns name", web + `x-cloudmap:
  private:
    ZoneName: Internal_Example
`, "x-cloudmap.private.ZoneName", 6, "not a DNS name"},
	{"network egress with two destinations", web + `    x-network:
      Egress:
        - IPv4: 10.0.0.0/8
          PrefixList: pl-123abc
          Ports: [443]
`, "services.web.x-network.Egress.0", 6, "an Egress rule has exactly one destination: IPv4, IPv6 or PrefixList"},
	{"network egress protocol", web + `    x-network:
      Egress:
        - IPv4: 10.0.0.0/8
          Protocol: icmp
`, "services.web.x-network.Egress.0.Protocol", 7, `"icmp" is not allowed; allowed: "tcp", "udp", "all"`},
	{"alarms notify on list", web + `x-alarms:
  busy:
    Topics:
      - TopicArn: arn:aws:sns:eu-west-1:123456789012:alerts
        NotifyOn: [alarm, ok]
`, "x-alarms.busy.Topics.0.NotifyOn.1", 8, `"ok" is not allowed; allowed: "alarm", "okay", "all"`},
	{"alarms period in properties", web + `x-alarms:
  busy:
    Properties:
      Period: 90
`, "x-alarms.busy.Properties.Period", 7, "CloudWatch alarm periods are 10, 30 (high-resolution metrics) or a multiple of 60 seconds; got an integer (90)"},
	{"prometheus nginx exporter uri", web + `    x-prometheus:
      ContainersInsights:
        AutoAddNginxPrometheusExporter:
          ScrapeUri: localhost:8080/stub_status
`, "services.web.x-prometheus.ContainersInsights.AutoAddNginxPrometheusExporter.ScrapeUri", 7, "a URL, e.g. http://127.0.0.1:8080/stub_status"},
	// secrets
	{"secret transform", web + `secrets:
  db:
    x-secrets:
      Name: prod/db
      JsonKeys:
        - SecretKey: password
          Transform: upper
`, "secrets.db.x-secrets.JsonKeys.0.Transform", 10, `"upper" is not allowed; allowed: "java_properties", "capitalize", "title"`},
	{"secret without name", web + `secrets:
  db:
    x-secrets:
      LinksTo: [EcsTaskRole]
`, "secrets.db.x-secrets", 6, "give Name or Lookup"},
	{"secret unknown role", web + `secrets:
  db:
    x-secrets:
      Name: prod/db
      LinksTo: [EcsRole]
`, "secrets.db.x-secrets.LinksTo.0", 8, `"EcsRole" is not allowed; allowed: "EcsExecutionRole", "EcsTaskRole"`},
	{"generated secret too short", web + `secrets:
  token:
    environment: TOKEN
    x-generate:
      Length: 4
`, "secrets.token.x-generate.Length", 8, "4 is below the minimum of 8; allowed: 8 to 4096"},
	{"generated secret unknown key", web + `secrets:
  token:
    environment: TOKEN
    x-generate:
      Lenght: 40
`, "secrets.token.x-generate.Lenght", 8, `unknown key "Lenght" (did you mean "Length"?)`},
}

func TestBadInput(t *testing.T) {
	if len(badCases) < 30 {
		t.Fatalf("only %d cases", len(badCases))
	}
	for _, c := range badCases {
		t.Run(c.name, func(t *testing.T) {
			in := loadYAML(t, c.yaml)
			ds := schema.Validate(in)
			for _, d := range ds {
				if d.Path == c.path && d.Line == c.line && strings.Contains(d.Message, c.msg) {
					if d.Severity != render.Error {
						t.Errorf("severity %v, want error", d.Severity)
					}
					if filepath.Base(d.File) != "docker-compose.yml" || d.Column == 0 {
						t.Errorf("not located: %s", d)
					}
					if strings.HasPrefix(c.path, "services.web.") && d.Service != "web" {
						t.Errorf("service %q, want web", d.Service)
					}
					return
				}
			}
			t.Errorf("want error at %s line %d containing %q; got:\n%s", c.path, c.line, c.msg, dump(ds))
		})
	}
}

func dump(ds render.Diagnostics) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "  %s\n", d)
	}
	if b.Len() == 0 {
		return "  (nothing)"
	}
	return b.String()
}
