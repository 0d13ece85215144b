package discovery_test

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// webAPICache is the project: web calls http://api:8080 and
// redis://redis:6379 (a links alias of cache); api has the network alias
// backend; an exporter shares cache's network (network_mode service:cache).
const webAPICache = `services:
  web:
    image: nginx:1.27-alpine
    ports: ["80:80"]
    links: ["cache:redis"]
    environment:
      API_URL: http://api:8080
      REDIS_URL: redis://redis:6379
  api:
    image: hashicorp/http-echo:1.0
    command: ["-listen=:8080", "-text=hello"]
    expose: ["8080"]
    networks:
      default:
        aliases: [backend]
  cache:
    image: redis:7.4-alpine
    expose: ["6379"]
  cache-exporter:
    image: oliver006/redis_exporter:v1.62.0
    network_mode: service:cache
    expose: ["9121"]
`

// endpoints lists a service's Service Connect endpoints as
// "dns:port -> portName (discoveryName)".
func endpoints(t *testing.T, r rendertest.Result, id string) []string {
	t.Helper()
	sc, _ := r.Get(t, id, "AWS::ECS::Service")["ServiceConnectConfiguration"].(map[string]any)
	if sc == nil {
		return nil
	}
	out := []string{}
	services, _ := sc["Services"].([]any)
	for _, s := range services {
		for _, a := range rendertest.Dig(s, "ClientAliases").([]any) {
			out = append(out, fmt.Sprintf("%v:%v -> %v (%v)", rendertest.Dig(a, "DnsName"), rendertest.Dig(a, "Port"), rendertest.Dig(s, "PortName"), rendertest.Dig(s, "DiscoveryName")))
		}
	}
	sort.Strings(out)
	return out
}

func serviceConnect(t *testing.T, r rendertest.Result, id string) map[string]any {
	t.Helper()
	sc, _ := r.Get(t, id, "AWS::ECS::Service")["ServiceConnectConfiguration"].(map[string]any)
	return sc
}

func TestComposeNames(t *testing.T) {
	r := rendertest.MustRender(t, webAPICache)
	for id, want := range map[string][]string{
		"ApiService": {"api:8080 -> tcp_8080 (api-8080)", "backend:8080 -> tcp_8080 (backend-8080)"},
		// The exporter's port answers to cache's names: it shares cache's network.
		"CacheService": {"cache:6379 -> tcp_6379 (cache-6379)", "cache:9121 -> tcp_9121 (cache-9121)", "redis:6379 -> tcp_6379 (redis-6379)", "redis:9121 -> tcp_9121 (redis-9121)"},
		"WebService":   {"web:80 -> tcp_80 (web-80)"},
	} {
		if got := endpoints(t, r, id); !reflect.DeepEqual(got, want) {
			t.Errorf("%s endpoints:\n got %v\nwant %v", id, got, want)
		}
		sc := serviceConnect(t, r, id)
		if sc["Enabled"] != true || rendertest.Dig(sc, "Namespace", "Fn::GetAtt", 0) != "ServiceConnectNamespace" {
			t.Errorf("%s: want Service Connect on in the project namespace, got %v", id, sc)
		}
	}
	ns := r.Get(t, "ServiceConnectNamespace", "AWS::ServiceDiscovery::HttpNamespace")
	if rendertest.Dig(ns, "Name", "Fn::Sub") != "${AWS::StackName}" {
		t.Errorf("namespace name = %v, want the stack name (one namespace per stack)", ns["Name"])
	}
	// web calls api and cache by name: it starts after them, so that its
	// proxy knows their endpoints (Service Connect resolves only endpoints
	// that existed when the task started).
	if got := r.Resources["WebService"].DependsOn; !reflect.DeepEqual(got, []any{"ApiService", "CacheService"}) {
		t.Errorf("WebService DependsOn = %v, want ApiService, CacheService", got)
	}
}

// A caller that exposes nothing is a client only: Service Connect on, the
// namespace, no Services.
func TestClientOnly(t *testing.T) {
	r := rendertest.MustRender(t, `services:
  worker:
    image: busybox:1.37
    command: ["sh", "-c", "while true; do wget -qO- http://api:8080; sleep 10; done"]
  api:
    image: hashicorp/http-echo:1.0
    command: ["-listen=:8080", "-text=hello"]
    expose: ["8080"]
`)
	sc := serviceConnect(t, r, "WorkerService")
	if sc["Enabled"] != true || sc["Namespace"] == nil {
		t.Fatalf("worker: want a Service Connect client, got %v", sc)
	}
	if _, has := sc["Services"]; has {
		t.Errorf("worker offers nothing, yet has Services: %v", sc["Services"])
	}
	// api is reachable (worker shares the default network) but calls no one:
	// it is still a client of the namespace, as every server is.
	if got := endpoints(t, r, "ApiService"); !reflect.DeepEqual(got, []string{"api:8080 -> tcp_8080 (api-8080)"}) {
		t.Errorf("api endpoints = %v", got)
	}
}

