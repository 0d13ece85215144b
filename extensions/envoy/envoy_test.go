package envoy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tracev3 "github.com/envoyproxy/go-control-plane/envoy/config/trace/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/xeipuuv/gojsonschema"
	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions/envoy"
	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

const (
	taskDefType = "AWS::ECS::TaskDefinition"
	serviceType = "AWS::ECS::Service"
	paramType   = "AWS::SSM::Parameter"
)

// logConfig is the Service Connect proxy's log configuration for a family.
func logConfig(logical string) string {
	return `{"LogDriver": "awslogs", "Options": {"awslogs-group": {"Ref": "` + logical + `LogGroup"}, "awslogs-region": {"Ref": "AWS::Region"}, "awslogs-stream-prefix": "service-connect"}}`
}

// ---- Service Connect ----------------------------------------------------

// serviceConnectCompose is the workshop pair on Service Connect: monolith
// serves (compose-x's MacroParameters form), like serves with the plain
// form and defaults, the client only calls (client-only mode).
const serviceConnectCompose = `
services:
  monolith:
    image: public.ecr.aws/mythicalmysfits/monolith:1.0
    ports:
      - target: 80
        published: "80"
      - name: admin
        target: 8081
        app_protocol: http
    x-network:
      x-ecs_connect:
        MacroParameters:
          x-cloudmap: mysfits
          service_ports:
            tcp_80: {DnsName: monolith, CloudMapServiceName: monolith-web, appProtocol: http}
            admin: {DnsName: monolith-admin}
  like:
    image: public.ecr.aws/mythicalmysfits/like:1.0
    ports: ["80:80"]
    x-network:
      ServiceConnect:
        Namespace: mysfits
  client:
    image: busybox:1.36
    x-network:
      ServiceConnect: {ClientOnly: true}
x-cloudmap:
  mysfits:
    NamespaceId: ns-abcdef0123456789
`

const mysfitsArn = `{"Fn::Sub": "arn:${AWS::Partition}:servicediscovery:${AWS::Region}:${AWS::AccountId}:namespace/ns-abcdef0123456789"}`

func TestServiceConnect(t *testing.T) {
	r := rendertest.MustRender(t, serviceConnectCompose)
	rendertest.EqualJSON(t, "monolith (MacroParameters)", r.Get(t, "MonolithService", serviceType)["ServiceConnectConfiguration"], `{
		"Enabled": true, "Namespace": `+mysfitsArn+`, "LogConfiguration": `+logConfig("Monolith")+`,
		"Services": [
		  {"PortName": "admin", "DiscoveryName": "monolith-admin", "ClientAliases": [{"DnsName": "monolith-admin", "Port": 8081}]},
		  {"PortName": "tcp_80", "DiscoveryName": "monolith-web", "ClientAliases": [{"DnsName": "monolith", "Port": 80}]}
		]}`)
	rendertest.EqualJSON(t, "monolith port mappings (appProtocol set from service_ports)", rendertest.Containers(t, r, "MonolithTaskDefinition")["monolith"]["PortMappings"], `[
		{"AppProtocol": "http", "ContainerPort": 80, "Name": "tcp_80", "Protocol": "tcp"},
		{"AppProtocol": "http", "ContainerPort": 8081, "Name": "admin", "Protocol": "tcp"}]`)
	rendertest.EqualJSON(t, "like (ServiceConnect, defaults)", r.Get(t, "LikeService", serviceType)["ServiceConnectConfiguration"], `{
		"Enabled": true, "Namespace": `+mysfitsArn+`, "LogConfiguration": `+logConfig("Like")+`,
		"Services": [{"PortName": "tcp_80", "DiscoveryName": "like", "ClientAliases": [{"DnsName": "like", "Port": 80}]}]}`)
	rendertest.EqualJSON(t, "client (client-only)", r.Get(t, "ClientService", serviceType)["ServiceConnectConfiguration"], `{
		"Enabled": true, "Namespace": `+mysfitsArn+`, "LogConfiguration": `+logConfig("Client")+`}`)
	rendertest.CfnLint(t, r.Template)
}

