package examples

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/render"
)

// Readbacks of the tracing and proxy examples (x-xray, Service Connect, the
// Envoy sidecar), from what the moto emulator created. moto keeps neither a
// port mapping's name and app protocol in what this package decodes, nor a
// container's health check: those are read from the rendered template
// instead, and say so. moto_plus drops an ECS service's
// ServiceConnectConfiguration; tools/moto_check.py keeps it, so it is read
// back from the deployed service as well as from the template.

func init() {
	motoChecks["xray-daemon"] = checkXRayDaemon
	motoChecks["xray-cloudwatch-agent"] = checkXRayCloudWatchAgent
	motoChecks["service-connect"] = checkServiceConnect
	motoChecks["envoy-sidecar"] = checkEnvoySidecar
}

const (
	xrayPolicy       = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
	xrayDaemonImage  = render.XRayDaemonImage
	daemonPorts      = "[{2000 udp} {2000 tcp}]"
	localXRayAddress = "127.0.0.1:2000"
)

// checkDaemon checks the X-Ray daemon sidecar of a family and that every
// app container starts after it.
func checkDaemon(t *testing.T, family, image string, cs map[string]motoContainer, apps ...string) {
	t.Helper()
	d, ok := cs["xray-daemon"]
	if !ok {
		t.Errorf("%s: no xray-daemon container; have %v", family, containerNames(cs))
		return
	}
	equal(t, family+": daemon image", d.Image, image)
	equal(t, family+": daemon ports", fmt.Sprint(d.PortMappings), daemonPorts)
	equal(t, family+": daemon essential", d.Essential != nil && *d.Essential, false)
	equal(t, family+": daemon region", env(d, "AWS_REGION"), "us-east-1")
	for _, a := range apps {
		if !strings.Contains(strings.Join(dependsOn(cs[a]), ","), "xray-daemon:START") {
			t.Errorf("%s: %s does not start after the daemon: dependsOn %v", family, a, dependsOn(cs[a]))
		}
	}
}

func checkXRayDaemon(t *testing.T, p *project, sum *motoSummary) {
	api := sum.containers(t, "api")
	equal(t, "api containers", containerNames(api), []string{"api", "worker", "xray-daemon"})
	checkDaemon(t, "api", xrayDaemonImage, api, "api", "worker")
	equal(t, "api daemon address", env(api["api"], "AWS_XRAY_DAEMON_ADDRESS"), localXRayAddress)
	equal(t, "api keeps its variables", env(api["api"], "AWS_XRAY_TRACING_NAME"), "api")
	// worker (same family, no x-xray of its own) set the address itself.
	equal(t, "worker keeps its daemon address", env(api["worker"], "AWS_XRAY_DAEMON_ADDRESS"), "localhost:2000")
	equal(t, "api task role managed policies", sum.role(t, "ApiTaskRole").Attached, []string{xrayPolicy})

	// OverrideImage: the family's own parameter, whose default moto resolved.
	billing := sum.containers(t, "billing")
	equal(t, "billing containers", containerNames(billing), []string{"billing", "xray-daemon"})
	checkDaemon(t, "billing", "amazon/aws-xray-daemon:3.6.6", billing, "billing")
	equal(t, "billing daemon address", env(billing["billing"], "AWS_XRAY_DAEMON_ADDRESS"), localXRayAddress)
	equal(t, "billing task role managed policies", sum.role(t, "BillingTaskRole").Attached, []string{xrayPolicy})

	// x-ray, the legacy alias.
	reports := sum.containers(t, "reports")
	equal(t, "reports containers", containerNames(reports), []string{"reports", "xray-daemon"})
	checkDaemon(t, "reports", xrayDaemonImage, reports, "reports")
	equal(t, "reports daemon address", env(reports["reports"], "AWS_XRAY_DAEMON_ADDRESS"), localXRayAddress)
	equal(t, "reports task role managed policies", sum.role(t, "ReportsTaskRole").Attached, []string{xrayPolicy})
	equal(t, "no collector in the execution role", len(sum.role(t, "ReportsExecutionRole").Attached), 0)
}

