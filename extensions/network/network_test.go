package network_test

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// api is a compose file with a service api listening on 80 (published
// 8080) and 9090, a service web, and api's x-network block (indented YAML).
func api(xnet string, top ...string) string {
	return `services:
  api:
    image: busybox
    ports: ["8080:80"]
    expose: ["9090"]
    x-network:
` + xnet + `
  web:
    image: busybox
    ports: ["80:80"]
` + strings.Join(top, "\n")
}

func TestRefused(t *testing.T) {
	const p = "services.api.x-network."
	cases := []struct {
		name, compose, path, msg string
	}{
		{"unknown service in Ingress.Services", api(`
      Ingress:
        Services:
          - Name: nope
`), p + "Ingress.Services.0.Name", `"nope" is not a service of this project; allowed: api, web`},
		{"malformed IPv4 CIDR", api(`
      Ingress:
        ExtSources:
          - IPv4: 10.0.0.300/24
`), p + "Ingress.ExtSources.0.IPv4", `"10.0.0.300/24" is not an IPv4 CIDR range such as 10.0.0.0/16`},
		{"IPv6 range given as IPv4", api(`
      Ingress:
        ExtSources:
          - IPv4: "2001:db8::/32"
`), p + "Ingress.ExtSources.0.IPv4", `"2001:db8::/32" is not an IPv4 CIDR range such as 10.0.0.0/16`},
		{"malformed IPv6 CIDR", api(`
      Ingress:
        ExtSources:
          - IPv6: "2001:db8::/129"
`), p + "Ingress.ExtSources.0.IPv6", `"2001:db8::/129" is not an IPv6 CIDR range such as 2001:db8::/32`},
		{"CIDR with host bits", api(`
      Ingress:
        ExtSources:
          - IPv4: 10.1.2.3/16
`), p + "Ingress.ExtSources.0.IPv4", `"10.1.2.3/16" has host bits set; did you mean 10.1.0.0/16?`},
		{"port out of range", api(`
      Ingress:
        ExtSources:
          - IPv4: 10.0.0.0/16
            Ports: [70000]
`), p + "Ingress.ExtSources.0.Ports.0", "port 70000 is out of range; allowed: 1 to 65535"},
		{"Ports naming a port the service does not listen on", api(`
      Ingress:
        Services:
          - Name: web
            Ports: [8080]
`), p + "Ingress.Services.0.Ports.0", "port 8080 is not a port api listens on (80/tcp, 9090/tcp)"},
		{"IPv4 and IPv6 in one source", api(`
      Ingress:
        ExtSources:
          - IPv4: 10.0.0.0/16
            IPv6: "2001:db8::/32"
`), p + "Ingress.ExtSources.0", "give either IPv4 or IPv6, not both (add a second source)"},
		{"source without a range", api(`
      Ingress:
        ExtSources:
          - Name: office
`), p + "Ingress.ExtSources.0", "a source needs IPv4 or IPv6 (a CIDR range)"},
		{"AwsSources Lookup", api(`
      Ingress:
        AwsSources:
          - Type: SecurityGroup
            Lookup:
              Tags: [{Name: alb}]
`), p + "Ingress.AwsSources.0.Lookup", "finding a source by tags needs AWS access and composex renders offline; give its Id"},
		{"AwsSources Id not matching Type (security group)", api(`
      Ingress:
        AwsSources:
          - Type: SecurityGroup
            Id: pl-0123456789abcdef0
`), p + "Ingress.AwsSources.0.Id", `"pl-0123456789abcdef0" is not a security group ID (sg-...)`},
		{"AwsSources Id not matching Type (prefix list)", api(`
      Ingress:
        AwsSources:
          - Type: PrefixList
            Id: sg-0123456789abcdef0
`), p + "Ingress.AwsSources.0.Id", `"sg-0123456789abcdef0" is not a prefix list ID (pl-...)`},
		{"AwsSources unknown Type", api(`
      Ingress:
        AwsSources:
          - Type: Vpc
            Id: vpc-0123
`), p + "Ingress.AwsSources.0.Type", `"Vpc" is not a source type; allowed: SecurityGroup, PrefixList`},
		{"AccountOwner on a prefix list", api(`
      Ingress:
        AwsSources:
          - Type: PrefixList
            Id: pl-0123456789abcdef0
            AccountOwner: "123456789012"
`), p + "Ingress.AwsSources.0.AccountOwner", `"123456789012": AccountOwner is the 12-digit account of a security group source`},
		{"egress without destination", api(`
      Egress:
        - Ports: [443]
`), p + "Egress.0", "give exactly one destination: IPv4, IPv6 or PrefixList"},
		{"egress without ports", api(`
      Egress:
        - IPv4: 10.0.0.0/8
`), p + "Egress.0.Ports", "list the destination ports (or set Protocol: all)"},
		{"egress port out of range", api(`
      Egress:
        - IPv4: 10.0.0.0/8
          Ports: [0]
`), p + "Egress.0.Ports.0", "port 0 is out of range; allowed: 1 to 65535"},
		{"egress with a bad protocol", api(`
      Egress:
        - IPv4: 10.0.0.0/8
          Ports: [443]
          Protocol: icmp
`), p + "Egress.0.Protocol", `"icmp" is not a protocol; allowed: tcp, udp, all`},
		{"x-cloudmap namespace not declared", api(`
      x-cloudmap: other
`, "x-cloudmap:\n  internal:\n    ZoneName: internal.local\n"), p + "x-cloudmap", `namespace "other" is not declared in the top-level x-cloudmap; declared: internal`},
		{"x-cloudmap port the service does not listen on", api(`
      x-cloudmap:
        internal:
          Port: 8080
`, "x-cloudmap:\n  internal:\n    ZoneName: internal.local\n"), p + "x-cloudmap.internal.Port", "port 8080 is not a port api listens on (80/tcp, 9090/tcp)"},
		{"x-cloudmap and UseCloudmap", api(`
      UseCloudmap: true
      x-cloudmap: internal
`, "x-cloudmap:\n  internal:\n    ZoneName: internal.local\n"), p + "UseCloudmap", "give either x-cloudmap or the legacy UseCloudmap, not both"},
		{"UseCloudmap with several namespaces", api(`
      UseCloudmap: true
`, "x-cloudmap:\n  a:\n    ZoneName: a.local\n  b:\n    NamespaceId: ns-0123456789abcdef\n"), p + "UseCloudmap", "UseCloudmap does not say which of the namespaces a, b to use; write x-cloudmap: NAME"},
		{"namespace with ZoneName and NamespaceId", api(`
      x-cloudmap: a
`, "x-cloudmap:\n  a:\n    ZoneName: a.local\n    NamespaceId: ns-0123456789abcdef\n"), "x-cloudmap.a", "give either ZoneName (create the namespace) or NamespaceId (use an existing one), not both"},
		{"namespace with a bad NamespaceId", api(`
      x-cloudmap: a
`, "x-cloudmap:\n  a:\n    NamespaceId: namespace-1\n"), "x-cloudmap.a.NamespaceId", `"namespace-1" is not a Cloud Map namespace ID (ns-...)`},
		{"two namespaces in one family", `services:
  api:
    image: busybox
    deploy: {labels: {ecs.task.family: shop}}
    x-network:
      x-cloudmap: a
  worker:
    image: busybox
    deploy: {labels: {ecs.task.family: shop}}
    x-network:
      x-cloudmap: b
x-cloudmap:
  a:
    ZoneName: a.local
  b:
    ZoneName: b.local
`, "services.worker.x-network.x-cloudmap", `family shop: worker registers in namespace "b" but api in "a"; an ECS service registers in one`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rendertest.ExpectRefused(t, tc.compose, nil, tc.path, tc.msg)
		})
	}
}

