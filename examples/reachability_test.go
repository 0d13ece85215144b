package examples

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/composex/composex/render"
)

// TestReachability is the network's consumer test, over every example and
// fixture. From the rendered template alone it works out which family can
// call which name and port (a Service Connect client alias in the caller's
// namespace, on a port mapping of the server's task, and a security group
// rule admitting a group of the caller's task on that container port) and
// which published ports are reachable from outside (a load balancer of the
// ECS service, or a rule admitting a CIDR range, prefix list or existing
// group). Independently, from the compose file, it works out what compose
// means: who shares a network with whom, on which declared ports, under
// which names. The two must agree:
//   - every call compose allows resolves and has a path;
//   - every alias points at a service that answers to that name and port;
//   - every path between two families is one compose (or x-network.Ingress)
//     allows;
//   - every published port is reachable from outside, or reported.
func TestReachability(t *testing.T) {
	ps := append(renderExamples(t), renderFixtures(t)...)
	for _, p := range ps {
		t.Run(p.name, func(t *testing.T) {
			tpl := readTemplate(t, p)
			cm := readCompose(t, p)
			checkNames(t, tpl, cm)
			checkPaths(t, tpl, cm)
			checkPublished(t, p, tpl, cm)
		})
	}
}

// ---- the template side --------------------------------------------------

type tplFamily struct {
	service    string   // logical ID of the ECS service
	groups     []string // logical IDs (or literal IDs) of its security groups
	containers map[string]string
	ports      map[string]int // port mapping name -> container port (tcp)
	portProto  map[int][]string
	sc         *tplServiceConnect
	lbPorts    map[string]bool // "container:port" behind a load balancer
	windows    bool
}

type tplServiceConnect struct {
	enabled   bool
	namespace string
	aliases   []tplAlias
}

type tplAlias struct {
	dns      string
	port     int
	portName string
}

type tplRule struct {
	group    string // logical ID of the group the rule is on
	proto    string
	from, to int
	source   string // logical ID of a group of the stack, or "" for outside
	outside  bool
}

type template struct {
	families map[string]*tplFamily // by family name (composex:family tag)
	rules    []tplRule
}

// ref reads a Ref or Fn::GetAtt to a resource as its logical ID; literal
// strings stay as they are.
func logicalRef(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if r, ok := v["Ref"].(string); ok {
			return r
		}
		if ga, ok := v["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
			return fmt.Sprint(ga[0])
		}
	}
	return fmt.Sprint(v)
}

