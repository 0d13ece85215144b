// Package scaling reads x-scaling: the ECS service's scalable target
// (Range), its target tracking policies (TargetScaling) and its scheduled
// actions. Step scaling is driven by alarms and lives in package alarms; it
// attaches to the target recorded in render.Family.Scaling.
package scaling

import (
	"fmt"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	"sort"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/applicationautoscaling"

	"github.com/composex/composex/render"
)

const key = "x-scaling"

// Extension implements render.Extension for x-scaling.
type Extension struct{}

func (Extension) Name() string          { return key }
func (Extension) ServiceKeys() []string { return []string{key} }
func (Extension) ProjectKeys() []string { return nil }

// Validate checks every service's x-scaling block on its own; the family
// merge happens in Extend.
func (Extension) Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	names := in.Project.ServiceNames()
	sort.Strings(names)
	for _, n := range names {
		read(in.Project.Services[n], &ds)
	}
	return ds
}

// Plan is the scaling of one family once its services' blocks are merged.
//
// Merge rule (a family is one ECS service, so it has one scalable target):
//   - Range: the widest, i.e. the lowest minimum and the highest maximum of
//     the services that give one;
//   - CpuTarget, MemoryTarget: the lowest target given (the service that
//     needs the most headroom wins);
//   - ScaleInCooldown, ScaleOutCooldown: the longest given, else 300 s and
//     60 s (Application Auto Scaling's defaults for ECS);
//   - DisableScaleIn: true if any service sets it;
//   - ScheduledActions: all of them, in service order; a name used twice
//     in the family is refused.
type Plan struct {
	Min, Max         int
	MinFrom, MaxFrom string // services that set the bounds
	CpuTarget        *float64
	MemoryTarget     *float64
	CpuFrom, MemFrom string // services that set the targets
	ScaleInCooldown  int
	ScaleOutCooldown int
	DisableScaleIn   bool
	Actions          []ScheduledAction
}

// merge combines the x-scaling blocks of a family's services (nil when no
// service of the family scales).
func merge(f *render.Family, blocks map[string]*XScaling, ds *render.Diagnostics) *Plan {
	var p *Plan
	var cpuFrom, memFrom string
	actionFrom := map[string]string{}
	in, out := -1, -1
	for _, s := range f.Services {
		x := blocks[s.Name]
		if x == nil {
			continue
		}
		lo, hi, err := ParseRange(x.Range)
		if err != nil {
			continue // reported by Validate
		}
		if p == nil {
			p = &Plan{Min: lo, Max: hi, MinFrom: s.Name, MaxFrom: s.Name}
		}
		if lo < p.Min {
			p.Min, p.MinFrom = lo, s.Name
		}
		if hi > p.Max {
			p.Max, p.MaxFrom = hi, s.Name
		}
		if t := x.TargetScaling; t != nil {
			p.CpuTarget, cpuFrom = lowest(f, "CpuTarget", p.CpuTarget, cpuFrom, t.CpuTarget, s.Name, ds)
			p.MemoryTarget, memFrom = lowest(f, "MemoryTarget", p.MemoryTarget, memFrom, t.MemoryTarget, s.Name, ds)
			if t.ScaleInCooldown != nil && *t.ScaleInCooldown > in {
				in = *t.ScaleInCooldown
			}
			if t.ScaleOutCooldown != nil && *t.ScaleOutCooldown > out {
				out = *t.ScaleOutCooldown
			}
			if t.DisableScaleIn != nil && *t.DisableScaleIn {
				p.DisableScaleIn = true
			}
		}
		for i, a := range x.ScheduledActions {
			if other, dup := actionFrom[a.ScheduledActionName]; dup {
				ds.Errorf(s.Name, render.ServicePath(s.Name, key, fmt.Sprintf("ScheduledActions.%d.ScheduledActionName", i)),
					"family %s: %s already has a scheduled action named %q; the family has one scalable target, give the actions different names", f.Name, other, a.ScheduledActionName)
				continue
			}
			actionFrom[a.ScheduledActionName] = s.Name
			p.Actions = append(p.Actions, a)
		}
	}
	if p == nil {
		return nil
	}
	p.CpuFrom, p.MemFrom = cpuFrom, memFrom
	p.ScaleInCooldown, p.ScaleOutCooldown = DefaultScaleInCooldown, DefaultScaleOutCooldown
	if in >= 0 {
		p.ScaleInCooldown = in
	}
	if out >= 0 {
		p.ScaleOutCooldown = out
	}
	return p
}