// ingressRules lists the ingress rules of a template as
// "ID: proto port<-source".
func ingressRules(res map[string]rendertest.Resource) []string {
	var out []string
	for id, r := range rendertest.OfType(res, "AWS::EC2::SecurityGroupIngress") {
		p := r.Properties
		var src any
		for _, k := range []string{"CidrIp", "CidrIpv6", "SourcePrefixListId", "SourceSecurityGroupId"} {
			if v, ok := p[k]; ok {
				src = v
				if m, isMap := v.(map[string]any); isMap {
					src = rendertest.Dig(m, "Fn::GetAtt", 0)
				}
			}
		}
		if p["FromPort"] != p["ToPort"] {
			src = "FromPort and ToPort differ"
		}
		line := id + ": " + p["IpProtocol"].(string) + " " + toString(p["FromPort"]) + "<-" + toString(src)
		if o, ok := p["SourceSecurityGroupOwnerId"]; ok {
			line += " owner " + toString(o)
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return out
}

func toString(v any) string { b, _ := yaml.Marshal(v); return strings.TrimSpace(string(b)) }

func TestIngressRules(t *testing.T) {
	ds, res := rendertest.MustRenderFiles(t, api(`
      Ingress:
        Myself: true
        ExtSources:
          - IPv4: 192.168.0.0/24
            Name: office
            Ports: [80]
          - IPv6: "2001:db8::/32"
            Name: office
            Ports: [80]
          - IPv4: 0.0.0.0/0
        AwsSources:
          - Type: SecurityGroup
            Id: sg-0123456789abcdef0
            AccountOwner: "210987654321"
            Ports: [9090]
          - Type: PrefixList
            Id: pl-0123456789abcdef0
            Ports: [80]
        Services:
          - Name: web
`), nil)
	want := []string{
		"ApiIngressFromCidrS0x0x0x0m0Port80TCP: tcp 80<-0.0.0.0/0",
		"ApiIngressFromCidrS0x0x0x0m0Port9090TCP: tcp 9090<-0.0.0.0/0",
		// Both services are on the default compose network: each admits
		// its members on the ports it declares.
		"ApiIngressFromComposeNetworkDefaultPort80TCP: tcp 80<-ComposeNetworkDefaultSecurityGroup",
		"ApiIngressFromComposeNetworkDefaultPort9090TCP: tcp 9090<-ComposeNetworkDefaultSecurityGroup",
		// An IPv4 and an IPv6 range under one Name: both rules, numbered.
		"ApiIngressFromOfficePort80TCP2: tcp 80<-2001:db8::/32",
		"ApiIngressFromOfficePort80TCP: tcp 80<-192.168.0.0/24",
		"ApiIngressFromPl0123456789abcdef0Port80TCP: tcp 80<-pl-0123456789abcdef0",
		"ApiIngressFromSelfPort80TCP: tcp 80<-ApiSecurityGroup",
		"ApiIngressFromSelfPort9090TCP: tcp 9090<-ApiSecurityGroup",
		"ApiIngressFromSg0123456789abcdef0Port9090TCP: tcp 9090<-sg-0123456789abcdef0 owner \"210987654321\"",
		"ApiIngressFromWebPort80TCP: tcp 80<-WebSecurityGroup",
		"ApiIngressFromWebPort9090TCP: tcp 9090<-WebSecurityGroup",
		"WebIngressFromComposeNetworkDefaultPort80TCP: tcp 80<-ComposeNetworkDefaultSecurityGroup",
	}
	if got := ingressRules(res); !reflect.DeepEqual(got, want) {
		t.Errorf("ingress rules (one per source and port, on the container port 80 although 8080 is published):\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	d := rendertest.Find(ds, render.Warning, "services.api.x-network.Ingress.ExtSources.2")
	if d == nil || d.Message != "0.0.0.0/0 opens api to the whole internet" {
		t.Errorf("want the 0.0.0.0/0 warning; got:\n%s", ds.Error())
	}
	if rendertest.Dig(res["ApiSecurityGroup"].Properties, "SecurityGroupEgress") != nil {
		t.Errorf("without Egress the security group keeps its default allow-all egress")
	}
}

func TestSameRuleFromTwoServicesOfAFamily(t *testing.T) {
	_, res := rendertest.MustRenderFiles(t, `services:
  a:
    image: busybox
    ports: ["80:80"]
    deploy: {labels: {ecs.task.family: shop}}
    x-network: {Ingress: {ExtSources: [{IPv4: 10.0.0.0/8, Name: vpc}]}}
  b:
    image: busybox
    expose: ["9000"]
    deploy: {labels: {ecs.task.family: shop}}
    x-network: {Ingress: {ExtSources: [{IPv4: 10.0.0.0/8, Name: vpc}]}}
`, nil)
	want := []string{"ShopIngressFromVpcPort80TCP: tcp 80<-10.0.0.0/8", "ShopIngressFromVpcPort9000TCP: tcp 9000<-10.0.0.0/8"}
	if got := ingressRules(res); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestEgressReplacesAllowAll(t *testing.T) {
	_, res := rendertest.MustRenderFiles(t, api(`
      Egress:
        - IPv4: 10.0.0.0/16
          Ports: [443, 8443]
          Description: HTTPS in the VPC
        - IPv6: "2001:db8::/32"
          Ports: [53]
          Protocol: udp
        - PrefixList: pl-0123456789abcdef0
          Ports: [5432]
        - IPv4: 10.1.0.0/16
          Protocol: all
`), nil)
	got := rendertest.Dig(res["ApiSecurityGroup"].Properties, "SecurityGroupEgress")
	want := []any{
		map[string]any{"IpProtocol": "tcp", "CidrIp": "10.0.0.0/16", "FromPort": 443, "ToPort": 443, "Description": "HTTPS in the VPC"},
		map[string]any{"IpProtocol": "tcp", "CidrIp": "10.0.0.0/16", "FromPort": 8443, "ToPort": 8443, "Description": "HTTPS in the VPC"},
		map[string]any{"IpProtocol": "udp", "CidrIpv6": "2001:db8::/32", "FromPort": 53, "ToPort": 53},
		map[string]any{"IpProtocol": "tcp", "DestinationPrefixListId": "pl-0123456789abcdef0", "FromPort": 5432, "ToPort": 5432},
		map[string]any{"IpProtocol": "-1", "CidrIp": "10.1.0.0/16"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SecurityGroupEgress:\n got %#v\nwant %#v", got, want)
	}
}

func TestCloudMap(t *testing.T) {
	t.Run("created namespace", func(t *testing.T) {
		_, res := rendertest.MustRenderFiles(t, api(`
      x-cloudmap:
        internal:
          Port: 9090
          Name: api-v1
`, "x-cloudmap:\n  internal:\n    ZoneName: internal.local\n"), nil)
		ns := res["CloudMapNamespaceInternal"]
		if ns.Type != "AWS::ServiceDiscovery::PrivateDnsNamespace" || ns.Properties["Name"] != "internal.local" ||
			!reflect.DeepEqual(ns.Properties["Vpc"], map[string]any{"Ref": "VpcId"}) {
			t.Errorf("namespace: %#v", ns)
		}
		sd := res["ApiDiscoveryService"].Properties
		if sd["Name"] != "api-v1" || !reflect.DeepEqual(sd["NamespaceId"], map[string]any{"Fn::GetAtt": []any{"CloudMapNamespaceInternal", "Id"}}) {
			t.Errorf("discovery service: %#v", sd)
		}
		if got := toString(rendertest.Dig(sd, "DnsConfig", "DnsRecords")); got != "- TTL: 15\n  Type: A\n- TTL: 15\n  Type: SRV" {
			t.Errorf("DNS records: %s", got)
		}
		reg := rendertest.Dig(res["ApiService"].Properties, "ServiceRegistries", 0)
		want := map[string]any{"ContainerName": "api", "ContainerPort": 9090, "RegistryArn": map[string]any{"Fn::GetAtt": []any{"ApiDiscoveryService", "Arn"}}}
		if !reflect.DeepEqual(reg, want) {
			t.Errorf("ServiceRegistries: %#v", reg)
		}
	})
	t.Run("existing namespace, default port", func(t *testing.T) {
		_, res := rendertest.MustRenderFiles(t, api(`
      x-cloudmap: shared
`, "x-cloudmap:\n  shared:\n    NamespaceId: ns-0123456789abcdef\n"), nil)
		if len(rendertest.OfType(res, "AWS::ServiceDiscovery::PrivateDnsNamespace")) != 0 {
			t.Errorf("an existing namespace must not be created")
		}
		sd := res["ApiDiscoveryService"].Properties
		if sd["NamespaceId"] != "ns-0123456789abcdef" || sd["Name"] != "api" {
			t.Errorf("discovery service: %#v", sd)
		}
		// The first published port, as a container port.
		if rendertest.Dig(res["ApiService"].Properties, "ServiceRegistries", 0, "ContainerPort") != 80 {
			t.Errorf("ServiceRegistries: %#v", res["ApiService"].Properties["ServiceRegistries"])
		}
	})
	t.Run("legacy UseCloudmap: the NamespaceId parameter", func(t *testing.T) {
		ds, res := rendertest.MustRenderFiles(t, api(`
      UseCloudmap: true
`), nil)
		if !reflect.DeepEqual(res["ApiDiscoveryService"].Properties["NamespaceId"], map[string]any{"Ref": "NamespaceId"}) {
			t.Errorf("discovery service: %#v", res["ApiDiscoveryService"].Properties)
		}
		if d := rendertest.Find(ds, render.Warning, "services.api.x-network.UseCloudmap"); d == nil {
			t.Errorf("want a warning that UseCloudmap is legacy; got:\n%s", ds.Error())
		}
	})
}