func readTemplate(t *testing.T, p *project) template {
	t.Helper()
	res := map[string]map[string]any{}
	for _, name := range sortedNames(p.out.Files) {
		if !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".json") {
			continue
		}
		var doc struct {
			Resources map[string]map[string]any `yaml:"Resources"`
		}
		if err := yaml.Unmarshal(p.out.Files[name], &doc); err == nil {
			maps.Copy(res, doc.Resources)
		}
	}
	out := template{families: map[string]*tplFamily{}}
	for id, r := range res {
		props, _ := r["Properties"].(map[string]any)
		switch r["Type"] {
		case "AWS::ECS::Service":
			f := &tplFamily{service: id, containers: map[string]string{}, ports: map[string]int{}, portProto: map[int][]string{}, lbPorts: map[string]bool{}}
			family := ""
			for _, tag := range asList(props["Tags"]) {
				if dig(tag, "Key") == "composex:family" {
					family = fmt.Sprint(dig(tag, "Value"))
				}
			}
			for _, g := range asList(dig(props, "NetworkConfiguration", "AwsvpcConfiguration", "SecurityGroups")) {
				f.groups = append(f.groups, logicalRef(g))
			}
			td := res[logicalRef(props["TaskDefinition"])]
			f.windows = strings.HasPrefix(fmt.Sprint(dig(td, "Properties", "RuntimePlatform", "OperatingSystemFamily")), "WINDOWS")
			for _, c := range asList(dig(td, "Properties", "ContainerDefinitions")) {
				name := fmt.Sprint(dig(c, "Name"))
				f.containers[name] = fmt.Sprint(dig(c, "DockerLabels", "com.docker.compose.service"))
				for _, pm := range asList(dig(c, "PortMappings")) {
					port := toInt(dig(pm, "ContainerPort"))
					proto := fmt.Sprint(dig(pm, "Protocol"))
					f.portProto[port] = append(f.portProto[port], proto)
					if proto == "tcp" {
						f.ports[fmt.Sprint(dig(pm, "Name"))] = port
					}
				}
			}
			for _, lb := range asList(props["LoadBalancers"]) {
				f.lbPorts[fmt.Sprintf("%v:%d", dig(lb, "ContainerName"), toInt(dig(lb, "ContainerPort")))] = true
			}
			if sc, ok := props["ServiceConnectConfiguration"].(map[string]any); ok {
				s := &tplServiceConnect{enabled: sc["Enabled"] == true, namespace: fmt.Sprint(sc["Namespace"])}
				for _, svc := range asList(sc["Services"]) {
					for _, a := range asList(dig(svc, "ClientAliases")) {
						s.aliases = append(s.aliases, tplAlias{dns: strings.ToLower(fmt.Sprint(dig(a, "DnsName"))), port: toInt(dig(a, "Port")), portName: fmt.Sprint(dig(svc, "PortName"))})
					}
				}
				f.sc = s
			}
			out.families[family] = f
		case "AWS::EC2::SecurityGroupIngress":
			rule := tplRule{group: logicalRef(props["GroupId"]), proto: fmt.Sprint(props["IpProtocol"]), from: toInt(props["FromPort"]), to: toInt(props["ToPort"])}
			switch {
			case props["CidrIp"] != nil || props["CidrIpv6"] != nil || props["SourcePrefixListId"] != nil:
				rule.outside = true
			case props["SourceSecurityGroupId"] != nil:
				src := logicalRef(props["SourceSecurityGroupId"])
				if strings.HasPrefix(src, "sg-") {
					rule.outside = true
				} else {
					rule.source = src
				}
			}
			out.rules = append(out.rules, rule)
		}
	}
	return out
}

// path reports whether a rule on a group of server admits a group of
// caller on port/proto.
func (tp template) path(caller, server *tplFamily, port int, proto string) bool {
	for _, r := range tp.rules {
		if !slices.Contains(server.groups, r.group) || r.source == "" || !slices.Contains(caller.groups, r.source) {
			continue
		}
		if (r.proto == proto || r.proto == "-1") && r.from <= port && port <= r.to {
			return true
		}
	}
	return false
}

// resolve finds, in the caller's namespace, the family whose alias is
// name:port, and the container port it leads to.
func (tp template) resolve(caller *tplFamily, name string, port int) (string, int) {
	if caller.sc == nil || !caller.sc.enabled {
		return "", 0
	}
	for fam, f := range tp.families {
		if f.sc == nil || !f.sc.enabled || f.sc.namespace != caller.sc.namespace {
			continue
		}
		for _, a := range f.sc.aliases {
			if a.dns == strings.ToLower(name) && a.port == port {
				return fam, f.ports[a.portName]
			}
		}
	}
	return "", 0
}

// ---- the compose side ---------------------------------------------------

type composeModel struct {
	p        *types.Project
	families map[string][]string // service -> families
}

func readCompose(t *testing.T, p *project) composeModel {
	t.Helper()
	in, ds := render.Load(context.Background(), render.LoadOptions{Files: p.files, ProjectName: p.name, Environment: map[string]string{}})
	if in == nil || ds.HasErrors() {
		t.Fatalf("load: %s", ds.Error())
	}
	cm := composeModel{p: in.Project, families: map[string][]string{}}
	for name, s := range cm.p.Services {
		cm.families[name] = render.FamilyLabels(s)
	}
	for name := range cm.p.Services {
		if o := cm.owner(name); o != name {
			cm.families[name] = cm.families[o]
		}
	}
	return cm
}

// owner follows network_mode service:X.
func (cm composeModel) owner(name string) string {
	for i := 0; i < len(cm.p.Services); i++ {
		next, ok := strings.CutPrefix(cm.p.Services[name].NetworkMode, "service:")
		if !ok {
			break
		}
		name = next
	}
	return name
}

