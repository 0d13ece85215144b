package render

import (
	"fmt"
	"strings"
)

// FargateSize is a task-level CPU (units) and memory (MiB) pair that
// Fargate accepts.
type FargateSize struct {
	Cpu    int
	Memory int
}

// fargateRow lists the memory values Fargate allows for one CPU size,
// from AWS's table of supported task sizes (Linux).
type fargateRow struct {
	cpu      int
	memories []int
}

var fargateTable = func() []fargateRow {
	span := func(from, to, step int) []int {
		var out []int
		for m := from; m <= to; m += step {
			out = append(out, m)
		}
		return out
	}
	return []fargateRow{
		{256, []int{512, 1024, 2048}},
		{512, span(1024, 4096, 1024)},
		{1024, span(2048, 8192, 1024)},
		{2048, span(4096, 16384, 1024)},
		{4096, span(8192, 30720, 1024)},
		{8192, span(16384, 61440, 4096)},
		{16384, span(32768, 122880, 8192)},
	}
}()

const (
	maxFargateCpu    = 16384
	maxFargateMemory = 122880
)

// ChooseFargateSize returns the smallest task size with at least cpu units
// and memory MiB. Unlike compose-x, a memory need raises the CPU when the
// row of the smaller CPU cannot hold it.
func ChooseFargateSize(cpu, memory int) (FargateSize, error) {
	if cpu > maxFargateCpu {
		return FargateSize{}, fmt.Errorf("the containers ask for %s vCPU in all; the largest Fargate task has 16 vCPU", vcpu(cpu))
	}
	if memory > maxFargateMemory {
		return FargateSize{}, fmt.Errorf("the containers ask for %s of memory in all; the largest Fargate task has 120 GiB (122880 MiB)", mib(memory))
	}
	for _, row := range fargateTable {
		if row.cpu < cpu {
			continue
		}
		for _, m := range row.memories {
			if m >= memory {
				return FargateSize{Cpu: row.cpu, Memory: m}, nil
			}
		}
	}
	return FargateSize{}, fmt.Errorf("no Fargate task size has %s vCPU and %s", vcpu(cpu), mib(memory))
}

func vcpu(units int) string { return fmt.Sprintf("%g", float64(units)/1024) }

func mib(m int) string {
	if m%1024 == 0 {
		return fmt.Sprintf("%d GiB", m/1024)
	}
	return fmt.Sprintf("%d MiB", m)
}

// String shows a size as users read it: "0.5 vCPU, 1 GiB".
func (s FargateSize) String() string {
	return fmt.Sprintf("%s vCPU, %s", vcpu(s.Cpu), mib(s.Memory))
}

// containerAsk is what one container adds to the task size: its CPU units
// and its memory limit, or its reservation when it has no limit.
func containerAsk(c *Container) (cpu, mem int) {
	mem = c.MemoryReservation
	if c.Memory > 0 {
		mem = c.Memory
	}
	return c.Cpu, mem
}

// SizeReason says, for the render summary, why the family got its Fargate
// size: what each container asks for, which Fargate rule took the sum to a
// valid size, and how much the sidecars composex added raised it.
func (f *Family) SizeReason() string {
	var cpu, mem, appCpu, appMem int
	var parts []string
	for _, c := range f.Containers {
		cc, cm := containerAsk(c)
		cpu, mem = cpu+cc, mem+cm
		if !c.Sidecar {
			appCpu, appMem = appCpu+cc, appMem+cm
		}
		var ask []string
		if cc > 0 {
			ask = append(ask, vcpu(cc)+" vCPU")
		}
		if cm > 0 {
			ask = append(ask, mib(cm))
		}
		if len(ask) == 0 {
			ask = append(ask, "nothing")
		}
		name := c.Name
		if c.Sidecar {
			name += " (sidecar)"
		}
		parts = append(parts, name+" "+strings.Join(ask, "/"))
	}
	s := f.Size
	if cpu == 0 && mem == 0 {
		return "no container asks for CPU or memory: the smallest Fargate size"
	}
	out := fmt.Sprintf("the containers ask for %s vCPU, %s: %s", vcpu(cpu), mib(mem), strings.Join(parts, ", "))
	var rules []string
	if s.Cpu > cpu {
		byCpu, _ := ChooseFargateSize(cpu, 0)
		if byCpu.Cpu == s.Cpu {
			rules = append(rules, fmt.Sprintf("%s vCPU is the smallest Fargate CPU size that holds %s vCPU", vcpu(s.Cpu), vcpu(cpu)))
		} else {
			rules = append(rules, fmt.Sprintf("%s of memory needs at least %s vCPU on Fargate", mib(mem), vcpu(s.Cpu)))
		}
	}
	if s.Memory > mem {
		if least := smallestMemory(s.Cpu); s.Memory == least && mem < least {
			rules = append(rules, fmt.Sprintf("%s is the least memory Fargate gives %s vCPU", mib(least), vcpu(s.Cpu)))
		} else {
			rules = append(rules, fmt.Sprintf("%s is the next Fargate memory size", mib(s.Memory)))
		}
	}
	if len(rules) > 0 {
		out += "; " + strings.Join(rules, ", ")
	}
	if app, err := ChooseFargateSize(appCpu, appMem); err == nil && app != s {
		out += fmt.Sprintf("; the sidecars raised it from %s", app)
	}
	return out
}

