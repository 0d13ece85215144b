package render

import "testing"

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
