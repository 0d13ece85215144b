package schema_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/composex/composex/render"
	"github.com/composex/composex/schema"
)

// The schemas of x-xray, Service Connect (x-network.x-ecs_connect and
// x-network.ServiceConnect) and the Envoy sidecar (x-network.Envoy) accept
// what the xray and envoy extensions read, and refuse what they refuse.

var tracingGood = map[string]string{
	"xray true":         web + "    x-xray: true\n",
	"xray legacy alias": web + "    x-ray: false\n",
	"xray daemon image": web + `    x-xray:
      OverrideImage: public.ecr.aws/xray/aws-xray-daemon:3.3.13
      Collector: xray-daemon
`,
	"xray agent": web + "    x-xray: {Collector: cloudwatch-agent}\n",
	"envoy settings": web + `    ports: ["80:80"]
    x-network:
      Envoy:
        AppPort: 8080
        Port: 80
        AdminPort: 9901
        StatsPort: 9902
        PrometheusMetrics: true
        Tracing: false
        OverrideImage: envoyproxy/envoy:v1.39.5
`,
	"envoy true": web + "    x-network: {Envoy: true}\n",
	"ecs_connect macro with named ports": web + `    ports:
      - {target: 8080, name: orders-api.v1_HTTP}
    x-network:
      x-ecs_connect:
        MacroParameters:
          x-cloudmap: private
          service_ports:
            orders-api.v1_HTTP: {DnsName: orders, CloudMapServiceName: orders_api, appProtocol: grpc}
x-cloudmap:
  private: {NamespaceId: ns-abc}
`,
	"ecs_connect properties": web + `    ports: ["80:80"]
    x-network:
      x-ecs_connect:
        Properties:
          Enabled: true
          Namespace: arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-abc
          LogConfiguration:
            LogDriver: awslogs
            Options: {awslogs-group: proxies, awslogs-region: eu-west-1, awslogs-stream-prefix: sc}
            SecretOptions: [{Name: token, ValueFrom: arn:aws:ssm:eu-west-1:123456789012:parameter/token}]
          Services:
            - PortName: tcp_80
              DiscoveryName: web
              ClientAliases: [{DnsName: web.internal, Port: 80}]
              Timeout: {IdleTimeoutSeconds: 60}
              Tls:
                IssuerCertificateAuthority: {AwsPcaAuthorityArn: arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/x}
`,
	"service connect plain": web + `    ports: ["80:80"]
    x-network:
      ServiceConnect:
        Namespace: private
        ClientOnly: false
        Services:
          - {PortName: tcp_80, DnsName: web, Port: 8080, DiscoveryName: web-http, AppProtocol: http}
x-cloudmap:
  private: {ZoneName: internal.example}
`,
	"service connect client only": web + `    x-network:
      ServiceConnect: {ClientOnly: true, Services: []}
`,
}

func TestTracingSchemasAccept(t *testing.T) {
	for name, body := range tracingGood {
		t.Run(name, func(t *testing.T) {
			if ds := schema.Validate(loadYAML(t, body)); len(ds) > 0 {
				t.Errorf("refused:\n%s", dump(ds))
			}
		})
	}
}

