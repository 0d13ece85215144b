package examples

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/render"
)

// This file reads back, from what the moto emulator created, what each
// example is about: the CloudWatch agent's SSM parameters and sidecars,
// security group rules, IAM roles and Cloud Map services. TestMotoDeploy
// runs checkAgentReadback on every project and motoChecks[name] on the
// project of that name.

// motoSkip lists the examples that are not deployed to moto, and why; they
// are still compared with expected/ and linted with cfn-lint.
var motoSkip = map[string]string{
	// moto 5.2.1 has no CloudFormation handler for
	// AWS::ServiceDiscovery::PrivateDnsNamespace: the created namespace is
	// skipped and the GetAtt of its Id fails the stack. The existing
	// namespace (NamespaceId: ns-...) is not in the emulator either, and
	// moto_plus's Cloud Map handler refuses an unknown namespace as AWS does.
	// network-cloudmap-legacy deploys a Cloud Map registration instead.
	"network-egress-cloudmap": "moto cannot create AWS::ServiceDiscovery::PrivateDnsNamespace, and the existing namespace ns-0123456789abcdef is not in the emulator",
	// moto's AWS::EC2::SecurityGroupIngress handler asserts that a rule has a
	// CIDR or a source security group (SourcePrefixListId is not handled),
	// and the security group of another account (sg-0a1b2c3d4e5f60718) does
	// not exist in the emulator.
	"network-ingress-aws-sources": "moto's SecurityGroupIngress handler does not know SourcePrefixListId, and the source security group of another account is not in the emulator",
}

// motoChecks are the per-project readbacks, by project name.
var motoChecks = map[string]func(t *testing.T, p *project, sum *motoSummary){
	"prometheus-blog":         checkPrometheusBlog,
	"seed-prometheus-blog":    checkPrometheusBlog,
	"prometheus-nginx":        checkPrometheusNginx,
	"prometheus-jmx":          checkPrometheusJmx,
	"prometheus-custom-rules": checkPrometheusCustomRules,
	"monitoring-emf":          checkMonitoringEmf,
	"network-ingress":         checkNetworkIngress,
	"network-cloudmap-legacy": checkNetworkCloudmapLegacy,
	"seed-mysfits-workshop":   checkMysfits,
	"iam-policies":            checkIamPolicies,
}