// Without a top-level x-cloudmap the namespace is the NamespaceId
// parameter; a created namespace is referred to by its ARN; Properties
// are passed through with their namespace resolved.
func TestServiceConnectNamespaces(t *testing.T) {
	r := rendertest.MustRender(t, `
services:
  api:
    image: busybox:1.36
    ports: ["8080:8080"]
    x-network:
      ServiceConnect: {}
`)
	rendertest.EqualJSON(t, "namespace from the parameter", r.Get(t, "ApiService", serviceType)["ServiceConnectConfiguration"].(map[string]any)["Namespace"],
		`{"Fn::Sub": "arn:${AWS::Partition}:servicediscovery:${AWS::Region}:${AWS::AccountId}:namespace/${NamespaceId}"}`)

	r = rendertest.MustRender(t, `
services:
  api:
    image: busybox:1.36
    ports: ["8080:8080"]
    x-network:
      x-cloudmap: internal
      x-ecs_connect:
        Properties:
          Namespace: internal
          Services:
            - PortName: tcp_8080
              DiscoveryName: api
              ClientAliases: [{Port: 80, DnsName: api.internal}]
              Timeout: {PerRequestTimeoutSeconds: 30}
  other:
    image: busybox:1.36
    x-network:
      x-ecs_connect:
        Properties:
          Enabled: true
          Namespace: arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-0123456789abcdef
          LogConfiguration: {LogDriver: awslogs, Options: {awslogs-group: shared, awslogs-region: eu-west-1, awslogs-stream-prefix: sc}}
x-cloudmap:
  internal:
    ZoneName: internal.local
`)
	rendertest.EqualJSON(t, "Properties with an x-cloudmap namespace", r.Get(t, "ApiService", serviceType)["ServiceConnectConfiguration"], `{
		"Enabled": true, "Namespace": {"Fn::GetAtt": ["CloudMapNamespaceInternal", "Arn"]}, "LogConfiguration": `+logConfig("Api")+`,
		"Services": [{"PortName": "tcp_8080", "DiscoveryName": "api", "ClientAliases": [{"DnsName": "api.internal", "Port": 80}], "Timeout": {"PerRequestTimeoutSeconds": 30}}]}`)
	rendertest.EqualJSON(t, "Properties passed through", r.Get(t, "OtherService", serviceType)["ServiceConnectConfiguration"], `{
		"Enabled": true, "Namespace": "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-0123456789abcdef",
		"LogConfiguration": {"LogDriver": "awslogs", "Options": {"awslogs-group": "shared", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "sc"}}}`)
	if n := len(r.Of("AWS::ServiceDiscovery::PrivateDnsNamespace")); n != 1 {
		t.Errorf("x-cloudmap registration and Service Connect must share one namespace resource, got %d", n)
	}
	rendertest.CfnLint(t, r.Template)
}

