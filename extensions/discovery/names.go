// Package discovery makes compose names work on ECS: every service another
// family can reach answers to its compose name, its network aliases and its
// links aliases, on each port it declares, through ECS Service Connect
// client aliases (Fargate has no other way for a bare name to resolve). It
// also orders the ECS services so that a caller starts after the services it
// calls (Service Connect resolves only the endpoints that existed when a
// task started), and reports calls by name that cannot work: to a service of
// the same task (use localhost) or to one on no shared network.
//
// Families whose services configure Service Connect themselves
// (x-network.x-ecs_connect or x-network.ServiceConnect) keep their settings:
// composex adds nothing to them.
package discovery

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

// reDNSName is a DNS name as Service Connect takes it for a client alias:
// labels of letters, digits, hyphens and underscores, up to 63 characters,
// not starting or ending with a hyphen.
var reDNSName = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$`)

// nameClaim is one name a service answers to and where it is written.
type nameClaim struct {
	name, service, path string
}

// claims lists every name of every service that has a network of its own
// (a network_mode service:X member answers through X's names), in a stable
// order: compose names first, then network aliases, then links aliases.
func claims(p *types.Project) []nameClaim {
	var out []nameClaim
	names := slices.Sorted(maps.Keys(p.Services))
	for _, n := range names {
		if render.NetworkOwner(p, n) == n {
			out = append(out, nameClaim{n, n, render.ServicePath(n)})
		}
	}
	for _, n := range names {
		s := p.Services[n]
		if render.NetworkOwner(p, n) != n {
			continue
		}
		for _, net := range slices.Sorted(maps.Keys(s.Networks)) {
			if c := s.Networks[net]; c != nil {
				for i, a := range c.Aliases {
					out = append(out, nameClaim{a, n, fmt.Sprintf("%s.%d", render.ServicePath(n, "networks", render.Key(net), "aliases"), i)})
				}
			}
		}
	}
	for _, n := range names {
		for i, l := range p.Services[n].Links {
			target, alias, ok := strings.Cut(l, ":")
			if ok && alias != "" && alias != target {
				out = append(out, nameClaim{alias, render.NetworkOwner(p, target), fmt.Sprintf("%s.%d", render.ServicePath(n, "links"), i)})
			}
		}
	}
	return out
}

// nameTable maps each name, lowercased (DNS is case-insensitive), to the
// service that answers to it, and reports names that are not DNS names or
// that two services claim: a project has one Service Connect namespace, so
// a name points at one service.
func nameTable(p *types.Project, ds *render.Diagnostics) map[string]string {
	owner := map[string]nameClaim{}
	for _, c := range claims(p) {
		if !reDNSName.MatchString(c.name) {
			if c.path != render.ServicePath(c.service) {
				ds.Errorf(serviceOf(c.path), c.path, "%q is not a DNS name, so no client can resolve it: use letters, digits, hyphens and dots", c.name)
			}
			continue
		}
		k := strings.ToLower(c.name)
		prev, taken := owner[k]
		switch {
		case !taken:
			owner[k] = c
		case prev.service != c.service:
			ds.Errorf(serviceOf(c.path), c.path, "the name %s already belongs to %s (%s); on ECS the project's services share one Service Connect namespace, so a name can point at one service only: choose another alias",
				c.name, prev.service, prev.path)
		}
	}
	out := map[string]string{}
	for k, c := range owner {
		out[k] = c.service
	}
	return out
}

// serviceOf is the service a services.NAME... path is under.
func serviceOf(path string) string {
	rest, ok := strings.CutPrefix(path, "services.")
	if !ok {
		return ""
	}
	if strings.HasPrefix(rest, "[") {
		if i := strings.Index(rest, "]"); i > 0 {
			return rest[1:i]
		}
	}
	name, _, _ := strings.Cut(rest, ".")
	return name
}

// namesOf lists the names a service answers to (itself first, then its
// aliases in order), from the table; aliases is render.AllNetworkAliases,
// taken once per render (render.NetworkAliases per service is quadratic).
func namesOf(service string, table map[string]string, aliases map[string][]string) []string {
	out := []string{}
	if table[strings.ToLower(service)] == service && reDNSName.MatchString(service) {
		out = append(out, service)
	}
	for _, a := range aliases[service] {
		if table[strings.ToLower(a)] == service && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}
