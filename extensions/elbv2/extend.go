package elbv2

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	elb "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
	"github.com/awslabs/goformation/v7/cloudformation/tags"

	"github.com/composex/composex/render"
)

// PublicSubnetsParam holds the subnets of internet-facing load balancers.
const PublicSubnetsParam = "PublicSubnetIds"

// minGracePeriod is the least time ECS ignores the load balancer's health
// checks after a task starts: Fargate pulls the image and starts the
// containers inside it, and the target group needs HealthyThreshold checks
// before it calls a new target healthy.
const minGracePeriod = 60

// CertificateParam is the parameter holding the ARN of the certificate
// x-acm calls name.
func CertificateParam(name string) string { return render.LogicalName(name) + "CertificateArn" }

// Extend creates the load balancers, their security groups, listeners,
// rules and target groups, attaches the ECS services and opens the task
// security groups to the load balancer on the target ports only.
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds render.Diagnostics
	var discard render.Diagnostics // reported by Validate
	pl := read(in.Project, &discard)
	if pl == nil {
		return nil
	}
	for _, lb := range pl.lbs {
		emitLB(m, lb, &ds)
	}
	return ds
}

func emitLB(m *render.Model, lb *loadBalancer, ds *render.Diagnostics) {
	add := func(id string, r cloudformation.Resource) {
		if err := m.AddResource(id, r); err != nil {
			ds.Errorf("", lb.path, "%v", err)
		}
	}
	var lbArn, lbSG string
	if lb.lookup != nil {
		arnParam, sgParam := lb.id+"Arn", lb.id+"SecurityGroupId"
		// The ARN parameter is declared once a new listener uses it (below).
		_ = m.AddParameter(sgParam, render.Parameter{Type: "AWS::EC2::SecurityGroup::Id", Description: fmt.Sprintf("Security group of the existing load balancer %s: the tasks admit it on their target ports", lb.name)})
		lbArn, lbSG = cloudformation.Ref(arnParam), cloudformation.Ref(sgParam)
	} else {
		subnets := subnetParam(lb)
		if subnets == PublicSubnetsParam {
			_ = m.AddParameter("PublicSubnetIds", render.Parameter{Type: "List<AWS::EC2::Subnet::Id>", Description: "Public subnets (with a route to an internet gateway) for internet-facing load balancers and tasks with a public IP"})
		}
		sgID := lb.id + "SecurityGroup"
		add(sgID, securityGroup(m, lb, ds))
		lbSG = cloudformation.GetAtt(sgID, "GroupId")
		add(lb.id, &elb.LoadBalancer{
			Type:                   cloudformation.String(lb.typ),
			Scheme:                 cloudformation.String(lb.scheme),
			Subnets:                []string{cloudformation.Ref(subnets)},
			SecurityGroups:         []string{lbSG},
			LoadBalancerAttributes: lbAttributes(lb, ds),
			Tags:                   append([]tags.Tag{{Key: "composex:project", Value: m.Name}}, toTags(lb.tags)...),
		})
		lbArn = cloudformation.Ref(lb.id)
		m.Outputs[lb.id+"DnsName"] = cloudformation.Output{
			Description: cloudformation.String(fmt.Sprintf("DNS name of the load balancer %s", lb.name)),
			Value:       cloudformation.GetAtt(lb.id, "DNSName"),
		}
	}
	for _, tg := range lb.tgs {
		add(tg.id, targetGroupResource(m, lb, tg))
	}
	// Which listener (or rule) resources each target group depends on: ECS
	// refuses a service whose target group is not yet attached to the load
	// balancer, so the service waits for them.
	attached := map[*targetGroup][]string{}
	for _, ln := range lb.listeners {
		lnID := lb.id + "Listener" + strconv.Itoa(ln.port)
		listenerArn := cloudformation.Ref(lnID)
		if ln.existing != "" {
			_ = m.AddParameter(ln.existing, render.Parameter{Type: "String", Description: fmt.Sprintf("ARN of the existing listener on port %d of %s (x-elbv2 Lookup)", ln.port, lb.name)})
			listenerArn = cloudformation.Ref(ln.existing)
		} else {
			for _, c := range ln.certs {
				if c.param != "" {
					_ = m.AddParameter(c.param, render.Parameter{Type: "String", Description: "ARN of an ACM certificate (arn:aws:acm:REGION:ACCOUNT:certificate/ID) for the load balancer listeners"})
				}
			}
			if lb.lookup != nil {
				_ = m.AddParameter(lb.id+"Arn", render.Parameter{Type: "String", Description: fmt.Sprintf("ARN of the existing load balancer %s (x-elbv2 Lookup)", lb.name)})
			}
			add(lnID, listenerResource(lb, ln, lbArn))
			if ln.def != nil {
				attached[ln.def.tg] = append(attached[ln.def.tg], lnID)
			}
			m.Outputs[lnID+"Url"] = cloudformation.Output{
				Description: cloudformation.String(fmt.Sprintf("URL of the %s listener on port %d of %s", ln.protocol, ln.port, lb.name)),
				Value:       listenerURL(lb, ln),
			}
		}
		for i, r := range ln.rules {
			ruleID := fmt.Sprintf("%sRule%d", lnID, i+1)
			priority := i + 1
			if ln.existing != "" {
				// Rules of an existing listener go after the ones it has.
				priority = 1000 + i
			}
			add(ruleID, &elb.ListenerRule{
				ListenerArn: cloudformation.String(listenerArn),
				Priority:    priority,
				Conditions:  r.conditions(),
				Actions:     ruleActions(r),
			})
			attached[r.tg] = append(attached[r.tg], ruleID)
		}
	}
	for _, tg := range lb.tgs {
		for _, mb := range tg.members {
			attach(m, lb, tg, mb, lbSG, attached[tg], ds)
		}
	}
}