type motoContainer struct {
	Name         string            `json:"name"`
	Image        string            `json:"image"`
	Essential    *bool             `json:"essential"`
	Command      []string          `json:"command"`
	DockerLabels map[string]string `json:"dockerLabels"`
	Environment  []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"environment"`
	Secrets []struct {
		Name      string `json:"name"`
		ValueFrom string `json:"valueFrom"`
	} `json:"secrets"`
	DependsOn []struct {
		ContainerName string `json:"containerName"`
		Condition     string `json:"condition"`
	} `json:"dependsOn"`
	PortMappings []struct {
		ContainerPort int    `json:"containerPort"`
		Protocol      string `json:"protocol"`
	} `json:"portMappings"`
}

type motoService struct {
	ServiceName          string `json:"serviceName"`
	LaunchType           string `json:"launchType"`
	DesiredCount         int    `json:"desiredCount"`
	TaskDefinition       string `json:"taskDefinition"`
	NetworkConfiguration struct {
		AwsvpcConfiguration struct {
			SecurityGroups []string `json:"securityGroups"`
			AssignPublicIp string   `json:"assignPublicIp"`
		} `json:"awsvpcConfiguration"`
	} `json:"networkConfiguration"`
	ServiceRegistries []struct {
		RegistryArn   string `json:"registryArn"`
		ContainerName string `json:"containerName"`
		ContainerPort int    `json:"containerPort"`
	} `json:"serviceRegistries"`
	Deployments []struct {
		ServiceConnectConfiguration map[string]any `json:"serviceConnectConfiguration"`
	} `json:"deployments"`
}

type motoCloudMapService struct {
	Id        string `json:"Id"`
	Arn       string `json:"Arn"`
	Name      string `json:"Name"`
	DnsConfig struct {
		RoutingPolicy string `json:"RoutingPolicy"`
		DnsRecords    []struct {
			Type string `json:"Type"`
			TTL  int    `json:"TTL"`
		} `json:"DnsRecords"`
	} `json:"DnsConfig"`
}

// motoRole is a role's inline policies (name to document, which moto gives
// as text) and attached managed policy ARNs.
type motoRole struct {
	Inline   map[string]any `json:"inline"`
	Attached []string       `json:"attached"`
}

type motoSecurityGroup struct {
	GroupId string `json:"GroupId"`
	Tags    []struct {
		Key   string `json:"Key"`
		Value string `json:"Value"`
	} `json:"Tags"`
	IpPermissions       []motoPermission `json:"IpPermissions"`
	IpPermissionsEgress []motoPermission `json:"IpPermissionsEgress"`
}

type motoPermission struct {
	IpProtocol       string `json:"IpProtocol"`
	FromPort         int    `json:"FromPort"`
	ToPort           int    `json:"ToPort"`
	UserIdGroupPairs []struct {
		GroupId string `json:"GroupId"`
	} `json:"UserIdGroupPairs"`
	IpRanges []struct {
		CidrIp string `json:"CidrIp"`
	} `json:"IpRanges"`
	Ipv6Ranges []struct {
		CidrIpv6 string `json:"CidrIpv6"`
	} `json:"Ipv6Ranges"`
}

// ---- lookups in the moto summary ------------------------------------------------

func (s *motoSummary) containers(t *testing.T, family string) map[string]motoContainer {
	t.Helper()
	for _, td := range s.TaskDefinitions {
		if td.Family == motoStack+"-"+family {
			out := map[string]motoContainer{}
			for _, c := range td.ContainerDefinitions {
				out[c.Name] = c
			}
			return out
		}
	}
	t.Fatalf("no task definition of family %s-%s in moto", motoStack, family)
	return nil
}

func (s *motoSummary) service(t *testing.T, family string) motoService {
	t.Helper()
	for _, svc := range s.Services {
		if strings.Contains(svc.TaskDefinition, ":task-definition/"+motoStack+"-"+family+":") {
			return svc
		}
	}
	t.Fatalf("no ECS service runs family %s in moto", family)
	return motoService{}
}

// parameter returns the value of the SSM parameter composex names
// /composex/<stack>/<family>/<what>.
func (s *motoSummary) parameter(t *testing.T, family, what string) string {
	t.Helper()
	name := "/composex/" + motoStack + "/" + family + "/" + what
	for _, p := range s.SSMParameters {
		if p.Name == name {
			return p.Value
		}
	}
	t.Fatalf("no SSM parameter %s in moto", name)
	return ""
}

// parameterArn is the ARN moto gives a parameter of that name.
func parameterArn(family, what string) string {
	return "arn:aws:ssm:us-east-1:123456789012:parameter/composex/" + motoStack + "/" + family + "/" + what
}

func (s *motoSummary) group(t *testing.T, family string) motoSecurityGroup {
	t.Helper()
	for _, g := range s.SecurityGroups {
		for _, tag := range g.Tags {
			if tag.Key == "Name" && tag.Value == motoStack+"-"+family {
				return g
			}
		}
	}
	t.Fatalf("no security group of family %s in moto", family)
	return motoSecurityGroup{}
}

// role returns the role whose logical ID is logical (moto names roles
// <stack>-<logical ID>-<suffix>).
func (s *motoSummary) role(t *testing.T, logical string) motoRole {
	t.Helper()
	for name, r := range s.Roles {
		if strings.HasPrefix(name, motoStack+"-"+logical+"-") {
			return r
		}
	}
	t.Fatalf("no role %s in moto", logical)
	return motoRole{}
}

func (s *motoSummary) cloudMapService(t *testing.T, name string) motoCloudMapService {
	t.Helper()
	for _, c := range s.CloudMapServices {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no Cloud Map service %s in moto (have %d)", name, len(s.CloudMapServices))
	return motoCloudMapService{}
}

// ingress lists a group's rules as "port/proto<-source" strings, sorted,
// where a source is a CIDR, or "sg:<family>" for the group of a family of
// the stack (found by its Name tag), or "sg:<id>".
func (s *motoSummary) ingress(g motoSecurityGroup) []string {
	names := map[string]string{}
	for _, o := range s.SecurityGroups {
		for _, tag := range o.Tags {
			if tag.Key == "Name" {
				names[o.GroupId] = strings.TrimPrefix(tag.Value, motoStack+"-")
			}
		}
	}
	var out []string
	for _, p := range g.IpPermissions {
		port := fmt.Sprintf("%d/%s", p.FromPort, p.IpProtocol)
		if p.FromPort != p.ToPort {
			port = fmt.Sprintf("%d-%d/%s", p.FromPort, p.ToPort, p.IpProtocol)
		}
		for _, pair := range p.UserIdGroupPairs {
			src := pair.GroupId
			if n, ok := names[src]; ok {
				src = n
			}
			out = append(out, port+"<-sg:"+src)
		}
		for _, r := range p.IpRanges {
			out = append(out, port+"<-"+r.CidrIp)
		}
		for _, r := range p.Ipv6Ranges {
			out = append(out, port+"<-"+r.CidrIpv6)
		}
	}
	sort.Strings(out)
	return out
}

// label reads a docker label; moto_plus's camel-casing of nested keys
// lowercases the first letter of label names (ECS_... becomes eCS_...).
func label(c motoContainer, key string) string {
	if v, ok := c.DockerLabels[key]; ok {
		return v
	}
	return c.DockerLabels[strings.ToLower(key[:1])+key[1:]]
}

func env(c motoContainer, name string) string {
	for _, e := range c.Environment {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func secrets(c motoContainer) map[string]string {
	out := map[string]string{}
	for _, s := range c.Secrets {
		out[s.Name] = s.ValueFrom
	}
	return out
}

func dependsOn(c motoContainer) []string {
	var out []string
	for _, d := range c.DependsOn {
		out = append(out, d.ContainerName+":"+d.Condition)
	}
	sort.Strings(out)
	return out
}

func containerNames(cs map[string]motoContainer) []string {
	var out []string
	for n := range cs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func inlineNames(r motoRole) []string {
	var out []string
	for n := range r.Inline {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func sortedCopy(v []string) []string {
	out := append([]string{}, v...)
	sort.Strings(out)
	return out
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n  got  %#v\n  want %#v", what, got, want)
	}
}

// agentConfig parses an agent configuration read back from SSM.
func agentConfig(t *testing.T, family, body string) map[string]any {
	t.Helper()
	var cfg map[string]any
	if err := json.Unmarshal([]byte(body), &cfg); err != nil {
		t.Fatalf("%s: the agent configuration in SSM is not JSON: %v\n%s", family, err, body)
	}
	return cfg
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// declarations returns the metric selectors of each EMF declaration.
func declarations(cfg map[string]any) [][]string {
	var out [][]string
	list, _ := dig(cfg, "logs", "metrics_collected", "prometheus", "emf_processor", "metric_declaration").([]any)
	for _, d := range list {
		var sels []string
		for _, s := range dig(d, "metric_selectors").([]any) {
			sels = append(sels, s.(string))
		}
		out = append(out, sels)
	}
	return out
}

// templateResources parses the rendered template's resources.
func templateResources(t *testing.T, p *project) map[string]map[string]any {
	t.Helper()
	var doc struct {
		Resources map[string]map[string]any `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(p.out.Files[p.out.Template], &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Resources
}

// ---- the checks ------------------------------------------------------------------

// checkAgentReadback checks, for every family that has a CloudWatch agent,
// that the agent container reads its configurations from the SSM
// parameters moto holds, and that those parse: JSON for the agent, YAML
// with scrape_configs for Prometheus.
func checkAgentReadback(t *testing.T, p *project, sum *motoSummary) {
	t.Helper()
	for _, f := range p.out.Model.Families {
		if f.CloudWatchAgent == nil {
			continue
		}
		family := render.ResourceName(f.Name)
		agent, ok := sum.containers(t, family)["cloudwatch-agent"]
		if !ok {
			t.Errorf("%s: no cloudwatch-agent container in moto", family)
			continue
		}
		want := map[string]string{"CW_CONFIG_CONTENT": parameterArn(family, "cloudwatch-agent")}
		cfg := agentConfig(t, family, sum.parameter(t, family, "cloudwatch-agent"))
		if f.CloudWatchAgent.Prometheus != nil {
			want["PROMETHEUS_CONFIG_CONTENT"] = parameterArn(family, "prometheus")
			var scrape struct {
				ScrapeConfigs []map[string]any `yaml:"scrape_configs"`
			}
			body := sum.parameter(t, family, "prometheus")
			if err := yaml.Unmarshal([]byte(body), &scrape); err != nil || len(scrape.ScrapeConfigs) == 0 {
				t.Errorf("%s: the Prometheus configuration in SSM is not YAML with scrape_configs: %v\n%s", family, err, body)
			}
			if dig(cfg, "logs", "metrics_collected", "prometheus", "prometheus_config_path") != "env:PROMETHEUS_CONFIG_CONTENT" {
				t.Errorf("%s: agent configuration without the prometheus section: %v", family, cfg)
			}
		}
		if f.CloudWatchAgent.CollectEMF && dig(cfg, "logs", "metrics_collected", "emf") == nil {
			t.Errorf("%s: EMF is on but the agent configuration has no logs.metrics_collected.emf: %v", family, cfg)
		}
		equal(t, family+": agent secrets", secrets(agent), want)
		equal(t, family+": agent essential", agent.Essential != nil && *agent.Essential, false)
	}
}

// checkPrometheusBlog reads back the seed: nginx with its exporter sidecar,
// kafdrop's JMX, and the connect family (JMX plus custom rules on one port,
// Myself ingress, Cloud Map through the NamespaceId parameter, x-iam).
func checkPrometheusBlog(t *testing.T, p *project, sum *motoSummary) {
	nginx := sum.containers(t, "nginx")
	equal(t, "nginx containers", containerNames(nginx), []string{"cloudwatch-agent", "nginx", "nginx-prometheus-exporter"})
	exp := nginx["nginx-prometheus-exporter"]
	equal(t, "exporter dependsOn", dependsOn(exp), []string{"nginx:START"})
	equal(t, "exporter command", exp.Command, []string{"--nginx.scrape-uri=http://127.0.0.1:8080/stub_status", "--web.listen-address=:9113"})
	equal(t, "exporter job label", label(exp, "job"), "nginx-prometheus-exporter")
	portLabel := "ECS_PROMETHEUS_EXPORTER_PORT_" + strings.ToUpper(strings.ReplaceAll(p.name, "-", "")) + "_NGINX"
	equal(t, "exporter port label", label(exp, portLabel), "9113")
	cfg := agentConfig(t, "nginx", sum.parameter(t, "nginx", "cloudwatch-agent"))
	equal(t, "nginx agent debug", dig(cfg, "agent", "debug"), true)
	equal(t, "nginx port label in the agent", dig(cfg, "logs", "metrics_collected", "prometheus", "ecs_service_discovery", "docker_label", "sd_port_label"), portLabel)
	equal(t, "nginx EMF selectors", declarations(cfg), [][]string{{"^nginx_.*$"}})

	kafdrop := sum.containers(t, "kafdrop")
	equal(t, "kafdrop job label", label(kafdrop["kafdrop"], "job"), "jmx_prometheus_export")
	equal(t, "kafdrop JMX declarations", len(declarations(agentConfig(t, "kafdrop", sum.parameter(t, "kafdrop", "cloudwatch-agent")))), 3)

	connect := sum.containers(t, "connect")
	equal(t, "connect containers", containerNames(connect), []string{"cloudwatch-agent", "connect", "connect-files"})
	equal(t, "connect dependsOn", dependsOn(connect["connect"]), []string{"connect-files:SUCCESS"})
	ccfg := agentConfig(t, "connect", sum.parameter(t, "connect", "cloudwatch-agent"))
	decl := declarations(ccfg)
	if equal(t, "connect declarations (3 JMX + 2 custom)", len(decl), 5); len(decl) == 5 {
		equal(t, "connect custom rule", decl[4], []string{"^kafka_connect_connect_worker_metrics_connector_(?:total|failed|unassigned|paused|running)_task_count$"})
	}
	equal(t, "connect ingress (Myself)", sum.ingress(sum.group(t, "connect")), []string{"1234/tcp<-sg:connect", "8083/tcp<-sg:connect"})
	cm := sum.cloudMapService(t, "connect")
	equal(t, "connect Cloud Map records", fmt.Sprint(cm.DnsConfig.DnsRecords), "[{A 15} {SRV 15}]")
	svc := sum.service(t, "connect")
	if equal(t, "connect service registries", len(svc.ServiceRegistries), 1); len(svc.ServiceRegistries) == 1 {
		r := svc.ServiceRegistries[0]
		equal(t, "connect registry", []any{r.RegistryArn, r.ContainerName, r.ContainerPort}, []any{cm.Arn, "connect", 8083})
	}
	task := sum.role(t, "ConnectTaskRole")
	equal(t, "connect task role inline policies", inlineNames(task), []string{"AssumeRoles", "CloudWatchAgentPrometheus"})
	if doc := fmt.Sprint(task.Inline["AssumeRoles"]); !strings.Contains(doc, "sts:AssumeRole") || !strings.Contains(doc, "role-for-cross-account-connectors") {
		t.Errorf("connect AssumeRoles policy: %s", doc)
	}
	exec := sum.role(t, "ConnectExecutionRole")
	doc := fmt.Sprint(exec.Inline["ReadCloudWatchAgentConfig"])
	for _, what := range []string{"cloudwatch-agent", "prometheus"} {
		if !strings.Contains(doc, parameterArn("connect", what)+"'") {
			t.Errorf("connect execution role may not read %s: %s", parameterArn("connect", what), doc)
		}
	}
}

func checkPrometheusNginx(t *testing.T, p *project, sum *motoSummary) {
	web := sum.containers(t, "web")
	equal(t, "containers", containerNames(web), []string{"cloudwatch-agent", "nginx-prometheus-exporter", "web"})
	exp := web["nginx-prometheus-exporter"]
	equal(t, "exporter dependsOn (web has a healthcheck)", dependsOn(exp), []string{"web:HEALTHY"})
	equal(t, "exporter essential", exp.Essential != nil && *exp.Essential, false)
	equal(t, "exporter command", exp.Command, []string{"--nginx.scrape-uri=http://127.0.0.1:8080/stub_status", "--web.listen-address=:9113"})
	equal(t, "exporter port", fmt.Sprint(exp.PortMappings), "[{9113 tcp}]")
	equal(t, "exporter labels", []string{label(exp, "job"), label(exp, "ECS_PROMETHEUS_EXPORTER_PORT_PROMETHEUSNGINX_WEB")}, []string{"nginx-prometheus-exporter", "9113"})
	cfg := agentConfig(t, "web", sum.parameter(t, "web", "cloudwatch-agent"))
	equal(t, "no debug", dig(cfg, "agent"), nil)
	equal(t, "EMF selectors", declarations(cfg), [][]string{{"^nginx_.*$"}})
	var scrape struct {
		Global map[string]string `yaml:"global"`
	}
	if err := yaml.Unmarshal([]byte(sum.parameter(t, "web", "prometheus")), &scrape); err != nil {
		t.Fatal(err)
	}
	equal(t, "scrape global", scrape.Global, map[string]string{"scrape_interval": "30s", "scrape_timeout": "10s"})
	equal(t, "no ingress without x-network", sum.ingress(sum.group(t, "web")), []string(nil))
	equal(t, "task role policies", inlineNames(sum.role(t, "WebTaskRole")), []string{"CloudWatchAgentPrometheus"})
}

func checkPrometheusJmx(t *testing.T, p *project, sum *motoSummary) {
	orders := sum.containers(t, "orders")
	equal(t, "containers", containerNames(orders), []string{"cloudwatch-agent", "orders"})
	app := orders["orders"]
	equal(t, "app labels", []string{label(app, "job"), label(app, "ECS_PROMETHEUS_EXPORTER_PORT"), label(app, "ECS_PROMETHEUS_EXPORTER_PORT_PROMETHEUSJMX_ORDERS")},
		[]string{"orders-jmx", "9404", "9404"})
	cfg := agentConfig(t, "orders", sum.parameter(t, "orders", "cloudwatch-agent"))
	equal(t, "agent debug", dig(cfg, "agent", "debug"), true)
	decl := declarations(cfg)
	equal(t, "JMX declarations", len(decl), 3)
	if len(decl) == 3 {
		equal(t, "memory pool selector", decl[2], []string{"^jvm_memory_pool_bytes_used$"})
	}
}

func checkPrometheusCustomRules(t *testing.T, p *project, sum *motoSummary) {
	app := sum.containers(t, "checkout")["checkout"]
	equal(t, "labels of the first exporter", []string{label(app, "ECS_PROMETHEUS_EXPORTER_PORT_PROMETHEUSCUSTOMRULES_CHECKOUT"), label(app, "ECS_PROMETHEUS_METRICS_PATH"), label(app, "job")},
		[]string{"8081", "/actuator/prometheus", "checkout"})
	cfg := agentConfig(t, "checkout", sum.parameter(t, "checkout", "cloudwatch-agent"))
	list, _ := dig(cfg, "logs", "metrics_collected", "prometheus", "ecs_service_discovery", "task_definition_list").([]any)
	want := []any{map[string]any{
		"sd_job_name": "checkout", "sd_metrics_ports": "9100", "sd_metrics_path": "/metrics",
		// Fn::Sub resolved the stack name in the pattern.
		"sd_task_definition_arn_pattern": ".*:task-definition/" + motoStack + "-checkout:[0-9]+$",
		"sd_container_name_pattern":      "^checkout$",
	}}
	equal(t, "second exporter by task definition", list, want)
	equal(t, "custom declarations", declarations(cfg), [][]string{{"^http_server_requests_seconds_(count|sum)$"}, {"^node_(load1|memory_MemAvailable_bytes)$"}})
	file, err := os.ReadFile(filepath.Join(p.name, "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := sum.parameter(t, "checkout", "prometheus"); got != string(file) {
		t.Errorf("the Prometheus configuration in SSM is not prometheus.yml verbatim:\n%s", got)
	}
}

func checkMonitoringEmf(t *testing.T, p *project, sum *motoSummary) {
	orders := sum.containers(t, "orders")
	equal(t, "orders containers", containerNames(orders), []string{"api", "cloudwatch-agent", "worker"})
	equal(t, "agent ports", fmt.Sprint(orders["cloudwatch-agent"].PortMappings), "[{25888 tcp} {25888 udp}]")
	for _, name := range []string{"api", "worker"} {
		c := orders[name]
		equal(t, name+" dependsOn", dependsOn(c), []string{"cloudwatch-agent:START"})
		equal(t, name+" EMF endpoint", env(c, "AWS_EMF_AGENT_ENDPOINT"), "tcp://127.0.0.1:25888")
		// The log group name is resolved by CloudFormation (Fn::Sub).
		equal(t, name+" EMF log group", env(c, "AWS_EMF_LOG_GROUP_NAME"), "/ecs/"+motoStack+"/orders/metrics")
	}
	equal(t, "worker keeps its own variables", env(orders["worker"], "AWS_EMF_NAMESPACE"), "Orders")
	cfg := agentConfig(t, "orders", sum.parameter(t, "orders", "cloudwatch-agent"))
	equal(t, "agent configuration", cfg, map[string]any{"logs": map[string]any{"metrics_collected": map[string]any{"emf": map[string]any{}}, "force_flush_interval": 5.0}})
	equal(t, "orders task role", inlineNames(sum.role(t, "OrdersTaskRole")), []string{"CloudWatchAgentEmf"})
	if doc := fmt.Sprint(sum.role(t, "OrdersTaskRole").Inline["CloudWatchAgentEmf"]); !strings.Contains(doc, ":log-group:/ecs/"+motoStack+"/orders/metrics") {
		t.Errorf("the orders task role must write the metrics log group only: %s", doc)
	}
	billing := sum.containers(t, "billing")
	equal(t, "billing agent image (OverrideImage)", billing["cloudwatch-agent"].Image, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/cloudwatch-agent:1.300045.0b810")
	equal(t, "billing EMF log group", env(billing["billing"], "AWS_EMF_LOG_GROUP_NAME"), "/ecs/"+motoStack+"/billing/metrics")
}

func checkNetworkIngress(t *testing.T, p *project, sum *motoSummary) {
	// The moto of this toolchain keeps the IPv6 ranges of an
	// AWS::EC2::SecurityGroupIngress (older ones dropped them); the
	// template is checked below as well.
	equal(t, "api ingress", sum.ingress(sum.group(t, "api")), []string{
		"443/tcp<-192.168.10.0/24", "443/tcp<-2001:db8:1234::/48", "443/tcp<-sg:api", "443/tcp<-sg:frontend",
		"9090/tcp<-2001:db8:1234::/48", "9090/tcp<-sg:api", "9090/tcp<-sg:frontend",
	})
	equal(t, "frontend ingress", sum.ingress(sum.group(t, "frontend")), []string{"80/tcp<-0.0.0.0/0"})
	equal(t, "frontend public IP", sum.service(t, "frontend").NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, "ENABLED")
	equal(t, "api public IP", sum.service(t, "api").NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, "DISABLED")
	res := templateResources(t, p)
	for _, port := range []int{443, 9090} {
		r := res[fmt.Sprintf("ApiIngressFromPartnerV6Port%dTCP", port)]
		equal(t, fmt.Sprintf("IPv6 rule on %d", port), dig(r, "Properties", "CidrIpv6"), "2001:db8:1234::/48")
	}
}

func checkNetworkCloudmapLegacy(t *testing.T, p *project, sum *motoSummary) {
	cm := sum.cloudMapService(t, "orders")
	equal(t, "Cloud Map records", fmt.Sprint(cm.DnsConfig.RoutingPolicy, cm.DnsConfig.DnsRecords), "MULTIVALUE[{A 15} {SRV 15}]")
	svc := sum.service(t, "orders")
	if equal(t, "service registries", len(svc.ServiceRegistries), 1); len(svc.ServiceRegistries) == 1 {
		r := svc.ServiceRegistries[0]
		equal(t, "registry", []any{r.RegistryArn, r.ContainerName, r.ContainerPort}, []any{cm.Arn, "orders", 8080})
	}
	equal(t, "orders ingress (Myself)", sum.ingress(sum.group(t, "orders")), []string{"7000/tcp<-sg:orders", "8080/tcp<-sg:orders"})
	// moto ignores SecurityGroupEgress (it keeps the default allow-all
	// rule), so the egress rules are read from the template.
	egress, _ := dig(templateResources(t, p)["OrdersSecurityGroup"], "Properties", "SecurityGroupEgress").([]any)
	var got []string
	for _, e := range egress {
		got = append(got, fmt.Sprintf("%v %v-%v %v", dig(e, "IpProtocol"), dig(e, "FromPort"), dig(e, "ToPort"), dig(e, "CidrIp")))
	}
	equal(t, "egress", got, []string{"tcp 443-443 0.0.0.0/0", "tcp 7000-7000 10.0.0.0/16"})
}

// checkMysfits: the monolith accepts the like family on port 80; like
// accepts the load balancer subnets on 80 only (not the sidecar's 8001).
func checkMysfits(t *testing.T, p *project, sum *motoSummary) {
	equal(t, "monolith ingress", sum.ingress(sum.group(t, "monolith")), []string{"80/tcp<-sg:like"})
	equal(t, "like ingress", sum.ingress(sum.group(t, "like")), []string{"80/tcp<-10.0.0.0/16"})
}

func checkIamPolicies(t *testing.T, p *project, sum *motoSummary) {
	task := sum.role(t, "CatalogTaskRole")
	// ReadCatalogBucket is in api and worker: written once.
	equal(t, "catalog task role inline policies", inlineNames(task), []string{"ReadCatalogBucket", "WriteCatalogTable"})
	equal(t, "catalog task role managed policies", sortedCopy(task.Attached), []string{
		"arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess", // the name, expanded in the stack's partition
		"arn:aws:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy",
	})
	if doc := fmt.Sprint(task.Inline["WriteCatalogTable"]); !strings.Contains(doc, "NotAction") || !strings.Contains(doc, "aws:SecureTransport") {
		t.Errorf("WriteCatalogTable is not the document of the compose file: %s", doc)
	}
	equal(t, "catalog execution role", inlineNames(sum.role(t, "CatalogExecutionRole")), []string{"WriteLogs"})
	equal(t, "catalog execution role managed policies", len(sum.role(t, "CatalogExecutionRole").Attached), 0)
	reports := sum.role(t, "ReportsTaskRole")
	equal(t, "reports task role policies", len(reports.Inline)+len(reports.Attached), 0)
	// The summary of moto_inproc_check.py has no permissions boundary: read
	// it from the template, on both roles of each family.
	res := templateResources(t, p)
	catalog := map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/team-catalog-boundary"}
	for id, want := range map[string]any{
		"CatalogTaskRole": catalog, "CatalogExecutionRole": catalog,
		"ReportsTaskRole":      "arn:aws:iam::123456789012:policy/boundaries/reports",
		"ReportsExecutionRole": "arn:aws:iam::123456789012:policy/boundaries/reports",
	} {
		equal(t, id+" boundary", dig(res[id], "Properties", "PermissionsBoundary"), want)
	}
}