func (cm composeModel) networks(name string) []string {
	return slices.Sorted(maps.Keys(cm.p.Services[cm.owner(name)].Networks))
}

func (cm composeModel) share(a, b string) bool {
	nb := cm.networks(b)
	for _, n := range cm.networks(a) {
		if slices.Contains(nb, n) {
			return true
		}
	}
	return false
}

// names: the service, its network aliases, the links aliases naming it.
func (cm composeModel) names(name string) []string {
	out := []string{name}
	for _, n := range cm.p.Services[name].Networks {
		if n != nil {
			out = append(out, n.Aliases...)
		}
	}
	for _, s := range cm.p.Services {
		for _, l := range s.Links {
			if target, alias, ok := strings.Cut(l, ":"); ok && target == name {
				out = append(out, alias)
			}
		}
	}
	return out
}

// declared are the ports of a service, as "port/proto".
func declared(s types.ServiceConfig) []string {
	var out []string
	for _, p := range s.Ports {
		out = append(out, fmt.Sprintf("%d/%s", p.Target, orTCP(p.Protocol)))
	}
	for _, e := range s.Expose {
		num, proto, _ := strings.Cut(e, "/")
		out = append(out, num+"/"+orTCP(proto))
	}
	return out
}

// tcpPorts of the network namespace of owner (its own and its members').
func (cm composeModel) tcpPorts(owner string) []int {
	set := map[int]bool{}
	for name, s := range cm.p.Services {
		if cm.owner(name) != owner {
			continue
		}
		for _, d := range declared(s) {
			if num, ok := strings.CutSuffix(d, "/tcp"); ok {
				n, _ := strconv.Atoi(num)
				set[n] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

func explicitServiceConnect(s types.ServiceConfig) bool {
	x, _ := s.Extensions["x-network"].(map[string]any)
	_, a := x["x-ecs_connect"]
	_, b := x["ServiceConnect"]
	return a || b
}

// ingressAllows reads x-network.Ingress.Services and Myself of server: does
// it let caller in on port?
func ingressAllows(server types.ServiceConfig, caller string, sameFamily bool, port int) bool {
	in, _ := dig(server.Extensions["x-network"], "Ingress").(map[string]any)
	if in == nil {
		return false
	}
	if in["Myself"] == true && sameFamily {
		return true
	}
	for _, sref := range asList(in["Services"]) {
		if dig(sref, "Name") != caller {
			continue
		}
		ports := asList(dig(sref, "Ports"))
		if len(ports) == 0 {
			return true
		}
		for _, p := range ports {
			if toInt(p) == port {
				return true
			}
		}
	}
	return false
}

// ---- the checks ---------------------------------------------------------

// checkNames: every call compose allows across families resolves, to the
// right family and port, and has a path; every alias composex wrote points
// at a service that answers to that name and port.
func checkNames(t *testing.T, tp template, cm composeModel) {
	for _, server := range slices.Sorted(maps.Keys(cm.p.Services)) {
		if cm.owner(server) != server || len(cm.families[server]) != 1 {
			continue
		}
		sfam := tp.families[cm.families[server][0]]
		if sfam == nil || sfam.windows {
			continue
		}
		for _, caller := range slices.Sorted(maps.Keys(cm.p.Services)) {
			for _, cf := range cm.families[caller] {
				cfam := tp.families[cf]
				if cfam == nil || cfam == sfam || !cm.share(caller, server) {
					continue
				}
				for _, port := range cm.tcpPorts(server) {
					if !tp.path(cfam, sfam, port, "tcp") {
						t.Errorf("%s (family %s) shares a network with %s but has no security group path to its port %d", caller, cf, server, port)
					}
					if explicitServiceConnect(cm.p.Services[server]) {
						continue // the user's Service Connect settings name it
					}
					for _, name := range cm.names(server) {
						fam, cport := tp.resolve(cfam, name, port)
						if fam != cm.families[server][0] || cport != port {
							t.Errorf("%s (family %s) cannot call %s:%d: resolves to family %q, container port %d; want family %s, port %d", caller, cf, name, port, fam, cport, cm.families[server][0], port)
						}
					}
				}
			}
		}
	}
	for fam, f := range tp.families {
		if f.sc == nil {
			continue
		}
		explicit := false
		var answers []string // "name:port" the family's services answer to
		for _, svc := range f.containers {
			s, ok := cm.p.Services[svc]
			if !ok {
				continue
			}
			explicit = explicit || explicitServiceConnect(s)
			for _, n := range cm.names(svc) {
				for _, port := range cm.tcpPorts(svc) {
					answers = append(answers, fmt.Sprintf("%s:%d", strings.ToLower(n), port))
				}
			}
		}
		if explicit {
			continue
		}
		for _, a := range f.sc.aliases {
			if !slices.Contains(answers, fmt.Sprintf("%s:%d", a.dns, a.port)) {
				t.Errorf("family %s answers to %s:%d, which none of its services is called in compose (%v)", fam, a.dns, a.port, answers)
			}
			if f.ports[a.portName] != a.port {
				t.Errorf("family %s: alias %s:%d leads to port mapping %s (container port %d): Service Connect needs the alias on a named port mapping of that container port", fam, a.dns, a.port, a.portName, f.ports[a.portName])
			}
		}
	}
}

// checkPaths: every security group path between two families is one that
// compose allows (a shared network and a declared port) or x-network.Ingress
// adds.
func checkPaths(t *testing.T, tp template, cm composeModel) {
	for cf, cfam := range tp.families {
		for sf, sfam := range tp.families {
			for port, protos := range sfam.portProto {
				for _, proto := range protos {
					if !tp.path(cfam, sfam, port, proto) {
						continue
					}
					allowed := false
					for _, caller := range slices.Sorted(maps.Keys(cm.p.Services)) {
						if !slices.Contains(cm.families[caller], cf) {
							continue
						}
						for _, server := range slices.Sorted(maps.Keys(cm.p.Services)) {
							s := cm.p.Services[server]
							if !slices.Contains(cm.families[server], sf) {
								continue
							}
							decl := slices.Contains(declared(s), fmt.Sprintf("%d/%s", port, proto))
							if decl && (cm.share(caller, server) || ingressAllows(s, caller, cf == sf, port)) {
								allowed = true
							}
						}
					}
					if !allowed && cf != sf {
						t.Errorf("family %s has a path to family %s on %d/%s that compose does not allow (no shared network with a service declaring it, no x-network.Ingress)", cf, sf, port, proto)
					}
				}
			}
		}
	}
}

// checkPublished: a published port is reachable from outside through a load
// balancer or a rule admitting an outside source, or the render reported it.
func checkPublished(t *testing.T, p *project, tp template, cm composeModel) {
	for _, name := range slices.Sorted(maps.Keys(cm.p.Services)) {
		s := cm.p.Services[name]
		for i, port := range s.Ports {
			proto := orTCP(port.Protocol)
			reached := false
			for _, fam := range cm.families[name] {
				f := tp.families[fam]
				if f == nil {
					continue
				}
				if f.lbPorts[fmt.Sprintf("%s:%d", name, port.Target)] {
					reached = true
				}
				for _, r := range tp.rules {
					if r.outside && slices.Contains(f.groups, r.group) && (r.proto == proto || r.proto == "-1") && r.from <= int(port.Target) && int(port.Target) <= r.to {
						reached = true
					}
				}
			}
			path := fmt.Sprintf("%s.%d", render.ServicePath(name, "ports"), i)
			warned := false
			for _, d := range p.diags {
				if d.Severity == render.Warning && d.Path == path && strings.Contains(d.Message, "nothing outside the stack can reach it") {
					warned = true
				}
			}
			if reached == warned {
				t.Errorf("%s: port %d/%s of %s: reachable from outside %v, reported %v; want exactly one", path, port.Target, proto, name, reached, warned)
			}
		}
	}
}

// ---- small helpers ------------------------------------------------------

func asList(v any) []any { l, _ := v.([]any); return l }

func toInt(v any) int {
	switch v := v.(type) {
	case int:
		return v
	case float64:
		return int(v)
	case string:
		n, _ := strconv.Atoi(v)
		return n
	}
	return 0
}

func orTCP(proto string) string {
	if proto == "" {
		return "tcp"
	}
	return strings.ToLower(proto)
}
