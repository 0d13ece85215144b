package discovery

import (
	"maps"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

// netIndex answers "which networks is this service on", "who shares
// owner's network namespace" and "which families can reach a service" from
// tables built once per render. Asking render.ServiceNetworks and
// render.NetworkOwner for every pair of services made Extend quadratic (a
// third of a 1000-service render), and so did asking every family whether
// it reaches each server (half of a 3000-service render, where every
// family shares the default network).
type netIndex struct {
	p       *types.Project
	nets    map[string][]string // service → its sorted compose networks
	members map[string][]string // network owner → the services in its namespace, sorted
	// famsOn lists, per compose network, the families with a service on
	// it, in m.Families order; a family reaches a service when they share
	// a network.
	famsOn map[string][]*render.Family
	// servedOn lists, per compose network, the families of the servers on
	// it (serve), two distinct ones at most: that is enough to tell which
	// families on the network are clients.
	servedOn map[string][]*render.Family
}

func newNetIndex(p *types.Project, m *render.Model) *netIndex {
	x := &netIndex{p: p, nets: map[string][]string{}, members: map[string][]string{},
		famsOn: map[string][]*render.Family{}, servedOn: map[string][]*render.Family{}}
	for _, n := range slices.Sorted(maps.Keys(p.Services)) {
		o := render.NetworkOwner(p, n)
		x.members[o] = append(x.members[o], n)
	}
	for _, f := range m.Families {
		seen := map[string]bool{}
		for _, s := range f.Services {
			for _, n := range x.networks(s.Name) {
				if !seen[n] {
					seen[n] = true
					x.famsOn[n] = append(x.famsOn[n], f)
				}
			}
		}
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

// reachedByOthers reports whether a family other than fams (the families
// service o runs in) has a service on one of o's networks. Each network's
// list is read only until a family not in fams is found.
func (x *netIndex) reachedByOthers(o string, fams []*render.Family) bool {
	for _, n := range x.networks(o) {
		for _, g := range x.famsOn[n] {
			if !slices.Contains(fams, g) {
				return true
			}
		}
	}
	return false
}

// serve records that service o, of family f, offers names: every other
// family on one of o's networks becomes a Service Connect client.
func (x *netIndex) serve(o string, f *render.Family) {
	for _, n := range x.networks(o) {
		if by := x.servedOn[n]; len(by) < 2 && !slices.Contains(by, f) {
			x.servedOn[n] = append(by, f)
		}
	}
}

// clients are the families that reach a server of another family, by
// name: on a network with servers of two families every family on it is
// one; with servers of one family f, every family on it but f.
func (x *netIndex) clients() map[string]bool {
	out := map[string]bool{}
	for n, by := range x.servedOn {
		for _, g := range x.famsOn[n] {
			if len(by) > 1 || by[0] != g {
				out[g.Name] = true
			}
		}
	}
	return out
}

// namespace lists the services in owner's network namespace (owner and
// those with network_mode service:owner), sorted.
func (x *netIndex) namespace(owner string) []string {
	return x.members[owner]
}