// A single service, or services on no shared network, need no names.
func TestNoNamesWithoutPeers(t *testing.T) {
	r := rendertest.MustRender(t, `services:
  a:
    image: nginx:1.27-alpine
    expose: ["80"]
    networks: [one]
  b:
    image: nginx:1.27-alpine
    expose: ["80"]
    networks: [two]
networks: {one: {}, two: {}}
`)
	for _, id := range []string{"AService", "BService"} {
		if sc := serviceConnect(t, r, id); sc != nil {
			t.Errorf("%s: no peer can reach it, yet Service Connect is %v", id, sc)
		}
	}
	if len(r.Of("AWS::ServiceDiscovery::HttpNamespace")) != 0 {
		t.Errorf("a namespace was created for a project without names")
	}
}

// x-network.ServiceConnect settings are kept as written; the other services
// get their compose names in the same namespace (the only one of x-cloudmap).
func TestExplicitServiceConnectWins(t *testing.T) {
	r := rendertest.MustRender(t, `services:
  api:
    image: hashicorp/http-echo:1.0
    command: ["-listen=:8080", "-text=hello"]
    ports:
      - target: 8080
        name: http
    x-network:
      ServiceConnect:
        Services:
          - PortName: http
            DnsName: orders
            Port: 80
  web:
    image: nginx:1.27-alpine
    expose: ["80"]
x-cloudmap:
  shop:
    NamespaceId: ns-0123456789abcdef
`)
	if got := endpoints(t, r, "ApiService"); !reflect.DeepEqual(got, []string{"orders:80 -> http (api-http)"}) && !reflect.DeepEqual(got, []string{"orders:80 -> http (api)"}) {
		t.Errorf("api keeps its own settings; got %v", got)
	}
	sc := serviceConnect(t, r, "WebService")
	if ns, _ := rendertest.Dig(sc, "Namespace", "Fn::Sub").(string); !strings.HasSuffix(ns, "namespace/ns-0123456789abcdef") {
		t.Errorf("web's namespace = %v, want the one of x-cloudmap", sc["Namespace"])
	}
	if len(r.Of("AWS::ServiceDiscovery::HttpNamespace")) != 0 {
		t.Errorf("a namespace was created although x-cloudmap gives one")
	}
}

// ECS adds the Service Connect proxy to the task outside its containers:
// the task size leaves 256 CPU units and 64 MiB for it.
func TestProxyInTaskSize(t *testing.T) {
	r := rendertest.MustRender(t, `services:
  api:
    image: hashicorp/http-echo:1.0
    command: ["-listen=:8080", "-text=hello"]
    expose: ["8080"]
    deploy:
      resources:
        limits: {cpus: "1", memory: 2048M}
  web:
    image: nginx:1.27-alpine
    deploy:
      resources:
        limits: {cpus: "1", memory: 2048M}
  alone:
    image: nginx:1.27-alpine
    networks: [own]
    deploy:
      resources:
        limits: {cpus: "1", memory: 2048M}
networks: {own: {}}
`)
	for id, want := range map[string][2]string{
		"ApiTaskDefinition":   {"2048", "4096"}, // 1024+256 CPU, 2048+64 MiB
		"WebTaskDefinition":   {"2048", "4096"}, // a client runs the proxy too
		"AloneTaskDefinition": {"1024", "2048"}, // no Service Connect
	} {
		td := r.Get(t, id, "AWS::ECS::TaskDefinition")
		if got := [2]string{fmt.Sprint(td["Cpu"]), fmt.Sprint(td["Memory"])}; got != want {
			t.Errorf("%s size = %v, want %v", id, got, want)
		}
	}
}