// checkTraceReceivers checks the traces section of an agent configuration.
func checkTraceReceivers(t *testing.T, family string, cfg map[string]any) {
	t.Helper()
	equal(t, family+": agent traces section", dig(cfg, "traces", "traces_collected"), map[string]any{
		"xray": map[string]any{"bind_address": "0.0.0.0:2000"},
		"otlp": map[string]any{"grpc_endpoint": "0.0.0.0:4317", "http_endpoint": "0.0.0.0:4318"},
	})
}

func checkXRayCloudWatchAgent(t *testing.T, p *project, sum *motoSummary) {
	const agentPorts = "[{2000 udp} {4317 tcp} {4318 tcp}]"

	// orders: one agent for the node exporter's scrape and the traces.
	orders := sum.containers(t, "orders")
	equal(t, "orders containers (no daemon)", containerNames(orders), []string{"cloudwatch-agent", "node-exporter", "orders"})
	agent := orders["cloudwatch-agent"]
	equal(t, "orders agent ports", fmt.Sprint(agent.PortMappings), agentPorts)
	equal(t, "orders agent secrets", secrets(agent), map[string]string{
		"CW_CONFIG_CONTENT":         parameterArn("orders", "cloudwatch-agent"),
		"PROMETHEUS_CONFIG_CONTENT": parameterArn("orders", "prometheus"),
	})
	app := orders["orders"]
	equal(t, "orders dependsOn", dependsOn(app), []string{"cloudwatch-agent:START"})
	for name, want := range map[string]string{
		"AWS_XRAY_DAEMON_ADDRESS":     localXRayAddress,
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
		"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
		"OTEL_SERVICE_NAME":           "orders",
		// The agent receives traces only: the other signals are off.
		"OTEL_METRICS_EXPORTER": "none",
		"OTEL_LOGS_EXPORTER":    "none",
	} {
		equal(t, "orders "+name, env(app, name), want)
	}
	cfg := agentConfig(t, "orders", sum.parameter(t, "orders", "cloudwatch-agent"))
	checkTraceReceivers(t, "orders", cfg)
	equal(t, "orders keeps the prometheus section", dig(cfg, "logs", "metrics_collected", "prometheus", "prometheus_config_path"), "env:PROMETHEUS_CONFIG_CONTENT")
	equal(t, "orders node exporter declarations", declarations(cfg), [][]string{{"^node_(load1|memory_MemAvailable_bytes)$"}})
	equal(t, "orders task role managed policies", sum.role(t, "OrdersTaskRole").Attached, []string{xrayPolicy})

	// payments: the collector alone brings an agent, with traces only.
	payments := sum.containers(t, "payments")
	equal(t, "payments containers (no daemon)", containerNames(payments), []string{"cloudwatch-agent", "payments"})
	equal(t, "payments agent ports", fmt.Sprint(payments["cloudwatch-agent"].PortMappings), agentPorts)
	equal(t, "payments agent secrets", secrets(payments["cloudwatch-agent"]), map[string]string{"CW_CONFIG_CONTENT": parameterArn("payments", "cloudwatch-agent")})
	papp := payments["payments"]
	equal(t, "payments dependsOn", dependsOn(papp), []string{"cloudwatch-agent:START"})
	equal(t, "payments daemon address", env(papp, "AWS_XRAY_DAEMON_ADDRESS"), localXRayAddress)
	// Set by the app: kept.
	equal(t, "payments keeps its OTLP endpoint", env(papp, "OTEL_EXPORTER_OTLP_ENDPOINT"), "http://127.0.0.1:4317")
	equal(t, "payments keeps its OTLP protocol", env(papp, "OTEL_EXPORTER_OTLP_PROTOCOL"), "grpc")
	equal(t, "payments keeps its logs exporter", env(papp, "OTEL_LOGS_EXPORTER"), "console")
	equal(t, "payments metrics exporter off (its endpoint is the agent's)", env(papp, "OTEL_METRICS_EXPORTER"), "none")
	pcfg := agentConfig(t, "payments", sum.parameter(t, "payments", "cloudwatch-agent"))
	checkTraceReceivers(t, "payments", pcfg)
	equal(t, "payments agent configuration has traces only", len(pcfg), 1)
	equal(t, "payments task role managed policies", sum.role(t, "PaymentsTaskRole").Attached, []string{xrayPolicy})
}

