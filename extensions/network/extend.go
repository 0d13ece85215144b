package network

import (
	"fmt"
	"slices"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	"github.com/awslabs/goformation/v7/cloudformation/servicediscovery"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

// Extend adds the family's ingress rules, egress restrictions, public IP
// and Cloud Map registration, then the rules of the compose networks and
// the public subnets of tasks with a public IP.
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds render.Diagnostics
	nss := readNamespaces(in.Project, &ds)
	restricted := map[string]bool{}
	for _, f := range m.Families {
		var egress []EgressRule
		var cloudMap *CloudMapRef
		cloudMapFrom := ""
		for _, s := range f.Services {
			x := read(in.Project, *s, nss, &ds)
			if x == nil {
				continue
			}
			f.AssignPublicIp = f.AssignPublicIp || x.AssignPublicIp
			if x.Ingress != nil {
				ingress(m, f, s.Name, x.Ingress, &ds)
			}
			egress = append(egress, x.Egress...)
			ref := x.CloudMap
			if ref == nil && x.UseCloudmap != nil && *x.UseCloudmap {
				ref = legacyNamespace(nss)
				ds.Warnf(s.Name, render.ServicePath(s.Name, key, "UseCloudmap"), "UseCloudmap is compose-x's legacy form; %s", legacyNote(ref))
			}
			if ref == nil {
				continue
			}
			if cloudMap != nil && cloudMap.Namespace != ref.Namespace {
				ds.Errorf(s.Name, render.ServicePath(s.Name, key, "x-cloudmap"), "family %s: %s registers in namespace %q but %s in %q; an ECS service registers in one", f.Name, s.Name, ref.Namespace, cloudMapFrom, cloudMap.Namespace)
				continue
			}
			if cloudMap == nil {
				if ref.Port == 0 {
					ref.Port = mainPort(*s)
				}
				cloudMap, cloudMapFrom = ref, s.Name
			}
		}
		if len(egress) > 0 {
			restrictEgress(f, egress)
			restricted[f.Name] = true
		}
		if cloudMap != nil {
			if err := register(m, f, cloudMapFrom, cloudMap, nss); err != nil {
				ds.Errorf(cloudMapFrom, render.ServicePath(cloudMapFrom, key), "%v", err)
			}
		}
	}
	composeNetworks(in.Project, m, restricted, &ds)
	publicSubnets(m)
	return ds
}

// legacyNamespace picks the namespace of UseCloudmap: the only declared
// one, or the NamespaceId parameter when none is declared.
func legacyNamespace(nss map[string]XCloudMapNamespace) *CloudMapRef {
	for name := range nss { // read() refused more than one
		return &CloudMapRef{Namespace: name}
	}
	return &CloudMapRef{}
}

func legacyNote(ref *CloudMapRef) string {
	if ref.Namespace == "" {
		return "the family registers in the Cloud Map namespace given by the " + NamespaceParam + " parameter"
	}
	return fmt.Sprintf("the family registers in the namespace %s", ref.Namespace)
}

// mainPort is the port others call a service on: its first published
// port in the order written (exporter ports are usually not published),
// else its first port.
func mainPort(s types.ServiceConfig) int {
	for _, p := range s.Ports {
		if p.Published != "" {
			return int(p.Target)
		}
	}
	if ports := render.ListenPorts(s); len(ports) > 0 {
		return ports[0].ContainerPort
	}
	return 0
}

// dependOn has family f's ECS service created after other's (compose-x's
// Ingress.Services[].DependsOn), unless other already waits for f, directly
// or not: CloudFormation refuses a circular dependency, so that one is
// reported and left out.
func dependOn(m *render.Model, f, other *render.Family, service, path string, ds *render.Diagnostics) {
	if slices.Contains(f.DependsOn, other.Name) {
		return
	}
	seen := map[string]bool{}
	var waits func(g *render.Family) bool // does g wait for f?
	waits = func(g *render.Family) bool {
		if g == nil || seen[g.Name] {
			return false
		}
		seen[g.Name] = true
		for _, d := range g.DependsOn {
			if d == f.Name || waits(m.Family(d)) {
				return true
			}
		}
		return false
	}
	if waits(other) {
		ds.Warnf(service, path, "family %s already waits for %s, so %s cannot also wait for %s (CloudFormation refuses a circular dependency); DependsOn is ignored", other.Name, f.Name, f.Name, other.Name)
		return
	}
	f.DependsOn = append(f.DependsOn, other.Name)
	slices.Sort(f.DependsOn)
}