func TestServiceConnectRefused(t *testing.T) {
	cases := []struct {
		name, network, path, message string
	}{
		{"unknown port name", "ServiceConnect: {Services: [{PortName: http}]}", "services.api.x-network.ServiceConnect.Services.0.PortName",
			`"http" is not a port name of api; its ports are named tcp_8080, udp_53, web (compose ports[].name, else <protocol>_<port>)`},
		{"unknown port in service_ports", "x-ecs_connect: {MacroParameters: {x-cloudmap: ns, service_ports: {tcp_9999: {}}}}",
			"services.api.x-network.x-ecs_connect.MacroParameters.service_ports.tcp_9999",
			`"tcp_9999" is not a port name of api; its ports are named tcp_8080, udp_53, web (compose ports[].name, else <protocol>_<port>)`},
		{"udp port", "ServiceConnect: {Services: [{PortName: udp_53}]}", "services.api.x-network.ServiceConnect.Services.0.PortName", ""},
		{"unknown namespace", "ServiceConnect: {Namespace: other}", "services.api.x-network.ServiceConnect.Namespace",
			`namespace "other" is not declared in the top-level x-cloudmap; declared: ns`},
		{"both forms", "ServiceConnect: {}\n      x-ecs_connect: {MacroParameters: {x-cloudmap: ns}}", "services.api.x-network.ServiceConnect",
			"give x-ecs_connect (compose-x's form) or ServiceConnect, not both"},
		{"neither form", "x-ecs_connect: {}", "services.api.x-network.x-ecs_connect", "x-ecs_connect takes exactly one of Properties or MacroParameters"},
		{"client with services", "ServiceConnect: {ClientOnly: true, Services: [{PortName: web}]}", "services.api.x-network.ServiceConnect.ClientOnly",
			"a client-only service offers no Services; drop ClientOnly or Services"},
		{"unknown key", "ServiceConnect: {Namespaces: ns}", "services.api.x-network.ServiceConnect", `unknown key "Namespaces"`},
		{"app protocol contradiction", "ServiceConnect: {Services: [{PortName: web, AppProtocol: grpc}]}", "services.api.x-network.ServiceConnect",
			"port web has app_protocol http in ports but grpc here; give one"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rendertest.Render(t, `
services:
  api:
    image: busybox:1.36
    ports:
      - "8080:8080"
      - {name: web, target: 8000, app_protocol: http}
      - {target: 53, protocol: udp}
    x-network:
      `+tc.network+`
x-cloudmap:
  ns: {NamespaceId: ns-0123456789abcdef}
`)
			d := rendertest.Find(r.Diags, render.Error, tc.path)
			if d == nil {
				t.Fatalf("no error at %s; got:\n%s", tc.path, r.Diags.Error())
			}
			if tc.message != "" && d.Message != tc.message {
				t.Errorf("message:\n got %s\nwant %s", d.Message, tc.message)
			}
		})
	}
}

// ---- Envoy sidecar ------------------------------------------------------

// envoyCompose puts Envoy in front of like (port 80; the app moves to 8080),
// reachable from the load balancer subnets, registered in Cloud Map.
func envoyCompose(extra string) string {
	return `
services:
  like:
    image: public.ecr.aws/mythicalmysfits/like:1.0
    ports: ["80:80"]
    healthcheck:
      test: ["CMD-SHELL", "curl -fs http://localhost:8080/ || exit 1"]
    x-network:
      UseCloudmap: true
      Ingress:
        ExtSources:
          - IPv4: 10.0.0.0/16
            Name: LoadBalancerSubnets
      Envoy:
        AppPort: 8080
` + extra
}

const envoyGoldenBase = `{
  "Name": "envoy", "Image": {"Ref": "EnvoyImage"}, "Essential": true, "Cpu": 128,
  "EntryPoint": ["/bin/sh", "-c"], "Command": ["exec envoy --config-yaml \"$ENVOY_BOOTSTRAP\" --log-level info"],
  "ReadonlyRootFilesystem": true,
  "Secrets": [{"Name": "ENVOY_BOOTSTRAP", "ValueFrom": {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${LikeEnvoyBootstrap}"}}],
  "PortMappings": [
    {"ContainerPort": 80, "Name": "tcp_80", "Protocol": "tcp"},
    {"ContainerPort": 9902, "Name": "envoy_stats", "Protocol": "tcp"}],
  "Ulimits": [{"HardLimit": 65535, "Name": "nofile", "SoftLimit": 65535}],
  "Environment": [{"Name": "ENVOY_UID", "Value": "0"}],
  "HealthCheck": {"Command": ["CMD", "perl", "-MIO::Socket::INET", "-e",
      "$s=IO::Socket::INET->new(PeerAddr=>\"127.0.0.1:9901\",Timeout=>2) or exit 1; print $s \"GET /ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n\"; $l=<$s>; exit(defined $l && $l=~m{^HTTP/1\\.[01] 200 } ? 0 : 1)"],
    "Interval": 5, "Timeout": 2, "Retries": 3, "StartPeriod": 10}
  @DEPS@
}`

func envoyGolden(dependsOn string) string {
	if dependsOn == "" {
		return strings.Replace(envoyGoldenBase, "@DEPS@", "", 1)
	}
	return strings.Replace(envoyGoldenBase, "@DEPS@", `, "DependsOn": `+dependsOn, 1)
}

