package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/composex/composex/extensions/exposure"
	"github.com/composex/composex/render"
)

// maxSummaryFamilies bounds the render summary: past it, a count.
const maxSummaryFamilies = 20

// writeSummary tells a person what the render made, per family: the task
// size and why, the containers, and each port with the way it is reached.
func writeSummary(w io.Writer, m *render.Model) {
	if len(m.Families) > maxSummaryFamilies {
		fmt.Fprintf(w, "%d task families (no summary past %d)\n", len(m.Families), maxSummaryFamilies)
		return
	}
	for _, f := range m.Families {
		fmt.Fprintf(w, "family %s: %d container(s), Fargate task %s (%s)\n", f.Name, len(f.Containers), f.Size, f.SizeReason())
		names := make([]string, 0, len(f.Containers))
		var ports []string
		for _, c := range f.Containers {
			if c.Sidecar {
				names = append(names, c.Name+" (sidecar)")
				continue
			}
			names = append(names, c.Name)
			for _, p := range c.Ports {
				ports = append(ports, fmt.Sprintf("%d/%s %s", p.ContainerPort, p.Protocol, reachedBy(m, f, c, p)))
			}
		}
		fmt.Fprintf(w, "  containers: %s\n", strings.Join(names, ", "))
		if len(ports) > 0 {
			fmt.Fprintf(w, "  ports: %s\n", strings.Join(ports, "; "))
		}
	}
}

// reachedBy says how a container port is reached: through a load balancer
// of the stack, from outside by an ingress rule, or only inside the stack.
func reachedBy(m *render.Model, f *render.Family, c *render.Container, p render.Port) string {
	for _, t := range f.LoadBalancerTargets {
		if t.Container == c.Name && t.ContainerPort == p.ContainerPort && strings.EqualFold(t.Protocol, p.Protocol) {
			return "through load balancer " + t.LoadBalancer
		}
	}
	service := c.Service
	if service == "" {
		service = c.Name
	}
	if exposure.Reachable(m, f, service, p.ContainerPort, p.Protocol) {
		if f.AssignPublicIp {
			return "from outside (public IP, ingress rule)"
		}
		return "from outside the stack's groups (ingress rule)"
	}
	if f.ServiceConnect {
		return fmt.Sprintf("inside the stack as %s:%d (Service Connect)", service, p.ContainerPort)
	}
	return "inside the stack only"
}