// lowest keeps the lower of two targets and says so when services differ.
func lowest(f *render.Family, name string, cur *float64, curFrom string, v *float64, from string, ds *render.Diagnostics) (*float64, string) {
	switch {
	case v == nil:
		return cur, curFrom
	case cur == nil:
		return v, from
	case *v == *cur:
		return cur, curFrom
	}
	keep, keepFrom, drop, dropFrom := cur, curFrom, v, from
	if *v < *cur {
		keep, keepFrom, drop, dropFrom = v, from, cur, curFrom
	}
	ds.Warnf(dropFrom, render.ServicePath(dropFrom, key, "TargetScaling."+name),
		"family %s: %s asks for %g and %s for %g; the family is one ECS service, so the lower target %g applies", f.Name, dropFrom, *drop, keepFrom, *keep, *keep)
	return keep, keepFrom
}

// Extend gives every family that asks for scaling its scalable target,
// target tracking policies and scheduled actions, and records the target
// in f.Scaling for x-alarms.
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds render.Diagnostics
	blocks := map[string]*XScaling{}
	var discard render.Diagnostics // Validate reported these already
	for name, s := range in.Project.Services {
		blocks[name] = read(s, &discard)
	}
	for _, f := range m.Families {
		p := merge(f, blocks, &ds)
		if p == nil {
			continue
		}
		clampDesired(f, p, &ds)
		f.Scaling = &render.Scaling{Min: p.Min, Max: p.Max, Tracking: p.tracking()}
		// Auto scaling owns the task count from now on. A DesiredCount in the
		// template would be sent again by every stack update that touches the
		// service (a new image, say) and undo what scaling did; without it
		// ECS starts the service at 1 and the scalable target raises it to
		// its minimum at once.
		f.ServiceHooks = append(f.ServiceHooks, func(svc *ecs.Service) { svc.DesiredCount = nil })
		f.SizeChecks = append(f.SizeChecks, func() render.Diagnostics { return unreachableTargets(f, p) })
		if err := addResources(f, p); err != nil {
			ds.Errorf(f.Services[0].Name, render.ServicePath(f.Services[0].Name, key), "%v", err)
		}
		addRequestCountPolicy(m, f, p, blocks, &ds)
	}
	return ds
}

// clampDesired reports deploy.replicas outside the scaling range: the
// template sets no DesiredCount for a scaled service (see Extend), so the
// range, not the replicas, decides how many tasks run.
func clampDesired(f *render.Family, p *Plan, ds *render.Diagnostics) {
	for _, s := range f.Services {
		if s.Deploy == nil || s.Deploy.Replicas == nil {
			continue
		}
		if n := *s.Deploy.Replicas; n < p.Min || n > p.Max {
			ds.Warnf(s.Name, render.ServicePath(s.Name, "deploy.replicas"),
				"family %s: %d replica(s) is outside the scaling range %d-%d; auto scaling keeps the task count within the range", f.Name, n, p.Min, p.Max)
		}
	}
	reportStartCount(f, p, ds)
	switch {
	case f.DesiredCount < p.Min:
		f.DesiredCount = p.Min
	case f.DesiredCount > p.Max:
		f.DesiredCount = p.Max
	}
}

// Names of the target tracking policies; unique per scalable target.
const (
	CpuPolicyName    = "cpu-target-tracking"
	MemoryPolicyName = "memory-target-tracking"
)

