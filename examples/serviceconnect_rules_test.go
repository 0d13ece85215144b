package examples

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestServiceConnectConsumerRules applies ECS's Service Connect rules to
// every rendered example and fixture (Amazon ECS Developer Guide, "Service
// Connect": considerations, terminology and the proxy's resources):
//   - every PortName is the name of a port mapping in the service's task;
//   - discovery names (DiscoveryName, else the port name) are unique in a
//     namespace, and so are endpoints (client alias name and port);
//   - a service with Service Connect on names its namespace; a client-only
//     one has no Services;
//   - one client alias per Service Connect service, a valid DNS name, a
//     port from 1 to 65535;
//   - the task leaves at least 256 CPU units and 64 MiB outside its
//     containers' reservations for the proxy that ECS adds.
func TestServiceConnectConsumerRules(t *testing.T) {
	reDNS := regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$`)
	for _, p := range append(renderExamples(t), renderFixtures(t)...) {
		t.Run(p.name, func(t *testing.T) {
			var doc struct {
				Resources map[string]map[string]any `yaml:"Resources"`
			}
			if err := yaml.Unmarshal(p.out.Files[p.out.Template], &doc); err != nil {
				t.Fatal(err)
			}
			discovery := map[string]string{} // namespace|name -> service
			endpoints := map[string]string{} // namespace|dns:port -> service
			for _, id := range slices.Sorted(maps.Keys(doc.Resources)) {
				r := doc.Resources[id]
				if r["Type"] != "AWS::ECS::Service" {
					continue
				}
				sc, ok := dig(r, "Properties", "ServiceConnectConfiguration").(map[string]any)
				if !ok || sc["Enabled"] != true {
					continue
				}
				if sc["Namespace"] == nil {
					t.Errorf("%s: Service Connect on without a namespace (the cluster has no default one)", id)
				}
				ns := fmt.Sprint(sc["Namespace"])
				td := doc.Resources[logicalRef(dig(r, "Properties", "TaskDefinition"))]
				names := map[string]bool{}
				cpu, mem := 0, 0
				for _, c := range asList(dig(td, "Properties", "ContainerDefinitions")) {
					for _, pm := range asList(dig(c, "PortMappings")) {
						names[fmt.Sprint(dig(pm, "Name"))] = true
					}
					cpu += toInt(dig(c, "Cpu"))
					if m := toInt(dig(c, "Memory")); m > 0 {
						mem += m
					} else {
						mem += toInt(dig(c, "MemoryReservation"))
					}
				}
				if free := toInt(dig(td, "Properties", "Cpu")) - cpu; free < 256 {
					t.Errorf("%s: the task leaves %d CPU units to the Service Connect proxy; AWS recommends 256", id, free)
				}
				if free := toInt(dig(td, "Properties", "Memory")) - mem; free < 64 {
					t.Errorf("%s: the task leaves %d MiB to the Service Connect proxy; AWS recommends 64", id, free)
				}
				for i, svc := range asList(sc["Services"]) {
					pn := fmt.Sprint(dig(svc, "PortName"))
					if !names[pn] {
						t.Errorf("%s: Services[%d].PortName %s is no port mapping name of its task", id, i, pn)
					}
					dn := pn
					if d := dig(svc, "DiscoveryName"); d != nil {
						dn = fmt.Sprint(d)
					}
					if other, dup := discovery[ns+"|"+dn]; dup {
						t.Errorf("%s: discovery name %s is also used by %s in the same namespace", id, dn, other)
					}
					discovery[ns+"|"+dn] = id
					aliases := asList(dig(svc, "ClientAliases"))
					if len(aliases) > 1 {
						t.Errorf("%s: Services[%d] has %d client aliases; ECS takes one", id, i, len(aliases))
					}
					for _, a := range aliases {
						dns, port := fmt.Sprint(dig(a, "DnsName")), toInt(dig(a, "Port"))
						if !reDNS.MatchString(dns) || port < 1 || port > 65535 {
							t.Errorf("%s: client alias %s:%d is not a DNS name and port", id, dns, port)
						}
						k := fmt.Sprintf("%s|%s:%d", ns, dns, port)
						if other, dup := endpoints[k]; dup {
							t.Errorf("%s: endpoint %s:%d is also %s's in the same namespace", id, dns, port, other)
						}
						endpoints[k] = id
					}
				}
			}
		})
	}
}