// smallestMemory is the least memory Fargate pairs with a CPU size.
func smallestMemory(cpu int) int {
	for _, row := range fargateTable {
		if row.cpu == cpu {
			return row.memories[0]
		}
	}
	return 0
}

// Ceiling is the most of the task's memory or CPU that its containers can
// use together, as ECS service utilisation measures it (the tasks' use over
// the task size in the task definition). When every container is bounded
// (a hard memory limit, a container that exits after start, a sidecar whose
// use composex knows) the sum can stay below the task size that Fargate's
// size table imposed: a utilisation target or alarm above the ceiling can
// never be reached.
type Ceiling struct {
	Bounded bool
	Percent float64 // ceiling in percent of the task size
	Amount  int     // MiB or CPU units
	Why     string  // how each container is bounded, for messages
}

// oneShot lists the containers that others wait on to exit (SUCCESS,
// COMPLETE): they use nothing once the task runs.
func (f *Family) oneShot() map[string]bool {
	out := map[string]bool{}
	for _, c := range f.Containers {
		for _, d := range c.DependsOn {
			if d.Condition == "SUCCESS" || d.Condition == "COMPLETE" {
				out[d.Container] = true
			}
		}
	}
	return out
}

// MemoryCeiling is the most memory the family's containers can use in a
// running task. A container's Memory is a hard limit (the kernel kills it
// above); a sidecar composex adds is counted at its reservation, the use it
// was sized for; an app container without a limit may take the whole task,
// so the family is then unbounded. Valid once f.Size is set.
func (f *Family) MemoryCeiling() Ceiling {
	return f.ceiling(f.Size.Memory, func(c *Container) (int, string, bool) {
		switch {
		case c.Memory > 0:
			return c.Memory, fmt.Sprintf("%s is limited to %s", c.Name, mib(c.Memory)), true
		case c.Sidecar:
			return c.MemoryReservation, fmt.Sprintf("sidecar %s is counted at its %s reservation", c.Name, mib(c.MemoryReservation)), true
		}
		return 0, "", false // may use all of the task's memory
	})
}

// CpuCeiling is the most CPU the family's containers can use. On Linux a
// container's Cpu is a relative share (docker --cpu-shares), not a cap: any
// container may use the task's idle CPU, so Linux tasks are unbounded. On
// Windows the container CPU is an absolute limit.
func (f *Family) CpuCeiling() Ceiling {
	if !strings.HasPrefix(f.OSFamily, "WINDOWS") {
		return Ceiling{}
	}
	return f.ceiling(f.Size.Cpu, func(c *Container) (int, string, bool) {
		if c.Cpu > 0 {
			return c.Cpu, fmt.Sprintf("%s is limited to %s vCPU", c.Name, vcpu(c.Cpu)), true
		}
		return 0, "", false
	})
}

// ceiling adds up what each container can use of a task resource of size
// units; limit gives a container's bound and why, or false when it has
// none (then the family is unbounded). Containers others wait on to exit
// count as nothing once the task runs.
func (f *Family) ceiling(size int, limit func(*Container) (int, string, bool)) Ceiling {
	if size == 0 {
		return Ceiling{}
	}
	once := f.oneShot()
	total := 0
	var why []string
	for _, c := range f.Containers {
		if once[c.Name] {
			why = append(why, c.Name+" exits after start")
			continue
		}
		n, reason, bounded := limit(c)
		if !bounded {
			return Ceiling{}
		}
		total += n
		why = append(why, reason)
	}
	if total >= size {
		return Ceiling{}
	}
	return Ceiling{Bounded: true, Percent: float64(total) * 100 / float64(size), Amount: total, Why: strings.Join(why, ", ")}
}

