package network

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	"github.com/awslabs/goformation/v7/cloudformation/tags"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

// Compose networks become security group rules. Each compose network that
// joins two or more families gets one security group of its own, attached to
// the tasks of every family on it and holding no rule: it only says "this
// task is on network N". Each family's group then admits, on each port a
// service declares (ports and expose), the members of each network that
// service is on. So a rule is written once per service port and network,
// not once per pair of families, and a path exists exactly where compose has
// one: a shared network and a declared port.

// PublicSubnetsParam holds the subnets of tasks with a public IP (and of
// internet-facing load balancers): a public IP is useless in a subnet
// without a route to an internet gateway, and tasks without one belong in
// private subnets, so one list cannot serve both.
const PublicSubnetsParam = "PublicSubnetIds"

// maxSecurityGroups is how many security groups one network interface takes
// (the VPC quota's default); the family's own group is one of them.
const maxSecurityGroups = 5

// NetworkGroupID is the logical ID of the security group of a compose
// network.
func NetworkGroupID(network string) string {
	return "ComposeNetwork" + render.LogicalName(network) + "SecurityGroup"
}

// DeclarePublicSubnets declares the PublicSubnetIds parameter (the elbv2
// extension declares the identical one for internet-facing load balancers).
func DeclarePublicSubnets(m *render.Model) {
	_ = m.AddParameter(PublicSubnetsParam, render.Parameter{Type: "List<AWS::EC2::Subnet::Id>", Description: "Public subnets (with a route to an internet gateway) for internet-facing load balancers and tasks with a public IP"})
}

// publicSubnets puts the tasks of families with a public IP in the public
// subnets.
func publicSubnets(m *render.Model) {
	for _, f := range m.Families {
		if !f.AssignPublicIp {
			continue
		}
		DeclarePublicSubnets(m)
		f.ServiceHooks = append(f.ServiceHooks, func(s *ecs.Service) {
			if nc := s.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil {
				nc.AwsvpcConfiguration.Subnets = []string{cloudformation.Ref(PublicSubnetsParam)}
			}
		})
	}
}

// checkComposeNetworks reports what of the compose networks ECS cannot
// honour: internal networks (see below), external networks, fixed
// addresses, and services on internal networks only that ask for a public
// IP.
func checkComposeNetworks(p *types.Project, ds *render.Diagnostics) {
	used := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		for _, n := range slices.Sorted(maps.Keys(s.Networks)) {
			used[n] = true
			c := s.Networks[n]
			if c == nil {
				continue
			}
			path := render.ServicePath(name, "networks", render.Key(n))
			for _, k := range []struct {
				key string
				set bool
			}{{"ipv4_address", c.Ipv4Address != ""}, {"ipv6_address", c.Ipv6Address != ""}, {"link_local_ips", len(c.LinkLocalIPs) > 0}, {"mac_address", c.MacAddress != ""}} {
				if k.set {
					ds.Warnf(name, path+"."+k.key, "ignored on Fargate: ECS gives each task its address in the subnet")
				}
			}
		}
		if x := readQuiet(p, s); x != nil && x.AssignPublicIp && onlyInternal(p, name) {
			ds.Errorf(name, render.ServicePath(name, key, "AssignPublicIp"), "%s is only on internal networks (%s), which have no path to or from outside; a public IP contradicts that: drop AssignPublicIp or put %s on a non-internal network too",
				name, strings.Join(render.ServiceNetworks(p, name), ", "), name)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(p.Networks)) {
		nw := p.Networks[n]
		if !used[n] {
			continue
		}
		if nw.Internal {
			// Compose's internal network cuts the containers off from the
			// outside, not from each other. On Fargate the task's own
			// interface also pulls its images and writes its logs, so cutting
			// its egress would stop it from starting; composex keeps the
			// peers' path and gives no path from outside.
			ds.Warnf("", "networks."+render.Key(n)+".internal", "internal network %s: its services reach each other and nothing outside reaches them (no public IP; published ports are reported), but their egress stays open because Fargate pulls images and writes logs through the task's network interface; restrict it with x-network.Egress (and VPC endpoints)", n)
		}
		if nw.External {
			ds.Warnf("", "networks."+render.Key(n)+".external", "external network %s: ECS tasks cannot join a docker network; composex treats it as a network of this project (its services here may reach each other), and nothing else is connected", n)
		}
	}
}

// onlyInternal reports whether every network of the service is internal.
func onlyInternal(p *types.Project, service string) bool {
	nets := render.ServiceNetworks(p, service)
	for _, n := range nets {
		if !p.Networks[n].Internal {
			return false
		}
	}
	return len(nets) > 0
}

// readQuiet decodes a service's x-network, leaving its problems to Validate.
func readQuiet(p *types.Project, s types.ServiceConfig) *XNetwork {
	var quiet render.Diagnostics
	return read(p, s, nil, &quiet)
}

