package elbv2

import (
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

const (
	application = "application"
	network     = "network"
	internet    = "internet-facing"
	internal    = "internal"
	// maxServiceTargets is how many load balancer entries one ECS service
	// may have.
	maxServiceTargets = 5
	// redirectHTTPS and redirectTeaPot are compose-x's default action
	// shorthands (handle_predefined_redirects): a 301 to HTTPS, and a
	// fixed 418 response for what no rule takes.
	redirectHTTPS  = "HTTP_TO_HTTPS"
	redirectTeaPot = "TEA_POT"
)

var (
	reCertArn  = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$`)
	reSG       = regexp.MustCompile(`^sg-[a-z0-9]+$`)
	rePL       = regexp.MustCompile(`^pl-[a-z0-9]+$`)
	reHTTPCode = regexp.MustCompile(`^[0-9]{3}(-[0-9]{3})?(,[0-9]{3}(-[0-9]{3})?)*$`)
	reHostName = regexp.MustCompile(`^[A-Za-z0-9*?.-]+$`)
)

// plan is x-elbv2 read and checked: every load balancer with its
// listeners and target groups resolved to families and container ports.
type plan struct {
	lbs []*loadBalancer
}

type loadBalancer struct {
	name, id, path string
	typ, scheme    string
	settings       Settings
	settingsPath   string
	attributes     []KeyValue
	tags           []KeyValue
	listeners      []*listener
	tgs            []*targetGroup // in key order
	lookup         *Lookup
}

func (lb *loadBalancer) alb() bool { return lb.typ == application }

type listener struct {
	port      int
	protocol  string
	path      string
	sslPolicy string
	certs     []cert
	redirect  bool
	// teaPot: the default action is compose-x's TEA_POT fixed response.
	teaPot bool
	// def is the target of the default action (nil: redirect or a fixed
	// 404 or 418 response); rules are the conditional targets, in order.
	def   *route
	rules []*route
	// existing is the parameter holding the ARN of a looked-up listener
	// that composex adds rules to (no listener is created).
	existing string
}

type cert struct {
	arn   string // literal ARN
	param string // or a template parameter holding it
}

// route is one listener target: where requests go and on what condition.
type route struct {
	tg     *targetGroup
	target Target
	path   string
}

type targetGroup struct {
	key, id, path string
	protocol      string // target group protocol (HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP)
	port          int
	health        HealthCheck
	healthPort    int // 0: traffic port
	attributes    []KeyValue
	members       []member
	used          bool
}

type member struct {
	family, container string
	port              int
	path              string
}

// protocols of the container port a target group forwards to.
func (tg *targetGroup) transport() []string {
	switch tg.protocol {
	case "UDP":
		return []string{"udp"}
	case "TCP_UDP":
		return []string{"tcp", "udp"}
	}
	return []string{"tcp"}
}

// ID is the logical ID of the load balancer x-elbv2 calls name; alarms
// and scaling find its resources by it.
func ID(name string) string { return render.LogicalName(name) + "LoadBalancer" }

// read decodes and checks the whole x-elbv2 block against the project.
func read(p *types.Project, ds *render.Diagnostics) *plan {
	raw, ok := p.Extensions[key]
	if !ok {
		return nil
	}
	var xs map[string]XLoadBalancer
	if err := render.DecodeExtension(raw, &xs); err != nil {
		ds.Errorf("", key, "%v", err)
		return nil
	}
	pl := &plan{}
	ports := projectPorts(p)
	for _, name := range slices.Sorted(maps.Keys(xs)) {
		if lb := readLB(name, xs[name], p, ports, ds); lb != nil {
			pl.lbs = append(pl.lbs, lb)
		}
	}
	checkServiceLimits(pl, ds)
	return pl
}

func readLB(name string, x XLoadBalancer, p *types.Project, ports map[string][]render.Port, ds *render.Diagnostics) *loadBalancer {
	lb := &loadBalancer{name: name, id: ID(name), path: key + "." + render.Key(name), typ: application, scheme: internet, lookup: x.Lookup}
	if pr := x.Properties; pr != nil {
		if pr.Type != "" {
			lb.typ = pr.Type
		}
		if pr.Scheme != "" {
			lb.scheme = pr.Scheme
		}
		lb.attributes = append(lb.attributes, pr.LoadBalancerAttributes...)
		lb.tags = pr.Tags
	}
	switch lb.typ {
	case application, network:
	default:
		ds.Errorf("", lb.path+".Properties.Type", "%q is not a load balancer type composex creates; allowed: application, network", lb.typ)
		return nil
	}
	if lb.scheme != internet && lb.scheme != internal {
		ds.Errorf("", lb.path+".Properties.Scheme", "%q is not a scheme; allowed: internet-facing, internal", lb.scheme)
	}
	lb.settings, lb.settingsPath = mergeSettings(lb, x, ds)
	checkSettings(lb, ds)
	if len(x.DnsAliases) > 0 {
		ds.Warnf("", lb.path+".DnsAliases", "DNS records need x-route53, which composex does not implement; point your DNS at the %sDnsName output", lb.id)
	}

	// Target groups first: listeners refer to them by name.
	byName := map[string]*targetGroup{}
	for _, k := range slices.Sorted(maps.Keys(x.Services)) {
		if tg := readServiceTG(lb, k, x.Services[k], p, ports, ds); tg != nil {
			byName[k] = tg
			lb.tgs = append(lb.tgs, tg)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(x.TargetGroups)) {
		if _, dup := x.Services[k]; dup {
			ds.Errorf("", lb.path+".TargetGroups."+render.Key(k), "%q is also an entry of Services; give the target group another name", k)
			continue
		}
		if tg := readTargetGroup(lb, k, x.TargetGroups[k], p, ports, ds); tg != nil {
			byName[k] = tg
			lb.tgs = append(lb.tgs, tg)
		}
	}

	listeners := x.Listeners
	if x.Lookup != nil {
		if x.Lookup.LoadBalancer == nil {
			ds.Errorf("", lb.path+".Lookup.loadbalancer", "name the existing load balancer (loadbalancer: {Tags: ...}); it becomes the parameter %sArn", lb.id)
		}
		for _, l := range x.Lookup.Listeners {
			if ln := readListener(lb, l, lb.path+".Lookup.Listeners."+l.key, byName, true, ds); ln != nil {
				lb.listeners = append(lb.listeners, ln)
			}
		}
	}
	seen := map[int]string{}
	for _, l := range listeners {
		lp := lb.path + ".Listeners." + l.key
		ln := readListener(lb, l, lp, byName, false, ds)
		if ln == nil {
			continue
		}
		if prev, dup := seen[ln.port]; dup {
			ds.Errorf("", lp+".Port", "port %d already has a listener (%s); a load balancer has one listener per port", ln.port, prev)
			continue
		}
		seen[ln.port] = lp
		lb.listeners = append(lb.listeners, ln)
	}
	if len(lb.listeners) == 0 {
		ds.Errorf("", lb.path+".Listeners", "a load balancer needs at least one listener (Port, Protocol and Targets)")
	}
	// compose-x registers the service in a target group even when no
	// listener forwards to it, and ECS refuses to create that service (a
	// target group must belong to a load balancer when the service is
	// created): its template fails at deploy. The target group could
	// never receive traffic, so composex leaves it out and says so.
	kept := lb.tgs[:0]
	for _, tg := range lb.tgs {
		if !tg.used {
			ds.Warnf("", tg.path, "no listener forwards to %s: composex creates no target group for it and registers no service in it (ECS refuses to register a service in a target group no load balancer uses: compose-x's template for it fails at deploy); add it to a listener's Targets to send it traffic", tg.key)
			continue
		}
		kept = append(kept, tg)
	}
	lb.tgs = kept
	return lb
}

// mergeSettings combines MacroParameters and Settings (compose-x's test
// files use both for the same shortcuts); a key set in both must agree.
func mergeSettings(lb *loadBalancer, x XLoadBalancer, ds *render.Diagnostics) (Settings, string) {
	var out Settings
	path := lb.path + ".MacroParameters"
	for _, src := range []struct {
		s    *Settings
		path string
	}{{x.MacroParameters, lb.path + ".MacroParameters"}, {x.Settings, lb.path + ".Settings"}} {
		s := src.s
		if s == nil {
			continue
		}
		if x.MacroParameters == nil {
			path = src.path
		}
		set := func(name string, dst **int, v *int) {
			if v == nil {
				return
			}
			if *dst != nil && **dst != *v {
				ds.Errorf("", src.path+"."+name, "%d contradicts %d given in MacroParameters", *v, **dst)
			}
			*dst = v
		}
		setB := func(name string, dst **bool, v *bool) {
			if v == nil {
				return
			}
			if *dst != nil && **dst != *v {
				ds.Errorf("", src.path+"."+name, "%t contradicts %t given in MacroParameters", *v, **dst)
			}
			*dst = v
		}
		setS := func(name string, dst *string, v string) {
			if v == "" {
				return
			}
			if *dst != "" && *dst != v {
				ds.Errorf("", src.path+"."+name, "%q contradicts %q given in MacroParameters", v, *dst)
			}
			*dst = v
		}
		set("timeout_seconds", &out.TimeoutSeconds, s.TimeoutSeconds)
		setS("desync_mitigation_mode", &out.DesyncMitigationMode, s.DesyncMitigationMode)
		setB("drop_invalid_header_fields", &out.DropInvalidHeaderFields, s.DropInvalidHeaderFields)
		setB("http2", &out.HTTP2, s.HTTP2)
		setB("cross_zone", &out.CrossZone, s.CrossZone)
		setS("S3Logs", &out.S3Logs, s.S3Logs)
		setS("Subnets", &out.Subnets, s.Subnets)
		setB("NoAllocateEips", &out.NoAllocateEips, s.NoAllocateEips)
		setB("RetainEips", &out.RetainEips, s.RetainEips)
		if s.Ingress != nil {
			if out.Ingress != nil {
				ds.Errorf("", src.path+".Ingress", "Ingress is already given in MacroParameters; give it once")
			}
			out.Ingress = s.Ingress
		}
	}
	return out, path
}

// checkSettings checks the shortcuts against the load balancer type: an
// ALB attribute on an NLB is refused by the ELB API, so it is refused here.
func checkSettings(lb *loadBalancer, ds *render.Diagnostics) {
	s, p := lb.settings, lb.settingsPath
	albOnly := map[string]bool{"timeout_seconds": s.TimeoutSeconds != nil, "desync_mitigation_mode": s.DesyncMitigationMode != "",
		"drop_invalid_header_fields": s.DropInvalidHeaderFields != nil, "http2": s.HTTP2 != nil}
	for _, k := range slices.Sorted(maps.Keys(albOnly)) {
		if albOnly[k] && !lb.alb() {
			ds.Errorf("", p+"."+k, "%s is an attribute of application load balancers; %s is a network load balancer", k, lb.name)
		}
	}
	if s.TimeoutSeconds != nil && (*s.TimeoutSeconds < 1 || *s.TimeoutSeconds > 4000) {
		ds.Errorf("", p+".timeout_seconds", "%d is out of range; the idle timeout is 1 to 4000 seconds", *s.TimeoutSeconds)
	}
	if m := s.DesyncMitigationMode; m != "" && !slices.Contains([]string{"monitor", "defensive", "strictest"}, m) {
		ds.Errorf("", p+".desync_mitigation_mode", "%q is not a mode; allowed: monitor, defensive, strictest", m)
	}
	if s.CrossZone != nil && lb.alb() && !*s.CrossZone {
		ds.Warnf("", p+".cross_zone", "application load balancers always balance across zones; cross_zone is ignored")
	}
	if s.S3Logs != "" {
		bucket, _, _ := strings.Cut(s.S3Logs, ":")
		if bucket == "" {
			ds.Errorf("", p+".S3Logs", "%q: write bucket or bucket:/prefix", s.S3Logs)
		}
	}
	if s.Subnets != "" {
		ds.Warnf("", p+".Subnets", "composex places an %s load balancer in the %s parameter; %q is ignored", lb.scheme, subnetParam(lb), s.Subnets)
	}
	if in := s.Ingress; in != nil {
		for i, e := range in.ExtSources {
			ep := fmt.Sprintf("%s.Ingress.ExtSources.%d", p, i)
			switch {
			case e.IPv4 != "" && e.IPv6 != "":
				ds.Errorf("", ep, "give either IPv4 or IPv6, not both")
			case e.IPv4 != "":
				checkCIDR(ep+".IPv4", e.IPv4, false, ds)
			case e.IPv6 != "":
				checkCIDR(ep+".IPv6", e.IPv6, true, ds)
			default:
				ds.Errorf("", ep, "a source needs IPv4 or IPv6 (a CIDR range)")
			}
		}
		for i, a := range in.AwsSources {
			ap := fmt.Sprintf("%s.Ingress.AwsSources.%d", p, i)
			switch {
			case a.Lookup != nil:
				ds.Errorf("", ap+".Lookup", "finding a source by tags needs AWS access and composex renders offline; give its Id")
			case a.Type == "SecurityGroup" && !reSG.MatchString(a.Id):
				ds.Errorf("", ap+".Id", "%q is not a security group ID (sg-...)", a.Id)
			case a.Type == "PrefixList" && !rePL.MatchString(a.Id):
				ds.Errorf("", ap+".Id", "%q is not a prefix list ID (pl-...)", a.Id)
			case a.Type != "SecurityGroup" && a.Type != "PrefixList":
				ds.Errorf("", ap+".Type", "%q is not a source type; allowed: SecurityGroup, PrefixList", a.Type)
			}
		}
	}
}

func checkCIDR(path, v string, v6 bool, ds *render.Diagnostics) {
	ip, n, err := net.ParseCIDR(v)
	if err != nil || (ip.To4() == nil) != v6 {
		ds.Errorf("", path, "%q is not an IP%s CIDR range", v, map[bool]string{false: "v4", true: "v6"}[v6])
		return
	}
	if !ip.Equal(n.IP) {
		ds.Errorf("", path, "%q has host bits set; did you mean %s?", v, n.String())
	}
}

func subnetParam(lb *loadBalancer) string {
	if lb.scheme == internet {
		return PublicSubnetsParam
	}
	return render.ParamSubnetIds
}

// projectPorts are the ports each service's container listens on.
func projectPorts(p *types.Project) map[string][]render.Port {
	out := map[string][]render.Port{}
	for name, s := range p.Services {
		if ports := render.ListenPorts(s); len(ports) > 0 {
			out[name] = ports
		}
	}
	return out
}

func listens(ports []render.Port, port int, proto string) bool {
	for _, p := range ports {
		if p.ContainerPort == port && p.Protocol == proto {
			return true
		}
	}
	return false
}

func portList(ports []render.Port) string {
	if len(ports) == 0 {
		return "none"
	}
	var s []string
	for _, p := range ports {
		s = append(s, fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol))
	}
	slices.Sort(s)
	return strings.Join(s, ", ")
}

// resolveMember reads family:container (or a service that runs in one
// family) and checks both exist.
func resolveMember(p *types.Project, name, path string, ds *render.Diagnostics) (family, container string, ok bool) {
	parts := strings.Split(name, ":")
	switch len(parts) {
	case 1:
		container = parts[0]
	case 2:
		family, container = parts[0], parts[1]
	default:
		ds.Errorf("", path, "%q: write family:container (the container is the compose service)", name)
		return "", "", false
	}
	s, exists := p.Services[container]
	if !exists {
		ds.Errorf(container, path, "%q is not a service of this project; allowed: %s", container, strings.Join(slices.Sorted(maps.Keys(p.Services)), ", "))
		return "", "", false
	}
	fams := render.FamilyLabels(s)
	if family == "" {
		if len(fams) > 1 {
			ds.Errorf(container, path, "service %s runs in the families %s; write family:%s", container, strings.Join(fams, ", "), container)
			return "", "", false
		}
		family = fams[0]
	}
	if !slices.Contains(fams, family) {
		ds.Errorf(container, path, "service %s does not run in a family %q; its families: %s", container, family, strings.Join(fams, ", "))
		return "", "", false
	}
	return family, container, true
}

// readServiceTG reads a Services entry: family:container[:port].
func readServiceTG(lb *loadBalancer, k string, x ServiceTG, p *types.Project, ports map[string][]render.Port, ds *render.Diagnostics) *targetGroup {
	path := lb.path + ".Services." + render.Key(k)
	name, suffix := k, 0
	if parts := strings.Split(k, ":"); len(parts) == 3 {
		n, err := strconv.Atoi(parts[2])
		if err != nil {
			ds.Errorf("", path, "%q: the third part must be the container port", k)
			return nil
		}
		name, suffix = parts[0]+":"+parts[1], n
	}
	family, container, ok := resolveMember(p, name, path, ds)
	if !ok {
		return nil
	}
	port := suffix
	if x.Port != nil {
		port = *x.Port
		if suffix != 0 && suffix != port {
			ds.Errorf(container, path+".port", "port %d differs from the port %d in the entry's name", port, suffix)
		}
	}
	if port == 0 {
		ds.Errorf(container, path+".port", "give the container port the target group forwards to (port)")
		return nil
	}
	tg := &targetGroup{key: k, id: lb.id + render.LogicalName(strings.ReplaceAll(k, ":", "-")) + "TargetGroup", path: path, port: port,
		attributes: x.TargetGroupAttributes,
		members:    []member{{family: family, container: container, port: port, path: path + ".port"}}}
	tg.protocol = targetProtocol(lb, x.Protocol, container, path+".protocol", ds)
	readHealth(lb, tg, x.HealthCheck, path+".healthcheck", container, ds)
	checkMembers(lb, tg, p, ports, ds)
	return tg
}

// readTargetGroup reads a TargetGroups entry.
func readTargetGroup(lb *loadBalancer, k string, x TargetGroup, p *types.Project, ports map[string][]render.Port, ds *render.Diagnostics) *targetGroup {
	path := lb.path + ".TargetGroups." + render.Key(k)
	tg := &targetGroup{key: k, id: lb.id + render.LogicalName(k) + "TargetGroup", path: path, attributes: x.TargetGroupAttributes}
	if len(x.Services) == 0 {
		ds.Errorf("", path+".Services", "list the family:container pairs that register in %s, each with its Port", k)
		return nil
	}
	for i, m := range x.Services {
		mp := fmt.Sprintf("%s.Services.%d", path, i)
		family, container, ok := resolveMember(p, m.Name, mp+".Name", ds)
		if !ok {
			continue
		}
		if m.Port == 0 {
			ds.Errorf(container, mp+".Port", "give the container port of %s the target group forwards to", container)
			continue
		}
		tg.members = append(tg.members, member{family: family, container: container, port: m.Port, path: mp + ".Port"})
	}
	if len(tg.members) == 0 {
		return nil
	}
	name := tg.members[0].container
	tg.protocol = targetProtocol(lb, x.Protocol, name, path+".Protocol", ds)
	// compose-x registers every member on the target group's own Port
	// (MergedTargetGroup.associate_families: ContainerPort=self.Port), not
	// on the member's Port that its documentation describes. Where the
	// container does not listen on the member's Port but does on the
	// group's, composex registers it there too, and says so.
	if x.Port != nil {
		for i, m := range tg.members {
			if m.port != *x.Port && !listensAll(ports[m.container], m.port, tg.transport()) && listensAll(ports[m.container], *x.Port, tg.transport()) {
				ds.Warnf(m.container, m.path, "service %s does not listen on %d (its ports and expose: %s); it is registered on the target group's Port, %d, as compose-x does (compose-x registers every member on the group's Port): write Port: %d here to say so", m.container, m.port, portList(ports[m.container]), *x.Port, *x.Port)
				tg.members[i].port = *x.Port
			}
		}
	}
	// With ip targets ECS registers each task on the container port named
	// in the service; the group's own Port is only the default. Use the
	// members' port when they agree, so that the group says what is true.
	tg.port = tg.members[0].port
	for _, m := range tg.members[1:] {
		if m.port != tg.port && x.Port != nil {
			tg.port = *x.Port
		}
	}
	readHealth(lb, tg, x.HealthCheck, path+".HealthCheck", name, ds)
	checkMembers(lb, tg, p, ports, ds)
	return tg
}

// targetProtocol is the target group protocol: HTTP by default behind an
// ALB, TCP behind an NLB.
func targetProtocol(lb *loadBalancer, given, service, path string, ds *render.Diagnostics) string {
	proto := strings.ToUpper(given)
	allowed := []string{"HTTP", "HTTPS"}
	if !lb.alb() {
		allowed = []string{"TCP", "TLS", "UDP", "TCP_UDP"}
	}
	if proto == "" {
		return allowed[0]
	}
	if !slices.Contains(allowed, proto) {
		ds.Errorf(service, path, "%q is not a target protocol of a%s load balancer; allowed: %s", given, map[bool]string{true: "n application", false: " network"}[lb.alb()], strings.Join(allowed, ", "))
		return allowed[0]
	}
	return proto
}

// checkMembers: every member's container must listen on the port, with the
// transport the target group uses; the health check port must be a port
// of the member's task.
func checkMembers(lb *loadBalancer, tg *targetGroup, p *types.Project, ports map[string][]render.Port, ds *render.Diagnostics) {
	for _, m := range tg.members {
		for _, proto := range tg.transport() {
			if !listens(ports[m.container], m.port, proto) {
				ds.Errorf(m.container, m.path, "service %s does not listen on %d/%s (its ports and expose: %s); the target group %s forwards there", m.container, m.port, proto, portList(ports[m.container]), tg.key)
			}
		}
		if tg.healthPort != 0 && !familyListens(p, ports, m.family, tg.healthPort) {
			ds.Errorf(m.container, tg.path, "the health check port %d is not a tcp port any container of family %s listens on; the load balancer would mark every task unhealthy", tg.healthPort, m.family)
		}
	}
}

// listensAll reports whether a container listens on the port with every
// transport given.
func listensAll(ports []render.Port, port int, transports []string) bool {
	for _, proto := range transports {
		if !listens(ports, port, proto) {
			return false
		}
	}
	return true
}

func familyListens(p *types.Project, ports map[string][]render.Port, family string, port int) bool {
	for name, s := range p.Services {
		if slices.Contains(render.FamilyLabels(s), family) && listens(ports[name], port, "tcp") {
			return true
		}
	}
	return false
}

// checkServiceLimits: an ECS service takes at most five load balancer
// entries.
func checkServiceLimits(pl *plan, ds *render.Diagnostics) {
	count := map[string]int{}
	for _, lb := range pl.lbs {
		for _, tg := range lb.tgs {
			for _, m := range tg.members {
				count[m.family]++
				if count[m.family] == maxServiceTargets+1 {
					ds.Errorf(m.container, tg.path, "family %s would be in more than %d target groups; an ECS service accepts at most %d", m.family, maxServiceTargets, maxServiceTargets)
				}
			}
		}
	}
}