func loadAgentSchema(t *testing.T) *gojsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(rendertest.SharedDir(), "reference", "cloudwatch-agent-config.schema.json"))
	if err != nil {
		t.Fatalf("the CloudWatch agent schema is needed: %v", err)
	}
	s, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(data))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// parameters returns every SSM parameter value, Fn::Sub resolved for a
// stack named demo-stack.
func parameters(t *testing.T, r rendertest.Result) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id := range r.Of(paramType) {
		v := r.Get(t, id, paramType)["Value"]
		s, ok := v.(string)
		if !ok {
			s = strings.ReplaceAll(v.(map[string]any)["Fn::Sub"].(string), "${AWS::StackName}", "demo-stack")
			s = strings.ReplaceAll(s, "${!", "${")
		}
		out[id] = s
	}
	return out
}

// compactJSON is a stored bootstrap (YAML) as compact JSON with sorted
// keys, the form the string checks below match.
func compactJSON(t *testing.T, text string) string {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("bootstrap is not YAML: %v\n%s", err, text)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkConfigs validates every generated Envoy bootstrap (typed API +
// Validate, typed configs included) and CloudWatch agent configuration
// (the agent's schema) of a render.
func checkConfigs(t *testing.T, r rendertest.Result) (bootstraps map[string]string, agents map[string]map[string]any) {
	t.Helper()
	schema := loadAgentSchema(t)
	bootstraps, agents = map[string]string{}, map[string]map[string]any{}
	for id, body := range parameters(t, r) {
		switch {
		case strings.HasSuffix(id, "EnvoyBootstrap"):
			if _, err := envoy.DecodeBootstrap(body); err != nil {
				t.Errorf("%s does not validate as an Envoy bootstrap: %v\n%s", id, err, body)
			}
			bootstraps[id] = compactJSON(t, body)
		case strings.HasSuffix(id, "CloudWatchAgentConfig"):
			res, err := schema.Validate(gojsonschema.NewStringLoader(body))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Errors() {
				t.Errorf("%s: agent schema: %s", id, e)
			}
			var cfg map[string]any
			_ = json.Unmarshal([]byte(body), &cfg)
			agents[id] = cfg
		}
	}
	return bootstraps, agents
}

func TestEnvoySidecar(t *testing.T) {
	cases := []struct {
		name, extra   string
		envoyDeps     string
		tracer        string // collector address in the bootstrap, "" for none
		likeDeps      string
		agentRules    int // EMF declarations in the agent config
		agentSections []string
	}{
		{name: "alone", envoyDeps: "", likeDeps: `[{"Condition": "HEALTHY", "ContainerName": "envoy"}]`,
			agentRules: 4, agentSections: []string{"logs"}},
		{name: "with x-prometheus", extra: `    x-prometheus:
      ContainersInsights:
        CollectForJavaJmx: {ExporterPort: 9404}
`, likeDeps: `[{"Condition": "HEALTHY", "ContainerName": "envoy"}]`, agentRules: 7, agentSections: []string{"logs"}},
		{name: "with x-xray daemon", extra: "    x-xray: true\n", envoyDeps: `[{"Condition": "START", "ContainerName": "xray-daemon"}]`,
			tracer:   "127.0.0.1:2000",
			likeDeps: `[{"Condition": "HEALTHY", "ContainerName": "envoy"}, {"Condition": "START", "ContainerName": "xray-daemon"}]`, agentRules: 4, agentSections: []string{"logs"}},
		{name: "with x-xray agent and x-prometheus", extra: `    x-xray: {Collector: cloudwatch-agent}
    x-prometheus:
      ContainersInsights:
        CollectForJavaJmx: {ExporterPort: 9404}
`, envoyDeps: `[{"Condition": "START", "ContainerName": "cloudwatch-agent"}]`, tracer: "127.0.0.1:2000",
			likeDeps:   `[{"Condition": "START", "ContainerName": "cloudwatch-agent"}, {"Condition": "HEALTHY", "ContainerName": "envoy"}]`,
			agentRules: 7, agentSections: []string{"logs", "traces"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rendertest.MustRender(t, envoyCompose(tc.extra))
			cs := rendertest.Containers(t, r, "LikeTaskDefinition")
			// The memory limit is the envoy's share of the task, as
			// render's TestMemoryLimits checks; its reservation is 256.
			if got, err := strconv.Atoi(fmt.Sprint(cs["envoy"]["Memory"])); err != nil || got < 256 {
				t.Errorf("envoy memory limit %v, want at least its 256 MiB reservation", cs["envoy"]["Memory"])
			}
			delete(cs["envoy"], "Memory")
			delete(cs["envoy"], "MemoryReservation")
			rendertest.EqualJSON(t, "envoy container", cs["envoy"], envoyGolden(tc.envoyDeps))
			rendertest.EqualJSON(t, "like listens on AppPort", cs["like"]["PortMappings"], `[{"ContainerPort": 8080, "Name": "tcp_8080", "Protocol": "tcp"}]`)
			rendertest.EqualJSON(t, "like starts after envoy is healthy", cs["like"]["DependsOn"], tc.likeDeps)

			// The ingress rule opens the service port, which is now Envoy's.
			rule := r.Get(t, "LikeIngressFromLoadBalancerSubnetsPort80TCP", "AWS::EC2::SecurityGroupIngress")
			if rule["FromPort"] != 80 || rule["ToPort"] != 80 {
				t.Errorf("ingress rule: %v", rule)
			}
			if len(r.Of("AWS::EC2::SecurityGroupIngress")) != 1 {
				t.Errorf("only the service port may be open; the app, admin and stats ports stay inside the task")
			}
			// The Cloud Map registration follows the port to Envoy.
			rendertest.EqualJSON(t, "registry", r.Get(t, "LikeService", serviceType)["ServiceRegistries"],
				`[{"ContainerName": "envoy", "ContainerPort": 80, "RegistryArn": {"Fn::GetAtt": ["LikeDiscoveryService", "Arn"]}}]`)
			rendertest.EqualJSON(t, "execution role reads the bootstrap", r.Get(t, "LikeExecutionRole", "AWS::IAM::Role")["Policies"].([]any)[0],
				`{"PolicyName": "ReadEnvoyBootstrap", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Sid": "EnvoyBootstrapFromSsm", "Effect": "Allow",
				  "Action": ["ssm:GetParameters"], "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${LikeEnvoyBootstrap}"}]}]}}`)

			bootstraps, agents := checkConfigs(t, r)
			b, err := envoy.DecodeBootstrap(bootstraps["LikeEnvoyBootstrap"])
			if err != nil {
				t.Fatal(err)
			}
			if a := b.GetAdmin().GetAddress().GetSocketAddress(); a.GetAddress() != "127.0.0.1" || a.GetPortValue() != 9901 {
				t.Errorf("admin must stay on 127.0.0.1:9901, got %v", a)
			}
			ls := b.GetStaticResources().GetListeners()
			if len(ls) != 2 || ls[0].GetAddress().GetSocketAddress().GetPortValue() != 80 || ls[1].GetAddress().GetSocketAddress().GetPortValue() != 9902 {
				t.Fatalf("listeners: %v", ls)
			}
			app := b.GetStaticResources().GetClusters()[0]
			if ep := app.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress(); ep.GetAddress() != "127.0.0.1" || ep.GetPortValue() != 8080 {
				t.Errorf("app cluster must be 127.0.0.1:8080, got %v", ep)
			}
			hcm := &hcmv3.HttpConnectionManager{}
			if err := ls[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(hcm); err != nil {
				t.Fatal(err)
			}
			if len(hcm.GetAccessLog()) != 1 || !strings.HasSuffix(hcm.GetAccessLog()[0].GetTypedConfig().GetTypeUrl(), "StdoutAccessLog") ||
				!strings.Contains(bootstraps["LikeEnvoyBootstrap"], `"json_format":{"authority":"%REQ(:AUTHORITY)%"`) {
				t.Errorf("access log must go to stdout as JSON: %v", hcm.GetAccessLog())
			}
			if tc.tracer == "" {
				if hcm.GetTracing() != nil {
					t.Errorf("no x-xray, no tracing: %v", hcm.GetTracing())
				}
			} else {
				xr := &tracev3.XRayConfig{}
				if err := hcm.GetTracing().GetProvider().GetTypedConfig().UnmarshalTo(xr); err != nil {
					t.Fatalf("tracing: %v", err)
				}
				ep := xr.GetDaemonEndpoint()
				if ep.GetProtocol() != corev3.SocketAddress_UDP || ep.GetAddress()+":2000" != tc.tracer || ep.GetPortValue() != 2000 || xr.GetSegmentName() != "like" {
					t.Errorf("X-Ray tracer: %v", xr)
				}
			}
			cfg := agents["LikeCloudWatchAgentConfig"]
			for _, sec := range tc.agentSections {
				if cfg[sec] == nil {
					t.Errorf("agent config lacks %s: %v", sec, cfg)
				}
			}
			prom := cfg["logs"].(map[string]any)["metrics_collected"].(map[string]any)["prometheus"].(map[string]any)
			decl := prom["emf_processor"].(map[string]any)["metric_declaration"].([]any)
			if len(decl) != tc.agentRules {
				t.Errorf("want %d EMF declarations, got %d", tc.agentRules, len(decl))
			}
			envoyRule, _ := json.Marshal(decl[len(decl)-1])
			if !strings.Contains(string(envoyRule), `"label_matcher":"^envoy;app$"`) || !strings.Contains(string(envoyRule), `^envoy_cluster_upstream_rq_retry$`) ||
				!strings.Contains(string(envoyRule), `"source_labels":["container_name","envoy_cluster_name"]`) {
				t.Errorf("Envoy EMF rule: %s", envoyRule)
			}
			rendertest.CfnLint(t, r.Template)
		})
	}
}

// TestEnvoyOptions: metrics off, another admin port, an http2 app, a
// chosen port, an overridden image.
func TestEnvoyOptions(t *testing.T) {
	r := rendertest.MustRender(t, `
services:
  api:
    image: busybox:1.36
    ports:
      - "8443:8443"
      - {target: 7000, published: "7000", app_protocol: grpc}
    x-network:
      Envoy:
        Port: 7000
        AppPort: 7001
        AdminPort: 9000
        PrometheusMetrics: false
        OverrideImage: envoyproxy/envoy:v1.40.2
`)
	cs := rendertest.Containers(t, r, "ApiTaskDefinition")
	if _, has := cs["cloudwatch-agent"]; has {
		t.Error("PrometheusMetrics: false needs no agent")
	}
	rendertest.EqualJSON(t, "envoy ports", cs["envoy"]["PortMappings"], `[{"AppProtocol": "grpc", "ContainerPort": 7000, "Name": "tcp_7000", "Protocol": "tcp"}]`)
	rendertest.EqualJSON(t, "api ports", cs["api"]["PortMappings"], `[
		{"AppProtocol": "grpc", "ContainerPort": 7001, "Name": "tcp_7001", "Protocol": "tcp"},
		{"ContainerPort": 8443, "Name": "tcp_8443", "Protocol": "tcp"}]`)
	rendertest.EqualJSON(t, "image", cs["envoy"]["Image"], `{"Ref": "ApiEnvoyImage"}`)
	if !strings.Contains(cs["envoy"]["HealthCheck"].(map[string]any)["Command"].([]any)[4].(string), `127.0.0.1:9000`) {
		t.Errorf("health check must ask the admin port")
	}
	bootstraps, _ := checkConfigs(t, r)
	body := bootstraps["ApiEnvoyBootstrap"]
	if !strings.Contains(body, `"http2_protocol_options":{}`) || strings.Contains(body, "prometheus_stats") || !strings.Contains(body, `"port_value":9000`) {
		t.Errorf("bootstrap: %s", body)
	}
	rendertest.CfnLint(t, r.Template)
}

func TestEnvoyRefused(t *testing.T) {
	cases := []struct {
		name, block, path, message string
	}{
		{"no AppPort", "Envoy: true", "services.api.x-network.Envoy",
			"Envoy listens on port 80, the port others reach api on (and that its ingress rules open), so api must listen on another port: set x-network.Envoy.AppPort to the port the app listens on behind Envoy, and make the app listen there"},
		{"AppPort is the listener", "Envoy: {AppPort: 80}", "services.api.x-network.Envoy",
			"AppPort 80 is the port Envoy listens on; the app must listen on another port behind Envoy"},
		{"port clash", "Envoy: {AppPort: 8080, StatsPort: 9404}", "services.api.x-network.Envoy",
			"StatsPort 9404 is already a port of api; the task's containers share one network interface: choose another"},
		{"unknown port", "Envoy: {Port: 443, AppPort: 8080}", "services.api.x-network.Envoy",
			"Port 443 is not a TCP port of api (80/tcp, 9404/tcp); Envoy takes over one of the service's ports"},
		{"unknown key", "Envoy: {AppPorts: 8080}", "services.api.x-network.Envoy", `unknown key "AppPorts"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rendertest.Render(t, "services:\n  api:\n    image: busybox:1.36\n    ports: [\"80:80\"]\n    expose: [\"9404\"]\n    x-network:\n      "+tc.block+"\n")
			d := rendertest.Find(r.Diags, render.Error, tc.path)
			if d == nil {
				t.Fatalf("no error at %s; got:\n%s", tc.path, r.Diags.Error())
			}
			if d.Message != tc.message {
				t.Errorf("message:\n got %s\nwant %s", d.Message, tc.message)
			}
		})
	}
}

func TestAppMeshRefused(t *testing.T) {
	r := rendertest.Render(t, `
services:
  api:
    image: busybox:1.36
x-appmesh:
  Properties: {MeshName: root}
`)
	d := rendertest.Find(r.Diags, render.Error, "x-appmesh")
	if d == nil {
		t.Fatalf("x-appmesh must be refused; got:\n%s", r.Diags.Error())
	}
	for _, want := range []string{"end of support on 2026-09-30", "x-network.x-ecs_connect", "x-network.ServiceConnect", "x-network.Envoy"} {
		if !strings.Contains(d.Message, want) {
			t.Errorf("message lacks %q: %s", want, d.Message)
		}
	}
}

// TestDeterministic: the bootstrap and the whole template are the same
// bytes from run to run (protojson alone is not).
func TestDeterministic(t *testing.T) {
	compose := envoyCompose("    x-xray: true\n")
	first, _ := os.ReadFile(rendertest.MustRender(t, compose).Template)
	for i := 0; i < 3; i++ {
		again, _ := os.ReadFile(rendertest.MustRender(t, compose).Template)
		if string(again) != string(first) {
			t.Fatal("two renders of the same file differ")
		}
	}
}

// TestDeploy deploys Service Connect (server and client) and the Envoy
// sidecar with tracing and metrics to the emulator and reads back the task
// definitions and the services.
func TestDeploy(t *testing.T) {
	r := rendertest.MustRender(t, envoyCompose(`    x-xray: true
  monolith:
    image: public.ecr.aws/mythicalmysfits/monolith:1.0
    ports: ["80:80"]
    x-xray: {Collector: cloudwatch-agent}
    x-network:
      ServiceConnect: {}
  client:
    image: busybox:1.36
    x-network:
      ServiceConnect: {ClientOnly: true}
`))
	checkConfigs(t, r)
	rendertest.CfnLint(t, r.Template)
	out := rendertest.Moto(t, r.Template)

	defs := map[string]map[string]any{}
	for _, td := range out["task_definitions"].([]any) {
		for _, c := range td.(map[string]any)["containerDefinitions"].([]any) {
			cd := c.(map[string]any)
			defs[cd["name"].(string)] = cd
		}
	}
	e := defs["envoy"]
	if e == nil {
		t.Fatalf("no envoy in the deployed task definitions: %v", out["task_definitions"])
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	if got := js(e["portMappings"]); !strings.Contains(got, `"containerPort":80`) || !strings.Contains(got, `"containerPort":9902`) {
		t.Errorf("deployed envoy ports: %s", got)
	}
	if got := js(e["secrets"]); !strings.Contains(got, `"name":"ENVOY_BOOTSTRAP"`) || !strings.Contains(got, ":parameter/composex/") {
		t.Errorf("deployed envoy secrets: %s", got)
	}
	if got := js(defs["like"]["dependsOn"]); got != `[{"condition":"HEALTHY","containerName":"envoy"},{"condition":"START","containerName":"xray-daemon"}]` {
		t.Errorf("deployed like dependsOn: %s", got)
	}
	if got := js(defs["like"]["portMappings"]); !strings.Contains(got, `"containerPort":8080`) || strings.Contains(got, `"containerPort":80,`) {
		t.Errorf("deployed like ports: %s", got)
	}
	// The bootstrap reached SSM intact.
	for _, p := range out["ssm_parameters"].([]any) {
		pm := p.(map[string]any)
		if strings.HasSuffix(pm["Name"].(string), "/like/envoy") {
			if _, err := envoy.DecodeBootstrap(pm["Value"].(string)); err != nil {
				t.Errorf("deployed bootstrap: %v", err)
			}
		}
	}
	// Service Connect: what the emulator kept of it.
	kept := 0
	for _, s := range out["services"].([]any) {
		sm := s.(map[string]any)
		if sc, ok := sm["serviceConnectConfiguration"]; ok {
			kept++
			t.Logf("%s: %s", sm["serviceName"], js(sc))
		}
	}
	if kept == 0 {
		t.Logf("the emulator (moto 5.2.1 + moto_plus) drops ServiceConnectConfiguration; checked in the template only")
		for _, id := range []string{"MonolithService", "ClientService"} {
			if r.Get(t, id, serviceType)["ServiceConnectConfiguration"] == nil {
				t.Errorf("%s has no ServiceConnectConfiguration", id)
			}
		}
	}
}

// TestBootstrapValidationCatches: a wrong field cannot pass the checks
// every bootstrap goes through (typed decode, then Validate on the
// bootstrap and inside each typed config).
func TestBootstrapValidationCatches(t *testing.T) {
	r := rendertest.MustRender(t, envoyCompose("    x-xray: true\n"))
	good := compactJSON(t, parameters(t, r)["LikeEnvoyBootstrap"])
	if _, err := envoy.DecodeBootstrap(good); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"misspelt field":            strings.Replace(good, `"segment_name"`, `"segmant_name"`, 1),
		"empty X-Ray segment name":  strings.Replace(good, `"segment_name":"like"`, `"segment_name":""`, 1),
		"port out of range":         strings.Replace(good, `"port_value":8080`, `"port_value":80800`, 1),
		"route to no cluster":       strings.Replace(good, `"route":{"cluster":"app"}`, `"route":{"cluster":""}`, 1),
		"unknown typed config type": strings.Replace(good, "StdoutAccessLog", "StdoutAccessLogg", 1),
	} {
		if bad == good {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		if _, err := envoy.DecodeBootstrap(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// compose-x's own files spell service_ports services_ports: ECS gets the
// same Service Connect configuration either way.
func TestServiceConnectServicesPortsSpelling(t *testing.T) {
	r := rendertest.MustRender(t, strings.Replace(serviceConnectCompose, "          service_ports:", "          services_ports:", 1))
	rendertest.EqualJSON(t, "monolith (services_ports)", r.Get(t, "MonolithService", serviceType)["ServiceConnectConfiguration"], `{
		"Enabled": true, "Namespace": `+mysfitsArn+`, "LogConfiguration": `+logConfig("Monolith")+`,
		"Services": [
		  {"PortName": "admin", "DiscoveryName": "monolith-admin", "ClientAliases": [{"DnsName": "monolith-admin", "Port": 8081}]},
		  {"PortName": "tcp_80", "DiscoveryName": "monolith-web", "ClientAliases": [{"DnsName": "monolith", "Port": 80}]}
		]}`)
}
