package examples

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// envoy-egress: what was deployed makes web call api through its Envoy.
// The task definition and the bootstrap come back from the emulator; the
// name the egress cluster resolves is checked against api's Service
// Connect client aliases in the rendered template (moto 5.2.1 drops
// ServiceConnectConfiguration): the same name and port api's clients get
// in their /etc/hosts.
func init() {
	motoChecks["envoy-egress"] = checkEnvoyEgress
}

func checkEnvoyEgress(t *testing.T, p *project, sum *motoSummary) {
	web := sum.containers(t, "web")
	app := web["web"]
	equal(t, "web's API_URL points at its egress listener", env(app, "API_URL"), "http://127.0.0.1:15001/")
	equal(t, "web's variable naming the listener", env(app, "ENVOY_EGRESS_API"), "http://127.0.0.1:15001")
	equal(t, "envoy runs as the image's user (every port 1024 or more)", env(web["envoy"], "ENVOY_UID"), "")

	body := sum.parameter(t, "web", "envoy")
	checkEnvoyBootstrap(t, "web envoy (deployed)", body)
	var boot map[string]any
	raw, err := bootstrapJSON(body)
	if err == nil {
		err = json.Unmarshal(raw, &boot)
	}
	if err != nil {
		t.Fatalf("the Envoy bootstrap in SSM is not YAML: %v", err)
	}
	var egress map[string]any
	for _, l := range asList(dig(boot, "static_resources", "listeners")) {
		if dig(l, "traffic_direction") == "OUTBOUND" {
			if egress != nil {
				t.Fatalf("web has one upstream, so one egress listener")
			}
			egress, _ = l.(map[string]any)
		}
	}
	if egress == nil {
		t.Fatalf("no egress listener in web's bootstrap")
	}
	equal(t, "egress listener address", dig(egress, "address", "socket_address"), map[string]any{"address": "127.0.0.1", "port_value": 15001.0})
	hcm := dig(asList(dig(asList(dig(egress, "filter_chains"))[0], "filters"))[0], "typed_config")
	route := dig(asList(dig(asList(dig(hcm, "route_config", "virtual_hosts"))[0], "routes"))[0], "route")
	equal(t, "egress route", route, map[string]any{
		"cluster": "api", "host_rewrite_literal": "api:9000", "timeout": "5s",
		"retry_policy": map[string]any{"num_retries": 3.0, "per_try_timeout": "2s", "retry_on": "connect-failure,refused-stream,reset-before-request,gateway-error"},
	})
	equal(t, "egress tracer", dig(hcm, "tracing", "provider", "name"), "envoy.tracers.xray")

	var cluster any
	for _, c := range asList(dig(boot, "static_resources", "clusters")) {
		if dig(c, "name") == "api" {
			cluster = c
		}
	}
	equal(t, "api cluster type", dig(cluster, "type"), "STRICT_DNS")
	ep := dig(asList(dig(asList(dig(cluster, "load_assignment", "endpoints"))[0], "lb_endpoints"))[0], "endpoint", "address", "socket_address")
	resolved := fmt.Sprintf("%v:%v", dig(ep, "address"), dig(ep, "port_value"))

	// api's Service Connect names, from the template.
	res := map[string]map[string]any{}
	for _, name := range sortedNames(p.out.Files) {
		var doc struct {
			Resources map[string]map[string]any `yaml:"Resources"`
		}
		if strings.HasSuffix(name, ".yaml") && yaml.Unmarshal(p.out.Files[name], &doc) == nil {
			maps.Copy(res, doc.Resources)
		}
	}
	var aliases []string
	for _, s := range asList(dig(res["ApiService"], "Properties", "ServiceConnectConfiguration", "Services")) {
		for _, a := range asList(dig(s, "ClientAliases")) {
			aliases = append(aliases, fmt.Sprintf("%v:%v", dig(a, "DnsName"), dig(a, "Port")))
		}
	}
	equal(t, "the name web's Envoy resolves is api's Service Connect name", aliases, []string{resolved})
	if dig(res["WebService"], "Properties", "ServiceConnectConfiguration", "Enabled") != true {
		t.Errorf("web must be a Service Connect client for api's name to resolve in its tasks")
	}

	// The agent turns the hop's stats into metrics by cluster name.
	cfg := sum.parameter(t, "web", "cloudwatch-agent")
	var agent map[string]any
	if err := json.Unmarshal([]byte(cfg), &agent); err != nil {
		t.Fatalf("web's agent config is not JSON: %v", err)
	}
	perHop := false
	for _, d := range asList(dig(agent, "logs", "metrics_collected", "prometheus", "emf_processor", "metric_declaration")) {
		if dig(d, "label_matcher") == "^envoy;(api)$" && strings.Contains(fmt.Sprint(dig(d, "dimensions")), "envoy_cluster_name") {
			perHop = true
		}
	}
	if !perHop {
		t.Errorf("web's agent config has no per-hop rule for api (label_matcher ^envoy;(api)$, dimension envoy_cluster_name):\n%s", cfg)
	}
}
