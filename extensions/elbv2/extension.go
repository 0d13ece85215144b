// Package elbv2 reads compose-x's top-level x-elbv2: application and
// network load balancers in front of the ECS services, with their
// listeners, rules and target groups, and the security group rules that
// let the load balancer, and only it, reach the task ports it forwards to.
package elbv2

import "github.com/composex/composex/render"

const key = "x-elbv2"

// Extension implements render.Extension for x-elbv2.
type Extension struct{}

func (Extension) Name() string          { return key }
func (Extension) ServiceKeys() []string { return nil }
func (Extension) ProjectKeys() []string { return []string{key} }

// Validate checks x-elbv2 against the project: services, families and
// ports it names must exist, listeners must fit their load balancer.
func (Extension) Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	read(in.Project, &ds)
	return ds
}
