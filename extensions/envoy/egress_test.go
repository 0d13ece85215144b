package envoy_test

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tracev3 "github.com/envoyproxy/go-control-plane/envoy/config/trace/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	getaddrinfov3 "github.com/envoyproxy/go-control-plane/envoy/extensions/network/dns_resolver/getaddrinfo/v3"

	"github.com/composex/composex/extensions/envoy"
	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// egressCompose: web calls api (depends_on, and its API_URL names api),
// and orders through cart (listed in Upstreams with its own settings);
// db is a dependency that speaks no HTTP; worker is linked but its port
// says nothing of HTTP.
const egressCompose = `
services:
  web:
    image: public.ecr.aws/docker/library/python:3.13-slim
    ports: ["8000:8000"]
    environment:
      API_URL: http://api:9000/v1
      API_HOST: api
      DB_URL: postgres://db:5432/shop
      CART: "http://cart:7000,https://cart:7000"
    depends_on: [api, db]
    links: ["worker:jobs"]
    x-network:
      Envoy:
        AppPort: 8080
        Upstreams:
          cart:
            LocalPort: 15100
            Timeout: 3
            Retries: {NumRetries: 4, RetryOn: "5xx,reset", PerTryTimeout: 0.5}
    x-xray: true
  api:
    image: public.ecr.aws/docker/library/python:3.13-slim
    ports: ["9000:9000"]
  cart:
    image: public.ecr.aws/docker/library/python:3.13-slim
    ports:
      - {target: 7000, published: "7000", app_protocol: grpc}
  db:
    image: public.ecr.aws/docker/library/postgres:17
    expose: ["5432"]
  worker:
    image: public.ecr.aws/docker/library/python:3.13-slim
    expose: ["6000"]
`

// decodedBootstrap reads a family's bootstrap from the rendered template.
func decodedBootstrap(t *testing.T, r rendertest.Result, id string) (*bootstrapv3.Bootstrap, string) {
	t.Helper()
	bootstraps, _ := checkConfigs(t, r)
	body, ok := bootstraps[id]
	if !ok {
		t.Fatalf("no %s in the template", id)
	}
	b, err := envoy.DecodeBootstrap(body)
	if err != nil {
		t.Fatal(err)
	}
	return b, body
}

// publishedNames are the Service Connect names (DnsName:Port) of a family
// as its ECS service declares them: what a client task resolves.
func publishedNames(t *testing.T, r rendertest.Result, serviceID string) []string {
	t.Helper()
	var out []string
	sc, _ := r.Get(t, serviceID, serviceType)["ServiceConnectConfiguration"].(map[string]any)
	svcs, _ := sc["Services"].([]any)
	for _, s := range svcs {
		for _, a := range s.(map[string]any)["ClientAliases"].([]any) {
			am := a.(map[string]any)
			out = append(out, fmt.Sprintf("%v:%v", am["DnsName"], am["Port"]))
		}
	}
	return out
}

type egressHop struct {
	listener *listenerv3.Listener
	hcm      *hcmv3.HttpConnectionManager
	route    *routev3.RouteAction
	cluster  *clusterv3.Cluster
}

// egressHops finds the egress listeners (outbound, on loopback) and the
// cluster each one routes to, by cluster name.
func egressHops(t *testing.T, b *bootstrapv3.Bootstrap) map[string]egressHop {
	t.Helper()
	clusters := map[string]*clusterv3.Cluster{}
	for _, c := range b.GetStaticResources().GetClusters() {
		clusters[c.GetName()] = c
	}
	hops := map[string]egressHop{}
	for _, l := range b.GetStaticResources().GetListeners() {
		if l.GetTrafficDirection() != corev3.TrafficDirection_OUTBOUND {
			continue
		}
		hcm := &hcmv3.HttpConnectionManager{}
		if err := l.GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(hcm); err != nil {
			t.Fatal(err)
		}
		vhs := hcm.GetRouteConfig().GetVirtualHosts()
		if len(vhs) != 1 || len(vhs[0].GetRoutes()) != 1 {
			t.Fatalf("%s: one virtual host with one route expected: %v", l.GetName(), vhs)
		}
		ra := vhs[0].GetRoutes()[0].GetRoute()
		c := clusters[ra.GetCluster()]
		if c == nil {
			t.Fatalf("%s routes to %q, which is no cluster of the bootstrap", l.GetName(), ra.GetCluster())
		}
		hops[ra.GetCluster()] = egressHop{l, hcm, ra, c}
	}
	return hops
}

