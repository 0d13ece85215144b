package network

import (
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

const (
	key         = "x-network"
	cloudMapKey = "x-cloudmap"
	// NamespaceParam holds the Cloud Map namespace of the legacy
	// UseCloudmap form, which names no namespace.
	NamespaceParam = "NamespaceId"
	hostnameLabel  = "ecs.task.family.hostname"
)

var (
	reSecurityGroup = regexp.MustCompile(`^sg-[a-z0-9]+$`)
	rePrefixList    = regexp.MustCompile(`^pl-[a-z0-9]+$`)
	reAccount       = regexp.MustCompile(`^[0-9]{12}$`)
	reNamespaceID   = regexp.MustCompile(`^ns-[a-z0-9]+$`)
	reDNSName       = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)
)

// Extension implements render.Extension for x-network and x-cloudmap.
type Extension struct{}

func (Extension) Name() string          { return key }
func (Extension) ServiceKeys() []string { return []string{key} }
func (Extension) ProjectKeys() []string { return []string{cloudMapKey} }

// readNamespaces decodes the top-level x-cloudmap.
func readNamespaces(p *types.Project, ds *render.Diagnostics) map[string]XCloudMapNamespace {
	raw, ok := p.Extensions[cloudMapKey]
	if !ok {
		return nil
	}
	var nss map[string]XCloudMapNamespace
	if err := render.DecodeExtension(raw, &nss); err != nil {
		ds.Errorf("", cloudMapKey, "%v", err)
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(nss)) {
		ns := nss[name]
		path := cloudMapKey + "." + render.Key(name)
		if ns.Name != "" {
			if ns.ZoneName != "" && ns.ZoneName != ns.Name {
				ds.Errorf("", path+".Name", "Name %q and ZoneName %q differ; compose-x reads Name as ZoneName: give one", ns.Name, ns.ZoneName)
			}
			if ns.ZoneName == "" {
				ns.ZoneName = ns.Name
			}
			ns.Name = ""
			nss[name] = ns
		}
		lookup := ns.Lookup != nil && ns.Lookup != false
		switch {
		case ns.ZoneName != "" && ns.NamespaceId != "":
			ds.Errorf("", path, "give either ZoneName (create the namespace) or NamespaceId (use an existing one), not both")
		case lookup && ns.NamespaceId != "":
			ds.Errorf("", path+".Lookup", "give either Lookup (the namespace's ID becomes the parameter %s) or NamespaceId, not both", LookupParam(name))
		case ns.ZoneName != "":
			if !reDNSName.MatchString(ns.ZoneName) {
				ds.Errorf("", path+".ZoneName", "%q is not a DNS name (lowercase labels of letters, digits and hyphens)", ns.ZoneName)
			}
		case ns.NamespaceId != "":
			if !reNamespaceID.MatchString(ns.NamespaceId) {
				ds.Errorf("", path+".NamespaceId", "%q is not a Cloud Map namespace ID (ns-...)", ns.NamespaceId)
			}
		case lookup:
			ds.Errorf("", path+".Lookup", "Lookup finds the namespace by its ZoneName (or Name); give it")
		default:
			ds.Errorf("", path, "give ZoneName to create a private DNS namespace, or NamespaceId to use an existing one")
		}
	}
	return nss
}

// LookupParam is the template parameter that stands for the ID of an
// x-cloudmap namespace written with Lookup: compose-x finds the namespace by
// name with an AWS call; composex renders offline and asks for its ID.
func LookupParam(name string) string {
	return "CloudMapNamespace" + render.LogicalName(name) + "Id"
}

