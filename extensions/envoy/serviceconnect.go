package envoy

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"

	"github.com/composex/composex/extensions/network"
	"github.com/composex/composex/render"
)

var (
	reDiscoveryName = regexp.MustCompile(`^[a-z0-9_][a-z0-9_-]{0,63}$`)
	reDNSName       = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
)

func checkAppProtocol(service, path, v string, ds *render.Diagnostics) {
	switch v {
	case "", "http", "http2", "grpc":
	default:
		ds.Errorf(service, path, "%q is not an ECS app protocol; allowed: http, http2, grpc", v)
	}
}

func checkDiscoveryName(service, path, v string, ds *render.Diagnostics) {
	if v != "" && !reDiscoveryName.MatchString(v) {
		ds.Errorf(service, path, "%q is not a Cloud Map service name: up to 64 lowercase letters, digits, _ and -, not starting with -", v)
	}
}

func checkDNSName(service, path, v string, ds *render.Diagnostics) {
	if v != "" && !reDNSName.MatchString(v) {
		ds.Errorf(service, path, "%q is not a DNS name", v)
	}
}

// connectRequest is one compose service's Service Connect settings,
// whatever form they were written in.
type connectRequest struct {
	service string
	path    string
	// nsName is a namespace of the top-level x-cloudmap; nsRaw a name or
	// ARN passed through from Properties; both empty with useParam: the
	// NamespaceId parameter; all empty: the cluster's default namespace.
	nsName, nsRaw string
	useParam      bool
	enabled       bool
	log           *ecs.Service_LogConfiguration
	services      []ecs.Service_ServiceConnectService
	// protocols sets the app protocol of port mappings, by port name.
	protocols map[string]string
}

func (r *connectRequest) namespaceKey() string {
	switch {
	case r.nsName != "":
		return "x-cloudmap " + r.nsName
	case r.nsRaw != "":
		return r.nsRaw
	case r.useParam:
		return "the " + network.NamespaceParam + " parameter"
	}
	return "the cluster's default namespace"
}

