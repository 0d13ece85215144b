package network_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/extensions/network"
	"github.com/composex/composex/render"
)

// Two compose networks: web and api share front, api and db share back.
// web must reach api's declared port and nothing of db; db reaches no one.
const twoNetworks = `services:
  web:
    image: nginx:1.27
    ports: ["80:80"]
    networks: [front]
  api:
    image: nginx:1.27
    expose: ["8080"]
    networks: [front, back]
  db:
    image: postgres:17
    expose: ["5432"]
    networks: [back]
networks:
  front: {}
  back: {}
`

func TestComposeNetworksRules(t *testing.T) {
	_, res := rendertest.MustRenderFiles(t, twoNetworks, nil)
	want := []string{
		"ApiIngressFromComposeNetworkBackPort8080TCP: tcp 8080<-ComposeNetworkBackSecurityGroup",
		"ApiIngressFromComposeNetworkFrontPort8080TCP: tcp 8080<-ComposeNetworkFrontSecurityGroup",
		"DbIngressFromComposeNetworkBackPort5432TCP: tcp 5432<-ComposeNetworkBackSecurityGroup",
		"WebIngressFromComposeNetworkFrontPort80TCP: tcp 80<-ComposeNetworkFrontSecurityGroup",
	}
	if got := ingressRules(res); !reflect.DeepEqual(got, want) {
		t.Errorf("ingress rules:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	// Membership: each task carries its own group and those of its networks.
	groups := map[string][]string{}
	for id, r := range rendertest.OfType(res, "AWS::ECS::Service") {
		for _, g := range rendertest.Dig(r.Properties, "NetworkConfiguration", "AwsvpcConfiguration", "SecurityGroups").([]any) {
			groups[id] = append(groups[id], rendertest.Dig(g, "Fn::GetAtt", 0).(string))
		}
	}
	wantGroups := map[string][]string{
		"ApiService": {"ApiSecurityGroup", "ComposeNetworkBackSecurityGroup", "ComposeNetworkFrontSecurityGroup"},
		"DbService":  {"DbSecurityGroup", "ComposeNetworkBackSecurityGroup"},
		"WebService": {"WebSecurityGroup", "ComposeNetworkFrontSecurityGroup"},
	}
	if !reflect.DeepEqual(groups, wantGroups) {
		t.Errorf("security groups of the services = %v, want %v", groups, wantGroups)
	}
	// A network group marks its members and must not widen their egress.
	egress := rendertest.Dig(res["ComposeNetworkFrontSecurityGroup"].Properties, "SecurityGroupEgress").([]any)
	if len(egress) != 1 || rendertest.Dig(egress[0], "CidrIp") != "127.0.0.1/32" {
		t.Errorf("network group egress = %v, want only the 127.0.0.1/32 placeholder", egress)
	}
}

// A family whose egress x-network.Egress limits still reaches the ports of
// its network peers, and no others.
func TestComposeNetworksRestrictedEgress(t *testing.T) {
	_, res := rendertest.MustRenderFiles(t, strings.Replace(twoNetworks, "    networks: [front]\n", `    networks: [front]
    x-network:
      Egress:
        - IPv4: 10.0.0.0/8
          Ports: [443]
`, 1), nil)
	var got []string
	for id, r := range rendertest.OfType(res, "AWS::EC2::SecurityGroupEgress") {
		got = append(got, id+" "+toString(r.Properties["FromPort"])+"->"+toString(rendertest.Dig(r.Properties, "DestinationSecurityGroupId", "Fn::GetAtt", 0)))
	}
	want := []string{"WebEgressToApiPort8080TCP 8080->ApiSecurityGroup"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("egress rules = %v, want %v", got, want)
	}
}

func TestPublicSubnets(t *testing.T) {
	r := rendertest.MustRender(t, `services:
  web:
    image: nginx:1.27
    ports: ["80:80"]
    x-network:
      AssignPublicIp: true
      Ingress:
        ExtSources:
          - IPv4: 203.0.113.0/24
  api:
    image: nginx:1.27
    expose: ["8080"]
`)
	subnets := func(id string) any {
		return rendertest.Dig(r.Get(t, id, "AWS::ECS::Service"), "NetworkConfiguration", "AwsvpcConfiguration", "Subnets", "Ref")
	}
	if got := subnets("WebService"); got != network.PublicSubnetsParam {
		t.Errorf("web (public IP) subnets = %v, want Ref %s", got, network.PublicSubnetsParam)
	}
	if got := subnets("ApiService"); got != render.ParamSubnetIds {
		t.Errorf("api subnets = %v, want Ref %s", got, render.ParamSubnetIds)
	}
	// Without a public IP anywhere, the parameter does not exist.
	plain := rendertest.MustRender(t, `services:
  api:
    image: nginx:1.27
`)
	body := readFile(t, plain.Template)
	if strings.Contains(body, network.PublicSubnetsParam) {
		t.Errorf("PublicSubnetIds declared although no task has a public IP")
	}
	if !strings.Contains(readFile(t, r.Template), "  PublicSubnetIds:\n    Description: Public subnets (with a route to an internet gateway) for internet-facing load balancers and tasks with a public IP\n    Type: List<AWS::EC2::Subnet::Id>") {
		t.Errorf("PublicSubnetIds not declared as a subnet list")
	}
}

func TestInternalNetwork(t *testing.T) {
	ds, res := rendertest.MustRenderFiles(t, strings.Replace(twoNetworks, "  back: {}\n", "  back: {internal: true}\n", 1), nil)
	d := rendertest.Find(ds, render.Warning, "networks.back.internal")
	if d == nil || !strings.Contains(d.Message, "its services reach each other and nothing outside reaches them") || d.Line == 0 {
		t.Errorf("want a located warning on the internal network, got %v", d)
	}
	// The peers on the internal network keep their path.
	if _, ok := res["DbIngressFromComposeNetworkBackPort5432TCP"]; !ok {
		t.Errorf("db lost its path from api on the internal network")
	}
	internal := strings.Replace(twoNetworks, "  back: {}\n", "  back: {internal: true}\n", 1)
	rendertest.ExpectRefused(t, strings.Replace(internal, "    networks: [back]\n", "    networks: [back]\n    x-network: {AssignPublicIp: true}\n", 1), nil,
		"services.db.x-network.AssignPublicIp",
		"db is only on internal networks (back), which have no path to or from outside; a public IP contradicts that: drop AssignPublicIp or put db on a non-internal network too")
}

func TestTooManyNetworks(t *testing.T) {
	var b strings.Builder
	b.WriteString("services:\n  hub:\n    image: nginx:1.27\n    networks: [n1, n2, n3, n4, n5]\n")
	for _, n := range []string{"n1", "n2", "n3", "n4", "n5"} {
		b.WriteString("  peer-" + n + ":\n    image: nginx:1.27\n    expose: [\"80\"]\n    networks: [" + n + "]\n")
	}
	b.WriteString("networks: {n1: {}, n2: {}, n3: {}, n4: {}, n5: {}}\n")
	rendertest.ExpectRefused(t, b.String(), nil, "services.hub.networks",
		"family hub is on 5 compose networks (n1, n2, n3, n4, n5); a task's network interface takes 5 security groups, its own and 4 networks: put its services on fewer networks")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestComposeNetworkWarnings(t *testing.T) {
	ds, _ := rendertest.MustRenderFiles(t, `services:
  web:
    image: nginx:1.27
    expose: ["80"]
    networks:
      shared:
        ipv4_address: 172.20.0.10
  api:
    image: nginx:1.27
    expose: ["8080"]
    networks: [shared]
networks:
  shared:
    external: true
`, nil)
	for path, want := range map[string]string{
		"services.web.networks.shared.ipv4_address": "ignored on Fargate: ECS gives each task its address in the subnet",
		"networks.shared.external":                  "external network shared: ECS tasks cannot join a docker network; composex treats it as a network of this project (its services here may reach each other), and nothing else is connected",
	} {
		d := rendertest.Find(ds, render.Warning, path)
		if d == nil || d.Message != want || d.Line == 0 {
			t.Errorf("%s: got %v, want the located warning %q", path, d, want)
		}
	}
}