// composeNetworks writes the security groups and rules of the compose
// networks. restricted lists the families whose egress x-network.Egress
// limits: they also get an egress rule to each port they may call.
func composeNetworks(p *types.Project, m *render.Model, restricted map[string]bool, ds *render.Diagnostics) {
	// The networks of each family: those of all its services.
	famNets := map[string]map[string]bool{}
	members := map[string][]*render.Family{}
	for _, f := range m.Families {
		famNets[f.Name] = map[string]bool{}
		for _, s := range f.Services {
			for _, n := range render.ServiceNetworks(p, s.Name) {
				famNets[f.Name][n] = true
			}
		}
		for _, n := range slices.Sorted(maps.Keys(famNets[f.Name])) {
			members[n] = append(members[n], f)
		}
	}
	// A network needs a group when a family on it offers a port to another.
	needed := map[string]bool{}
	for n, fams := range members {
		if len(fams) < 2 {
			continue
		}
		for _, f := range fams {
			for _, s := range f.Services {
				if slices.Contains(render.ServiceNetworks(p, s.Name), n) && len(render.ListenPorts(*s)) > 0 {
					needed[n] = true
				}
			}
		}
	}
	for _, n := range slices.Sorted(maps.Keys(needed)) {
		_ = m.AddResource(NetworkGroupID(n), &ec2.SecurityGroup{
			GroupDescription: fmt.Sprintf("composex %s: tasks on the compose network %s", m.Name, render.ResourceName(n)),
			VpcId:            cloudformation.String(cloudformation.Ref(render.ParamVpcId)),
			// The group only marks its members; its egress must not widen
			// what a member family's own group allows, so it has none.
			SecurityGroupEgress: []ec2.SecurityGroup_Egress{{IpProtocol: "-1", CidrIp: cloudformation.String("127.0.0.1/32"),
				Description: cloudformation.String("no egress of its own: each family's group decides")}},
			Tags: []tags.Tag{{Key: "Name", Value: cloudformation.Sub("${AWS::StackName}-network-" + render.ResourceName(n))},
				{Key: "composex:project", Value: m.Name}, {Key: "composex:network", Value: n}},
		})
	}
	for _, f := range m.Families {
		var groups []string
		for _, n := range slices.Sorted(maps.Keys(famNets[f.Name])) {
			if needed[n] {
				groups = append(groups, n)
			}
		}
		if len(groups) == 0 {
			continue
		}
		if len(groups)+1 > maxSecurityGroups {
			s := f.Services[0].Name
			ds.Errorf(s, render.ServicePath(s, "networks"), "family %s is on %d compose networks (%s); a task's network interface takes %d security groups, its own and %d networks: put its services on fewer networks",
				f.Name, len(groups), strings.Join(groups, ", "), maxSecurityGroups, maxSecurityGroups-1)
			continue
		}
		ids := make([]string, len(groups))
		for i, n := range groups {
			ids[i] = cloudformation.GetAtt(NetworkGroupID(n), "GroupId")
		}
		f.ServiceHooks = append(f.ServiceHooks, func(s *ecs.Service) {
			if nc := s.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil {
				nc.AwsvpcConfiguration.SecurityGroups = append(nc.AwsvpcConfiguration.SecurityGroups, ids...)
			}
		})
		own := cloudformation.GetAtt(f.SecurityGroupID(), "GroupId")
		for _, s := range f.Services {
			c := f.Container(s.Name)
			if c == nil {
				continue
			}
			for _, n := range render.ServiceNetworks(p, s.Name) {
				if !needed[n] {
					continue
				}
				src := cloudformation.GetAtt(NetworkGroupID(n), "GroupId")
				for _, port := range render.ListenPorts(*s) {
					id := fmt.Sprintf("%sIngressFromComposeNetwork%sPort%d%s", f.Logical, render.LogicalName(n), port.ContainerPort, strings.ToUpper(port.Protocol))
					if _, dup := f.Resources[id]; dup {
						continue
					}
					_ = f.AddResource(id, &ec2.SecurityGroupIngress{
						GroupId:               &own,
						IpProtocol:            port.Protocol,
						FromPort:              cloudformation.Int(port.ContainerPort),
						ToPort:                cloudformation.Int(port.ContainerPort),
						SourceSecurityGroupId: &src,
						Description:           cloudformation.String(fmt.Sprintf("from compose network %s to %s on %d/%s", render.ResourceName(n), s.Name, port.ContainerPort, port.Protocol)),
					})
				}
			}
		}
	}
	// A family whose egress is limited may still call its peers.
	for _, f := range m.Families {
		if !restricted[f.Name] {
			continue
		}
		own := cloudformation.GetAtt(f.SecurityGroupID(), "GroupId")
		for _, n := range slices.Sorted(maps.Keys(famNets[f.Name])) {
			if !needed[n] {
				continue
			}
			for _, g := range members[n] {
				if g == f {
					continue
				}
				dest := cloudformation.GetAtt(g.SecurityGroupID(), "GroupId")
				for _, s := range g.Services {
					if !slices.Contains(render.ServiceNetworks(p, s.Name), n) {
						continue
					}
					for _, port := range render.ListenPorts(*s) {
						id := fmt.Sprintf("%sEgressTo%sPort%d%s", f.Logical, g.Logical, port.ContainerPort, strings.ToUpper(port.Protocol))
						if _, dup := f.Resources[id]; dup {
							continue
						}
						_ = f.AddResource(id, &ec2.SecurityGroupEgress{
							GroupId:                    own,
							IpProtocol:                 port.Protocol,
							FromPort:                   cloudformation.Int(port.ContainerPort),
							ToPort:                     cloudformation.Int(port.ContainerPort),
							DestinationSecurityGroupId: &dest,
							Description:                cloudformation.String(fmt.Sprintf("to %s on %d/%s over compose network %s", s.Name, port.ContainerPort, port.Protocol, render.ResourceName(n))),
						})
					}
				}
			}
		}
	}
}