// read decodes and checks one service's x-network block against the
// project: referenced services, namespaces and ports must exist.
func read(p *types.Project, s types.ServiceConfig, nss map[string]XCloudMapNamespace, ds *render.Diagnostics) *XNetwork {
	raw, ok := s.Extensions[key]
	if !ok || raw == nil { // x-network: with no value means nothing, as in compose-x
		return nil
	}
	path := render.ServicePath(s.Name, key)
	var x XNetwork
	if err := render.DecodeExtension(raw, &x); err != nil {
		ds.Errorf(s.Name, path, "%v", err)
		return nil
	}
	listens := render.ListenPorts(s)
	checkPorts := func(pp string, ports []int) {
		for i, port := range ports {
			switch {
			case port < 1 || port > 65535:
				ds.Errorf(s.Name, fmt.Sprintf("%s.%d", pp, i), "port %d is out of range; allowed: 1 to 65535", port)
			case !hasPort(listens, port):
				ds.Errorf(s.Name, fmt.Sprintf("%s.%d", pp, i), "port %d is not a port %s listens on (%s)", port, s.Name, portList(listens))
			}
		}
	}
	if in := x.Ingress; in != nil {
		ip := path + ".Ingress"
		if len(listens) == 0 && (in.Myself || len(in.ExtSources)+len(in.AwsSources)+len(in.Services) > 0) {
			ds.Warnf(s.Name, ip, "%s listens on no port (ports or expose), so this ingress opens nothing", s.Name)
		}
		for i, e := range in.ExtSources {
			ep := fmt.Sprintf("%s.ExtSources.%d", ip, i)
			switch {
			case e.IPv4 != "" && e.IPv6 != "":
				ds.Errorf(s.Name, ep, "give either IPv4 or IPv6, not both (add a second source)")
			case e.IPv4 != "":
				checkCIDR(s.Name, ep+".IPv4", e.IPv4, false, ds)
			case e.IPv6 != "":
				checkCIDR(s.Name, ep+".IPv6", e.IPv6, true, ds)
			default:
				ds.Errorf(s.Name, ep, "a source needs IPv4 or IPv6 (a CIDR range)")
			}
			checkPorts(ep+".Ports", e.Ports)
		}
		for i, a := range in.AwsSources {
			ap := fmt.Sprintf("%s.AwsSources.%d", ip, i)
			switch {
			case a.Lookup != nil:
				ds.Errorf(s.Name, ap+".Lookup", "finding a source by tags needs AWS access and composex renders offline; give its Id")
			case a.Type == "SecurityGroup" && !reSecurityGroup.MatchString(a.Id):
				ds.Errorf(s.Name, ap+".Id", "%q is not a security group ID (sg-...)", a.Id)
			case a.Type == "PrefixList" && !rePrefixList.MatchString(a.Id):
				ds.Errorf(s.Name, ap+".Id", "%q is not a prefix list ID (pl-...)", a.Id)
			case a.Type != "SecurityGroup" && a.Type != "PrefixList":
				ds.Errorf(s.Name, ap+".Type", "%q is not a source type; allowed: SecurityGroup, PrefixList", a.Type)
			}
			if a.AccountOwner != "" && (a.Type != "SecurityGroup" || !reAccount.MatchString(a.AccountOwner)) {
				ds.Errorf(s.Name, ap+".AccountOwner", "%q: AccountOwner is the 12-digit account of a security group source", a.AccountOwner)
			}
			checkPorts(ap+".Ports", a.Ports)
		}
		for i, ref := range in.Services {
			sp := fmt.Sprintf("%s.Services.%d", ip, i)
			if _, ok := p.Services[ref.Name]; !ok {
				ds.Errorf(s.Name, sp+".Name", "%q is not a service of this project; allowed: %s", ref.Name, strings.Join(slices.Sorted(maps.Keys(p.Services)), ", "))
			}
			checkPorts(sp+".Ports", ref.Ports)
		}
	}
	for i, e := range x.Egress {
		ep := fmt.Sprintf("%s.Egress.%d", path, i)
		n := 0
		for _, v := range []string{e.IPv4, e.IPv6, e.PrefixList} {
			if v != "" {
				n++
			}
		}
		if n != 1 {
			ds.Errorf(s.Name, ep, "give exactly one destination: IPv4, IPv6 or PrefixList")
		}
		if e.IPv4 != "" {
			checkCIDR(s.Name, ep+".IPv4", e.IPv4, false, ds)
		}
		if e.IPv6 != "" {
			checkCIDR(s.Name, ep+".IPv6", e.IPv6, true, ds)
		}
		if e.PrefixList != "" && !rePrefixList.MatchString(e.PrefixList) {
			ds.Errorf(s.Name, ep+".PrefixList", "%q is not a prefix list ID (pl-...)", e.PrefixList)
		}
		switch e.Protocol {
		case "", "tcp", "udp":
			if len(e.Ports) == 0 {
				ds.Errorf(s.Name, ep+".Ports", "list the destination ports (or set Protocol: all)")
			}
		case "all":
			if len(e.Ports) > 0 {
				ds.Errorf(s.Name, ep+".Ports", "Protocol all opens every port; drop Ports or choose tcp or udp")
			}
		default:
			ds.Errorf(s.Name, ep+".Protocol", "%q is not a protocol; allowed: tcp, udp, all", e.Protocol)
		}
		for j, port := range e.Ports {
			if port < 1 || port > 65535 {
				ds.Errorf(s.Name, fmt.Sprintf("%s.Ports.%d", ep, j), "port %d is out of range; allowed: 1 to 65535", port)
			}
		}
	}
	if x.UseCloudmapV0 != nil {
		ds.Warnf(s.Name, path+".use_cloudmap", "use_cloudmap is compose-x 0.x's spelling of UseCloudmap, read as such; write x-cloudmap: NAMESPACE (a namespace of the top-level x-cloudmap)")
		if x.UseCloudmap == nil {
			x.UseCloudmap = x.UseCloudmapV0
		}
	}
	if x.LbType != nil {
		ds.Warnf(s.Name, path+".lb_type", "lb_type is a compose-x 0.x key that compose-x 1.x ignores, and so does composex; declare a load balancer in the top-level x-elbv2")
	}
	if c := x.CloudMap; c != nil {
		cp := path + ".x-cloudmap"
		if len(c.Ignored) > 0 {
			ds.Warnf(s.Name, cp, "an ECS service has one service registry, so %s registers in the namespace %s only; not in %s", s.Name, c.Namespace, strings.Join(c.Ignored, ", "))
		}
		if _, ok := nss[c.Namespace]; !ok {
			ds.Errorf(s.Name, cp, "namespace %q is not declared in the top-level x-cloudmap; declared: %s", c.Namespace, strings.Join(slices.Sorted(maps.Keys(nss)), ", "))
		}
		if c.Port != 0 && !hasPort(listens, c.Port) {
			ds.Errorf(s.Name, cp+"."+render.Key(c.Namespace)+".Port", "port %d is not a port %s listens on (%s)", c.Port, s.Name, portList(listens))
		}
		if c.Name != "" && !reDNSName.MatchString(c.Name) {
			ds.Errorf(s.Name, cp+"."+render.Key(c.Namespace)+".Name", "%q is not a DNS name", c.Name)
		}
		if x.UseCloudmap != nil && *x.UseCloudmap {
			ds.Errorf(s.Name, path+".UseCloudmap", "give either x-cloudmap or the legacy UseCloudmap, not both")
		}
	}
	if x.UseCloudmap != nil && *x.UseCloudmap && x.CloudMap == nil && len(nss) > 1 {
		ds.Errorf(s.Name, path+".UseCloudmap", "UseCloudmap does not say which of the namespaces %s to use; write x-cloudmap: NAME", strings.Join(slices.Sorted(maps.Keys(nss)), ", "))
	}
	return &x
}

