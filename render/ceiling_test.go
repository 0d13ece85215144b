package render

import "testing"

// sizedFamily builds a family of containers with its Fargate size chosen as
// Emit chooses it.
func sizedFamily(t *testing.T, os string, cs ...*Container) *Family {
	t.Helper()
	f := &Family{Name: "app", OSFamily: os, Containers: cs}
	size, err := familySize(f)
	if err != nil {
		t.Fatal(err)
	}
	f.Size = size
	return f
}

// TestMemoryCeiling: ECS service MemoryUtilization is the tasks' use over
// the task's memory. Hard limits bound a container, a sidecar is counted at
// its reservation, a container others wait on to exit counts nothing, and
// an app container without a limit can use the whole task.
func TestMemoryCeiling(t *testing.T) {
	agent := func() *Container { return &Container{Name: "agent", Sidecar: true, Cpu: 128, MemoryReservation: 256} }
	tests := []struct {
		name    string
		cs      []*Container
		bounded bool
		percent float64
		why     string
	}{
		{"blog connect: a sidecar pushes the CPU row, whose least memory is twice the limit",
			[]*Container{
				{Name: "files", MemoryReservation: 128},
				{Name: "connect", Cpu: 2048, Memory: 4096, DependsOn: []ContainerDependency{{Container: "files", Condition: "SUCCESS"}}},
				agent(),
			}, true, 53.125, "files exits after start, connect is limited to 4 GiB, sidecar agent is counted at its 256 MiB reservation"},
		{"an app container without a limit may use the whole task",
			[]*Container{{Name: "web", Cpu: 2048, MemoryReservation: 1024}, agent()}, false, 0, ""},
		{"limits that fill the task leave no ceiling",
			[]*Container{{Name: "web", Cpu: 256, Memory: 512}}, false, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := sizedFamily(t, "LINUX", tc.cs...)
			c := f.MemoryCeiling()
			if c.Bounded != tc.bounded || c.Percent != tc.percent || c.Why != tc.why {
				t.Errorf("task %s: ceiling %+v, want bounded %v at %g%% (%s)", f.Size, c, tc.bounded, tc.percent, tc.why)
			}
		})
	}
}

// TestCpuCeiling: on Linux a container's CPU is a share, not a cap, so
// CPUUtilization can always reach 100%; on Windows it is a limit.
func TestCpuCeiling(t *testing.T) {
	cs := func() []*Container {
		return []*Container{{Name: "web", Cpu: 1024 + 512, Memory: 2048}}
	}
	if c := sizedFamily(t, "LINUX", cs()...).CpuCeiling(); c.Bounded {
		t.Errorf("Linux: %+v, want no CPU ceiling (container cpu is a share)", c)
	}
	c := sizedFamily(t, "WINDOWS_SERVER_2022_CORE", cs()...).CpuCeiling()
	if !c.Bounded || c.Percent != 75 {
		t.Errorf("Windows: %+v, want 75%% (1.5 of 2 vCPU)", c)
	}
}

// TestSizeReason: the render summary says what each container asks for,
// which Fargate rule took the sum to the task size, and what the sidecars
// added.
func TestSizeReason(t *testing.T) {
	tests := []struct {
		name string
		cs   []*Container
		want string
	}{
		{"the CPU row's least memory",
			[]*Container{{Name: "connect", Cpu: 2048, Memory: 4096}, {Name: "agent", Sidecar: true, Cpu: 128, MemoryReservation: 256}},
			"the containers ask for 2.125 vCPU, 4352 MiB: connect 2 vCPU/4 GiB, agent (sidecar) 0.125 vCPU/256 MiB; 4 vCPU is the smallest Fargate CPU size that holds 2.125 vCPU, 8 GiB is the least memory Fargate gives 4 vCPU; the sidecars raised it from 2 vCPU, 4 GiB"},
		{"memory raises the CPU",
			[]*Container{{Name: "cache", Cpu: 256, Memory: 3072}},
			"the containers ask for 0.25 vCPU, 3 GiB: cache 0.25 vCPU/3 GiB; 3 GiB of memory needs at least 0.5 vCPU on Fargate"},
		{"memory rounds up",
			[]*Container{{Name: "web", Cpu: 512, MemoryReservation: 1500}},
			"the containers ask for 0.5 vCPU, 1500 MiB: web 0.5 vCPU/1500 MiB; 2 GiB is the next Fargate memory size"},
		{"nothing asked",
			[]*Container{{Name: "web"}},
			"no container asks for CPU or memory: the smallest Fargate size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sizedFamily(t, "LINUX", tc.cs...).SizeReason(); got != tc.want {
				t.Errorf("got\n  %q\nwant\n  %q", got, tc.want)
			}
		})
	}
}
