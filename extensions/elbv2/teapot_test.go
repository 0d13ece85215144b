package elbv2_test

import (
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// compose-x's DefaultActions Redirect: TEA_POT (elbv2_stack/helpers.py,
// tea_pot) answers what no rule takes with a fixed 418 response; rules
// with conditions still forward first. compose-x leaves an unset listener
// Protocol out of the template; composex writes HTTP for an application
// load balancer's listener without certificates, and says so.
func TestTeaPotDefaultAction(t *testing.T) {
	r := rendertest.MustRender(t, project(albHead+`    Listeners:
      "8443":
        DefaultActions: [{Redirect: TEA_POT}]
        Targets:
          - name: web:web
            access: /app
`+webTG))
	ln := r.Get(t, "LbLoadBalancerListener8443", "AWS::ElasticLoadBalancingV2::Listener")
	rendertest.EqualJSON(t, "DefaultActions", ln["DefaultActions"], `[{"Type": "fixed-response",
		"FixedResponseConfig": {"StatusCode": "418", "ContentType": "application/json", "MessageBody": "{\"Info\": \"Be our guest\"}"}}]`)
	if ln["Protocol"] != "HTTP" {
		t.Errorf("Protocol %v, want HTTP", ln["Protocol"])
	}
	rule := r.Get(t, "LbLoadBalancerListener8443Rule1", "AWS::ElasticLoadBalancingV2::ListenerRule")
	if rendertest.Dig(rule, "Actions", 0, "Type") != "forward" {
		t.Errorf("the /app rule does not forward: %v", rule)
	}
	d := rendertest.Find(r.Diags, render.Warning, "x-elbv2.lb.Listeners.8443")
	const msg = "no Protocol: composex writes HTTP, the protocol of an application load balancer's listener without certificates (compose-x leaves it out); set Protocol: HTTPS and a certificate to terminate TLS"
	if d == nil || d.Message != msg || d.Line != 17 {
		t.Errorf("want the warning %q at line 17, got %v\n%s", msg, d, r.Diags.Error())
	}
	rendertest.CfnLint(t, r.Template)
}

// What TEA_POT cannot do is refused at its key: a network load balancer
// gives no fixed responses, and a target that takes every request leaves
// nothing for it.
func TestTeaPotRefused(t *testing.T) {
	for _, c := range []struct{ name, compose, path, msg string }{
		{"on a network load balancer", project(nlbHead + `    Listeners:
      - Port: 80
        Protocol: TCP
        DefaultActions: [{Redirect: TEA_POT}]
        Targets: [{name: web:web}]
    Services:
      web:web: {port: 80, protocol: TCP}
`), "x-elbv2.nlb.Listeners.0.DefaultActions.0.Redirect", "TEA_POT answers with a fixed response, which only application load balancers give; nlb is a network load balancer"},
		{"beside a target taking every request", project(albHead + `    Listeners:
      - Port: 80
        Protocol: HTTP
        DefaultActions: [{Redirect: TEA_POT}]
        Targets: [{name: web:web}]
` + webTG), "x-elbv2.lb.Listeners.0.Targets.0.access", "this target takes every request, but the TEA_POT response already does; give it a path or host in access or Conditions"},
		{"unknown redirect", project(albHead + `    Listeners:
      - Port: 80
        Protocol: HTTP
        DefaultActions: [{Redirect: COFFEE}]
` + webTG), "x-elbv2.lb.Listeners.0.DefaultActions.0.Redirect", `"COFFEE" is not a redirect composex knows; allowed: HTTP_TO_HTTPS, TEA_POT`},
	} {
		t.Run(c.name, func(t *testing.T) {
			rendertest.ExpectRefused(t, c.compose, nil, c.path, c.msg)
		})
	}
}
