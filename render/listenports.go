package render

import (
	"fmt"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// ListenPorts are the ports a service's container listens on (ports'
// targets and expose), each once, sorted: what a target group or an
// ingress rule may point at.
func ListenPorts(s types.ServiceConfig) []Port {
	var out []Port
	seen := map[string]bool{}
	add := func(port int, proto string) {
		proto = strings.ToLower(proto)
		if proto == "" {
			proto = "tcp"
		}
		k := fmt.Sprintf("%d/%s", port, proto)
		if port > 0 && !seen[k] {
			seen[k] = true
			out = append(out, Port{ContainerPort: port, Protocol: proto})
		}
	}
	for _, p := range s.Ports {
		add(int(p.Target), p.Protocol)
	}
	for _, e := range s.Expose {
		num, proto, _ := strings.Cut(e, "/")
		var n int
		fmt.Sscanf(num, "%d", &n)
		add(n, proto)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ContainerPort != out[j].ContainerPort {
			return out[i].ContainerPort < out[j].ContainerPort
		}
		return out[i].Protocol < out[j].Protocol
	})
	return out
}
