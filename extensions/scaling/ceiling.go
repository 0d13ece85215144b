package scaling

import (
	"github.com/composex/composex/render"
)

// unreachableTargets warns about a target tracking target the family's
// containers can never reach. ECS service utilisation is the tasks' use
// over the task size of the task definition; Fargate's size table can give
// a task far more memory than its containers' hard limits add up to (a
// sidecar's CPU moves the task to a CPU row whose least memory is twice
// the app's limit), and then MemoryUtilization never reaches the target:
// target tracking never scales out on it. It runs once the size is chosen.
func unreachableTargets(f *render.Family, p *Plan) render.Diagnostics {
	var ds render.Diagnostics
	check := func(name, from string, target *float64, c render.Ceiling, what string) {
		if target == nil || !c.Bounded || *target < c.Percent {
			return
		}
		ds.Warnf(from, render.ServicePath(from, key, "TargetScaling."+name),
			"family %s: %s %g can never be reached: %s, and target tracking never scales out on %s; set %s below %.1f, or %s",
			f.Name, name, *target, c.Explain(f, what), what, name, c.Percent, render.LimitFix(what))
	}
	check("MemoryTarget", p.MemFrom, p.MemoryTarget, f.MemoryCeiling(), "memory")
	check("CpuTarget", p.CpuFrom, p.CpuTarget, f.CpuCeiling(), "CPU")
	return ds
}