var tracingBad = []badCase{
	{"xray override image with the agent", web + `    x-xray:
      Collector: cloudwatch-agent
      OverrideImage: public.ecr.aws/xray/aws-xray-daemon:3.3.14
`, "services.web.x-xray.Collector", 5, "with Collector cloudwatch-agent no daemon runs"},
	{"xray empty image", web + `    x-ray:
      OverrideImage: ""
`, "services.web.x-ray.OverrideImage", 5, "must not be empty"},
	{"xray image with spaces", web + `    x-xray:
      OverrideImage: " amazon/aws-xray-daemon"
`, "services.web.x-xray.OverrideImage", 5, "leading or trailing spaces"},
	{"ecs_connect and ServiceConnect", web + `    x-network:
      x-ecs_connect:
        MacroParameters: {x-cloudmap: private}
      ServiceConnect: {ClientOnly: true}
`, "services.web.x-network.ServiceConnect", 7, "give x-ecs_connect (compose-x's form) or ServiceConnect, not both"},
	{"ecs_connect neither form", web + `    x-network:
      x-ecs_connect: {}
`, "services.web.x-network.x-ecs_connect", 5, "x-ecs_connect takes exactly one of Properties or MacroParameters"},
	{"ecs_connect port name too long", web + `    x-network:
      x-ecs_connect:
        MacroParameters:
          x-cloudmap: private
          service_ports:
            ` + strings.Repeat("p", 65) + `: {DnsName: web}
`, "services.web.x-network.x-ecs_connect.MacroParameters.service_ports." + strings.Repeat("p", 65), 9, "is not a valid name here"},
	{"ecs_connect app protocol", web + `    x-network:
      x-ecs_connect:
        MacroParameters:
          x-cloudmap: private
          service_ports:
            http: {appProtocol: HTTP}
`, "services.web.x-network.x-ecs_connect.MacroParameters.service_ports.http.appProtocol", 9, `"HTTP" is not allowed; allowed: "http", "http2", "grpc"`},
	{"ecs_connect cloud map name", web + `    x-network:
      x-ecs_connect:
        MacroParameters:
          x-cloudmap: private
          service_ports:
            http: {CloudMapServiceName: Orders}
`, "services.web.x-network.x-ecs_connect.MacroParameters.service_ports.http.CloudMapServiceName", 9, "not a Cloud Map service name"},
	{"ecs_connect log options", web + `    x-network:
      x-ecs_connect:
        Properties:
          LogConfiguration:
            LogDriver: awslogs
            Options: {awslogs-create-group: true}
`, "services.web.x-network.x-ecs_connect.Properties.LogConfiguration.Options.awslogs-create-group", 9, "expected a string; got true or false (true)"},
	{"ecs_connect log configuration unknown key", web + `    x-network:
      x-ecs_connect:
        Properties:
          LogConfiguration:
            Driver: awslogs
`, "services.web.x-network.x-ecs_connect.Properties.LogConfiguration.Driver", 8, `unknown key "Driver"`},
	{"ecs_connect two client aliases", web + `    x-network:
      x-ecs_connect:
        Properties:
          Services:
            - PortName: tcp_80
              ClientAliases: [{Port: 80}, {Port: 8080}]
`, "services.web.x-network.x-ecs_connect.Properties.Services.0.ClientAliases", 9, "takes at most 1 item(s)"},
	{"service connect not a mapping", web + `    x-network:
      ServiceConnect: true
`, "services.web.x-network.ServiceConnect", 5, "expected a mapping; got true or false (true)"},
	{"service connect unknown key", web + `    x-network:
      ServiceConnect:
        NameSpace: private
`, "services.web.x-network.ServiceConnect.NameSpace", 6, `unknown key "NameSpace" (did you mean "Namespace"?); allowed: ClientOnly, Namespace, Services`},
	{"service connect client only with services", web + `    x-network:
      ServiceConnect:
        ClientOnly: true
        Services: [{PortName: tcp_80}]
`, "services.web.x-network.ServiceConnect.ClientOnly", 6, "a client-only service offers no Services"},
	{"service connect without port name", web + `    x-network:
      ServiceConnect:
        Services: [{DnsName: web}]
`, "services.web.x-network.ServiceConnect.Services.0", 6, `missing required key "PortName"`},
	{"service connect port", web + `    x-network:
      ServiceConnect:
        Services: [{PortName: tcp_80, Port: 0}]
`, "services.web.x-network.ServiceConnect.Services.0.Port", 6, "0 is below the minimum of 1; allowed: 1 to 65535"},
	{"service connect discovery name", web + `    x-network:
      ServiceConnect:
        Services:
          - PortName: tcp_80
            DiscoveryName: -web
`, "services.web.x-network.ServiceConnect.Services.0.DiscoveryName", 8, "not a Cloud Map service name"},
	{"service connect app protocol", web + `    x-network:
      ServiceConnect:
        Services:
          - PortName: tcp_80
            AppProtocol: tcp
`, "services.web.x-network.ServiceConnect.Services.0.AppProtocol", 8, `"tcp" is not allowed; allowed: "http", "http2", "grpc"`},
	{"envoy app port out of range", web + `    x-network:
      Envoy:
        AppPort: 70000
`, "services.web.x-network.Envoy.AppPort", 6, "70000 is above the maximum of 65535; allowed: 1 to 65535"},
	{"envoy unknown key", web + `    x-network:
      Envoy:
        AppPort: 8080
        ListenPort: 80
`, "services.web.x-network.Envoy.ListenPort", 7, `unknown key "ListenPort"`},
	{"envoy not a boolean", web + `    x-network:
      Envoy: "yes"
`, "services.web.x-network.Envoy", 5, `Envoy is true, false or {AppPort, Port, AdminPort, StatsPort, PrometheusMetrics, Tracing, OverrideImage, Egress, Upstreams}; got a string ("yes")`},
	{"appmesh names the way out", web + `x-appmesh:
  Properties: {MeshName: mesh}
`, "x-appmesh", 4, "App Mesh reached end of support on 2026-09-30; composex creates no App Mesh resources: use ECS Service Connect (x-network.ServiceConnect or x-network.x-ecs_connect) or the Envoy sidecar (x-network.Envoy)"},
}

func TestTracingSchemasRefuse(t *testing.T) {
	for _, c := range tracingBad {
		t.Run(c.name, func(t *testing.T) {
			ds := schema.Validate(loadYAML(t, c.yaml))
			for _, d := range ds {
				if d.Path == c.path && d.Line == c.line && strings.Contains(d.Message, c.msg) {
					if d.Severity != render.Error {
						t.Errorf("severity %v, want error", d.Severity)
					}
					return
				}
			}
			t.Errorf("want error at %s line %d containing %q; got:\n%s", c.path, c.line, c.msg, dump(ds))
		})
	}
}

// The editor shows the same messages for the rules that tie two keys.
func TestEditorReportsTracingMistakes(t *testing.T) {
	schemaPath := editorSchemaPath(t)
	body := `services:
  web:
    image: nginx
    x-xray:
      Collector: cloudwatch-agent
      OverrideImage: amazon/aws-xray-daemon
    x-network:
      ServiceConnect:
        ClientOnly: true
        Services: [{PortName: tcp_80}]
      Envoy:
        AppPort: 8080
        Prt: 80
  api:
    image: nginx
    x-network:
      x-ecs_connect: {MacroParameters: {x-cloudmap: a}}
      ServiceConnect: {}
x-appmesh: {}
`
	want := map[int]string{
		5:  "no daemon runs",
		9:  "a client-only service offers no Services",
		13: "Prt",
		18: "give x-ecs_connect (compose-x's form) or ServiceConnect, not both",
		19: "x-network.ServiceConnect or x-network.x-ecs_connect",
	}
	file := filepath.Join(t.TempDir(), "docker-compose.yml")
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	diags := runYLS(t, file, schemaPath)
	for line, part := range want {
		found := false
		for _, d := range diags {
			if d.line == line && strings.Contains(d.text, part) {
				found = true
			}
		}
		if !found {
			t.Errorf("no diagnostic with %q at line %d; got %v", part, line, diags)
		}
	}
}
