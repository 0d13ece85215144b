package elbv2_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions/internal/rendertest"
)

// The rules below are what Elastic Load Balancing and ECS apply when the
// stack is created and when the first task starts, written from the ELB and
// ECS documentation; each is checked on the rendered template, for the
// examples and for a project that uses every form of x-elbv2.
//
//   - An awsvpc task is registered by IP address: the target group's
//     TargetType is ip, its Port is the container port, and the service's
//     LoadBalancers entry names a container of the task definition and one
//     of that container's port mappings, with the transport the target
//     group uses (udp for UDP, both for TCP_UDP).
//   - ECS attaches a service to a target group only once a listener or rule
//     of a load balancer forwards to it: every target group of a service is
//     forwarded to, and the service DependsOn that listener or rule.
//   - The health check asks a port the task listens on (traffic-port or a
//     tcp port mapping of one of its containers), with a path starting with
//     /, HTTP codes within 200-499 (ALB), a timeout below the interval.
//   - The task's security group admits the load balancer's security group
//     on the target and health check ports, one port per rule, and admits
//     nothing else from the load balancer.
//   - An HTTPS or TLS listener has a certificate; HTTP, TCP and UDP ones
//     have none. A redirect answers 301 or 302 and sends HTTP to HTTPS on a
//     port that has an HTTPS listener.
//   - An application load balancer spans at least two subnets in two
//     zones: composex cannot know the zones offline, so the subnets are a
//     List<AWS::EC2::Subnet::Id> parameter (internet-facing: PublicSubnetIds,
//     internal: SubnetIds) whose description says which subnets to give.
//   - One listener per port and load balancer; HTTP/HTTPS on an ALB only,
//     TCP/TLS/UDP/TCP_UDP on an NLB only.
//   - CloudWatch names ELB metrics by the resources' full names: an alarm on
//     AWS/ApplicationELB or AWS/NetworkELB of a load balancer the stack
//     creates takes its LoadBalancer and TargetGroup dimensions from
//     Fn::GetAtt, and so does ALBRequestCountPerTarget's ResourceLabel.
func TestConsumerRules(t *testing.T) {
	sources := map[string]string{"every form": everyForm}
	for _, ex := range []string{"elbv2-alb-https", "elbv2-nlb-tcp", "mysfits-workshop"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", ex, "docker-compose.yml"))
		if err != nil {
			t.Fatal(err)
		}
		sources[ex] = string(b)
	}
	for name, compose := range sources {
		t.Run(name, func(t *testing.T) {
			r := rendertest.MustRender(t, compose)
			checkConsumerRules(t, r)
		})
	}
}

// everyForm uses rules by host and path, compose-x Conditions, a shared
// TargetGroups entry, OIDC on HTTPS, a health check on another port, and
// an NLB with a UDP listener health-checked over TCP.
const everyForm = `services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27
    ports: ["80:80"]
  admin:
    image: traefik/whoami:v1.10
    command: ["--port", "8080"]
    ports: ["8080:8080"]
    deploy:
      labels: {ecs.task.family: back}
  status:
    image: traefik/whoami:v1.10
    command: ["--port", "8081"]
    expose: ["8081"]
    deploy:
      labels: {ecs.task.family: back}
  dns:
    image: coredns/coredns:1.11.3
    ports: ["53:53/udp", "8053:8053"]
x-elbv2:
  front:
    Properties: {Type: application, Scheme: internet-facing}
    MacroParameters:
      Ingress:
        ExtSources: [{IPv4: 203.0.113.0/24, Name: office}]
    Listeners:
      "80":
        Protocol: HTTP
        DefaultActions: [{Redirect: HTTP_TO_HTTPS}]
      "443":
        Protocol: HTTPS
        Certificates: [{CertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f"}]
        Targets:
          - name: web:web
          - name: back:admin
            access: admin.example.com/
            AuthenticateOidcConfig:
              Issuer: https://idp.example.com
              AuthorizationEndpoint: https://idp.example.com/authorize
              TokenEndpoint: https://idp.example.com/token
              UserInfoEndpoint: https://idp.example.com/userinfo
              ClientId: composex
              ClientSecret: "{{resolve:secretsmanager:oidc/composex:SecretString:secret}}"
          - name: shared
            Conditions:
              - HostHeaderConfig: {Values: [status.example.com]}
                HttpRequestMethodConfig: {Values: [GET, HEAD]}
    Services:
      web:web: {port: 80, protocol: HTTP, healthcheck: "80:HTTP:/:200-299"}
      back:admin:
        port: 8080
        protocol: HTTP
        healthcheck: {HealthCheckPort: 8081, HealthCheckPath: /health, HealthCheckIntervalSeconds: 20, HealthCheckTimeoutSeconds: 5}
    TargetGroups:
      shared:
        Port: 8081
        Protocol: HTTP
        HealthCheck: 8081:HTTP:/health:200
        Services: [{Name: back:status, Port: 8081}]
  resolver:
    Properties: {Type: network, Scheme: internal}
    MacroParameters:
      Ingress:
        ExtSources: [{IPv4: 10.0.0.0/8, Name: vpc}]
    Listeners:
      - Port: 53
        Protocol: UDP
        Targets: [{name: dns:dns}]
    Services:
      dns:dns: {port: 53, protocol: UDP, healthcheck: "8053:TCP"}
`

