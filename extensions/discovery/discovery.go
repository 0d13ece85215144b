package discovery

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	"github.com/awslabs/goformation/v7/cloudformation/servicediscovery"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/extensions/network"
	"github.com/composex/composex/render"
)

// NamespaceID is the logical ID of the Cloud Map namespace composex creates
// for the project's names when x-cloudmap does not give exactly one.
const NamespaceID = "ServiceConnectNamespace"

// The x-network sub-keys with which a service configures Service Connect
// itself (read by the envoy extension); their family is left alone.
var explicitKeys = []string{"x-ecs_connect", "ServiceConnect"}

// Extension implements render.Extension. It reads compose keys only
// (networks, aliases, links, ports, expose, environment), no x- key.
type Extension struct{}

func (Extension) Name() string          { return "discovery" }
func (Extension) ServiceKeys() []string { return nil }
func (Extension) ProjectKeys() []string { return nil }

// Validate refuses names that cannot be client aliases.
func (Extension) Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	nameTable(in.Project, &ds)
	return ds
}

// explicit reports whether the service configures Service Connect itself.
func explicit(s *types.ServiceConfig) bool {
	x, ok := s.Extensions["x-network"].(map[string]any)
	if !ok {
		return false
	}
	for _, k := range explicitKeys {
		if _, set := x[k]; set {
			return true
		}
	}
	return false
}

