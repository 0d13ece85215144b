package elbv2_test

import (
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// A target group no listener forwards to: compose-x still registers the
// service in it (handle_service_association), and ECS refuses to create a
// service whose target group belongs to no load balancer, so compose-x's
// template fails at deploy. composex creates no target group for it and
// registers nothing, with a warning at its key; what a listener does use
// is rendered as usual.
func TestUnusedTargetGroupLeftOut(t *testing.T) {
	r := rendertest.MustRender(t, project(albHead+`    Listeners:
      - Port: 80
        Protocol: HTTP
        Targets: [{name: web:web}]
    Services:
      web:web: {port: 80}
      api:api: {port: 8080}
`))
	d := rendertest.Find(r.Diags, render.Warning, "x-elbv2.lb.Services.api:api")
	const msg = "no listener forwards to api:api: composex creates no target group for it and registers no service in it (ECS refuses to register a service in a target group no load balancer uses: compose-x's template for it fails at deploy); add it to a listener's Targets to send it traffic"
	if d == nil || d.Message != msg || d.Line != 22 {
		t.Fatalf("want the warning %q at line 22, got %v\n%s", msg, d, r.Diags.Error())
	}
	tgs := r.Of("AWS::ElasticLoadBalancingV2::TargetGroup")
	if len(tgs) != 1 || tgs["LbLoadBalancerWebWebTargetGroup"].Type == "" {
		var ids []string
		for id := range tgs {
			ids = append(ids, id)
		}
		t.Errorf("target groups %v, want LbLoadBalancerWebWebTargetGroup only", ids)
	}
	api := r.Get(t, "ApiService", "AWS::ECS::Service")
	if lbs, ok := api["LoadBalancers"]; ok {
		t.Errorf("api is registered in %v, though no listener forwards to it", lbs)
	}
	webFromLB := false
	for id, res := range r.Of("AWS::EC2::SecurityGroupIngress") {
		if strings.HasPrefix(id, "Api") && strings.Contains(id, "LoadBalancer") {
			t.Errorf("%s admits the load balancer into api: %v", id, res.Properties)
		}
		webFromLB = webFromLB || strings.HasPrefix(id, "WebIngressFromLbLoadBalancer")
	}
	if !webFromLB {
		t.Errorf("web does not admit the load balancer")
	}
	web := r.Get(t, "WebService", "AWS::ECS::Service")
	rendertest.EqualJSON(t, "web LoadBalancers", web["LoadBalancers"], `[{"ContainerName": "web", "ContainerPort": 80, "TargetGroupArn": {"Ref": "LbLoadBalancerWebWebTargetGroup"}}]`)
	rendertest.CfnLint(t, r.Template)
}

// compose-x registers the members of a TargetGroups entry on the group's
// own Port (MergedTargetGroup.associate_families), not on each member's
// Port. A member whose container does not listen on its Port but does on
// the group's is registered there, as by compose-x, with a warning; one
// that listens on neither is still refused.
func TestTargetGroupMemberOnGroupPort(t *testing.T) {
	const listener = `    Listeners:
      - Port: 80
        Protocol: HTTP
        Targets: [{name: front}]
`
	r := rendertest.MustRender(t, project(albHead+listener+`    TargetGroups:
      front:
        Port: 80
        Protocol: HTTP
        Services:
          - Name: web:web
            Port: 5000
`))
	d := rendertest.Find(r.Diags, render.Warning, "x-elbv2.lb.TargetGroups.front.Services.0.Port")
	const msg = "service web does not listen on 5000 (its ports and expose: 80/tcp, 9000/tcp); it is registered on the target group's Port, 80, as compose-x does (compose-x registers every member on the group's Port): write Port: 80 here to say so"
	if d == nil || d.Message != msg || d.Service != "web" || d.Line != 26 {
		t.Fatalf("want the warning %q at line 26, got %v\n%s", msg, d, r.Diags.Error())
	}
	web := r.Get(t, "WebService", "AWS::ECS::Service")
	rendertest.EqualJSON(t, "web LoadBalancers", web["LoadBalancers"], `[{"ContainerName": "web", "ContainerPort": 80, "TargetGroupArn": {"Ref": "LbLoadBalancerFrontTargetGroup"}}]`)
	tg := r.Get(t, "LbLoadBalancerFrontTargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup")
	if tg["Port"] != 80 {
		t.Errorf("target group Port %v, want 80", tg["Port"])
	}

	rendertest.ExpectRefused(t, project(albHead+listener+`    TargetGroups:
      front:
        Port: 81
        Protocol: HTTP
        Services:
          - Name: web:web
            Port: 5000
`), nil, "x-elbv2.lb.TargetGroups.front.Services.0.Port", "service web does not listen on 5000/tcp (its ports and expose: 80/tcp, 9000/tcp); the target group front forwards there")
}
