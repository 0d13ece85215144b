package render

import (
	"strings"
	"testing"
)

// ecs.compute.platform EC2 or EXTERNAL must not silently render a Fargate
// service: it is refused at the label, with the reason.
func TestComputePlatformLabel(t *testing.T) {
	_, ds := buildYAML(t, `services:
  web:
    image: nginx:1.27
    deploy:
      labels:
        ecs.compute.platform: EC2
  edge:
    image: nginx:1.27
    deploy:
      labels: [ecs.compute.platform=EXTERNAL]
  api:
    image: nginx:1.27
    deploy:
      labels: {ecs.compute.platform: FARGATE}
  odd:
    image: nginx:1.27
    deploy:
      labels: {ecs.compute.platform: LAMBDA}
`)
	wantError(t, ds, "web", "services.web.deploy.labels.[ecs.compute.platform]", `"EC2": composex renders Fargate services only; an EC2 or EXTERNAL (ECS Anywhere) service needs container instances or a capacity provider that composex does not create; set it to FARGATE or remove the label`)
	wantError(t, ds, "edge", "services.edge.deploy.labels.[ecs.compute.platform]", `"EXTERNAL": composex renders Fargate services only`)
	wantError(t, ds, "odd", "services.odd.deploy.labels.[ecs.compute.platform]", `"LAMBDA" is not a compute platform; allowed: FARGATE`)
	wantNoDiagAt(t, ds, "services.api.deploy.labels.[ecs.compute.platform]")
}

// compose's platform: picks the task's CPU architecture; what Fargate does
// not run is refused at the key.
func TestComposePlatform(t *testing.T) {
	cases := []struct {
		platform, arch, err string
	}{
		{"linux/arm64", "ARM64", ""},
		{"linux/arm64/v8", "ARM64", ""},
		{"Linux/ARM64", "ARM64", ""},
		{"linux/amd64", "X86_64", ""},
		{"linux/x86_64", "X86_64", ""},
		{"linux/arm/v7", "", `"linux/arm/v7" is not a platform Fargate runs; allowed: linux/amd64 (X86_64) or linux/arm64 (ARM64)`},
		{"linux/386", "", `"linux/386" is not a platform Fargate runs`},
		{"windows/amd64", "", `"windows/amd64": a Windows task needs its Windows Server version; remove platform and set x-ecs.OperatingSystemFamily`},
	}
	for _, tc := range cases {
		t.Run(tc.platform, func(t *testing.T) {
			m, ds := buildYAML(t, "services:\n  web:\n    image: nginx:1.27\n    platform: "+tc.platform+"\n")
			if tc.err != "" {
				wantError(t, ds, "web", "services.web.platform", tc.err)
				return
			}
			wantNoDiagAt(t, ds, "services.web.platform")
			if got := m.Families[0].CpuArchitecture; got != tc.arch {
				t.Errorf("CpuArchitecture %q, want %q", got, tc.arch)
			}
		})
	}
	_, ds := buildYAML(t, `services:
  web:
    image: nginx:1.27
    platform: linux/arm64
    x-ecs: {CpuArchitecture: X86_64}
`)
	wantError(t, ds, "web", "services.web.platform", "platform linux/arm64 is ARM64, but x-ecs.CpuArchitecture is X86_64; remove one")
}