// serviceConnect reads a family's ServiceConnectConfiguration from the
// template.
func serviceConnect(t *testing.T, p *project, logical string) map[string]any {
	t.Helper()
	sc, _ := dig(templateResources(t, p)[logical+"Service"], "Properties", "ServiceConnectConfiguration").(map[string]any)
	if sc == nil {
		t.Fatalf("%sService has no ServiceConnectConfiguration in the template", logical)
	}
	return sc
}

func checkServiceConnect(t *testing.T, p *project, sum *motoSummary) {
	// What moto holds: the task definitions, ports and security groups.
	for family, ports := range map[string]string{
		"orders":    "[{8080 tcp} {9090 tcp}]",
		"inventory": "[{8080 tcp}]",
		"frontend":  "[{80 tcp}]",
	} {
		cs := sum.containers(t, family)
		equal(t, family+" containers (Service Connect adds its proxy at run time)", containerNames(cs), []string{family})
		equal(t, family+" ports", fmt.Sprint(cs[family].PortMappings), ports)
		equal(t, family+" registers nothing in Cloud Map itself", len(sum.service(t, family).ServiceRegistries), 0)
	}
	// Ingress.Services, and the default compose network on the declared ports.
	equal(t, "orders ingress", sum.ingress(sum.group(t, "orders")), []string{"8080/tcp<-sg:frontend", "8080/tcp<-sg:network-default", "9090/tcp<-sg:frontend", "9090/tcp<-sg:network-default"})
	equal(t, "inventory ingress", sum.ingress(sum.group(t, "inventory")), []string{"8080/tcp<-sg:frontend", "8080/tcp<-sg:network-default"})
	equal(t, "ECS creates the Cloud Map services", len(sum.CloudMapServices), 0)

	// What moto drops, from the template: the port names and app
	// protocols Service Connect reads, and the services' configuration.
	res := templateResources(t, p)
	portsOf := func(logical string) []string {
		var out []string
		list, _ := dig(res[logical+"TaskDefinition"], "Properties", "ContainerDefinitions").([]any)
		for _, c := range list {
			pm, _ := dig(c, "PortMappings").([]any)
			for _, m := range pm {
				out = append(out, fmt.Sprintf("%v:%v:%v", dig(m, "Name"), dig(m, "ContainerPort"), dig(m, "AppProtocol")))
			}
		}
		return out
	}
	equal(t, "orders port names", portsOf("Orders"), []string{"http:8080:http", "admin:9090:http"})
	equal(t, "inventory port names", portsOf("Inventory"), []string{"api:8080:http"})

	namespace := map[string]any{"Fn::Sub": "arn:${AWS::Partition}:servicediscovery:${AWS::Region}:${AWS::AccountId}:namespace/ns-0123456789abcdef"}
	offered := func(sc map[string]any) []string {
		var out []string
		list, _ := sc["Services"].([]any)
		for _, s := range list {
			aliases, _ := dig(s, "ClientAliases").([]any)
			for _, a := range aliases {
				out = append(out, fmt.Sprintf("%v/%v->%v:%v", dig(s, "PortName"), dig(s, "DiscoveryName"), dig(a, "DnsName"), dig(a, "Port")))
			}
		}
		return out
	}
	for logical, want := range map[string][]string{
		"Orders":    {"admin/orders-admin->orders-admin:9090", "http/orders->orders:8080"},
		"Inventory": {"api/inventory->inventory:80"},
		"Frontend":  nil, // client only
	} {
		sc := serviceConnect(t, p, logical)
		equal(t, logical+" Service Connect enabled", sc["Enabled"], true)
		equal(t, logical+" Service Connect namespace", sc["Namespace"], namespace)
		equal(t, logical+" Service Connect services", offered(sc), want)
		equal(t, logical+" proxy logs", []any{dig(sc, "LogConfiguration", "LogDriver"), dig(sc, "LogConfiguration", "Options", "awslogs-group"), dig(sc, "LogConfiguration", "Options", "awslogs-stream-prefix")},
			[]any{"awslogs", map[string]any{"Ref": logical + "LogGroup"}, "service-connect"})
	}

	// And as the deployed service reports it (tools/moto_check.py keeps it).
	for family, want := range map[string]string{
		"orders":    "admin/orders-admin->orders-admin:9090 http/orders->orders:8080",
		"inventory": "api/inventory->inventory:80",
		"frontend":  "",
	} {
		svc := sum.service(t, family)
		if len(svc.Deployments) == 0 || svc.Deployments[0].ServiceConnectConfiguration == nil {
			t.Errorf("%s: the deployed service has no Service Connect configuration", family)
			continue
		}
		sc := svc.Deployments[0].ServiceConnectConfiguration
		equal(t, family+" deployed Service Connect enabled", sc["enabled"], true)
		equal(t, family+" deployed namespace", sc["namespace"], "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-0123456789abcdef")
		var offered []string
		list, _ := sc["services"].([]any)
		for _, s := range list {
			aliases, _ := dig(s, "clientAliases").([]any)
			for _, a := range aliases {
				offered = append(offered, fmt.Sprintf("%v/%v->%v:%v", dig(s, "portName"), dig(s, "discoveryName"), dig(a, "dnsName"), dig(a, "port")))
			}
		}
		equal(t, family+" deployed Service Connect services", strings.Join(offered, " "), want)
		equal(t, family+" deployed proxy log group", dig(sc, "logConfiguration", "options", "awslogs-group"), "/ecs/"+motoStack+"/"+family)
	}
}

