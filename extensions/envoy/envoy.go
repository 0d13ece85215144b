// Package envoy puts Envoy in front of a family's services, in the two
// ways that remain now that AWS App Mesh reached end of support
// (2026-09-30): ECS Service Connect, the managed Envoy
// (x-network.x-ecs_connect as compose-x writes it, or x-network.ServiceConnect),
// and an explicit Envoy sidecar for per-hop metrics and tracing
// (x-network.Envoy). The top-level x-appmesh is refused with the way out.
package envoy

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/extensions/network"
	"github.com/composex/composex/render"
)

// Extension implements render.Extension. It owns the top-level x-appmesh
// and reads three sub-keys of x-network (owned by the network extension).
type Extension struct{}

func (Extension) Name() string          { return "envoy" }
func (Extension) ServiceKeys() []string { return nil }
func (Extension) ProjectKeys() []string { return []string{appMeshKey} }

// appMeshMessage explains why x-appmesh renders nothing and what to use.
const appMeshMessage = "AWS App Mesh reached end of support on 2026-09-30 and composex creates no App Mesh resources; " +
	"use ECS Service Connect, the managed Envoy (x-network.x-ecs_connect or x-network.ServiceConnect on each service, with a namespace of the top-level x-cloudmap), " +
	"or an Envoy sidecar for per-hop metrics and tracing (x-network.Envoy)"

// read decodes this extension's part of one service's x-network and
// reports what the block alone shows to be wrong.
func read(s types.ServiceConfig, nss map[string]network.XCloudMapNamespace, ds *render.Diagnostics) *block {
	raw, ok := s.Extensions[networkKey]
	if !ok {
		return nil
	}
	b, errs := decodeBlock(raw)
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		ds.Errorf(s.Name, render.ServicePath(s.Name, networkKey, k), "%v", errs[k])
	}
	if b == nil {
		return nil
	}
	path := func(rest ...string) string {
		return render.ServicePath(s.Name, append([]string{networkKey}, rest...)...)
	}
	if b.EcsConnect != nil && b.ServiceConnect != nil {
		ds.Errorf(s.Name, path(serviceConnectKey), "give x-ecs_connect (compose-x's form) or ServiceConnect, not both")
		b.ServiceConnect = nil
	}
	if ec := b.EcsConnect; ec != nil {
		p := path(ecsConnectKey)
		switch {
		case (ec.Properties == nil) == (ec.MacroParameters == nil):
			ds.Errorf(s.Name, p, "x-ecs_connect takes exactly one of Properties or MacroParameters")
			b.EcsConnect = nil
		case ec.MacroParameters != nil:
			mp := ec.MacroParameters
			if len(mp.ServicePorts) > 0 && len(mp.ServicesPorts) > 0 {
				ds.Errorf(s.Name, p+".MacroParameters.services_ports", "services_ports is compose-x's other spelling of service_ports; give one")
			}
			if _, ok := nss[mp.CloudMap]; !ok {
				ds.Errorf(s.Name, p+".MacroParameters.x-cloudmap", "namespace %q is not declared in the top-level x-cloudmap; declared: %s", mp.CloudMap, orNone(slices.Sorted(maps.Keys(nss))))
				b.EcsConnect = nil
			}
			for _, name := range slices.Sorted(maps.Keys(mp.ports())) {
				sp := mp.ports()[name]
				pp := p + ".MacroParameters.service_ports." + render.Key(name)
				checkAppProtocol(s.Name, pp+".appProtocol", sp.AppProtocol, ds)
				checkDiscoveryName(s.Name, pp+".CloudMapServiceName", sp.CloudMapServiceName, ds)
				checkDNSName(s.Name, pp+".DnsName", sp.DnsName, ds)
			}
		default:
			pr := ec.Properties
			for i, svc := range pr.Services {
				sp := fmt.Sprintf("%s.Properties.Services.%d", p, i)
				if svc.PortName == "" {
					ds.Errorf(s.Name, sp+".PortName", "PortName is required: the name of one of the service's port mappings")
				}
				if svc.DiscoveryName != nil {
					checkDiscoveryName(s.Name, sp+".DiscoveryName", *svc.DiscoveryName, ds)
				}
				if len(svc.ClientAliases) > 1 {
					ds.Errorf(s.Name, sp+".ClientAliases", "ECS allows one client alias per Service Connect service")
				}
				for j, a := range svc.ClientAliases {
					if a.Port < 1 || a.Port > 65535 {
						ds.Errorf(s.Name, fmt.Sprintf("%s.ClientAliases.%d.Port", sp, j), "port %d is out of range; allowed: 1 to 65535", a.Port)
					}
				}
			}
		}
	}
	if sc := b.ServiceConnect; sc != nil {
		p := path(serviceConnectKey)
		if sc.Namespace != "" {
			if _, ok := nss[sc.Namespace]; !ok {
				ds.Errorf(s.Name, p+".Namespace", "namespace %q is not declared in the top-level x-cloudmap; declared: %s", sc.Namespace, orNone(slices.Sorted(maps.Keys(nss))))
				b.ServiceConnect = nil
			}
		} else if len(nss) > 1 {
			ds.Errorf(s.Name, p+".Namespace", "say which of the namespaces %s to use", strings.Join(slices.Sorted(maps.Keys(nss)), ", "))
			b.ServiceConnect = nil
		}
		if sc.ClientOnly && len(sc.Services) > 0 {
			ds.Errorf(s.Name, p+".ClientOnly", "a client-only service offers no Services; drop ClientOnly or Services")
		}
		for i, t := range sc.Services {
			tp := fmt.Sprintf("%s.Services.%d", p, i)
			if t.PortName == "" {
				ds.Errorf(s.Name, tp+".PortName", "PortName is required: the name of one of the service's port mappings")
			}
			if t.Port != 0 && (t.Port < 1 || t.Port > 65535) {
				ds.Errorf(s.Name, tp+".Port", "port %d is out of range; allowed: 1 to 65535", t.Port)
			}
			checkAppProtocol(s.Name, tp+".AppProtocol", t.AppProtocol, ds)
			checkDiscoveryName(s.Name, tp+".DiscoveryName", t.DiscoveryName, ds)
			checkDNSName(s.Name, tp+".DnsName", t.DnsName, ds)
		}
	}
	if e := b.Envoy; e != nil && e.Enabled {
		p := path(envoyKey)
		for _, pp := range []struct {
			name string
			v    int
		}{{"Port", e.Port}, {"AppPort", e.AppPort}, {"AdminPort", e.AdminPort}, {"StatsPort", e.StatsPort}} {
			if pp.v != 0 && (pp.v < 1 || pp.v > 65535) {
				ds.Errorf(s.Name, p+"."+pp.name, "port %d is out of range; allowed: 1 to 65535", pp.v)
			}
		}
		if strings.TrimSpace(e.OverrideImage) != e.OverrideImage {
			ds.Errorf(s.Name, p+".OverrideImage", "%q has leading or trailing spaces", e.OverrideImage)
		}
		for _, n := range slices.Sorted(maps.Keys(e.Upstreams)) {
			checkUpstream(s.Name, p+".Upstreams."+render.Key(n), e.Upstreams[n], ds)
		}
	}
	return b
}