func checkCIDR(service, path, v string, v6 bool, ds *render.Diagnostics) {
	ip, n, err := net.ParseCIDR(v)
	if err != nil || (ip.To4() == nil) != v6 {
		kind := "an IPv4 CIDR range such as 10.0.0.0/16"
		if v6 {
			kind = "an IPv6 CIDR range such as 2001:db8::/32"
		}
		ds.Errorf(service, path, "%q is not %s", v, kind)
		return
	}
	if !ip.Equal(n.IP) {
		ds.Errorf(service, path, "%q has host bits set; did you mean %s?", v, n.String())
	}
}

func hasPort(ports []render.Port, port int) bool {
	for _, p := range ports {
		if p.ContainerPort == port {
			return true
		}
	}
	return false
}

func portList(ports []render.Port) string {
	if len(ports) == 0 {
		return "none"
	}
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
	}
	return strings.Join(s, ", ")
}

// filterPorts keeps the listening ports a source is limited to (all when
// the filter is empty).
func filterPorts(ports []render.Port, only []int) []render.Port {
	if len(only) == 0 {
		return ports
	}
	var out []render.Port
	for _, p := range ports {
		for _, o := range only {
			if p.ContainerPort == o {
				out = append(out, p)
			}
		}
	}
	return out
}

// Validate checks every service's x-network block and the namespaces.
func (Extension) Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	nss := readNamespaces(in.Project, &ds)
	for _, name := range slices.Sorted(maps.Keys(in.Project.Services)) {
		read(in.Project, in.Project.Services[name], nss, &ds)
	}
	checkComposeNetworks(in.Project, &ds)
	return ds
}