func endpointOf(c *clusterv3.Cluster) string {
	sa := c.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
	return fmt.Sprintf("%s:%d", sa.GetAddress(), sa.GetPortValue())
}

// TestEgressHops reads web's bootstrap as Envoy would and checks each hop
// against what its consumers need: the app reaches a listener on loopback
// (the URL composex rewrote and the variable it added name it), the
// listener routes to a cluster that resolves exactly a name and port the
// upstream's ECS service publishes (Service Connect, which the ECS agent
// writes into the task's /etc/hosts, and which getaddrinfo reads like the
// app's resolver does), with the timeout and retries asked, traced to the
// family's X-Ray daemon.
func TestEgressHops(t *testing.T) {
	r := rendertest.MustRender(t, egressCompose)
	b, _ := decodedBootstrap(t, r, "WebEnvoyBootstrap")
	hops := egressHops(t, b)
	if len(hops) != 2 {
		t.Fatalf("egress for api (depends_on, HTTP URL) and cart (Upstreams) only, not db (no HTTP) nor worker (no HTTP): got %d hops", len(hops))
	}
	want := map[string]struct {
		local, endpoint, host string
		timeout               string
		retries               uint32
		retryOn, perTry       string
		http2                 bool
		published             string
	}{
		"api":  {"127.0.0.1:15001", "api:9000", "api:9000", "15s", 2, "connect-failure,refused-stream,reset-before-request", "", false, "ApiService"},
		"cart": {"127.0.0.1:15100", "cart:7000", "cart:7000", "3s", 4, "5xx,reset", "500ms", true, "CartService"},
	}
	for name, w := range want {
		h, ok := hops[name]
		if !ok {
			t.Errorf("no egress hop for %s", name)
			continue
		}
		sa := h.listener.GetAddress().GetSocketAddress()
		if got := fmt.Sprintf("%s:%d", sa.GetAddress(), sa.GetPortValue()); got != w.local {
			t.Errorf("%s: listener on %s, want %s (loopback: only the task's own containers reach it)", name, got, w.local)
		}
		if h.cluster.GetType() != clusterv3.Cluster_STRICT_DNS {
			t.Errorf("%s: cluster type %v, want STRICT_DNS", name, h.cluster.GetType())
		}
		res := h.cluster.GetTypedDnsResolverConfig()
		gai := &getaddrinfov3.GetAddrInfoDnsResolverConfig{}
		if res.GetName() != "envoy.network.dns_resolver.getaddrinfo" || res.GetTypedConfig().UnmarshalTo(gai) != nil {
			t.Errorf("%s: the cluster must resolve with getaddrinfo (files, then DNS), got %v", name, res)
		}
		ep := endpointOf(h.cluster)
		if ep != w.endpoint {
			t.Errorf("%s: cluster resolves %s, want %s", name, ep, w.endpoint)
		}
		if pub := publishedNames(t, r, w.published); !strings.Contains(","+strings.Join(pub, ",")+",", ","+ep+",") {
			t.Errorf("%s: cluster resolves %s, but %s publishes only %v", name, ep, w.published, pub)
		}
		if h.route.GetHostRewriteLiteral() != w.host {
			t.Errorf("%s: Host %q, want %q (what the app would have sent)", name, h.route.GetHostRewriteLiteral(), w.host)
		}
		if got := h.route.GetTimeout().AsDuration().String(); got != w.timeout {
			t.Errorf("%s: timeout %s, want %s", name, got, w.timeout)
		}
		rp := h.route.GetRetryPolicy()
		if rp.GetNumRetries().GetValue() != w.retries || rp.GetRetryOn() != w.retryOn {
			t.Errorf("%s: retry policy %v, want %d on %s", name, rp, w.retries, w.retryOn)
		}
		if got := rp.GetPerTryTimeout(); (w.perTry == "") != (got == nil) || (got != nil && got.AsDuration().String() != w.perTry) {
			t.Errorf("%s: per-try timeout %v, want %q", name, got, w.perTry)
		}
		_, h2 := h.cluster.GetTypedExtensionProtocolOptions()["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
		if h2 != w.http2 {
			t.Errorf("%s: HTTP/2 to the upstream %v, want %v (its app_protocol)", name, h2, w.http2)
		}
		xr := &tracev3.XRayConfig{}
		if err := h.hcm.GetTracing().GetProvider().GetTypedConfig().UnmarshalTo(xr); err != nil {
			t.Errorf("%s: the egress listener must trace to X-Ray: %v", name, err)
		} else if ep := xr.GetDaemonEndpoint(); ep.GetProtocol() != corev3.SocketAddress_UDP || ep.GetAddress() != "127.0.0.1" || ep.GetPortValue() != 2000 || xr.GetSegmentName() != "web" {
			t.Errorf("%s: X-Ray tracer %v", name, xr)
		}
		if h.hcm.GetStatPrefix() != "egress_"+name {
			t.Errorf("%s: stat prefix %q", name, h.hcm.GetStatPrefix())
		}
	}

	// The app reaches the listeners: http:// URLs to api:9000 and cart:7000
	// point at them (https:// and other schemes are left alone: the
	// listeners speak plain HTTP), and a variable names each.
	cs := rendertest.Containers(t, r, "WebTaskDefinition")
	env := map[string]string{}
	for _, e := range cs["web"]["Environment"].([]any) {
		em := e.(map[string]any)
		env[em["Name"].(string)] = em["Value"].(string)
	}
	for k, v := range map[string]string{
		"API_URL":           "http://127.0.0.1:15001/v1",
		"API_HOST":          "api",
		"DB_URL":            "postgres://db:5432/shop",
		"CART":              "http://127.0.0.1:15100,https://cart:7000",
		"ENVOY_EGRESS_API":  "http://127.0.0.1:15001",
		"ENVOY_EGRESS_CART": "http://127.0.0.1:15100",
	} {
		if env[k] != v {
			t.Errorf("web's %s = %q, want %q", k, env[k], v)
		}
	}
	if _, ok := env["ENVOY_EGRESS_DB"]; ok {
		t.Error("db gets no egress listener, so no variable")
	}
	// No container of the task declares a listener's port.
	for name, c := range cs {
		pms, _ := c["PortMappings"].([]any)
		for _, pm := range pms {
			p := fmt.Sprint(pm.(map[string]any)["ContainerPort"])
			if p == "15001" || p == "15100" {
				t.Errorf("%s declares %s, an egress listener's port", name, p)
			}
		}
	}
	// cfn-lint and the emulator see the same output in examples/envoy-egress.
}

// TestEgressChoice: which services get an egress listener, and how the
// defaults fill in.
func TestEgressChoice(t *testing.T) {
	cases := []struct {
		name, web, extra string
		hops             []string // cluster -> endpoint
	}{
		{"depends_on with an http URL", "    depends_on: [api]\n    environment: {API: http://api:9000}\n", "", []string{"api=api:9000"}},
		{"depends_on without evidence of HTTP", "    depends_on: [api]\n", "", nil},
		{"upstream with an Envoy of its own", "    depends_on: [api]\n", "    x-network:\n      Envoy: {AppPort: 8080}\n", []string{"api=api:9000"}},
		{"links alias in the URL", "    links: [\"api:backend\"]\n    environment: {API: \"http://backend:9000/\"}\n", "", []string{"api=api:9000"}},
		{"Egress false leaves depends_on alone", "    depends_on: [api]\n    environment: {API: http://api:9000}\n", "", nil},
		{"listed without settings", "", "", []string{"api=api:9000"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			envoyBlock := "Envoy: {AppPort: 8080}"
			switch tc.name {
			case "Egress false leaves depends_on alone":
				envoyBlock = "Envoy: {AppPort: 8080, Egress: false}"
			case "listed without settings":
				envoyBlock = "Envoy: {AppPort: 8080, Upstreams: [api]}"
			}
			r := rendertest.MustRender(t, "services:\n  web:\n    image: busybox:1.36\n    ports: [\"8000:8000\"]\n"+tc.web+
				"    x-network:\n      "+envoyBlock+"\n  api:\n    image: busybox:1.36\n    ports: [\"9000:9000\"]\n"+tc.extra)
			b, _ := decodedBootstrap(t, r, "WebEnvoyBootstrap")
			var got []string
			for name, h := range egressHops(t, b) {
				got = append(got, name+"="+endpointOf(h.cluster))
				if h.route.GetTimeout().AsDuration().String() != "15s" || h.route.GetRetryPolicy().GetNumRetries().GetValue() != 2 {
					t.Errorf("defaults: timeout 15s and 2 retries, got %v", h.route)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.hops, ",") {
				t.Errorf("hops %v, want %v", got, tc.hops)
			}
		})
	}
}

// TestEgressRefused: one clear message per problem, at its key.
func TestEgressRefused(t *testing.T) {
	cases := []struct {
		name, upstreams, path, message string
	}{
		{"unknown service", "{nope: {}}", "services.web.x-network.Envoy.Upstreams.nope", `"nope" is not a service of this project; allowed: api, side, web`},
		{"itself", "[web]", "services.web.x-network.Envoy.Upstreams.web", "web cannot be its own upstream: Envoy already forwards its inbound traffic to it"},
		{"same task", "[side]", "services.web.x-network.Envoy",
			"Upstreams.side: side runs in the same task (family shop) and is reached on localhost, not through Envoy"},
		{"port not published", "{api: {Port: 9001}}", "services.web.x-network.Envoy", "Upstreams.api.Port 9001: api is reached on api:9000"},
		{"local port taken", "{api: {LocalPort: 9902}}", "services.web.x-network.Envoy",
			"Upstreams.api.LocalPort 9902 is already a port of Envoy (StatsPort); the task's containers share one network interface: choose another"},
		{"local port in the ephemeral range", "{api: {LocalPort: 40000}}", "services.web.x-network.Envoy.Upstreams.api.LocalPort",
			"port 40000 is in the range 32768-60999 from which the ECS agent picks the ports of the Service Connect proxy in the task (and the kernel the local ports of outgoing connections); choose a port below 32768"},
		{"retry condition", `{api: {Retries: {RetryOn: "5xx,oops"}}}`, "services.web.x-network.Envoy.Upstreams.api.Retries.RetryOn", ""},
		{"per try longer than the request", "{api: {Timeout: 2, Retries: {PerTryTimeout: 5}}}", "services.web.x-network.Envoy.Upstreams.api.Retries.PerTryTimeout",
			"PerTryTimeout 5 is longer than the request's Timeout 2, which includes every attempt"},
		{"too many retries", "{api: {Retries: {NumRetries: 11}}}", "services.web.x-network.Envoy.Upstreams.api.Retries.NumRetries", ""},
		{"negative timeout", "{api: {Timeout: -1}}", "services.web.x-network.Envoy.Upstreams.api.Timeout", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rendertest.Render(t, `
services:
  web:
    image: busybox:1.36
    ports: ["8000:8000"]
    deploy: {labels: {ecs.task.family: shop}}
    x-network:
      Envoy: {AppPort: 8080, Upstreams: `+tc.upstreams+`}
  side:
    image: busybox:1.36
    expose: ["7000"]
    deploy: {labels: {ecs.task.family: shop}}
  api:
    image: busybox:1.36
    ports: ["9000:9000"]
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

// TestEgressSSMSize: the bootstrap travels as one SSM parameter: a
// Standard parameter holds 4096 characters, an Advanced one (charged)
// 8192, measured as CloudFormation stores the value (each ${AWS::...} at
// its longest, render.StoredLength). The review form (YAML) is written
// when it fits; a bootstrap that only fits compact is stored as compact
// JSON. The tier written is the cheapest that holds the value, composex
// warns when it is Advanced, and past 8192 even compact it refuses.
func TestEgressSSMSize(t *testing.T) {
	compose := func(n int, xray bool) string {
		var b strings.Builder
		b.WriteString("services:\n  web:\n    image: busybox:1.36\n    ports: [\"8000:8000\"]\n    x-network:\n      Envoy:\n        AppPort: 8080\n        Upstreams:\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "          u%d: {}\n", i)
		}
		if xray {
			b.WriteString("    x-xray: true\n")
		}
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "  u%d:\n    image: busybox:1.36\n    ports: [\"%d:%d\"]\n", i, 9000+i, 9000+i)
		}
		return b.String()
	}
	warned := func(r rendertest.Result) bool {
		d := rendertest.Find(r.Diags, render.Warning, "services.web.x-network.Envoy")
		return d != nil && strings.Contains(d.Message, "more than the 4096 of a Standard SSM parameter")
	}
	for _, tc := range []struct {
		upstreams int
		xray      bool
		tier      string
		compact   bool
	}{
		{0, false, render.TierStandard, false},
		{0, true, render.TierAdvanced, false},
		{1, true, render.TierAdvanced, false},
		{3, true, render.TierAdvanced, true},
	} {
		t.Run(fmt.Sprintf("%d upstreams, x-xray %v", tc.upstreams, tc.xray), func(t *testing.T) {
			r := rendertest.MustRender(t, compose(tc.upstreams, tc.xray))
			props := r.Get(t, "WebEnvoyBootstrap", "AWS::SSM::Parameter")
			value, sub := props["Value"].(string)
			if m, ok := props["Value"].(map[string]any); ok {
				value, sub = m["Fn::Sub"].(string), true
			} else {
				sub = false
			}
			n, err := render.StoredLength(value, sub)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("bootstrap: up to %d characters stored, tier %v", n, props["Tier"])
			if props["Tier"] != tc.tier {
				t.Errorf("tier %v, want %s", props["Tier"], tc.tier)
			}
			if want := tc.tier == render.TierStandard; (n <= render.StandardParameterChars) != want || n > render.AdvancedParameterChars {
				t.Errorf("up to %d characters in a %s parameter", n, tc.tier)
			}
			if warned(r) != (tc.tier == render.TierAdvanced) {
				t.Errorf("warning %v, want %v", warned(r), tc.tier == render.TierAdvanced)
			}
			if compact := !strings.Contains(value, "\n"); compact != tc.compact {
				t.Errorf("stored compact %v, want %v", compact, tc.compact)
			}
			if _, err := envoy.DecodeBootstrap(value); err != nil {
				t.Errorf("the stored bootstrap does not read back: %v", err)
			}
		})
	}
	r := rendertest.Render(t, compose(6, true))
	d := rendertest.Find(r.Diags, render.Error, "services.web.x-network.Envoy")
	if d == nil || !strings.HasPrefix(d.Message, "the Envoy bootstrap is up to ") || !strings.HasSuffix(d.Message, "an SSM parameter holds 8192 at most (Advanced tier)") {
		t.Errorf("6 upstreams with X-Ray do not fit an Advanced parameter: want the size error, got %v", d)
	}
}

// readTypedScrape reads a scrape as the CloudWatch agent's Prometheus
// pipeline keeps it: it types every sample from the # TYPE lines (the
// _sum, _count and _bucket series of a histogram or summary by their base
// name) and drops what is not a counter, gauge or summary
// (plugins/inputs/prometheus/metrics_filter.go: histograms are dropped).
func readTypedScrape(t *testing.T, file string, target map[string]string) []series {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	types := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) == 4 && fs[0] == "#" && fs[1] == "TYPE" {
			types[fs[2]] = fs[3]
		}
	}
	typeOf := func(name string) string {
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suf); ok && (types[base] == "histogram" || types[base] == "summary") {
				return types[base]
			}
		}
		return types[name]
	}
	var kept []series
	for _, s := range readScrape(t, file, target) {
		switch typeOf(s.name) {
		case "counter", "gauge", "summary":
			kept = append(kept, s)
		}
	}
	return kept
}

// TestEgressEMFPerHop applies web's rendered metric declarations to what
// web's Envoy serves the agent: each hop (dimension envoy_cluster_name)
// gets its requests, response classes, retries, timeouts, connection
// failures and latency (p50, p90, p99, sum and count); the app's own
// cluster and the admin cluster are not counted as hops.
func TestEgressEMFPerHop(t *testing.T) {
	r := rendertest.MustRender(t, `
services:
  web:
    image: busybox:1.36
    ports: ["8000:8000"]
    x-network:
      Envoy: {AppPort: 8080, Upstreams: [api]}
  api:
    image: busybox:1.36
    ports: ["9000:9000"]
`)
	_, agents := checkConfigs(t, r)
	decls := rendertest.Dig(agents["WebCloudWatchAgentConfig"], "logs", "metrics_collected", "prometheus", "emf_processor", "metric_declaration").([]any)
	target := map[string]string{"container_name": "envoy", "TaskDefinitionFamily": "demo-stack-web", "ClusterName": "demo"}
	sums := emfSums(t, decls, readTypedScrape(t, "testdata/stats-egress.txt", target))
	hop := "|ClusterName=demo,TaskDefinitionFamily=demo-stack-web,envoy_cluster_name=api"
	family := "|ClusterName=demo,TaskDefinitionFamily=demo-stack-web"
	want := map[string]float64{
		"envoy_cluster_upstream_rq_total" + hop:                               200,
		"envoy_cluster_upstream_rq_xx" + hop + ",envoy_response_code_class=2": 190,
		"envoy_cluster_upstream_rq_xx" + hop + ",envoy_response_code_class=5": 10,
		"envoy_cluster_upstream_rq_retry" + hop:                               4,
		"envoy_cluster_upstream_rq_retry_success" + hop:                       3,
		"envoy_cluster_upstream_rq_timeout" + hop:                             1,
		"envoy_cluster_upstream_cx_connect_fail" + hop:                        2,
		"envoy_cluster_membership_healthy" + hop:                              1,
		"envoy_cluster_upstream_rq_time" + hop + ",quantile=0.5":              4.5,
		"envoy_cluster_upstream_rq_time" + hop + ",quantile=0.9":              12,
		"envoy_cluster_upstream_rq_time" + hop + ",quantile=0.99":             85,
		"envoy_cluster_upstream_rq_time_sum" + hop:                            1400,
		"envoy_cluster_upstream_rq_time_count" + hop:                          200,
		// The family rules (app cluster only) keep working beside them.
		"envoy_cluster_upstream_rq_total" + family:   150,
		"envoy_cluster_upstream_rq_retry" + family:   0,
		"envoy_cluster_upstream_rq_timeout" + family: 0,
		"envoy_cluster_membership_healthy" + family:  1,
	}
	for k, v := range want {
		if got, ok := sums[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	for k := range sums {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected CloudWatch metric %s = %v", k, sums[k])
		}
	}
	// The agent keeps summaries, not histograms: the stats route asks
	// Envoy for summaries, or the latency never reaches CloudWatch.
	b, _ := decodedBootstrap(t, r, "WebEnvoyBootstrap")
	for _, l := range b.GetStaticResources().GetListeners() {
		if l.GetName() != "prometheus_stats" {
			continue
		}
		hcm := &hcmv3.HttpConnectionManager{}
		if err := l.GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(hcm); err != nil {
			t.Fatal(err)
		}
		route := hcm.GetRouteConfig().GetVirtualHosts()[0].GetRoutes()[0]
		if route.GetMatch().GetPath() != "/stats/prometheus" || route.GetRoute().GetPrefixRewrite() != "/stats?format=prometheus&histogram_buckets=summary" {
			t.Errorf("stats route: %v", route)
		}
	}
}

// TestEgressClientOnly: a service that listens on no port (a worker) gets
// an Envoy for its calls only: no ingress listener, no app cluster, no
// AppPort; what it cannot use is refused.
func TestEgressClientOnly(t *testing.T) {
	compose := func(envoyBlock string) string {
		return "services:\n  worker:\n    image: busybox:1.36\n    environment: {API: \"http://api:9000/jobs\"}\n    depends_on: [api]\n" +
			"    x-network:\n      Envoy: " + envoyBlock + "\n  api:\n    image: busybox:1.36\n    ports: [\"9000:9000\"]\n"
	}
	r := rendertest.MustRender(t, compose("true"))
	b, _ := decodedBootstrap(t, r, "WorkerEnvoyBootstrap")
	var names []string
	for _, l := range b.GetStaticResources().GetListeners() {
		names = append(names, l.GetName())
	}
	for _, c := range b.GetStaticResources().GetClusters() {
		names = append(names, c.GetName())
	}
	if got := strings.Join(names, ","); got != "egress_api,prometheus_stats,api,envoy_admin" {
		t.Errorf("listeners and clusters: %s, want the egress listener, the stats listener and their clusters only", got)
	}
	cs := rendertest.Containers(t, r, "WorkerTaskDefinition")
	rendertest.EqualJSON(t, "envoy ports", cs["envoy"]["PortMappings"], `[{"ContainerPort": 9902, "Name": "envoy_stats", "Protocol": "tcp"}]`)
	if cs["worker"]["PortMappings"] != nil {
		t.Errorf("the worker listens on nothing: %v", cs["worker"]["PortMappings"])
	}
	rendertest.EqualJSON(t, "worker starts after envoy", cs["worker"]["DependsOn"], `[{"Condition": "HEALTHY", "ContainerName": "envoy"}]`)
	var env []string
	for _, e := range cs["worker"]["Environment"].([]any) {
		env = append(env, fmt.Sprintf("%v=%v", e.(map[string]any)["Name"], e.(map[string]any)["Value"]))
	}
	if got := strings.Join(env, " "); got != "API=http://127.0.0.1:15001/jobs ENVOY_EGRESS_API=http://127.0.0.1:15001" {
		t.Errorf("worker environment: %s", got)
	}

	for _, c := range []struct{ block, message string }{
		{"{AppPort: 8080}", "AppPort 8080: worker listens on no TCP port (ports or expose), so Envoy has no inbound traffic to forward to it; drop AppPort, and Envoy carries only worker's calls to its upstreams"},
		{"{Egress: false}", "worker listens on no TCP port (ports or expose); Envoy needs the port others reach it on"},
	} {
		r := rendertest.Render(t, compose(c.block))
		d := rendertest.Find(r.Diags, render.Error, "services.worker.x-network.Envoy")
		if d == nil || d.Message != c.message {
			t.Errorf("%s: want\n  %s\ngot %v", c.block, c.message, d)
		}
	}
	r = rendertest.Render(t, strings.Replace(compose("true"), "    environment: {API: \"http://api:9000/jobs\"}\n", "", 1))
	if d := rendertest.Find(r.Diags, render.Error, "services.worker.x-network.Envoy"); d == nil ||
		d.Message != "worker listens on no TCP port and calls no upstream through Envoy (x-network.Envoy.Upstreams, or depends_on and links services that speak HTTP), so Envoy would have nothing to carry" {
		t.Errorf("nothing to carry: got %v", d)
	}
}

// TestEgressPublishedNames: the cluster resolves whatever name the
// networking code published for the upstream: an explicit Service
// Connect client alias, or, for a service with no Service Connect name, its
// Cloud Map DNS name (hostname.zone) on its registered port.
func TestEgressPublishedNames(t *testing.T) {
	cases := []struct{ name, api, endpoint, host string }{
		{"explicit Service Connect alias", "    x-network:\n      ServiceConnect:\n        Services: [{PortName: tcp_9000, DnsName: api.internal, Port: 80}]\n",
			"api.internal:80", "api.internal"},
		{"Cloud Map only", "    x-network:\n      ServiceConnect: {ClientOnly: true}\n      x-cloudmap: shop\n",
			"api.shop.local:9000", "api.shop.local:9000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rendertest.MustRender(t, "services:\n  web:\n    image: busybox:1.36\n    ports: [\"8000:8000\"]\n    x-network:\n      Envoy: {AppPort: 8080, Upstreams: [api]}\n"+
				"  api:\n    image: busybox:1.36\n    ports: [\"9000:9000\"]\n"+c.api+"x-cloudmap:\n  shop: {ZoneName: shop.local}\n")
			b, _ := decodedBootstrap(t, r, "WebEnvoyBootstrap")
			h, ok := egressHops(t, b)["api"]
			if !ok {
				t.Fatal("no egress hop for api")
			}
			if got := endpointOf(h.cluster); got != c.endpoint {
				t.Errorf("cluster resolves %s, want %s", got, c.endpoint)
			}
			if got := h.route.GetHostRewriteLiteral(); got != c.host {
				t.Errorf("Host %s, want %s", got, c.host)
			}
		})
	}
}

// TestEgressOrdersServices: a Service Connect client resolves the names
// that existed when its task started, so the caller's ECS service is
// created after its upstreams' (a cycle is reported, not written).
func TestEgressOrdersServices(t *testing.T) {
	base := "services:\n  web:\n    image: busybox:1.36\n    ports: [\"8000:8000\"]\n    x-network:\n      Envoy: {AppPort: 8080, Upstreams: [api]}\n" +
		"  api:\n    image: busybox:1.36\n    ports: [\"9000:9000\"]\n"
	r := rendertest.MustRender(t, base)
	rendertest.EqualJSON(t, "web's service waits for api's", r.Resources["WebService"].DependsOn, `["ApiService"]`)

	r = rendertest.MustRender(t, base+"    depends_on: [web]\n")
	if dep := r.Resources["WebService"].DependsOn; dep != nil {
		t.Errorf("api waits for web: web cannot wait for api too, got %v", dep)
	}
	d := rendertest.Find(r.Diags, render.Warning, "services.web.x-network.Envoy.Upstreams")
	if d == nil || d.Message != "web calls api through Envoy, and family api waits for family web: CloudFormation cannot create both first, so web's tasks resolve api only from their next deployment on" {
		t.Errorf("cycle warning: %v", d)
	}
}
