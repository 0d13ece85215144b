package elbv2_test

import (
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// project is web (nginx on 80, 9000 exposed), api (8080) and dns (53/udp
// and 8053/tcp), plus the x-elbv2 block given (indented as under x-elbv2).
func project(lbs string) string {
	return `services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27
    ports: ["80:80"]
    expose: ["9000"]
  api:
    image: traefik/whoami:v1.10
    command: ["--port", "8080"]
    ports: ["8080:8080"]
  dns:
    image: coredns/coredns:1.11.3
    ports: ["53:53/udp", "8053:8053"]
x-elbv2:
` + lbs
}

const albHead = `  lb:
    Properties: {Type: application, Scheme: internet-facing}
`

const nlbHead = `  nlb:
    Properties: {Type: network, Scheme: internal}
`

const webTG = `    Services:
      web:web:
        port: 80
        protocol: HTTP
`

// Each bad input is refused with the file, the line of the key, the
// service where there is one, the key path and one message; nothing is
// rendered.
func TestRefused(t *testing.T) {
	cases := []struct {
		name, compose, service, path, msg string
	}{
		{"listener target on a port no target group declares", project(albHead + `    Listeners:
      - Port: 80
        Protocol: HTTP
        Targets:
          - name: web:web:9000
` + webTG), "", "x-elbv2.lb.Listeners.0.Targets.0.name", `"web:web:9000" is not a target group of lb; declared: web:web`},
		{"listener forwarding nowhere", project(albHead + `    Listeners:
      - Port: 80
        Protocol: HTTP
      - Port: 81
        Protocol: HTTP
        Targets: [{name: web:web}]
` + webTG), "", "x-elbv2.lb.Listeners.0.Targets", "listener on port 80 forwards nowhere; give Targets (name: family:container of a Services entry, or a TargetGroups name) or DefaultActions"},
		{"target group for a service without that port", project(albHead + `    Listeners:
      - Port: 80
        Protocol: HTTP
        Targets: [{name: api:api}]
    Services:
      api:api:
        port: 80
`), "api", "x-elbv2.lb.Services.api:api.port", "service api does not listen on 80/tcp (its ports and expose: 8080/tcp); the target group api:api forwards there"},
		{"HTTPS listener without a certificate", project(albHead + `    Listeners:
      - Port: 443
        Protocol: HTTPS
        Targets: [{name: web:web}]
` + webTG), "", "x-elbv2.lb.Listeners.0.Certificates", "an HTTPS listener needs a certificate (CertificateArn: arn:aws:acm:..., or x-acm: NAME for a certificate ARN given as a parameter)"},
		{"two listeners on one port", project(albHead + `    Listeners:
      - Port: 80
        Protocol: HTTP
        Targets: [{name: web:web}]
      - Port: 80
        Protocol: HTTP
        DefaultActions: [{Redirect: HTTP_TO_HTTPS}]
` + webTG), "", "x-elbv2.lb.Listeners.1.Port", "port 80 already has a listener (x-elbv2.lb.Listeners.0); a load balancer has one listener per port"},
		{"rule without a target", project(albHead + `    Listeners:
      - Port: 80
        Protocol: HTTP
        Targets:
          - name: web:web
          - access: /api
` + webTG), "", "x-elbv2.lb.Listeners.0.Targets.1.name", "a target needs a name: family:container of a Services entry, or a TargetGroups name"},
		{"UDP listener on an ALB", project(albHead + `    Listeners:
      - Port: 53
        Protocol: UDP
        Targets: [{name: web:web}]
` + webTG), "", "x-elbv2.lb.Listeners.0.Protocol", "UDP is not a listener protocol of an application load balancer; allowed: HTTP, HTTPS"},
		{"HTTP listener on an NLB", project(nlbHead + `    Listeners:
      - Port: 80
        Protocol: HTTP
        Targets: [{name: web:web}]
    Services:
      web:web: {port: 80, protocol: TCP}
`), "", "x-elbv2.nlb.Listeners.0.Protocol", "HTTP is not a listener protocol of a network load balancer; allowed: TCP, TLS, UDP, TCP_UDP"},
		{"two targets taking every request", project(albHead + `    Listeners:
      - Port: 80
        Protocol: HTTP
        Targets:
          - name: web:web
          - name: api:api
    Services:
      web:web: {port: 80}
      api:api: {port: 8080}
`), "", "x-elbv2.lb.Listeners.0.Targets.1.access", "this target takes every request, but web:web already does; give it a path or host in access or Conditions"},
		{"health check on a port the task does not listen on", project(albHead + `    Listeners:
      - Port: 80
        Protocol: HTTP
        Targets: [{name: web:web}]
    Services:
      web:web:
        port: 80
        healthcheck: 8081:HTTP:/health:200
`), "web", "x-elbv2.lb.Services.web:web", "the health check port 8081 is not a tcp port any container of family web listens on; the load balancer would mark every task unhealthy"},
		{"UDP target group health-checked on its UDP port", project(nlbHead + `    Listeners:
      - Port: 53
        Protocol: UDP
        Targets: [{name: dns:dns}]
    Services:
      dns:dns: {port: 53, protocol: UDP}
`), "dns", "x-elbv2.nlb.Services.dns:dns.healthcheck", `a UDP target group is health-checked over TCP or HTTP; give a healthcheck on a tcp port the task listens on (e.g. "8080:TCP")`},
		{"health check timeout not below the interval", project(albHead + `    Listeners:
      - Port: 80
        Protocol: HTTP
        Targets: [{name: web:web}]
    Services:
      web:web:
        port: 80
        healthcheck: 80:HTTP:2:2:10:10:/:200
`), "web", "x-elbv2.lb.Services.web:web.healthcheck.HealthCheckTimeoutSeconds", "the timeout (10 s) must be shorter than the interval (10 s)"},
		{"unknown family", project(albHead + `    Listeners:
      - Port: 80
        Protocol: HTTP
        Targets: [{name: front:web}]
    Services:
      front:web: {port: 80}
`), "web", "x-elbv2.lb.Services.front:web", `service web does not run in a family "front"; its families: web`},
		{"redirect on an HTTPS listener", project(albHead + `    Listeners:
      - Port: 443
        Protocol: HTTPS
        Certificates: [{x-acm: site}]
        DefaultActions: [{Redirect: HTTP_TO_HTTPS}]
`), "", "x-elbv2.lb.Listeners.0.DefaultActions.0.Redirect", "HTTP_TO_HTTPS redirects plain HTTP requests; this listener is HTTPS"},
		{"authentication on an HTTP listener", project(albHead + `    Listeners:
      - Port: 80
        Protocol: HTTP
        Targets:
          - name: web:web
            AuthenticateOidcConfig: {Issuer: "https://idp.example.com", AuthorizationEndpoint: "https://idp.example.com/auth", TokenEndpoint: "https://idp.example.com/token", UserInfoEndpoint: "https://idp.example.com/me", ClientId: app, ClientSecret: "{{resolve:secretsmanager:oidc:SecretString:secret}}"}
` + webTG), "", "x-elbv2.lb.Listeners.0.Targets.0", "authentication actions run on HTTPS listeners only; this listener is HTTP"},
		{"ALB attribute on an NLB", project(nlbHead + `    MacroParameters: {http2: false}
    Listeners:
      - Port: 80
        Protocol: TCP
        Targets: [{name: web:web}]
    Services:
      web:web: {port: 80, protocol: TCP}
`), "", "x-elbv2.nlb.MacroParameters.http2", "http2 is an attribute of application load balancers; nlb is a network load balancer"},
		{"TCP listener forwarding to a UDP target group", project(nlbHead + `    Listeners:
      - Port: 53
        Protocol: TCP
        Targets: [{name: dns:dns}]
    Services:
      dns:dns: {port: 53, protocol: UDP, healthcheck: "8053:TCP"}
`), "", "x-elbv2.nlb.Listeners.0.Targets.0.name", "a TCP listener cannot forward to the UDP target group dns:dns; allowed target protocols: TCP, TCP_UDP"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rendertest.Render(t, c.compose)
			if r.Template != "" {
				t.Fatalf("rendered; want the error %s: %s", c.path, c.msg)
			}
			var found *render.Diagnostic
			for _, d := range r.Diags.Errors() {
				if d.Path == c.path && d.Message == c.msg {
					d := d
					found = &d
				}
			}
			if found == nil {
				t.Fatalf("no error at %s with message\n  %s\ngot:\n%s", c.path, c.msg, r.Diags.Error())
			}
			if !strings.HasSuffix(found.File, "docker-compose.yml") || found.Line == 0 {
				t.Errorf("error not located in the file: %s", found)
			}
			if found.Service != c.service {
				t.Errorf("service %q, want %q", found.Service, c.service)
			}
		})
	}
}

