package discovery

import (
	"maps"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

// netIndex answers "which networks is this service on" and "who shares
// owner's network namespace" from tables built once per render. Asking
// render.ServiceNetworks and render.NetworkOwner for every pair of services
// made Extend quadratic: a third of a 1000-service render.
type netIndex struct {
	p       *types.Project
	nets    map[string][]string // service → its sorted compose networks
	members map[string][]string // network owner → the services in its namespace, sorted
	famNets map[*render.Family]map[string]bool
}

func newNetIndex(p *types.Project, m *render.Model) *netIndex {
	x := &netIndex{p: p, nets: map[string][]string{}, members: map[string][]string{}, famNets: map[*render.Family]map[string]bool{}}
	for _, n := range slices.Sorted(maps.Keys(p.Services)) {
		o := render.NetworkOwner(p, n)
		x.members[o] = append(x.members[o], n)
	}
	for _, f := range m.Families {
		set := map[string]bool{}
		for _, s := range f.Services {
			for _, n := range x.networks(s.Name) {
				set[n] = true
			}
		}
		x.famNets[f] = set
	}
	return x
}

// networks is render.ServiceNetworks, computed once per service.
func (x *netIndex) networks(service string) []string {
	if n, ok := x.nets[service]; ok {
		return n
	}
	n := render.ServiceNetworks(x.p, service)
	x.nets[service] = n
	return n
}

// share reports whether two services have a compose network in common.
func (x *netIndex) share(a, b string) bool {
	nb := x.networks(b)
	for _, n := range x.networks(a) {
		if slices.Contains(nb, n) {
			return true
		}
	}
	return false
}

// familyReaches reports whether a service of family g shares a network
// with service o.
func (x *netIndex) familyReaches(g *render.Family, o string) bool {
	set := x.famNets[g]
	if set == nil { // a family added after the index was built
		for _, c := range g.Services {
			if x.share(c.Name, o) {
				return true
			}
		}
		return false
	}
	for _, n := range x.networks(o) {
		if set[n] {
			return true
		}
	}
	return false
}

// namespace lists the services in owner's network namespace (owner and
// those with network_mode service:owner), sorted.
func (x *netIndex) namespace(owner string) []string {
	return x.members[owner]
}