// Validate refuses x-appmesh and checks the x-network sub-keys it owns.
func (Extension) Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	if _, ok := in.Project.Extensions[appMeshKey]; ok {
		ds.Errorf("", appMeshKey, "%s", appMeshMessage)
	}
	nss := network.Namespaces(in.Project)
	for _, name := range slices.Sorted(maps.Keys(in.Project.Services)) {
		if b := read(in.Project.Services[name], nss, &ds); b != nil {
			checkUpstreamNames(in.Project, in.Project.Services[name], b.Envoy, &ds)
		}
	}
	return ds
}

// Extend configures Service Connect on each family's ECS service, then
// adds the Envoy sidecars (which take over a port that Service Connect
// may name, so they come second).
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds render.Diagnostics
	nss := network.Namespaces(in.Project)
	aliases := map[string]string{} // namespace|dns|port -> family, across the project
	blocks := map[*render.Family]map[string]*block{}
	for _, f := range m.Families {
		blocks[f] = map[string]*block{}
		for _, s := range f.Services {
			var quiet render.Diagnostics // Validate reported these
			if b := read(*s, nss, &quiet); b != nil {
				blocks[f][s.Name] = b
			}
		}
		serviceConnect(m, f, blocks[f], nss, aliases, &ds)
	}
	// Every family's names are published now: the sidecars' egress
	// clusters resolve them.
	for _, f := range m.Families {
		sidecar(m, in.Project, f, blocks[f], &ds)
	}
	return ds
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