// securityGroup is the load balancer's own group: it admits the listed
// sources (everyone for an internet-facing load balancer without
// Ingress) on the listener ports.
func securityGroup(m *render.Model, lb *loadBalancer, ds *render.Diagnostics) *ec2.SecurityGroup {
	sg := &ec2.SecurityGroup{
		GroupDescription: fmt.Sprintf("composex %s: load balancer %s", m.Name, lb.name),
		VpcId:            cloudformation.String(cloudformation.Ref(render.ParamVpcId)),
		Tags:             []tags.Tag{{Key: "Name", Value: cloudformation.Sub("${AWS::StackName}-" + render.ResourceName(lb.name))}, {Key: "composex:project", Value: m.Name}},
	}
	in := lb.settings.Ingress
	if in == nil {
		if lb.scheme == internal {
			ds.Warnf("", lb.settingsPath+".Ingress", "the internal load balancer %s admits no one: list who may call it in MacroParameters.Ingress (ExtSources with the VPC's CIDR, or AwsSources with a security group)", lb.name)
			return sg
		}
		in = &Ingress{ExtSources: []ExtSource{{Name: "Internet", IPv4: "0.0.0.0/0"}}}
	}
	for _, ln := range lb.listeners {
		for _, proto := range ipProtocols(ln.protocol) {
			for _, e := range in.ExtSources {
				if len(e.Ports) > 0 && !slices.Contains(e.Ports, ln.port) {
					continue
				}
				r := ec2.SecurityGroup_Ingress{IpProtocol: proto, FromPort: cloudformation.Int(ln.port), ToPort: cloudformation.Int(ln.port),
					Description: cloudformation.String(orDefault(e.Description, "from "+orDefault(e.Name, e.IPv4+e.IPv6)) + fmt.Sprintf(" to listener %d", ln.port))}
				if e.IPv6 != "" {
					r.CidrIpv6 = cloudformation.String(e.IPv6)
				} else {
					r.CidrIp = cloudformation.String(e.IPv4)
				}
				sg.SecurityGroupIngress = append(sg.SecurityGroupIngress, r)
			}
			for _, a := range in.AwsSources {
				if len(a.Ports) > 0 && !slices.Contains(a.Ports, ln.port) {
					continue
				}
				r := ec2.SecurityGroup_Ingress{IpProtocol: proto, FromPort: cloudformation.Int(ln.port), ToPort: cloudformation.Int(ln.port),
					Description: cloudformation.String(fmt.Sprintf("from %s to listener %d", a.Id, ln.port))}
				if a.Type == "PrefixList" {
					r.SourcePrefixListId = cloudformation.String(a.Id)
				} else {
					r.SourceSecurityGroupId = cloudformation.String(a.Id)
				}
				sg.SecurityGroupIngress = append(sg.SecurityGroupIngress, r)
			}
		}
	}
	return sg
}