// Fargate Spot runs Linux X86_64 only; Windows refuses the Linux-only keys.
func TestFamilyPlatformRules(t *testing.T) {
	cases := []struct {
		name, service, path, err string
	}{
		{"spot on arm64", `    platform: linux/arm64
    x-ecs: {CapacityProviderStrategy: [{CapacityProvider: FARGATE_SPOT, Weight: 1}]}`,
			"services.web.x-ecs.CapacityProviderStrategy", "family web runs on ARM64, which Fargate Spot does not offer (Spot runs Linux X86_64 tasks only); use FARGATE"},
		{"spot on windows", `    x-ecs: {OperatingSystemFamily: WINDOWS_SERVER_2022_CORE, CapacityProviderStrategy: [{CapacityProvider: FARGATE_SPOT, Weight: 1}]}`,
			"services.web.x-ecs.CapacityProviderStrategy", "family web runs on Windows (WINDOWS_SERVER_2022_CORE), which Fargate Spot does not offer"},
		{"windows user", `    user: app
    x-ecs: {OperatingSystemFamily: WINDOWS_SERVER_2022_CORE}`,
			"services.web.user", "cannot work on Windows: family web runs on WINDOWS_SERVER_2022_CORE, and Windows containers on Fargate do not support user; remove it"},
		{"windows read_only", `    read_only: true
    x-ecs: {OperatingSystemFamily: WINDOWS_SERVER_2019_FULL}`,
			"services.web.read_only", "Windows containers on Fargate do not support read_only"},
		{"windows init", `    init: true
    x-ecs: {OperatingSystemFamily: WINDOWS_SERVER_2019_CORE}`,
			"services.web.init", "Windows containers on Fargate do not support init"},
		{"windows cap_add", `    cap_add: [SYS_PTRACE]
    x-ecs: {OperatingSystemFamily: WINDOWS_SERVER_2019_CORE}`,
			"services.web.cap_add", "Windows containers on Fargate do not support cap_add"},
		{"windows cap_drop", `    cap_drop: [NET_RAW]
    x-ecs: {OperatingSystemFamily: WINDOWS_SERVER_2022_FULL}`,
			"services.web.cap_drop", "Windows containers on Fargate do not support cap_drop"},
		{"windows ulimits", `    ulimits: {nofile: {soft: 4096, hard: 8192}}
    x-ecs: {OperatingSystemFamily: WINDOWS_SERVER_2022_CORE}`,
			"services.web.ulimits", "cannot work on Windows: family web runs on WINDOWS_SERVER_2022_CORE, and Windows containers on Fargate do not support ulimits; remove it"},
		{"windows on arm64", `    platform: linux/arm64
    x-ecs: {OperatingSystemFamily: WINDOWS_SERVER_2022_CORE}`,
			"services.web.x-ecs.OperatingSystemFamily", "family web runs on WINDOWS_SERVER_2022_CORE, which Fargate offers on X86_64 only, but asks for ARM64 (x-ecs.CpuArchitecture or platform); remove one"},
		{"windows on x-ecs arm64", `    x-ecs: {OperatingSystemFamily: WINDOWS_SERVER_2019_FULL, CpuArchitecture: ARM64}`,
			"services.web.x-ecs.OperatingSystemFamily", "which Fargate offers on X86_64 only"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := buildYAML(t, "services:\n  web:\n    image: nginx:1.27\n"+tc.service+"\n")
			wantError(t, ds, "web", tc.path, tc.err)
		})
	}
	_, ds := buildYAML(t, `services:
  web:
    image: nginx:1.27
    x-ecs: {CapacityProviderStrategy: [{CapacityProvider: FARGATE_SPOT, Weight: 1}]}
`)
	wantNoDiagAt(t, ds, "services.web.x-ecs.CapacityProviderStrategy")
}

// Every key of windowsRefused is refused on a Windows family and accepted
// on a Linux one; the list is AWS's (see windowsRefused).
func TestWindowsRefusedKeys(t *testing.T) {
	want := []string{"user", "read_only", "init", "cap_add", "cap_drop", "ulimits"}
	var got []string
	for _, r := range windowsRefused {
		got = append(got, r.key)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("windowsRefused %v, want %v", got, want)
	}
	src := `    user: "1000"
    read_only: true
    init: true
    cap_add: [SYS_PTRACE]
    cap_drop: [NET_RAW]
    ulimits: {nofile: 2048}
`
	_, ds := buildYAML(t, "services:\n  web:\n    image: nginx:1.27\n"+src+"    x-ecs: {OperatingSystemFamily: WINDOWS_SERVER_2022_CORE}\n")
	for _, k := range want {
		wantError(t, ds, "web", "services.web."+k, "Windows containers on Fargate do not support "+k)
	}
	_, ds = buildYAML(t, "services:\n  web:\n    image: nginx:1.27\n"+src)
	for _, k := range want {
		if _, found := findDiag(ds, Error, "web", "services.web."+k, "Windows"); found {
			t.Errorf("%s refused on a Linux family", k)
		}
	}
}

// An EFS volume (what composex makes of a named volume) in a Windows
// family is refused at the service's volumes; task storage is not.
func TestWindowsVolumes(t *testing.T) {
	f := &Family{Name: "web", OSFamily: "WINDOWS_SERVER_2022_CORE",
		EFSVolumes: map[string]*EFSVolume{"data": {FileSystemId: "fs-1", AccessPointId: "fsap-1"}},
		Containers: []*Container{
			{Name: "web", Service: "web", MountPoints: []MountPoint{{Volume: "data", Path: "C:\\data"}, {Volume: "scratch", Path: "C:\\tmp"}}},
		}}
	var ds Diagnostics
	CheckWindowsVolumes(f, &ds)
	wantError(t, ds, "web", "services.web.volumes", "cannot work on Windows: family web runs on WINDOWS_SERVER_2022_CORE, and Windows containers on Fargate cannot mount Amazon EFS, where composex keeps the named volume data; use task storage (x-efs: false on the volume) or a Linux family")
	if len(ds) != 1 {
		t.Errorf("%d diagnostics, want 1 (task storage is allowed):\n%s", len(ds), dump(ds))
	}
	f.OSFamily = "LINUX"
	ds = nil
	CheckWindowsVolumes(f, &ds)
	if len(ds) != 0 {
		t.Errorf("Linux family refused: %s", dump(ds))
	}
}