func checkConsumerRules(t *testing.T, r rendertest.Result) {
	t.Helper()
	res := r.Resources
	tgs := r.Of("AWS::ElasticLoadBalancingV2::TargetGroup")
	lbs := r.Of("AWS::ElasticLoadBalancingV2::LoadBalancer")
	listeners := r.Of("AWS::ElasticLoadBalancingV2::Listener")
	rules := r.Of("AWS::ElasticLoadBalancingV2::ListenerRule")
	params := templateParams(t, r.Template)
	if len(lbs) == 0 {
		t.Fatal("no load balancer rendered")
	}
	lbSGs := map[string]string{} // security group ID -> load balancer
	for id, lb := range lbs {
		p := lb.Properties
		subnets := ref(rendertest.Dig(p, "Subnets"))
		want := map[string]string{"internet-facing": "PublicSubnetIds", "internal": "SubnetIds"}[str(p["Scheme"])]
		if subnets != want || params[want] != "List<AWS::EC2::Subnet::Id>" {
			t.Errorf("%s (%s) is placed in %q (%s); want the list parameter %s", id, p["Scheme"], subnets, params[subnets], want)
		}
		for _, sg := range list(p["SecurityGroups"]) {
			lbSGs[getAtt(sg)] = id
		}
		if len(lbSGs) == 0 {
			t.Errorf("%s has no security group; the tasks could not admit it by group", id)
		}
	}
	forwarders := map[string][]string{} // target group -> listeners and rules forwarding to it
	for id, l := range listeners {
		p := l.Properties
		lb := ref(p["LoadBalancerArn"])
		typ := str(rendertest.Dig(map[string]any(lbs[lb].Properties), "Type"))
		proto := str(p["Protocol"])
		allowed := map[string][]string{"application": {"HTTP", "HTTPS"}, "network": {"TCP", "TLS", "UDP", "TCP_UDP"}}[typ]
		if !slices.Contains(allowed, proto) {
			t.Errorf("%s: a %s listener on a %s load balancer", id, proto, typ)
		}
		secure := proto == "HTTPS" || proto == "TLS"
		if certs := list(p["Certificates"]); secure != (len(certs) > 0) {
			t.Errorf("%s: %s listener with %d certificates", id, proto, len(certs))
		}
		for _, a := range list(p["DefaultActions"]) {
			checkAction(t, id, a, lb, listeners)
			if tg := ref(rendertest.Dig(a, "TargetGroupArn")); tg != "" {
				forwarders[tg] = append(forwarders[tg], id)
			}
		}
		if _, ok := r.Resources[id]; ok && !hasOutput(t, r.Template, id+"Url") {
			t.Errorf("%s has no Url output", id)
		}
	}
	ports := map[string]bool{}
	for id, l := range listeners {
		k := ref(l.Properties["LoadBalancerArn"]) + "/" + fmt.Sprint(l.Properties["Port"])
		if ports[k] {
			t.Errorf("%s: second listener on port %s", id, k)
		}
		ports[k] = true
	}
	for id, rule := range rules {
		if len(list(rule.Properties["Conditions"])) == 0 {
			t.Errorf("%s: a rule without conditions", id)
		}
		for _, c := range list(rule.Properties["Conditions"]) {
			if str(rendertest.Dig(c, "Field")) == "" {
				t.Errorf("%s: a condition without Field: %v", id, c)
			}
		}
		for _, a := range list(rule.Properties["Actions"]) {
			if tg := ref(rendertest.Dig(a, "TargetGroupArn")); tg != "" {
				forwarders[tg] = append(forwarders[tg], id)
			}
		}
	}
	for id, tg := range tgs {
		if str(tg.Properties["TargetType"]) != "ip" {
			t.Errorf("%s: TargetType %v; awsvpc tasks register by IP", id, tg.Properties["TargetType"])
		}
		if len(forwarders[id]) == 0 {
			t.Errorf("%s: no listener or rule forwards to it; ECS would refuse the service", id)
		}
	}
	// The services.
	for sid, svc := range r.Of("AWS::ECS::Service") {
		entries := list(svc.Properties["LoadBalancers"])
		if len(entries) == 0 {
			continue
		}
		if n, _ := svc.Properties["HealthCheckGracePeriodSeconds"].(int); n <= 0 {
			t.Errorf("%s: behind a load balancer without HealthCheckGracePeriodSeconds", sid)
		}
		td := res[ref(svc.Properties["TaskDefinition"])].Properties
		sg := getAtt(rendertest.Dig(svc.Properties, "NetworkConfiguration", "AwsvpcConfiguration", "SecurityGroups", 0))
		allowedFromLB := map[string]bool{} // "sg/port/proto" the task must admit
		for _, e := range entries {
			tgID := ref(rendertest.Dig(e, "TargetGroupArn"))
			tg := tgs[tgID].Properties
			cport, _ := rendertest.Dig(e, "ContainerPort").(int)
			cname := str(rendertest.Dig(e, "ContainerName"))
			if tp, _ := tg["Port"].(int); tp != cport {
				t.Errorf("%s: target group %s port %d, container port %d", sid, tgID, tp, cport)
			}
			protos := map[string][]string{"UDP": {"udp"}, "TCP_UDP": {"tcp", "udp"}}[str(tg["Protocol"])]
			if protos == nil {
				protos = []string{"tcp"}
			}
			c := container(td, cname)
			if c == nil {
				t.Errorf("%s: LoadBalancers names container %s, not in the task definition", sid, cname)
				continue
			}
			for _, proto := range protos {
				if !hasMapping(c, cport, proto) {
					t.Errorf("%s: container %s has no port mapping %d/%s for target group %s", sid, cname, cport, proto, tgID)
				}
			}
			for _, dep := range forwarders[tgID] {
				if !slices.Contains(dependsOn(svc.DependsOn), dep) {
					t.Errorf("%s: does not wait for %s, which attaches %s to the load balancer", sid, dep, tgID)
				}
			}
			hcPort := cport
			if p := str(tg["HealthCheckPort"]); p != "" && p != "traffic-port" {
				hcPort, _ = strconv.Atoi(p)
				if !taskListens(td, hcPort) {
					t.Errorf("%s: health check port %d of %s is no tcp port of the task", sid, hcPort, tgID)
				}
			}
			checkHealth(t, tgID, tg, lbTypeOf(tgID, forwarders, listeners, rules, lbs))
			lb := lbOf(tgID, forwarders, listeners, rules)
			for s, l := range lbSGs {
				if l != lb {
					continue
				}
				for _, proto := range protos {
					allowedFromLB[fmt.Sprintf("%s/%d/%s", s, cport, proto)] = true
				}
				allowedFromLB[fmt.Sprintf("%s/%d/tcp", s, hcPort)] = true
			}
		}
		// The task security group's rules from load balancers.
		got := map[string]bool{}
		for id, in := range r.Of("AWS::EC2::SecurityGroupIngress") {
			p := in.Properties
			src := getAtt(p["SourceSecurityGroupId"])
			if getAtt(p["GroupId"]) != sg || lbSGs[src] == "" {
				continue
			}
			from, _ := p["FromPort"].(int)
			to, _ := p["ToPort"].(int)
			k := fmt.Sprintf("%s/%d/%s", src, from, str(p["IpProtocol"]))
			if from != to || !allowedFromLB[k] {
				t.Errorf("%s: admits load balancer group %s on %d-%d/%s, wider than its targets", id, src, from, to, p["IpProtocol"])
			}
			got[k] = true
		}
		for k := range allowedFromLB {
			if !got[k] {
				t.Errorf("%s: the task security group does not admit %s; the load balancer cannot reach it", sid, k)
			}
		}
	}
	// Metrics of the stack's load balancers name them by Fn::GetAtt.
	for id, a := range r.Of("AWS::CloudWatch::Alarm") {
		ns := str(a.Properties["Namespace"])
		if ns != "AWS/ApplicationELB" && ns != "AWS/NetworkELB" {
			continue
		}
		for _, d := range list(a.Properties["Dimensions"]) {
			name := str(rendertest.Dig(d, "Name"))
			attr := map[string]string{"LoadBalancer": "LoadBalancerFullName", "TargetGroup": "TargetGroupFullName"}[name]
			if attr == "" {
				continue
			}
			v, _ := rendertest.Dig(d, "Value", "Fn::GetAtt").([]any)
			if len(v) != 2 || v[1] != attr {
				t.Errorf("%s: dimension %s is %v, not Fn::GetAtt %s of a resource of the stack", id, name, rendertest.Dig(d, "Value"), attr)
			}
		}
	}
	for id, p := range r.Of("AWS::ApplicationAutoScaling::ScalingPolicy") {
		spec := rendertest.Dig(p.Properties, "TargetTrackingScalingPolicyConfiguration", "PredefinedMetricSpecification")
		if str(rendertest.Dig(spec, "PredefinedMetricType")) != "ALBRequestCountPerTarget" {
			continue
		}
		parts, _ := rendertest.Dig(spec, "ResourceLabel", "Fn::Join", 1).([]any)
		if str(rendertest.Dig(spec, "ResourceLabel", "Fn::Join", 0)) != "/" || len(parts) != 2 ||
			str(rendertest.Dig(parts[0], "Fn::GetAtt", 1)) != "LoadBalancerFullName" || str(rendertest.Dig(parts[1], "Fn::GetAtt", 1)) != "TargetGroupFullName" {
			t.Errorf("%s: ResourceLabel %v is not app/.../targetgroup/... joined from the resources", id, rendertest.Dig(spec, "ResourceLabel"))
		}
	}
}