// source is who an ingress rule lets in.
type source struct {
	stem        string // part of the logical ID
	description string
	set         func(r *ec2.SecurityGroupIngress)
	ports       []int
	// owner is the family whose resources hold the rule: the source
	// family for another service's tasks, so that the rule sits with the
	// caller (which also waits for the services it calls) and nested
	// stacks refer to each other in one direction only; else the family.
	owner *render.Family
}

// ingress opens the ports service listens on to each source, one rule per
// source and port, on the container port (the port an awsvpc task is
// reached on).
func ingress(m *render.Model, f *render.Family, service string, in *Ingress, ds *render.Diagnostics) {
	c := f.Container(service)
	if c == nil {
		return
	}
	var sources []source
	sg := cloudformation.GetAtt(f.SecurityGroupID(), "GroupId")
	if in.Myself {
		sources = append(sources, source{stem: "Self", description: "from tasks of " + f.Name,
			set: func(r *ec2.SecurityGroupIngress) { r.SourceSecurityGroupId = &sg }})
	}
	for i, e := range in.ExtSources {
		cidr, v6 := e.IPv4, false
		if cidr == "" {
			cidr, v6 = e.IPv6, true
		}
		stem := render.LogicalName(e.Name)
		if e.Name == "" {
			stem = "Cidr" + render.LogicalName(strings.NewReplacer(".", "x", ":", "x", "/", "m").Replace(cidr))
		}
		desc := e.Description
		if desc == "" {
			desc = "from " + orDefault(e.Name, cidr)
		}
		if cidr == "0.0.0.0/0" || cidr == "::/0" {
			ds.Warnf(service, fmt.Sprintf("%s.Ingress.ExtSources.%d", render.ServicePath(service, key), i), "%s opens %s to the whole internet", cidr, service)
		}

		sources = append(sources, source{stem: stem, description: desc, ports: e.Ports, set: func(r *ec2.SecurityGroupIngress) {
			if v6 {
				r.CidrIpv6 = &cidr
			} else {
				r.CidrIp = &cidr
			}
		}})
	}
	for _, a := range in.AwsSources {
		a := a
		sources = append(sources, source{stem: render.LogicalName(a.Id), description: "from " + a.Id, ports: a.Ports, set: func(r *ec2.SecurityGroupIngress) {
			if a.Type == "PrefixList" {
				r.SourcePrefixListId = &a.Id
				return
			}
			r.SourceSecurityGroupId = &a.Id
			if a.AccountOwner != "" {
				r.SourceSecurityGroupOwnerId = &a.AccountOwner
			}
		}})
	}
	for i, ref := range in.Services {
		for _, other := range m.FamiliesOf(ref.Name) {
			if ref.DependsOn && other != f {
				dependOn(m, f, other, service, fmt.Sprintf("%s.Ingress.Services.%d.DependsOn", render.ServicePath(service, key), i), ds)
			}
			other := other
			otherSG := cloudformation.GetAtt(other.SecurityGroupID(), "GroupId")
			sources = append(sources, source{stem: other.Logical, description: "from service " + ref.Name + " (family " + other.Name + ")", ports: ref.Ports, owner: other,
				set: func(r *ec2.SecurityGroupIngress) { r.SourceSecurityGroupId = &otherSG }})
		}
	}
	for _, src := range sources {
		for _, p := range filterPorts(c.Ports, src.ports) {
			r := &ec2.SecurityGroupIngress{
				GroupId:     &sg,
				IpProtocol:  p.Protocol,
				FromPort:    cloudformation.Int(p.ContainerPort),
				ToPort:      cloudformation.Int(p.ContainerPort),
				Description: cloudformation.String(fmt.Sprintf("%s to %s on %d/%s", src.description, service, p.ContainerPort, p.Protocol)),
			}
			src.set(r)
			base := fmt.Sprintf("%sIngressFrom%sPort%d%s", f.Logical, src.stem, p.ContainerPort, strings.ToUpper(p.Protocol))
			id := base
			// Two sources can share a stem (an IPv4 and an IPv6 range with one
			// Name, a Name that is also a family's name): number them rather
			// than drop one. The same source and port from another service of
			// the family is one rule.
			owner := src.owner
			if owner == nil {
				owner = f
			}
			for n := 2; ; n++ {
				prev, taken := owner.Resources[id].(*ec2.SecurityGroupIngress)
				if !taken && owner.Resources[id] == nil {
					_ = owner.AddResource(id, r)
					break
				}
				if taken && sameRule(prev, r) {
					break
				}
				id = fmt.Sprintf("%s%d", base, n)
			}
		}
	}
}

