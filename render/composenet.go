package render

import (
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// The compose network of a service, as docker compose wires it: the
// networks it joins, the names it answers to there, and for
// network_mode service:X the service whose network it shares. The core uses
// NetworkOwner to put such a service in X's family; the network extension
// turns shared networks into security group rules and the discovery
// extension turns names into Service Connect aliases.

const networkModeService = "service:"

// NetworkOwner follows network_mode service:X to the service whose network
// namespace s shares (s itself when it has its own). A cycle or an unknown
// service stops the walk at the last service found.
func NetworkOwner(p *types.Project, name string) string {
	seen := map[string]bool{}
	for {
		s, ok := p.Services[name]
		if !ok || seen[name] {
			return name
		}
		seen[name] = true
		next, shared := strings.CutPrefix(s.NetworkMode, networkModeService)
		if !shared {
			return name
		}
		if _, ok := p.Services[next]; !ok {
			return name
		}
		name = next
	}
}

// ServiceNetworks are the compose networks a service is on, sorted: those
// of its network owner (compose-go puts a service that names none on the
// project's default network).
func ServiceNetworks(p *types.Project, name string) []string {
	s, ok := p.Services[NetworkOwner(p, name)]
	if !ok {
		return nil
	}
	return slices.Sorted(maps.Keys(s.Networks))
}

// NetworkAliases are the extra names a service answers to: its network
// aliases on every network, and the aliases other services give it in
// links (links: ["api:backend"] names api "backend"), sorted, without its
// own name.
func NetworkAliases(p *types.Project, name string) []string {
	set := map[string]bool{}
	if s, ok := p.Services[name]; ok {
		for _, n := range s.Networks {
			if n == nil {
				continue
			}
			for _, a := range n.Aliases {
				set[a] = true
			}
		}
	}
	// By name, not by value: ranging over the map copies every service's
	// whole config, and this runs once per service (a quadratic cost that
	// was a tenth of discovery at 1000 services).
	for other := range p.Services {
		for _, l := range p.Services[other].Links {
			target, alias, ok := strings.Cut(l, ":")
			if ok && target == name && alias != "" {
				set[alias] = true
			}
		}
	}
	delete(set, name)
	return slices.Sorted(maps.Keys(set))
}

// AllNetworkAliases is NetworkAliases of every service, by service name,
// from one pass over the project's links: asking NetworkAliases for each
// service reads every service's links each time, a quadratic cost (a
// sixth of a 3000-service render, in the discovery extension).
func AllNetworkAliases(p *types.Project) map[string][]string {
	linked := map[string][]string{} // target → the aliases links give it
	for other := range p.Services {
		for _, l := range p.Services[other].Links {
			target, alias, ok := strings.Cut(l, ":")
			if ok && alias != "" {
				linked[target] = append(linked[target], alias)
			}
		}
	}
	out := make(map[string][]string, len(p.Services))
	for name := range p.Services {
		set := map[string]bool{}
		for _, n := range p.Services[name].Networks {
			if n == nil {
				continue
			}
			for _, a := range n.Aliases {
				set[a] = true
			}
		}
		for _, a := range linked[name] {
			set[a] = true
		}
		delete(set, name)
		out[name] = slices.Sorted(maps.Keys(set))
	}
	return out
}