func checkAction(t *testing.T, listener string, a any, lb string, listeners map[string]rendertest.Resource) {
	t.Helper()
	if str(rendertest.Dig(a, "Type")) != "redirect" {
		return
	}
	rc := rendertest.Dig(a, "RedirectConfig")
	code := str(rendertest.Dig(rc, "StatusCode"))
	if code != "HTTP_301" && code != "HTTP_302" {
		t.Errorf("%s: redirect status %q", listener, code)
	}
	if str(rendertest.Dig(rc, "Protocol")) != "HTTPS" {
		t.Errorf("%s: redirect to %v, want HTTPS", listener, rendertest.Dig(rc, "Protocol"))
	}
	port := str(rendertest.Dig(rc, "Port"))
	for _, l := range listeners {
		if ref(l.Properties["LoadBalancerArn"]) == lb && fmt.Sprint(l.Properties["Port"]) == port && str(l.Properties["Protocol"]) == "HTTPS" {
			return
		}
	}
	t.Errorf("%s: redirects to HTTPS port %s, where the load balancer has no HTTPS listener", listener, port)
}

func checkHealth(t *testing.T, id string, tg map[string]any, lbType string) {
	t.Helper()
	proto := str(tg["HealthCheckProtocol"])
	if proto == "HTTP" || proto == "HTTPS" {
		if p := str(tg["HealthCheckPath"]); !strings.HasPrefix(p, "/") {
			t.Errorf("%s: health check path %q", id, p)
		}
		hi := 499
		if lbType == "network" {
			hi = 599
		}
		for _, part := range strings.Split(str(rendertest.Dig(tg, "Matcher", "HttpCode")), ",") {
			lo, up, _ := strings.Cut(part, "-")
			a, _ := strconv.Atoi(lo)
			b := a
			if up != "" {
				b, _ = strconv.Atoi(up)
			}
			if a < 200 || b > hi || b < a {
				t.Errorf("%s: matcher %q outside 200-%d", id, part, hi)
			}
		}
	} else if lbType == "application" {
		t.Errorf("%s: an ALB checks health over HTTP or HTTPS, not %q", id, proto)
	}
	if str(tg["Protocol"]) == "UDP" && proto == "UDP" {
		t.Errorf("%s: UDP target group health-checked over UDP", id)
	}
	i, iok := tg["HealthCheckIntervalSeconds"].(int)
	to, tok := tg["HealthCheckTimeoutSeconds"].(int)
	if iok && tok && to >= i {
		t.Errorf("%s: timeout %d not below interval %d", id, to, i)
	}
}

