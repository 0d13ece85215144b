package render

import (
	"maps"
	"testing"
)

// TestMemoryLimits checks the hard limit every container gets (AWS Control
// Tower CT.ECS.PR.7): a limit the user set stays, the others share what
// the reservations leave, and the limits never exceed the task's memory
// (ECS counts a limit as the reservation of a container without one).
func TestMemoryLimits(t *testing.T) {
	cases := []struct {
		name  string
		size  int
		sc    bool
		cs    []*Container
		limit map[string]int
	}{
		{"one container takes the task", 512, false,
			[]*Container{{Name: "web"}}, map[string]int{"web": 512}},
		{"a set limit stays", 1024, false,
			[]*Container{{Name: "web", Memory: 300}}, map[string]int{"web": 300}},
		{"a sidecar gets an even share of the free memory as headroom, the app the rest", 1024, false,
			[]*Container{{Name: "app", Memory: 512}, {Name: "agent", Sidecar: true, MemoryReservation: 256}, {Name: "web", MemoryReservation: 100}},
			map[string]int{"app": 512, "agent": 256 + 78, "web": 100 + 78}},
		{"a sidecar's headroom is at most its reservation; apps share the rest", 2048, false,
			[]*Container{{Name: "agent", Sidecar: true, MemoryReservation: 256}, {Name: "web", MemoryReservation: 100}, {Name: "worker"}},
			map[string]int{"agent": 512, "web": 100 + 718, "worker": 718}},
		{"no free memory: a sidecar keeps its reservation as its limit", 512, false,
			[]*Container{{Name: "router", Sidecar: true, MemoryReservation: 50}, {Name: "web", MemoryReservation: 462}},
			map[string]int{"router": 50, "web": 462}},
		{"every app limited: the sidecars share the rest", 1024, false,
			[]*Container{{Name: "app", Memory: 512}, {Name: "agent", Sidecar: true, MemoryReservation: 256}, {Name: "xray", Sidecar: true, MemoryReservation: 128}},
			map[string]int{"app": 512, "agent": 256 + 64, "xray": 128 + 64}},
		{"an odd remainder goes to the first", 1024, false,
			[]*Container{{Name: "a"}, {Name: "b"}, {Name: "c"}},
			map[string]int{"a": 342, "b": 341, "c": 341}},
		{"the Service Connect proxy keeps its share", 512, true,
			[]*Container{{Name: "web"}}, map[string]int{"web": 512 - ServiceConnectProxyMemory}},
		{"reservations that fill the task: each gets its reservation", 512, false,
			[]*Container{{Name: "a", MemoryReservation: 256}, {Name: "b", MemoryReservation: 256}},
			map[string]int{"a": 256, "b": 256}},
		{"limits above the task: nothing left to share", 512, false,
			[]*Container{{Name: "a", Memory: 512}, {Name: "b"}},
			map[string]int{"a": 512}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &Family{Containers: tc.cs, ServiceConnect: tc.sc, Size: FargateSize{Cpu: 256, Memory: tc.size}}
			got := f.MemoryLimits()
			if !maps.Equal(got, tc.limit) {
				t.Fatalf("limits %v, want %v", got, tc.limit)
			}
			sum := 0
			for _, c := range tc.cs {
				if c.Memory == 0 {
					sum += got[c.Name]
				} else {
					sum += c.Memory
				}
			}
			if len(got) == len(tc.cs) && sum > tc.size {
				t.Errorf("the limits add up to %d MiB, above the task's %d", sum, tc.size)
			}
		})
	}
}