// Every problem of a file is reported in one run.
func TestAllProblemsAtOnce(t *testing.T) {
	r := rendertest.Render(t, project(albHead+`    Listeners:
      - Port: 53
        Protocol: UDP
        Targets: [{name: web:web}]
      - Port: 443
        Protocol: HTTP
        Certificates: [{x-acm: site}]
        Targets: [{name: nope:nope}]
`+webTG))
	if n := len(r.Diags.Errors()); n < 3 {
		t.Fatalf("want at least 3 errors (UDP on ALB, certificate on HTTP, unknown target), got %d:\n%s", n, r.Diags.Error())
	}
}

// The line of a listener given in the mapping form (ports as quoted keys)
// is found too.
func TestListenerMappingForm(t *testing.T) {
	r := rendertest.MustRender(t, project(albHead+`    Listeners:
      "80":
        Protocol: HTTP
        DefaultActions: [{Redirect: HTTP_TO_HTTPS}]
      "443":
        Protocol: HTTPS
        Certificates: [{x-acm: site}]
        Targets: [{name: web:web}]
`+webTG))
	for _, id := range []string{"LbLoadBalancerListener80", "LbLoadBalancerListener443"} {
		r.Get(t, id, "AWS::ElasticLoadBalancingV2::Listener")
	}
	r2 := rendertest.Render(t, project(albHead+`    Listeners:
      "443":
        Protocol: HTTP
        Certificates: [{x-acm: site}]
        Targets: [{name: web:web}]
`+webTG))
	// compose-x files put certificates on HTTP listeners, and compose-x
	// drops them: so does composex, saying so at the key. CloudFormation
	// refuses Certificates on an HTTP listener, and no certificate
	// parameter is asked for.
	d := rendertest.Find(r2.Diags, render.Warning, "x-elbv2.lb.Listeners.443.Certificates")
	if d == nil || d.Line != 19 || d.Message != "an HTTP listener does not use certificates; they are ignored (set Protocol: HTTPS to terminate TLS on port 443)" {
		t.Fatalf("want the certificate warning at line 19 of the file, got %v\n%s", d, r2.Diags.Error())
	}
	ln := r2.Get(t, "LbLoadBalancerListener443", "AWS::ElasticLoadBalancingV2::Listener")
	if c, ok := ln["Certificates"]; ok {
		t.Errorf("an HTTP listener has Certificates %v", c)
	}
	for name := range rendertest.Parameters(t, r2.Template) {
		if strings.Contains(name, "Certificate") {
			t.Errorf("parameter %s asks for a certificate no listener uses", name)
		}
	}
}