func lbOf(tg string, forwarders map[string][]string, listeners, rules map[string]rendertest.Resource) string {
	for _, f := range forwarders[tg] {
		if l, ok := listeners[f]; ok {
			return ref(l.Properties["LoadBalancerArn"])
		}
		if r, ok := rules[f]; ok {
			return ref(listeners[ref(r.Properties["ListenerArn"])].Properties["LoadBalancerArn"])
		}
	}
	return ""
}

func lbTypeOf(tg string, forwarders map[string][]string, listeners, rules, lbs map[string]rendertest.Resource) string {
	return str(lbs[lbOf(tg, forwarders, listeners, rules)].Properties["Type"])
}

func container(td map[string]any, name string) map[string]any {
	for _, c := range list(td["ContainerDefinitions"]) {
		if m, ok := c.(map[string]any); ok && m["Name"] == name {
			return m
		}
	}
	return nil
}

func hasMapping(c map[string]any, port int, proto string) bool {
	for _, pm := range list(c["PortMappings"]) {
		p, _ := rendertest.Dig(pm, "ContainerPort").(int)
		pr := str(rendertest.Dig(pm, "Protocol"))
		if pr == "" {
			pr = "tcp"
		}
		if p == port && pr == proto {
			return true
		}
	}
	return false
}