// Explain says why utilisation stays under the ceiling, for messages;
// what is "memory" or "CPU".
func (c Ceiling) Explain(f *Family, what string) string {
	used, metric := vcpu(c.Amount)+" vCPU", "CPUUtilization"
	if what == "memory" {
		used, metric = mib(c.Amount), "MemoryUtilization"
	}
	return fmt.Sprintf("the task has %s, and its containers can use at most %s of that %s (%.1f%%: %s), so ECS service %s stays below %.1f%%",
		f.Size, used, what, c.Percent, c.Why, metric, c.Percent)
}

// LimitFix says how to let the containers use the task's memory or CPU.
func LimitFix(what string) string {
	if what == "memory" {
		return "raise the containers' memory limits (deploy.resources.limits.memory) to use the task's memory"
	}
	return "raise the containers' CPU limits (deploy.resources.limits.cpus) to use the task's CPU"
}

// MemoryLimits gives every container of the family a hard memory limit
// (AWS Control Tower's CT.ECS.PR.7 refuses a container without one) and
// returns the limit per container name. A container with a limit keeps
// it. A sidecar composex added is limited to its reservation, the use it
// was sized for (as MemoryCeiling counts it), plus headroom (see below). The app containers without a
// limit share what the task has left once every other container's limit
// or reservation and the Service Connect proxy's share are set aside: each
// gets its own reservation plus an even part of that remainder, so an app
// may still use all the memory no other container holds, as it could
// without a limit. ECS counts a container's limit as its reservation when
// it has none, and the reservations of a task must fit its memory: the
// limits together never exceed the task size. When every app container
// has a limit, the sidecars share the remainder instead. Valid once f.Size
// is set.
func (f *Family) MemoryLimits() map[string]int {
	out := map[string]int{}
	free := f.Size.Memory
	if f.ServiceConnect {
		free -= ServiceConnectProxyMemory
	}
	var apps, sidecars []*Container
	for _, c := range f.Containers {
		switch {
		case c.Memory > 0:
			out[c.Name] = c.Memory
			free -= c.Memory
			continue
		case c.Sidecar && c.MemoryReservation > 0:
			sidecars = append(sidecars, c)
		default:
			apps = append(apps, c)
		}
		free -= c.MemoryReservation
	}
	open := apps
	if len(apps) == 0 {
		open = sidecars
	} else {
		// A sidecar composex adds is essential: an out-of-memory kill at
		// its reservation (a log burst through Fluent Bit, a scrape spike
		// in the agent) would stop the whole task. Each gets up to its
		// reservation again as headroom, from what no container holds,
		// never more than an even share of it; the apps share the rest.
		for _, c := range sidecars {
			extra := 0
			if free > 0 {
				extra = min(c.MemoryReservation, free/(len(apps)+len(sidecars)))
			}
			free -= extra
			if limit := c.MemoryReservation + extra; limit >= minContainerMemory {
				out[c.Name] = limit
			}
		}
	}
	if len(open) == 0 || free < 0 {
		return out
	}
	share, extra := free/len(open), free%len(open)
	for i, c := range open {
		limit := c.MemoryReservation + share
		if i == 0 {
			limit += extra
		}
		if limit >= minContainerMemory {
			out[c.Name] = limit
		}
	}
	return out
}

// minContainerMemory is the least hard limit ECS accepts for a container
// (RegisterTaskDefinition: "memory" must be at least 6 MiB).
const minContainerMemory = 6

// Windows containers on Fargate run in the 1, 2 and 4 vCPU rows of the
// size table only (ECS Developer Guide, "Task CPU and memory": the 0.25
// and 0.5 vCPU sizes are Linux, 8 and 16 vCPU need Linux platform 1.4.0).
const (
	minWindowsCpu = 1024
	maxWindowsCpu = 4096
)

// ChooseFargateSizeFor is ChooseFargateSize for the operating system
// family of the task ("" or LINUX, or a WINDOWS_SERVER_* family).
func ChooseFargateSizeFor(osFamily string, cpu, memory int) (FargateSize, error) {
	if !strings.HasPrefix(osFamily, "WINDOWS") {
		return ChooseFargateSize(cpu, memory)
	}
	if cpu > maxWindowsCpu {
		return FargateSize{}, fmt.Errorf("the containers ask for %s vCPU in all; a Windows task on Fargate has at most 4 vCPU", vcpu(cpu))
	}
	if memory > 30720 {
		return FargateSize{}, fmt.Errorf("the containers ask for %s of memory in all; a Windows task on Fargate has at most 30 GiB", mib(memory))
	}
	// A Windows task has at least 1 vCPU, whatever its containers ask.
	return ChooseFargateSize(max(cpu, minWindowsCpu), memory)
}