// An existing load balancer found by tags (Lookup) becomes parameters: its
// security group (the tasks admit it), the listeners composex adds rules
// to, and its ARN only when a new listener is created on it.
func TestLookupBecomesParameters(t *testing.T) {
	lookup := func(listeners string) string {
		return project(`  shared:
    Lookup:
      loadbalancer: {Tags: {Name: my-existing-lb}}
      Listeners:
        "443":
          Targets:
            - name: web:web
              access: www.example.com/
` + listeners + `    Services:
      web:web: {port: 80}
`)
	}
	r := rendertest.MustRender(t, lookup(""))
	params := templateParams(t, r.Template)
	for _, p := range []string{"SharedLoadBalancerSecurityGroupId", "SharedLoadBalancerListener443Arn"} {
		if params[p] == "" {
			t.Errorf("no parameter %s; have %v", p, params)
		}
	}
	if _, ok := params["SharedLoadBalancerArn"]; ok {
		t.Errorf("SharedLoadBalancerArn declared though no listener is created on the load balancer")
	}
	rule := r.Get(t, "SharedLoadBalancerListener443Rule1", "AWS::ElasticLoadBalancingV2::ListenerRule")
	if ref(rule["ListenerArn"]) != "SharedLoadBalancerListener443Arn" || rule["Priority"] != 1000 {
		t.Errorf("rule on the existing listener: %v", rule)
	}
	in := r.Get(t, "WebIngressFromSharedLoadBalancerPort80TCP", "AWS::EC2::SecurityGroupIngress")
	if ref(in["SourceSecurityGroupId"]) != "SharedLoadBalancerSecurityGroupId" {
		t.Errorf("task ingress source %v, want the parameter", in["SourceSecurityGroupId"])
	}
	rendertest.CfnLint(t, r.Template)

	r = rendertest.Render(t, lookup(`            - name: web:web
`))
	if d := rendertest.Find(r.Diags, render.Error, "x-elbv2.shared.Lookup.Listeners.443.Targets.1.Conditions"); d == nil {
		t.Errorf("a rule without conditions on an existing listener is not refused:\n%s", r.Diags.Error())
	}
}