// sameRule reports whether two ingress rules let the same source in on the
// same port.
func sameRule(a, b *ec2.SecurityGroupIngress) bool {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	i := func(p *int) int {
		if p == nil {
			return -1
		}
		return *p
	}
	return a.IpProtocol == b.IpProtocol && i(a.FromPort) == i(b.FromPort) && i(a.ToPort) == i(b.ToPort) &&
		s(a.CidrIp) == s(b.CidrIp) && s(a.CidrIpv6) == s(b.CidrIpv6) &&
		s(a.SourceSecurityGroupId) == s(b.SourceSecurityGroupId) && s(a.SourcePrefixListId) == s(b.SourcePrefixListId) &&
		s(a.SourceSecurityGroupOwnerId) == s(b.SourceSecurityGroupOwnerId)
}

// restrictEgress replaces the default allow-all egress of the family's
// security group by the listed destinations.
func restrictEgress(f *render.Family, rules []EgressRule) {
	f.SecurityGroupHooks = append(f.SecurityGroupHooks, func(sg *ec2.SecurityGroup) {
		for _, e := range rules {
			proto := orDefault(e.Protocol, "tcp")
			base := ec2.SecurityGroup_Egress{IpProtocol: proto}
			if proto == "all" {
				base.IpProtocol = "-1"
			}
			if e.Description != "" {
				base.Description = cloudformation.String(e.Description)
			}
			switch {
			case e.IPv4 != "":
				base.CidrIp = cloudformation.String(e.IPv4)
			case e.IPv6 != "":
				base.CidrIpv6 = cloudformation.String(e.IPv6)
			default:
				base.DestinationPrefixListId = cloudformation.String(e.PrefixList)
			}
			if proto == "all" {
				sg.SecurityGroupEgress = append(sg.SecurityGroupEgress, base)
				continue
			}
			for _, port := range e.Ports {
				r := base
				r.FromPort, r.ToPort = cloudformation.Int(port), cloudformation.Int(port)
				sg.SecurityGroupEgress = append(sg.SecurityGroupEgress, r)
			}
		}
	})
}

// register creates the family's Cloud Map service and has the ECS service
// register its tasks in it, with the port they listen on.
func register(m *render.Model, f *render.Family, service string, ref *CloudMapRef, nss map[string]XCloudMapNamespace) error {
	namespaceID := ResolveNamespace(m, nss, ref.Namespace).ID
	hostname := ref.Name
	if hostname == "" {
		hostname = familyHostname(f)
	}
	records := []servicediscovery.Service_DnsRecord{{Type: "A", TTL: 15}}
	if ref.Port != 0 {
		records = append(records, servicediscovery.Service_DnsRecord{Type: "SRV", TTL: 15})
	}
	id := f.Logical + "DiscoveryService"
	if err := f.AddResource(id, &servicediscovery.Service{
		Name:                    cloudformation.String(hostname),
		Description:             cloudformation.String("Tasks of " + f.Name),
		NamespaceId:             &namespaceID,
		DnsConfig:               &servicediscovery.Service_DnsConfig{DnsRecords: records, RoutingPolicy: cloudformation.String("MULTIVALUE")},
		HealthCheckCustomConfig: &servicediscovery.Service_HealthCheckCustomConfig{FailureThreshold: floatPtr(1)},
	}); err != nil {
		return err
	}
	registry := ecs.Service_ServiceRegistry{RegistryArn: cloudformation.GetAttPtr(id, "Arn")}
	if ref.Port != 0 {
		registry.ContainerName, registry.ContainerPort = cloudformation.String(service), cloudformation.Int(ref.Port)
	}
	f.ServiceHooks = append(f.ServiceHooks, func(s *ecs.Service) {
		s.ServiceRegistries = append(s.ServiceRegistries, registry)
	})
	// The A records answer hostname.zone where the zone's name is known
	// (a namespace composex creates or looks up by name).
	if zone := nss[ref.Namespace].ZoneName; zone != "" && ref.Port != 0 {
		m.PublishEndpoint(service, render.Endpoint{DnsName: hostname + "." + zone, Port: ref.Port, Via: render.EndpointCloudMap})
	}
	return nil
}