// serviceConnect sets the family's ServiceConnectConfiguration from the
// Service Connect settings of its services (a family has one ECS service,
// so their ports are merged, in one namespace).
func serviceConnect(m *render.Model, f *render.Family, blocks map[string]*block, nss map[string]network.XCloudMapNamespace, aliases map[string]string, ds *render.Diagnostics) {
	var reqs []*connectRequest
	for _, s := range f.Services {
		b := blocks[s.Name]
		if b == nil {
			continue
		}
		c := f.Container(s.Name)
		if c == nil {
			continue
		}
		var r *connectRequest
		switch {
		case b.EcsConnect != nil:
			r = fromEcsConnect(s.Name, c, b.EcsConnect, nss, ds)
		case b.ServiceConnect != nil:
			r = fromAlias(s.Name, c, b.ServiceConnect, nss, ds)
		}
		if r != nil {
			reqs = append(reqs, r)
		}
	}
	if len(reqs) == 0 {
		return
	}
	first := reqs[0]
	cfg := &ecs.Service_ServiceConnectConfiguration{Enabled: first.enabled}
	discovery := map[string]string{}
	for _, r := range reqs {
		if r.namespaceKey() != first.namespaceKey() {
			ds.Errorf(r.service, r.path, "family %s: %s uses %s for Service Connect but %s uses %s; an ECS service joins one namespace",
				f.Name, r.service, r.namespaceKey(), first.service, first.namespaceKey())
			continue
		}
		if r.enabled != first.enabled {
			ds.Errorf(r.service, r.path, "family %s: %s turns Service Connect %s but %s turns it %s; the family has one ECS service",
				f.Name, r.service, onOff(r.enabled), first.service, onOff(first.enabled))
			continue
		}
		if cfg.LogConfiguration == nil {
			cfg.LogConfiguration = r.log
		}
		for _, svc := range r.services {
			name := svc.PortName
			if svc.DiscoveryName != nil {
				name = *svc.DiscoveryName
			}
			if other, dup := discovery[name]; dup {
				ds.Errorf(r.service, r.path, "family %s: the Cloud Map service name %q is used by %s and %s; give one a DiscoveryName (CloudMapServiceName)", f.Name, name, other, r.service)
				continue
			}
			discovery[name] = r.service
			cfg.Services = append(cfg.Services, svc)
		}
		for _, portName := range slices.Sorted(maps.Keys(r.protocols)) {
			setAppProtocol(f.Container(r.service), portName, r.protocols[portName], r, ds)
		}
	}
	switch {
	case first.nsName != "":
		cfg.Namespace = cloudformation.String(network.ResolveNamespace(m, nss, first.nsName).Arn)
	case first.useParam:
		cfg.Namespace = cloudformation.String(network.ResolveNamespace(m, nss, "").Arn)
	case first.nsRaw != "":
		cfg.Namespace = cloudformation.String(first.nsRaw)
	}
	if cfg.LogConfiguration == nil {
		// The proxy's logs go where the family's containers log.
		cfg.LogConfiguration = &ecs.Service_LogConfiguration{LogDriver: cloudformation.String("awslogs"), Options: map[string]string{
			"awslogs-group":         cloudformation.Ref(f.LogGroupID()),
			"awslogs-region":        cloudformation.Ref("AWS::Region"),
			"awslogs-stream-prefix": "service-connect",
		}}
	}
	// Two services of the project cannot answer the same name and port.
	for _, svc := range cfg.Services {
		for _, a := range svc.ClientAliases {
			if a.DnsName == nil {
				continue
			}
			k := fmt.Sprintf("%s|%s|%d", first.namespaceKey(), *a.DnsName, a.Port)
			if other, dup := aliases[k]; dup && other != f.Name {
				ds.Errorf(first.service, first.path, "family %s: the Service Connect name %s:%d is already taken by family %s in %s", f.Name, *a.DnsName, a.Port, other, first.namespaceKey())
			}
			aliases[k] = f.Name
		}
	}
	// The client aliases are the names other tasks resolve.
	if cfg.Enabled {
		for _, r := range reqs {
			for _, svc := range r.services {
				for _, a := range svc.ClientAliases {
					if a.DnsName != nil {
						m.PublishEndpoint(r.service, render.Endpoint{DnsName: *a.DnsName, Port: a.Port, Via: render.EndpointServiceConnect})
					}
				}
			}
		}
	}
	// ECS adds its proxy to every task: the task size leaves room for it.
	f.ServiceConnect = cfg.Enabled
	f.ServiceHooks = append(f.ServiceHooks, func(s *ecs.Service) { s.ServiceConnectConfiguration = cfg })
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// lookupPort finds a port mapping of the container by its ECS name and
// reports an unknown name with the names it has.
func lookupPort(service, path string, c *render.Container, name string, ds *render.Diagnostics) *render.Port {
	var names []string
	for i := range c.Ports {
		if c.Ports[i].Name == name {
			if c.Ports[i].Protocol != "tcp" {
				ds.Errorf(service, path, "port %s is %s; Service Connect proxies TCP only", name, c.Ports[i].Protocol)
				return nil
			}
			return &c.Ports[i]
		}
		names = append(names, c.Ports[i].Name)
	}
	sort.Strings(names)
	ds.Errorf(service, path, "%q is not a port name of %s; its ports are named %s (compose ports[].name, else <protocol>_<port>)", name, service, orNone(names))
	return nil
}

// defaultDiscovery is the Cloud Map service name for a port: the compose
// service name, suffixed with the port name when it offers several.
func defaultDiscovery(service, portName string, several bool) string {
	n := strings.ToLower(strings.NewReplacer(".", "-").Replace(service))
	if several {
		n += "-" + strings.ToLower(portName)
	}
	return strings.TrimLeft(n, "-")
}

func entry(service string, p *render.Port, discovery, dnsName string, port int, several bool) ecs.Service_ServiceConnectService {
	if discovery == "" {
		discovery = defaultDiscovery(service, p.Name, several)
	}
	if dnsName == "" {
		dnsName = service
	}
	if port == 0 {
		port = p.ContainerPort
	}
	return ecs.Service_ServiceConnectService{
		PortName:      p.Name,
		DiscoveryName: cloudformation.String(discovery),
		ClientAliases: []ecs.Service_ServiceConnectClientAlias{{DnsName: cloudformation.String(dnsName), Port: port}},
	}
}

func fromEcsConnect(service string, c *render.Container, ec *EcsConnect, nss map[string]network.XCloudMapNamespace, ds *render.Diagnostics) *connectRequest {
	base := render.ServicePath(service, networkKey, ecsConnectKey)
	r := &connectRequest{service: service, path: base, enabled: true, protocols: map[string]string{}}
	if mp := ec.MacroParameters; mp != nil {
		r.nsName = mp.CloudMap
		names := slices.Sorted(maps.Keys(mp.ports()))
		for _, name := range names {
			sp := mp.ports()[name]
			path := base + ".MacroParameters.service_ports." + render.Key(name)
			p := lookupPort(service, path, c, name, ds)
			if p == nil {
				continue
			}
			r.services = append(r.services, entry(service, p, sp.CloudMapServiceName, sp.DnsName, 0, len(names) > 1))
			if sp.AppProtocol != "" {
				r.protocols[name] = sp.AppProtocol
			}
		}
		return r
	}
	pr := ec.Properties
	if pr.Enabled != nil {
		r.enabled = *pr.Enabled
	}
	if _, ok := nss[pr.Namespace]; ok {
		r.nsName = pr.Namespace
	} else {
		r.nsRaw = pr.Namespace
	}
	r.log = pr.LogConfiguration
	for i, svc := range pr.Services {
		path := fmt.Sprintf("%s.Properties.Services.%d.PortName", base, i)
		if lookupPort(service, path, c, svc.PortName, ds) != nil {
			r.services = append(r.services, svc)
		}
	}
	return r
}

func fromAlias(service string, c *render.Container, sc *ServiceConnect, nss map[string]network.XCloudMapNamespace, ds *render.Diagnostics) *connectRequest {
	base := render.ServicePath(service, networkKey, serviceConnectKey)
	r := &connectRequest{service: service, path: base, enabled: true, protocols: map[string]string{}}
	switch {
	case sc.Namespace != "":
		r.nsName = sc.Namespace
	case len(nss) == 1:
		r.nsName = slices.Sorted(maps.Keys(nss))[0]
	default:
		r.useParam = true
	}
	if sc.ClientOnly {
		return r
	}
	targets := sc.Services
	if len(targets) == 0 {
		// Every TCP port the service listens on, by its ECS name.
		for _, p := range c.Ports {
			if p.Protocol == "tcp" {
				targets = append(targets, ConnectTarget{PortName: p.Name})
			}
		}
		if len(targets) == 0 {
			ds.Errorf(service, base, "%s listens on no TCP port, so it offers nothing through Service Connect; set ClientOnly: true if it only calls others", service)
			return nil
		}
	}
	for i, t := range targets {
		path := fmt.Sprintf("%s.Services.%d.PortName", base, i)
		p := lookupPort(service, path, c, t.PortName, ds)
		if p == nil {
			continue
		}
		r.services = append(r.services, entry(service, p, t.DiscoveryName, t.DnsName, t.Port, len(targets) > 1))
		if t.AppProtocol != "" {
			r.protocols[t.PortName] = t.AppProtocol
		}
	}
	return r
}

// setAppProtocol records the app protocol on the port mapping (Service
// Connect reads it there to collect HTTP metrics), refusing a contradiction
// with compose's ports[].app_protocol.
func setAppProtocol(c *render.Container, portName, proto string, r *connectRequest, ds *render.Diagnostics) {
	for i := range c.Ports {
		p := &c.Ports[i]
		if p.Name != portName {
			continue
		}
		if p.AppProtocol != "" && p.AppProtocol != proto {
			ds.Errorf(r.service, r.path, "port %s has app_protocol %s in ports but %s here; give one", portName, p.AppProtocol, proto)
			return
		}
		p.AppProtocol = proto
	}
}