func taskListens(td map[string]any, port int) bool {
	for _, c := range list(td["ContainerDefinitions"]) {
		if m, ok := c.(map[string]any); ok && hasMapping(m, port, "tcp") {
			return true
		}
	}
	return false
}

func dependsOn(v any) []string {
	switch d := v.(type) {
	case string:
		return []string{d}
	case []any:
		var out []string
		for _, x := range d {
			out = append(out, str(x))
		}
		return out
	}
	return nil
}

func list(v any) []any { l, _ := v.([]any); return l }

func str(v any) string { s, _ := v.(string); return s }

func ref(v any) string { return str(rendertest.Dig(v, "Ref")) }

func getAtt(v any) string {
	l, _ := rendertest.Dig(v, "Fn::GetAtt").([]any)
	if len(l) == 2 {
		return str(l[0])
	}
	return str(v)
}

// templateParams reads the parameters' types from the written template.
func templateParams(t *testing.T, file string) map[string]string {
	t.Helper()
	doc := readTemplate(t, file)
	out := map[string]string{}
	ps, _ := doc["Parameters"].(map[string]any)
	for k, v := range ps {
		out[k] = str(rendertest.Dig(v, "Type"))
	}
	return out
}

func hasOutput(t *testing.T, file, id string) bool {
	t.Helper()
	outs, _ := readTemplate(t, file)["Outputs"].(map[string]any)
	_, ok := outs[id]
	return ok
}

func readTemplate(t *testing.T, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// The project that uses every form passes cfn-lint (the examples are
// linted by the examples' tests).
func TestEveryFormLints(t *testing.T) {
	r := rendertest.MustRender(t, everyForm)
	rendertest.CfnLint(t, r.Template)
}
