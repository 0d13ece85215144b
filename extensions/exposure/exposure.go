// Package exposure reports published ports that nothing outside the stack
// can reach. Under docker compose, ports: ["80:80"] means "reachable from
// outside"; on ECS a task's port is reachable from outside only through a
// load balancer of the stack that forwards to it (x-elbv2, recorded in
// Family.LoadBalancerTargets) or through a security group rule that admits
// a source outside the stack (a CIDR range, a prefix list or an existing
// security group, x-network.Ingress), with a public IP for the internet.
// It runs after every extension that adds targets or rules.
package exposure

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/ec2"

	"github.com/composex/composex/render"
)

// Extension implements render.Extension; it has no x- key of its own.
type Extension struct{}

func (Extension) Name() string                              { return "exposure" }
func (Extension) ServiceKeys() []string                     { return nil }
func (Extension) ProjectKeys() []string                     { return nil }
func (Extension) Validate(*render.Input) render.Diagnostics { return nil }

// Extend warns about each published port reachable from nowhere.
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds render.Diagnostics
	for _, name := range sortedServices(in) {
		s := in.Project.Services[name]
		fams := m.FamiliesOf(name)
		if len(fams) == 0 {
			continue
		}
		for i, p := range s.Ports {
			proto := strings.ToLower(p.Protocol)
			if proto == "" {
				proto = "tcp"
			}
			port := int(p.Target)
			reached := false
			for _, f := range fams {
				if Reachable(m, f, name, port, proto) {
					reached = true
				}
			}
			if reached {
				continue
			}
			ds.Warnf(name, fmt.Sprintf("%s.%d", render.ServicePath(name, "ports"), i),
				"port %d/%s of %s is published, but nothing outside the stack can reach it: no x-elbv2 listener forwards to it and no security group rule admits a source from outside; "+
					"expose it with an x-elbv2 load balancer whose listener targets %s on %d, or give the task a public IP (x-network.AssignPublicIp: true, in PublicSubnetIds) and an x-network.Ingress rule (ExtSources) for port %d",
				port, proto, name, name, port, port)
		}
	}
	return ds
}

// Reachable reports whether a port of a service in family f is reachable
// from outside the stack: a load balancer target, or an ingress rule on the
// family's group from a source that is not a group of the stack.
func Reachable(m *render.Model, f *render.Family, service string, port int, proto string) bool {
	for _, t := range f.LoadBalancerTargets {
		if t.Service == service && t.ContainerPort == port && strings.EqualFold(t.Protocol, proto) {
			return true
		}
	}
	own := cloudformation.GetAtt(f.SecurityGroupID(), "GroupId")
	check := func(r cloudformation.Resource) bool {
		rule, ok := r.(*ec2.SecurityGroupIngress)
		if !ok || rule.GroupId == nil || *rule.GroupId != own {
			return false
		}
		if rule.IpProtocol != proto && rule.IpProtocol != "-1" {
			return false
		}
		if rule.IpProtocol != "-1" && (rule.FromPort == nil || rule.ToPort == nil || *rule.FromPort > port || *rule.ToPort < port) {
			return false
		}
		return outside(rule)
	}
	for _, r := range f.Resources {
		if check(r) {
			return true
		}
	}
	for _, r := range m.Resources {
		if check(r) {
			return true
		}
	}
	return false
}

// outside reports whether a rule admits a source from outside the stack:
// a CIDR range, a prefix list, or an existing group named by its ID (the
// groups of the stack are intrinsics, never a literal sg- ID).
func outside(r *ec2.SecurityGroupIngress) bool {
	set := func(p *string) bool { return p != nil && *p != "" }
	return set(r.CidrIp) || set(r.CidrIpv6) || set(r.SourcePrefixListId) ||
		(r.SourceSecurityGroupId != nil && strings.HasPrefix(*r.SourceSecurityGroupId, "sg-"))
}

func sortedServices(in *render.Input) []string {
	return slices.Sorted(maps.Keys(in.Project.Services))
}
