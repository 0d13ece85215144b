package elbv2_test

import (
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// compose-x writes Properties.LoadBalancerAttributes as a mapping of key
// to value (ecs_composex/elbv2/elbv2_stack/elbv2.py, set_lb_attributes,
// turns each entry into a {Key, Value}); CloudFormation's list of
// {Key, Value} is read too. The mapping comes out sorted by key, each
// value as the string the ELB API wants, beside the shortcut attributes.
func TestLoadBalancerAttributesMapping(t *testing.T) {
	for name, attrs := range map[string]string{
		"mapping": `      LoadBalancerAttributes:
        dns_record.client_routing_policy: partial_availability_zone_affinity
        deletion_protection.enabled: false
`,
		"list": `      LoadBalancerAttributes:
        - {Key: deletion_protection.enabled, Value: "false"}
        - {Key: dns_record.client_routing_policy, Value: partial_availability_zone_affinity}
`,
	} {
		t.Run(name, func(t *testing.T) {
			r := rendertest.MustRender(t, project(`  nlb:
    Properties:
      Type: network
      Scheme: internal
`+attrs+`    MacroParameters: {cross_zone: false}
    Listeners:
      - Port: 80
        Protocol: TCP
        Targets: [{name: web:web}]
    Services:
      web:web: {port: 80, protocol: TCP}
`))
			lb := r.Get(t, "NlbLoadBalancer", "AWS::ElasticLoadBalancingV2::LoadBalancer")
			rendertest.EqualJSON(t, "LoadBalancerAttributes", lb["LoadBalancerAttributes"], `[
				{"Key": "load_balancing.cross_zone.enabled", "Value": "false"},
				{"Key": "deletion_protection.enabled", "Value": "false"},
				{"Key": "dns_record.client_routing_policy", "Value": "partial_availability_zone_affinity"}]`)
		})
	}
}

// An attribute given both as a shortcut and in the mapping is refused at
// the attributes' key, as in the list form.
func TestLoadBalancerAttributesMappingTwice(t *testing.T) {
	r := rendertest.Render(t, project(`  nlb:
    Properties:
      Type: network
      LoadBalancerAttributes: {load_balancing.cross_zone.enabled: true}
    MacroParameters: {cross_zone: false}
    Listeners:
      - Port: 80
        Protocol: TCP
        Targets: [{name: web:web}]
    Services:
      web:web: {port: 80, protocol: TCP}
`))
	d := rendertest.Find(r.Diags, render.Error, "x-elbv2.nlb.Properties.LoadBalancerAttributes")
	if d == nil || d.Message != "the attribute load_balancing.cross_zone.enabled is also set by a shortcut; set it once" {
		t.Fatalf("want the attribute set twice refused, got %v\n%s", d, r.Diags.Error())
	}
}