// tcpPorts are the TCP ports declared in the network namespace of owner:
// by owner and by the services sharing it (network_mode service:owner).
// Service Connect proxies TCP only.
func tcpPorts(p *types.Project, x *netIndex, owner string) []int {
	set := map[int]bool{}
	for _, n := range x.namespace(owner) {
		s := p.Services[n]
		for _, pt := range s.Ports {
			if pt.Protocol == "" || strings.EqualFold(pt.Protocol, "tcp") {
				set[int(pt.Target)] = true
			}
		}
		for _, e := range s.Expose {
			num, proto, _ := strings.Cut(e, "/")
			var port int
			if _, err := fmt.Sscanf(num, "%d", &port); err == nil && (proto == "" || strings.EqualFold(proto, "tcp")) {
				set[port] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// portName finds the name of the family's TCP port mapping on a container
// port (an Envoy sidecar may have taken the port over from the app).
func portName(f *render.Family, port int) string {
	for _, c := range f.Containers {
		for _, pm := range c.Ports {
			if pm.ContainerPort == port && pm.Protocol == "tcp" {
				return pm.Name
			}
		}
	}
	return ""
}

// discoveryName is the Cloud Map service name of one name and port: unique
// in the namespace because the pair is, and a DNS label.
func discoveryName(name string, port int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteRune('-')
		}
	}
	suffix := fmt.Sprintf("-%d", port)
	base := strings.Trim(b.String(), "-")
	if len(base)+len(suffix) > 63 {
		base = strings.TrimRight(base[:63-len(suffix)], "-")
	}
	return base + suffix
}

// Extend gives every reachable service its names, makes every family that
// can reach one a Service Connect client, orders callers after the
// services they call, and reports calls by name that cannot work.
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds render.Diagnostics
	p := in.Project
	var quiet render.Diagnostics // Validate reported the names
	table := nameTable(p, &quiet)

	explicitFam := map[string]bool{}
	for _, f := range m.Families {
		for _, s := range f.Services {
			if explicit(s) {
				explicitFam[f.Name] = true
			}
		}
	}
	inFamily := func(f *render.Family, service string) bool { return f.Container(service) != nil }

	// Servers: services with names and TCP ports that a service of another
	// family shares a network with.
	type server struct {
		owner string
		fam   *render.Family
		ports []int
		names []string
	}
	var servers []server
	x := newNetIndex(p, m)
	aliases := render.AllNetworkAliases(p)
	for _, o := range slices.Sorted(maps.Keys(p.Services)) {
		if render.NetworkOwner(p, o) != o {
			continue
		}
		ports := tcpPorts(p, x, o)
		fams := m.FamiliesOf(o)
		if len(fams) == 0 {
			continue
		}
		if len(ports) == 0 {
			if udpOnly(p, x, o) && x.reachedByOthers(o, fams) {
				ds.Warnf(o, render.ServicePath(o), "%s declares UDP ports only: its peers get a security group path to them but no name, because ECS Service Connect proxies TCP only; register it in Cloud Map (x-network.x-cloudmap) for a DNS name", o)
			}
			continue
		}
		if !x.reachedByOthers(o, fams) {
			continue // no caller
		}
		if len(fams) > 1 {
			ds.Warnf(o, render.ServicePath(o), "%s runs in several families (%s), so its name cannot point at one ECS service: it gets no Service Connect name; other services reach it by the names of each family's own services", o, familyList(fams))
			continue
		}
		f := fams[0]
		if strings.HasPrefix(f.OSFamily, "WINDOWS") {
			ds.Warnf(o, render.ServicePath(o, "x-ecs", "OperatingSystemFamily"), "ECS Service Connect does not run Windows containers, so %s gets no name that other services could resolve", o)
			continue
		}
		x.serve(o, f) // every family that reaches o but f is its client
		if explicitFam[f.Name] {
			continue // its own Service Connect settings say what it offers
		}
		servers = append(servers, server{owner: o, fam: f, ports: ports, names: namesOf(o, table, aliases)})
	}
	clientOf := x.clients() // families that can reach a server

	entries := map[string][]ecs.Service_ServiceConnectService{}
	for _, s := range servers {
		for _, port := range s.ports {
			pn := portName(s.fam, port)
			if pn == "" {
				continue
			}
			for _, n := range s.names {
				m.PublishEndpoint(s.owner, render.Endpoint{DnsName: n, Port: port, Via: render.EndpointServiceConnect})
				entries[s.fam.Name] = append(entries[s.fam.Name], ecs.Service_ServiceConnectService{
					PortName:      pn,
					DiscoveryName: cloudformation.String(discoveryName(n, port)),
					ClientAliases: []ecs.Service_ServiceConnectClientAlias{{DnsName: cloudformation.String(n), Port: port}},
				})
			}
		}
	}

	var namespace string
	for _, f := range m.Families {
		if explicitFam[f.Name] || (!clientOf[f.Name] && len(entries[f.Name]) == 0) {
			continue
		}
		if strings.HasPrefix(f.OSFamily, "WINDOWS") {
			continue
		}
		if namespace == "" {
			namespace = projectNamespace(in.Project, m)
		}
		cfg := &ecs.Service_ServiceConnectConfiguration{
			Enabled:   true,
			Namespace: cloudformation.String(namespace),
			Services:  entries[f.Name],
			// The proxy's logs go where the family's containers log.
			LogConfiguration: &ecs.Service_LogConfiguration{LogDriver: cloudformation.String("awslogs"), Options: map[string]string{
				"awslogs-group":         cloudformation.Ref(f.LogGroupID()),
				"awslogs-region":        cloudformation.Ref("AWS::Region"),
				"awslogs-stream-prefix": "service-connect",
			}},
		}
		f.ServiceConnect = true
		f.ServiceHooks = append(f.ServiceHooks, func(s *ecs.Service) {
			if s.ServiceConnectConfiguration == nil {
				s.ServiceConnectConfiguration = cfg
			}
		})
	}

	for _, c := range calls(p, table) {
		callerFams := m.FamiliesOf(c.caller)
		calleeFams := m.FamiliesOf(c.callee)
		for _, f := range callerFams {
			switch {
			case inFamily(f, c.callee):
				fix := "localhost"
				if c.port != 0 {
					fix = fmt.Sprintf("localhost:%d", c.port)
				}
				ds.Warnf(c.caller, c.path, "%s calls %s by name (%s), but %s runs in the same task (family %s): the containers of a task reach each other on localhost, not by name; write %s instead of %s",
					c.caller, c.callee, c.evidence, c.callee, f.Name, fix, c.name)
			case !x.share(c.caller, c.callee):
				ds.Warnf(c.caller, c.path, "%s calls %s by name (%s), but they share no compose network, so there is no path between them: put both on one network",
					c.caller, c.callee, c.evidence)
			default:
				for _, g := range calleeFams {
					orderAfter(m, f, g, c, &ds)
				}
			}
		}
	}
	return ds
}

// orderAfter makes the caller's ECS service wait for the callee's: Service
// Connect gives a task only the endpoints that existed when it started (AWS
// recommends DependsOn from each client service to the services it calls).
// A cycle cannot be ordered; it is reported.
func orderAfter(m *render.Model, caller, callee *render.Family, c call, ds *render.Diagnostics) {
	if caller == callee || slices.Contains(caller.DependsOn, callee.Name) {
		return
	}
	if reaches(m, callee, caller.Name, map[string]bool{}) {
		ds.Warnf(c.caller, c.path, "%s calls %s by name, and %s (family %s) waits for family %s: CloudFormation cannot create both first, so %s resolves %s only from its next deployment on",
			c.caller, c.callee, callee.Name, callee.Name, caller.Name, c.caller, c.name)
		return
	}
	caller.DependsOn = append(caller.DependsOn, callee.Name)
	slices.Sort(caller.DependsOn)
}

// reaches reports whether family f waits, directly or not, for target.
func reaches(m *render.Model, f *render.Family, target string, seen map[string]bool) bool {
	if seen[f.Name] {
		return false
	}
	seen[f.Name] = true
	for _, d := range f.DependsOn {
		if d == target {
			return true
		}
		if g := m.Family(d); g != nil && reaches(m, g, target, seen) {
			return true
		}
	}
	return false
}

// projectNamespace is the namespace of the project's names: the one
// namespace of x-cloudmap when there is exactly one, else an HTTP namespace
// composex creates, named after the stack (one per stack, as Cloud Map wants
// names unique in the account). Service Connect needs no DNS zone.
func projectNamespace(p *types.Project, m *render.Model) string {
	nss := network.Namespaces(p)
	if len(nss) == 1 {
		for name := range nss {
			return network.ResolveNamespace(m, nss, name).Arn
		}
	}
	if _, ok := m.Resources[NamespaceID]; !ok {
		_ = m.AddResource(NamespaceID, &servicediscovery.HttpNamespace{
			Name:        cloudformation.Sub("${AWS::StackName}"),
			Description: cloudformation.String("Service Connect names of the compose project " + m.Name),
		})
	}
	return cloudformation.GetAtt(NamespaceID, "Arn")
}

func familyList(fs []*render.Family) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// udpOnly reports whether the network namespace of owner declares ports,
// all of them UDP.
func udpOnly(p *types.Project, x *netIndex, owner string) bool {
	n := 0
	for _, name := range x.namespace(owner) {
		s := p.Services[name]
		for _, pt := range s.Ports {
			if !strings.EqualFold(pt.Protocol, "udp") {
				return false
			}
			n++
		}
		for _, e := range s.Expose {
			if _, proto, _ := strings.Cut(e, "/"); !strings.EqualFold(proto, "udp") {
				return false
			}
			n++
		}
	}
	return n > 0
}