func TestCallWarnings(t *testing.T) {
	ds, _ := rendertest.MustRenderFiles(t, `services:
  web:
    image: nginx:1.27-alpine
    environment:
      API_URL: http://api:8080/v1
      DB_HOST: db
    deploy:
      labels: {ecs.task.family: app}
  api:
    image: hashicorp/http-echo:1.0
    command: ["-listen=:8080", "-text=hello"]
    expose: ["8080"]
    deploy:
      labels: {ecs.task.family: app}
  db:
    image: postgres:17-alpine
    expose: ["5432"]
    networks: [data]
networks: {data: {}}
`, nil)
	d := rendertest.Find(ds, render.Warning, "services.web.environment.API_URL")
	if d == nil || d.Message != "web calls api by name (API_URL=http://api:8080/v1), but api runs in the same task (family app): the containers of a task reach each other on localhost, not by name; write localhost:8080 instead of api" || d.Line == 0 {
		t.Errorf("same-family call: got %v", d)
	}
	d = rendertest.Find(ds, render.Warning, "services.web.environment.DB_HOST")
	if d == nil || d.Message != "web calls db by name (DB_HOST=db), but they share no compose network, so there is no path between them: put both on one network" {
		t.Errorf("call across networks: got %v", d)
	}
}

func TestCallCycle(t *testing.T) {
	ds, res := rendertest.MustRenderFiles(t, `services:
  a:
    image: nginx:1.27-alpine
    expose: ["80"]
    environment: {PEER: "http://b:80"}
  b:
    image: nginx:1.27-alpine
    expose: ["80"]
    environment: {PEER: "http://a:80"}
`, nil)
	if res["AService"].DependsOn != nil && res["BService"].DependsOn != nil {
		t.Errorf("both services wait for each other: CloudFormation would refuse the cycle")
	}
	d := rendertest.Find(ds, render.Warning, "services.b.environment.PEER")
	if d == nil || !strings.Contains(d.Message, "CloudFormation cannot create both first") {
		t.Errorf("want the cycle reported on b's call, got %v", d)
	}
}

func TestRefusedNames(t *testing.T) {
	refused(t, `services:
  api:
    image: hashicorp/http-echo:1.0
    expose: ["8080"]
    networks:
      default:
        aliases: [db]
  db:
    image: postgres:17-alpine
    expose: ["5432"]
`, "services.api.networks.default.aliases.0",
		"the name db already belongs to db (services.db); on ECS the project's services share one Service Connect namespace, so a name can point at one service only: choose another alias")
	refused(t, `services:
  api:
    image: hashicorp/http-echo:1.0
    expose: ["8080"]
    networks:
      default:
        aliases: ["api v2"]
`, "services.api.networks.default.aliases.0",
		`"api v2" is not a DNS name, so no client can resolve it: use letters, digits, hyphens and dots`)
	refused(t, `services:
  web:
    image: nginx:1.27-alpine
    links: ["api:cache"]
  api:
    image: hashicorp/http-echo:1.0
    expose: ["8080"]
  cache:
    image: redis:7.4-alpine
`, "services.web.links.0",
		"the name cache already belongs to cache (services.cache); on ECS the project's services share one Service Connect namespace, so a name can point at one service only: choose another alias")
}

// refused checks that the render fails with exactly msg at path, located
// in the file (line) and naming the service.
func refused(t *testing.T, compose, path, msg string) {
	t.Helper()
	ds, res := rendertest.RenderFiles(t, compose, nil)
	if res != nil {
		t.Fatalf("rendered; want the error %s: %s", path, msg)
	}
	for _, d := range ds.Errors() {
		if d.Path == path && d.Message == msg {
			if d.Line == 0 || d.File == "" || d.Service == "" {
				t.Errorf("error not located (file, line, service): %s", d)
			}
			return
		}
	}
	t.Errorf("no error at %s with message\n  %s\ngot:\n%s", path, msg, ds.Error())
}

// Service Connect proxies TCP only: a UDP-only service gets its path but
// no name, and says so.
func TestUDPOnlyService(t *testing.T) {
	ds, res := rendertest.MustRenderFiles(t, `services:
  statsd:
    image: prom/statsd-exporter:v0.28.0
    expose: ["9125/udp"]
  app:
    image: nginx:1.27-alpine
`, nil)
	d := rendertest.Find(ds, render.Warning, "services.statsd")
	if d == nil || !strings.Contains(d.Message, "statsd declares UDP ports only: its peers get a security group path to them but no name") {
		t.Errorf("got %v", d)
	}
	if _, ok := res["StatsdIngressFromComposeNetworkDefaultPort9125UDP"]; !ok {
		t.Errorf("statsd lost its UDP path from the default network")
	}
	if res["StatsdService"].Properties["ServiceConnectConfiguration"] != nil {
		t.Errorf("a UDP-only service got Service Connect")
	}
}