func ipProtocols(listenerProtocol string) []string {
	switch listenerProtocol {
	case "UDP":
		return []string{"udp"}
	case "TCP_UDP":
		return []string{"tcp", "udp"}
	}
	return []string{"tcp"}
}

// lbAttributes turns the shortcuts and S3Logs into attributes, then adds
// the ones written in Properties; one key is set once.
func lbAttributes(lb *loadBalancer, ds *render.Diagnostics) []elb.LoadBalancer_LoadBalancerAttribute {
	var out []elb.LoadBalancer_LoadBalancerAttribute
	seen := map[string]bool{}
	put := func(k, v string) {
		if seen[k] {
			ds.Errorf("", lb.path+".Properties.LoadBalancerAttributes", "the attribute %s is also set by a shortcut; set it once", k)
			return
		}
		seen[k] = true
		out = append(out, elb.LoadBalancer_LoadBalancerAttribute{Key: cloudformation.String(k), Value: cloudformation.String(v)})
	}
	s := lb.settings
	if s.TimeoutSeconds != nil {
		put("idle_timeout.timeout_seconds", strconv.Itoa(*s.TimeoutSeconds))
	}
	if s.DesyncMitigationMode != "" {
		put("routing.http.desync_mitigation_mode", s.DesyncMitigationMode)
	}
	if s.DropInvalidHeaderFields != nil {
		put("routing.http.drop_invalid_header_fields.enabled", strconv.FormatBool(*s.DropInvalidHeaderFields))
	}
	if s.HTTP2 != nil {
		put("routing.http2.enabled", strconv.FormatBool(*s.HTTP2))
	}
	if s.CrossZone != nil && !lb.alb() {
		put("load_balancing.cross_zone.enabled", strconv.FormatBool(*s.CrossZone))
	}
	if s.S3Logs != "" {
		bucket, prefix, _ := strings.Cut(s.S3Logs, ":")
		put("access_logs.s3.enabled", "true")
		put("access_logs.s3.bucket", bucket)
		if prefix = strings.Trim(prefix, "/"); prefix != "" {
			put("access_logs.s3.prefix", prefix)
		}
	}
	for _, a := range lb.attributes {
		put(a.Key, a.Value)
	}
	return out
}

