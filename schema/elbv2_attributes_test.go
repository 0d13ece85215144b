package schema_test

import (
	"strings"
	"testing"

	"github.com/composex/composex/schema"
)

// x-elbv2 Properties.LoadBalancerAttributes takes compose-x's mapping of
// key to value as well as CloudFormation's list; a value that is no
// scalar is refused at its key.
const elbv2Head = "services:\n  web:\n    image: nginx:1.27\n    ports: [\"80:80\"]\nx-elbv2:\n  lb:\n    Properties:\n      Type: network\n"

func TestElbv2AttributesForms(t *testing.T) {
	for name, body := range map[string]string{
		"mapping": "      LoadBalancerAttributes: {dns_record.client_routing_policy: any_availability_zone, deletion_protection.enabled: false}\n",
		"list":    "      LoadBalancerAttributes: [{Key: deletion_protection.enabled, Value: \"false\"}]\n",
	} {
		t.Run(name, func(t *testing.T) {
			if ds := schema.Validate(loadYAML(t, elbv2Head+body)); len(ds) > 0 {
				t.Errorf("refused:\n%s", dump(ds))
			}
		})
	}
	ds := schema.Validate(loadYAML(t, elbv2Head+"      LoadBalancerAttributes: {deletion_protection.enabled: [true]}\n"))
	for _, d := range ds {
		if strings.HasPrefix(d.Path, "x-elbv2.lb.Properties.LoadBalancerAttributes") && d.Line == 9 {
			return
		}
	}
	t.Errorf("a list as an attribute's value is not refused at line 9:\n%s", dump(ds))
}
