package render

import (
	"strings"
	"testing"
)

func TestChooseFargateSize(t *testing.T) {
	tests := []struct {
		name        string
		cpu, memory int
		want        FargateSize
	}{
		{"nothing asked: smallest task", 0, 0, FargateSize{256, 512}},
		{"smallest row, smallest memory", 256, 512, FargateSize{256, 512}},
		{"memory rounds up within the row", 100, 600, FargateSize{256, 1024}},
		{"top of the 256 row", 256, 2048, FargateSize{256, 2048}},
		{"memory forces 512 CPU", 256, 4096, FargateSize{512, 4096}},
		{"memory forces 512 CPU (just above 2 GiB)", 0, 2049, FargateSize{512, 3072}},
		{"cpu rounds up to the next row", 257, 0, FargateSize{512, 1024}},
		{"cpu that is no row", 1500, 0, FargateSize{2048, 4096}},
		{"1 vCPU bottom", 1024, 2048, FargateSize{1024, 2048}},
		{"1 vCPU top", 1024, 8192, FargateSize{1024, 8192}},
		{"memory forces 2 vCPU", 1024, 8193, FargateSize{2048, 9216}},
		{"2 vCPU top", 2048, 16384, FargateSize{2048, 16384}},
		{"4 vCPU bottom", 4096, 0, FargateSize{4096, 8192}},
		{"4 vCPU top is 30 GiB", 4096, 30720, FargateSize{4096, 30720}},
		{"31 GiB needs 8 vCPU", 4096, 31744, FargateSize{8192, 32768}},
		{"8 vCPU steps of 4 GiB", 8192, 16385, FargateSize{8192, 20480}},
		{"8 vCPU top", 8192, 61440, FargateSize{8192, 61440}},
		{"61441 MiB needs 16 vCPU", 0, 61441, FargateSize{16384, 65536}},
		{"16 vCPU bottom", 16384, 0, FargateSize{16384, 32768}},
		{"largest task", 16384, 122880, FargateSize{16384, 122880}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ChooseFargateSize(tt.cpu, tt.memory)
			if err != nil {
				t.Fatalf("ChooseFargateSize(%d, %d): %v", tt.cpu, tt.memory, err)
			}
			if got != tt.want {
				t.Fatalf("ChooseFargateSize(%d, %d) = %+v, want %+v", tt.cpu, tt.memory, got, tt.want)
			}
		})
	}
}

func TestChooseFargateSizeErrors(t *testing.T) {
	tests := []struct {
		name        string
		cpu, memory int
		want        string
	}{
		{"over 120 GiB", 1024, 122881, "the largest Fargate task has 120 GiB (122880 MiB)"},
		{"over 120 GiB names the amount", 0, 131072, "ask for 128 GiB of memory in all"},
		{"over 16 vCPU", 16385, 0, "the largest Fargate task has 16 vCPU"},
		{"over 16 vCPU names the amount", 20480, 0, "ask for 20 vCPU in all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ChooseFargateSize(tt.cpu, tt.memory)
			if err == nil {
				t.Fatalf("ChooseFargateSize(%d, %d) = %+v, want an error", tt.cpu, tt.memory, got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// Every size the table offers must be one AWS allows: the 4 vCPU row ends
// at 30 GiB (compose-x's table wrongly goes to 32 GiB).
func TestFargateTableRows(t *testing.T) {
	want := map[int][3]int{ // cpu -> first, last, step
		256: {512, 2048, 0}, 512: {1024, 4096, 1024}, 1024: {2048, 8192, 1024},
		2048: {4096, 16384, 1024}, 4096: {8192, 30720, 1024}, 8192: {16384, 61440, 4096}, 16384: {32768, 122880, 8192},
	}
	if len(fargateTable) != len(want) {
		t.Fatalf("table has %d rows, want %d", len(fargateTable), len(want))
	}
	for _, row := range fargateTable {
		w, ok := want[row.cpu]
		if !ok {
			t.Fatalf("unexpected row %d", row.cpu)
		}
		first, last := row.memories[0], row.memories[len(row.memories)-1]
		if first != w[0] || last != w[1] {
			t.Errorf("row %d: memory %d..%d, want %d..%d", row.cpu, first, last, w[0], w[1])
		}
		for i := 1; w[2] > 0 && i < len(row.memories); i++ {
			if row.memories[i]-row.memories[i-1] != w[2] {
				t.Errorf("row %d: step %d at %d, want %d", row.cpu, row.memories[i]-row.memories[i-1], row.memories[i], w[2])
			}
		}
	}
}

func TestFargateSizeString(t *testing.T) {
	tests := []struct {
		in   FargateSize
		want string
	}{
		{FargateSize{256, 512}, "0.25 vCPU, 512 MiB"},
		{FargateSize{512, 1024}, "0.5 vCPU, 1 GiB"},
		{FargateSize{16384, 122880}, "16 vCPU, 120 GiB"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Windows tasks have at least 1 vCPU and at most 4 vCPU and 30 GiB.
func TestChooseFargateSizeWindows(t *testing.T) {
	const win = "WINDOWS_SERVER_2022_CORE"
	cases := []struct {
		cpu, mem int
		want     FargateSize
		err      string
	}{
		{0, 0, FargateSize{1024, 2048}, ""},
		{256, 512, FargateSize{1024, 2048}, ""},
		{1024, 8192, FargateSize{1024, 8192}, ""},
		{1024, 9000, FargateSize{2048, 9216}, ""},
		{4096, 30720, FargateSize{4096, 30720}, ""},
		{8192, 16384, FargateSize{}, "the containers ask for 8 vCPU in all; a Windows task on Fargate has at most 4 vCPU"},
		{1024, 32768, FargateSize{}, "the containers ask for 32 GiB of memory in all; a Windows task on Fargate has at most 30 GiB"},
	}
	for _, tc := range cases {
		got, err := ChooseFargateSizeFor(win, tc.cpu, tc.mem)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%d/%d: error %v, want %q", tc.cpu, tc.mem, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%d/%d: %v, %v; want %v", tc.cpu, tc.mem, got, err, tc.want)
		}
	}
	if got, _ := ChooseFargateSizeFor("LINUX", 256, 512); got != (FargateSize{256, 512}) {
		t.Errorf("Linux keeps the 0.25 vCPU size, got %v", got)
	}
}