func checkEnvoySidecar(t *testing.T, p *project, sum *motoSummary) {
	api := sum.containers(t, "api")
	equal(t, "api containers", containerNames(api), []string{"api", "cloudwatch-agent", "envoy", "xray-daemon"})
	envoy := api["envoy"]
	equal(t, "envoy image", envoy.Image, render.EnvoyImage)
	equal(t, "envoy kept root to bind port 80", env(envoy, "ENVOY_UID"), "0")
	equal(t, "envoy essential", envoy.Essential != nil && *envoy.Essential, true)
	equal(t, "envoy ports (the service port and the stats port)", fmt.Sprint(envoy.PortMappings), "[{80 tcp} {9902 tcp}]")
	equal(t, "envoy secrets", secrets(envoy), map[string]string{"ENVOY_BOOTSTRAP": parameterArn("api", "envoy")})
	equal(t, "envoy starts after the daemon it traces to", dependsOn(envoy), []string{"xray-daemon:START"})
	// Envoy runs read-only (Control Tower CT.ECS.PR.6): the bootstrap goes
	// from the secret straight to --config-yaml, with no file written.
	if len(envoy.Command) != 1 || !strings.Contains(envoy.Command[0], `exec envoy --config-yaml "$ENVOY_BOOTSTRAP"`) {
		t.Errorf("envoy command does not run the bootstrap from the secret: %q", envoy.Command)
	}
	// The task's own agent scrapes Envoy's stats at localhost (no docker label).
	if scrape := sum.parameter(t, "api", "prometheus"); !strings.Contains(scrape, "metrics_path: /stats/prometheus\n") || !strings.Contains(scrape, "- localhost:9902\n") {
		t.Errorf("the agent does not scrape Envoy's stats:\n%s", scrape)
	}

	app := api["api"]
	equal(t, "app ports (AppPort)", fmt.Sprint(app.PortMappings), "[{8080 tcp}]")
	equal(t, "app dependsOn", dependsOn(app), []string{"envoy:HEALTHY", "xray-daemon:START"})
	equal(t, "app daemon address", env(app, "AWS_XRAY_DAEMON_ADDRESS"), localXRayAddress)
	checkDaemon(t, "api", xrayDaemonImage, api, "api")

	// The bootstrap in SSM: YAML (what --config-yaml reads), Envoy on 80
	// in front of the app on 127.0.0.1:8080, admin on loopback, stats on
	// 9902, X-Ray spans to the daemon.
	body := sum.parameter(t, "api", "envoy")
	var doc any
	if err := yaml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("the Envoy bootstrap in SSM is not YAML: %v\n%s", err, body)
	}
	asJSON, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var boot map[string]any
	if err := json.Unmarshal(asJSON, &boot); err != nil {
		t.Fatalf("the Envoy bootstrap in SSM is not a mapping: %v\n%s", err, body)
	}
	equal(t, "admin address", dig(boot, "admin", "address", "socket_address"), map[string]any{"address": "127.0.0.1", "port_value": 9901.0})
	listeners := map[string]any{}
	list, _ := dig(boot, "static_resources", "listeners").([]any)
	for _, l := range list {
		listeners[fmt.Sprint(dig(l, "name"))] = l
	}
	equal(t, "ingress listener", dig(listeners["ingress"], "address", "socket_address"), map[string]any{"address": "0.0.0.0", "port_value": 80.0})
	equal(t, "stats listener", dig(listeners["prometheus_stats"], "address", "socket_address"), map[string]any{"address": "0.0.0.0", "port_value": 9902.0})
	clusters := map[string]any{}
	cl, _ := dig(boot, "static_resources", "clusters").([]any)
	for _, c := range cl {
		clusters[fmt.Sprint(dig(c, "name"))] = c
	}
	eps, _ := dig(clusters["app"], "load_assignment", "endpoints").([]any)
	if equal(t, "app endpoints", len(eps), 1); len(eps) == 1 {
		lb, _ := dig(eps[0], "lb_endpoints").([]any)
		if equal(t, "app lb endpoints", len(lb), 1); len(lb) == 1 {
			equal(t, "app endpoint", dig(lb[0], "endpoint", "address", "socket_address"), map[string]any{"address": "127.0.0.1", "port_value": 8080.0})
		}
	}
	chain, _ := dig(listeners["ingress"], "filter_chains").([]any)
	if len(chain) == 1 {
		filters, _ := dig(chain[0], "filters").([]any)
		if len(filters) == 1 {
			hcm := dig(filters[0], "typed_config")
			equal(t, "tracer", dig(hcm, "tracing", "provider", "name"), "envoy.tracers.xray")
			equal(t, "tracer endpoint", dig(hcm, "tracing", "provider", "typed_config", "daemon_endpoint"), map[string]any{"address": "127.0.0.1", "port_value": 2000.0, "protocol": "UDP"})
			if _, ok := dig(hcm, "access_log").([]any); !ok {
				t.Errorf("no access log on the ingress listener")
			}
		}
	}

	// The agent scrapes Envoy's stats and keeps its metrics (container_name
	// envoy, the ingress listener and the app cluster for traffic).
	cfg := agentConfig(t, "api", sum.parameter(t, "api", "cloudwatch-agent"))
	var envoyRules int
	decl, _ := dig(cfg, "logs", "metrics_collected", "prometheus", "emf_processor", "metric_declaration").([]any)
	for _, d := range decl {
		if strings.HasPrefix(fmt.Sprint(dig(d, "label_matcher")), "^envoy") {
			envoyRules++
		}
	}
	equal(t, "Envoy EMF declarations", envoyRules, 4)
	equal(t, "declarations (Envoy's only)", len(decl), 4)

	// Only the execution role reads the bootstrap; the task role sends traces.
	if doc := fmt.Sprint(sum.role(t, "ApiExecutionRole").Inline["ReadEnvoyBootstrap"]); !strings.Contains(doc, parameterArn("api", "envoy")+"'") {
		t.Errorf("the execution role may not read the bootstrap: %s", doc)
	}
	equal(t, "api task role managed policies", sum.role(t, "ApiTaskRole").Attached, []string{xrayPolicy})
	if _, ok := sum.role(t, "ApiTaskRole").Inline["ReadEnvoyBootstrap"]; ok {
		t.Errorf("the task role reads the bootstrap too")
	}

	// Ingress from web reaches Envoy's port, never the app port, the admin
	// port or the stats port.
	equal(t, "api ingress", sum.ingress(sum.group(t, "api")), []string{"80/tcp<-sg:network-default", "80/tcp<-sg:web"})

	// moto keeps no health check: read it from the template.
	list, _ = dig(templateResources(t, p)["ApiTaskDefinition"], "Properties", "ContainerDefinitions").([]any)
	for _, c := range list {
		if dig(c, "Name") != "envoy" {
			continue
		}
		cmd, _ := dig(c, "HealthCheck", "Command").([]any)
		if len(cmd) != 5 || cmd[1] != "perl" || !strings.Contains(fmt.Sprint(cmd[4]), `127.0.0.1:9901`) || !strings.Contains(fmt.Sprint(cmd[4]), "GET /ready") {
			t.Errorf("envoy health check does not ask the admin /ready: %v", cmd)
		}
	}
}