func addResources(f *render.Family, p *Plan) error {
	target := &applicationautoscaling.ScalableTarget{
		ServiceNamespace:  "ecs",
		ScalableDimension: "ecs:service:DesiredCount",
		ResourceId:        render.Sub("service/${" + render.ClusterNameVar + "}/${" + f.ServiceID() + ".Name}"),
		MinCapacity:       p.Min,
		MaxCapacity:       p.Max,
	}
	for _, a := range p.Actions {
		target.ScheduledActions = append(target.ScheduledActions, scheduledAction(f, a))
	}
	if err := f.AddResource(f.ScalableTargetID(), target); err != nil {
		return err
	}
	policies := []struct {
		id, name, metric string
		target           *float64
	}{
		{f.Logical + "CpuTrackingPolicy", CpuPolicyName, "ECSServiceAverageCPUUtilization", p.CpuTarget},
		{f.Logical + "MemoryTrackingPolicy", MemoryPolicyName, "ECSServiceAverageMemoryUtilization", p.MemoryTarget},
	}
	for _, pol := range policies {
		if pol.target == nil {
			continue
		}
		in, out, disable := p.ScaleInCooldown, p.ScaleOutCooldown, p.DisableScaleIn
		err := f.AddResource(pol.id, &applicationautoscaling.ScalingPolicy{
			PolicyName:      pol.name,
			PolicyType:      "TargetTrackingScaling",
			ScalingTargetId: cloudformation.RefPtr(f.ScalableTargetID()),
			TargetTrackingScalingPolicyConfiguration: &applicationautoscaling.ScalingPolicy_TargetTrackingScalingPolicyConfiguration{
				PredefinedMetricSpecification: &applicationautoscaling.ScalingPolicy_PredefinedMetricSpecification{PredefinedMetricType: pol.metric},
				TargetValue:                   *pol.target,
				ScaleInCooldown:               &in,
				ScaleOutCooldown:              &out,
				DisableScaleIn:                &disable,
			},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func scheduledAction(f *render.Family, a ScheduledAction) applicationautoscaling.ScalableTarget_ScheduledAction {
	name := a.ScheduledActionName
	if mp := a.MacroParameters; mp != nil {
		switch {
		case mp.AddServiceName:
			name = cloudformation.Sub("${" + f.ServiceID() + ".Name}." + render.EscapeSub(name))
		case mp.AddRandomId:
			// compose-x's STACK_ID_SHORT: the first group of the stack's UUID.
			name = cloudformation.SubVars("${StackIdShort}"+render.EscapeSub(name), map[string]any{
				"StackIdShort": cloudformation.Select(0, cloudformation.Split("-", cloudformation.Select(2, cloudformation.Split("/", cloudformation.Ref("AWS::StackId"))))),
			})
		}
	}
	sa := applicationautoscaling.ScalableTarget_ScheduledAction{
		ScheduledActionName: name,
		Schedule:            a.Schedule,
		ScalableTargetAction: &applicationautoscaling.ScalableTarget_ScalableTargetAction{
			MinCapacity: a.ScalableTargetAction.MinCapacity,
			MaxCapacity: a.ScalableTargetAction.MaxCapacity,
		},
	}
	if a.StartTime != "" {
		sa.StartTime = &a.StartTime
	}
	if a.EndTime != "" {
		sa.EndTime = &a.EndTime
	}
	if a.Timezone != "" {
		sa.Timezone = &a.Timezone
	}
	return sa
}

// StartCount is how many tasks a scaled service starts with. The template
// has no DesiredCount (see Extend), so CloudFormation creates the service
// with its default of 1 task; registering the scalable target then moves
// the count into the Range (RegisterScalableTarget changes an active
// resource's capacity to a value inside the range), and only the scaling
// policies move it after that.
func StartCount(lo, hi int) int { return clamp(1, lo, hi) }

func clamp(v, lo, hi int) int { return min(max(v, lo), hi) }

// reportStartCount tells the user when deploy.replicas (or scale) inside
// the Range is not the count the service starts with: composex does not
// write it as DesiredCount, because every stack update that touches the
// service would send it again and undo what auto scaling did.
func reportStartCount(f *render.Family, p *Plan, ds *render.Diagnostics) {
	start := StartCount(p.Min, p.Max)
	for _, s := range f.Services {
		n, field := 0, ""
		switch {
		case s.Deploy != nil && s.Deploy.Replicas != nil:
			n, field = *s.Deploy.Replicas, "deploy.replicas"
		case s.Scale != nil:
			n, field = *s.Scale, "scale"
		default:
			continue
		}
		if n < p.Min || n > p.Max || n == start {
			continue // outside the range: reported above; equal: nothing to say
		}
		ds.Warnf(s.Name, render.ServicePath(s.Name, field),
			"family %s: %s is %d, but the service starts with %d task(s): a scaled service has no DesiredCount in the template (every stack update would send it again and undo what auto scaling did), so CloudFormation creates it with 1 task and the scalable target moves that into the Range %d-%d; to start with %d tasks, make %d the Range minimum (\"%d-%d\")",
			f.Name, field, n, start, p.Min, p.Max, n, n, n, p.Max)
	}
}

// tracking names the plan's target tracking policies by their keys.
func (p *Plan) tracking() []string {
	var out []string
	if p.CpuTarget != nil {
		out = append(out, "CpuTarget")
	}
	if p.MemoryTarget != nil {
		out = append(out, "MemoryTarget")
	}
	return out
}