// Namespace is a Cloud Map namespace as the template refers to it.
type Namespace struct {
	ID  string // its ID (ns-...), possibly an intrinsic
	Arn string // its ARN, possibly an intrinsic
}

// ResolveNamespace returns the namespace called name in the top-level
// x-cloudmap: an existing one (NamespaceId), or the private DNS namespace
// composex creates, once per project, as CloudMapNamespace<Name>. An empty
// name is the namespace given by the NamespaceId parameter (declared once).
// Every extension that puts services in Cloud Map (x-cloudmap
// registration, ECS Service Connect) resolves namespaces here.
func ResolveNamespace(m *render.Model, nss map[string]XCloudMapNamespace, name string) Namespace {
	arnOf := func(id string) string {
		return cloudformation.Sub("arn:${AWS::Partition}:servicediscovery:${AWS::Region}:${AWS::AccountId}:namespace/" + id)
	}
	if name == "" {
		_ = m.AddParameter(NamespaceParam, render.Parameter{Type: "String", Description: "ID of the Cloud Map namespace (ns-...) the services register in"})
		return Namespace{ID: cloudformation.Ref(NamespaceParam), Arn: arnOf("${" + NamespaceParam + "}")}
	}
	ns := nss[name]
	if ns.NamespaceId != "" {
		return Namespace{ID: ns.NamespaceId, Arn: arnOf(ns.NamespaceId)}
	}
	if ns.Lookup != nil && ns.Lookup != false {
		p := LookupParam(name)
		_ = m.AddParameter(p, render.Parameter{Type: "String", MinLength: 1, Description: fmt.Sprintf(
			"ID (ns-...) of the existing Cloud Map private DNS namespace %s (x-cloudmap.%s has Lookup: compose-x finds it by name, composex renders offline)", ns.ZoneName, name)})
		return Namespace{ID: cloudformation.Ref(p), Arn: arnOf("${" + p + "}")}
	}
	id := "CloudMapNamespace" + render.LogicalName(name)
	if _, exists := m.Resources[id]; !exists {
		_ = m.AddResource(id, &servicediscovery.PrivateDnsNamespace{
			Name:        ns.ZoneName,
			Vpc:         cloudformation.Ref(render.ParamVpcId),
			Description: cloudformation.String(orDefault(ns.Description, "Service discovery for "+m.Name)),
		})
	}
	return Namespace{ID: cloudformation.GetAtt(id, "Id"), Arn: cloudformation.GetAtt(id, "Arn")}
}

// Namespaces returns the namespaces of the top-level x-cloudmap by name;
// problems with them are reported by this extension's Validate.
func Namespaces(p *types.Project) map[string]XCloudMapNamespace {
	var ds render.Diagnostics
	return readNamespaces(p, &ds)
}

// familyHostname is the name others reach the family by: the
// ecs.task.family.hostname deploy label, else the family name as a DNS label.
func familyHostname(f *render.Family) string {
	for _, s := range f.Services {
		if s.Deploy != nil && s.Deploy.Labels[hostnameLabel] != "" {
			return s.Deploy.Labels[hostnameLabel]
		}
	}
	return strings.ToLower(render.ResourceName(f.Name))
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func floatPtr(f float64) *float64 { return &f }
