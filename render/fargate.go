package render

import "fmt"

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