func toTags(kv []KeyValue) []tags.Tag {
	var out []tags.Tag
	for _, t := range kv {
		out = append(out, tags.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

func targetGroupResource(m *render.Model, lb *loadBalancer, tg *targetGroup) *elb.TargetGroup {
	hc := tg.health
	port := "traffic-port"
	if tg.healthPort != 0 {
		port = strconv.Itoa(tg.healthPort)
	}
	r := &elb.TargetGroup{
		// awsvpc tasks register by IP address: ECS needs target type ip.
		TargetType:                 cloudformation.String("ip"),
		VpcId:                      cloudformation.String(cloudformation.Ref(render.ParamVpcId)),
		Port:                       cloudformation.Int(tg.port),
		Protocol:                   cloudformation.String(tg.protocol),
		HealthCheckEnabled:         hc.HealthCheckEnabled,
		HealthCheckProtocol:        cloudformation.String(hc.HealthCheckProtocol),
		HealthCheckPort:            cloudformation.String(port),
		HealthCheckIntervalSeconds: hc.HealthCheckIntervalSeconds,
		HealthCheckTimeoutSeconds:  hc.HealthCheckTimeoutSeconds,
		HealthyThresholdCount:      hc.HealthyThresholdCount,
		UnhealthyThresholdCount:    hc.UnhealthyThresholdCount,
		Tags:                       []tags.Tag{{Key: "composex:project", Value: m.Name}, {Key: "composex:target", Value: lb.name + "/" + tg.key}},
	}
	if hc.HealthCheckPath != "" {
		r.HealthCheckPath = cloudformation.String(hc.HealthCheckPath)
	}
	if hc.Matcher != nil {
		r.Matcher = &elb.TargetGroup_Matcher{}
		if hc.Matcher.HttpCode != "" {
			r.Matcher.HttpCode = cloudformation.String(hc.Matcher.HttpCode)
		}
		if hc.Matcher.GrpcCode != "" {
			r.Matcher.GrpcCode = cloudformation.String(hc.Matcher.GrpcCode)
		}
	}
	for _, a := range tg.attributes {
		r.TargetGroupAttributes = append(r.TargetGroupAttributes, elb.TargetGroup_TargetGroupAttribute{Key: cloudformation.String(a.Key), Value: cloudformation.String(a.Value)})
	}
	return r
}

func listenerResource(lb *loadBalancer, ln *listener, lbArn string) *elb.Listener {
	l := &elb.Listener{
		LoadBalancerArn: lbArn,
		Port:            cloudformation.Int(ln.port),
		Protocol:        cloudformation.String(ln.protocol),
	}
	if ln.sslPolicy != "" {
		l.SslPolicy = cloudformation.String(ln.sslPolicy)
	}
	for _, c := range ln.certs {
		arn := c.arn
		if c.param != "" {
			arn = cloudformation.Ref(c.param)
		}
		l.Certificates = append(l.Certificates, elb.Listener_Certificate{CertificateArn: cloudformation.String(arn)})
	}
	switch {
	case ln.redirect:
		l.DefaultActions = []elb.Listener_Action{{Type: "redirect", RedirectConfig: &elb.Listener_RedirectConfig{
			Protocol: cloudformation.String("HTTPS"), Port: cloudformation.String("443"), StatusCode: "HTTP_301",
			Host: cloudformation.String("#{host}"), Path: cloudformation.String("/#{path}"), Query: cloudformation.String("#{query}")}}}
	case ln.teaPot:
		// compose-x's tea_pot(): what no rule takes is answered 418.
		l.DefaultActions = []elb.Listener_Action{{Type: "fixed-response", FixedResponseConfig: &elb.Listener_FixedResponseConfig{
			StatusCode: "418", ContentType: cloudformation.String("application/json"), MessageBody: cloudformation.String(`{"Info": "Be our guest"}`)}}}
	case ln.def != nil:
		var actions []elb.Listener_Action
		for _, a := range ruleActions(ln.def) {
			// A listener action and a rule action are the same object in
			// CloudFormation; goformation has one Go type for each.
			var la elb.Listener_Action
			b, _ := json.Marshal(a)
			_ = json.Unmarshal(b, &la)
			actions = append(actions, la)
		}
		l.DefaultActions = actions
	default:
		// Only rules forward: anything they do not match gets a 404.
		l.DefaultActions = []elb.Listener_Action{{Type: "fixed-response", FixedResponseConfig: &elb.Listener_FixedResponseConfig{
			StatusCode: "404", ContentType: cloudformation.String("text/plain"), MessageBody: cloudformation.String("Not found")}}}
	}
	return l
}

// ruleActions authenticate first when the target asks for it, then forward.
func ruleActions(r *route) []elb.ListenerRule_Action {
	forward := elb.ListenerRule_Action{Type: "forward", TargetGroupArn: cloudformation.RefPtr(r.tg.id)}
	t := r.target
	switch {
	case t.AuthenticateOidcConfig != nil:
		forward.Order = cloudformation.Int(2)
		return []elb.ListenerRule_Action{{Type: "authenticate-oidc", Order: cloudformation.Int(1), AuthenticateOidcConfig: t.AuthenticateOidcConfig}, forward}
	case t.AuthenticateCognitoConfig != nil:
		forward.Order = cloudformation.Int(2)
		return []elb.ListenerRule_Action{{Type: "authenticate-cognito", Order: cloudformation.Int(1), AuthenticateCognitoConfig: t.AuthenticateCognitoConfig}, forward}
	}
	return []elb.ListenerRule_Action{forward}
}

// listenerURL is how a client reaches the listener.
func listenerURL(lb *loadBalancer, ln *listener) string {
	scheme := strings.ToLower(ln.protocol)
	if scheme == "tcp_udp" {
		scheme = "tcp"
	}
	port := ":" + strconv.Itoa(ln.port)
	if (scheme == "http" && ln.port == 80) || (scheme == "https" && ln.port == 443) {
		port = ""
	}
	return cloudformation.Sub(scheme + "://${" + lb.id + ".DNSName}" + port)
}

// attach registers a family's container in the target group: the ECS
// service's LoadBalancers entry, its grace period, the ingress rule from
// the load balancer on the target port (and the health check port), and
// the model's record of the target.
func attach(m *render.Model, lb *loadBalancer, tg *targetGroup, mb member, lbSG string, deps []string, ds *render.Diagnostics) {
	f := m.Family(mb.family)
	if f == nil {
		return
	}
	c := f.Container(mb.container)
	if c == nil {
		ds.Errorf(mb.container, mb.path, "family %s has no container %s", f.Name, mb.container)
		return
	}
	grace := minGracePeriod
	if c.HealthCheck != nil && c.HealthCheck.StartPeriod > grace {
		grace = c.HealthCheck.StartPeriod
	}
	entry := ecs.Service_LoadBalancer{ContainerName: cloudformation.String(c.Name), ContainerPort: cloudformation.Int(mb.port), TargetGroupArn: cloudformation.RefPtr(tg.id)}
	f.ServiceHooks = append(f.ServiceHooks, func(s *ecs.Service) {
		s.LoadBalancers = append(s.LoadBalancers, entry)
		if s.HealthCheckGracePeriodSeconds == nil || *s.HealthCheckGracePeriodSeconds < grace {
			s.HealthCheckGracePeriodSeconds = cloudformation.Int(grace)
		}
		for _, d := range deps {
			if !slices.Contains(s.AWSCloudFormationDependsOn, d) {
				s.AWSCloudFormationDependsOn = append(s.AWSCloudFormationDependsOn, d)
			}
		}
	})
	taskSG := cloudformation.GetAtt(f.SecurityGroupID(), "GroupId")
	open := func(port int, proto, why string) {
		id := fmt.Sprintf("%sIngressFrom%sPort%d%s", f.Logical, lb.id, port, strings.ToUpper(proto))
		if _, exists := f.Resources[id]; exists {
			return
		}
		_ = f.AddResource(id, &ec2.SecurityGroupIngress{
			GroupId:               &taskSG,
			IpProtocol:            proto,
			FromPort:              cloudformation.Int(port),
			ToPort:                cloudformation.Int(port),
			SourceSecurityGroupId: cloudformation.String(lbSG),
			Description:           cloudformation.String(fmt.Sprintf("from load balancer %s to %s on %d/%s (%s)", lb.name, mb.container, port, proto, why)),
		})
	}
	lbID := lb.id
	if lb.lookup != nil {
		lbID = "" // an existing load balancer: not a resource of the stack
	}
	for _, proto := range tg.transport() {
		open(mb.port, proto, "traffic")
		f.LoadBalancerTargets = append(f.LoadBalancerTargets, render.LoadBalancerTarget{
			Service: mb.container, Container: c.Name, ContainerPort: mb.port, Protocol: proto,
			TargetGroup: tg.id, LoadBalancer: lbID,
		})
	}
	if tg.healthPort != 0 {
		open(tg.healthPort, "tcp", "health check")
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
