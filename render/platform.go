package render

import (
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// labelPlatform is compose-x's deploy label choosing where a service runs:
// FARGATE (its default), EC2 (container instances of the cluster) or
// EXTERNAL (ECS Anywhere).
const labelPlatform = "ecs.compute.platform"

// checkComputePlatform refuses an EC2 or EXTERNAL platform: composex renders
// Fargate tasks only, and rendering such a service for Fargate would
// silently run it somewhere else than the file asks.
func checkComputePlatform(s *types.ServiceConfig, ds *Diagnostics) {
	if s.Deploy == nil {
		return
	}
	raw, ok := s.Deploy.Labels[labelPlatform]
	if !ok {
		return
	}
	path := ServicePath(s.Name, "deploy.labels", Key(labelPlatform))
	switch strings.ToUpper(strings.TrimSpace(raw)) {
	case "FARGATE":
	case "EC2", "EXTERNAL":
		ds.Errorf(s.Name, path, "%q: composex renders Fargate services only; an EC2 or EXTERNAL (ECS Anywhere) service needs container instances or a capacity provider that composex does not create; set it to FARGATE or remove the label", raw)
	default:
		ds.Errorf(s.Name, path, "%q is not a compute platform; allowed: FARGATE (composex renders Fargate services only)", raw)
	}
}

// composeArchitectures maps compose's platform: (an OCI platform,
// os/arch[/variant]) to the CPU architectures Fargate runs: X86_64 and
// ARM64 (Graviton).
var composeArchitectures = map[string]string{
	"linux/amd64": "X86_64", "linux/x86_64": "X86_64",
	"linux/arm64": "ARM64", "linux/arm64/v8": "ARM64", "linux/aarch64": "ARM64",
}

// platformArchitecture is the CPU architecture a service's platform: asks
// for, "" when it has none. An OS or architecture Fargate does not run is
// an error: rendering it for X86_64 would start an image built for
// something else, which fails with "exec format error".
func platformArchitecture(s *types.ServiceConfig, ds *Diagnostics) string {
	p := strings.ToLower(strings.TrimSpace(s.Platform))
	if p == "" {
		return ""
	}
	if arch, ok := composeArchitectures[p]; ok {
		return arch
	}
	path := ServicePath(s.Name, "platform")
	if strings.HasPrefix(p, "windows/") {
		ds.Errorf(s.Name, path, "%q: a Windows task needs its Windows Server version; remove platform and set x-ecs.OperatingSystemFamily (WINDOWS_SERVER_2019_CORE, WINDOWS_SERVER_2022_FULL, ...)", s.Platform)
		return ""
	}
	ds.Errorf(s.Name, path, "%q is not a platform Fargate runs; allowed: linux/amd64 (X86_64) or linux/arm64 (ARM64)", s.Platform)
	return ""
}

// windowsRefused are the compose keys whose ECS parameters Windows
// containers on Fargate do not take: user, readonlyRootFilesystem,
// linuxParameters (which carries init and capabilities), ulimits and
// privileged (AWS Batch API reference, RuntimePlatform.operatingSystemFamily
// for Fargate: "can't be set for Windows containers: linuxParameters,
// privileged, user, ulimits, readonlyRootFilesystem, and
// efsVolumeConfiguration"; Amazon ECS Developer Guide, "Amazon ECS on AWS
// Fargate", task resource limits: "task definitions for Windows on AWS
// Fargate do not support the ulimits parameter"). privileged is refused on
// every Fargate task already; EFS volumes are checked once the volumes are
// settled (CheckWindowsVolumes).
var windowsRefused = []struct {
	key string
	set func(*types.ServiceConfig) bool
}{
	{"user", func(s *types.ServiceConfig) bool { return s.User != "" }},
	{"read_only", func(s *types.ServiceConfig) bool { return s.ReadOnly }},
	{"init", func(s *types.ServiceConfig) bool { return s.Init != nil && *s.Init }},
	{"cap_add", func(s *types.ServiceConfig) bool { return len(s.CapAdd) > 0 }},
	{"cap_drop", func(s *types.ServiceConfig) bool { return len(s.CapDrop) > 0 }},
	{"ulimits", func(s *types.ServiceConfig) bool { return len(s.Ulimits) > 0 }},
}

// CheckWindowsVolumes refuses an Amazon EFS volume in a Windows family
// (efsVolumeConfiguration, see windowsRefused): the task would not start.
// Valid once the extensions chose each volume's storage.
func CheckWindowsVolumes(f *Family, ds *Diagnostics) {
	if !strings.HasPrefix(f.OSFamily, "WINDOWS") {
		return
	}
	for _, c := range f.Containers {
		for _, mp := range c.MountPoints {
			if _, efs := f.EFSVolumes[mp.Volume]; !efs || c.Service == "" {
				continue
			}
			ds.Errorf(c.Service, ServicePath(c.Service, "volumes"), "cannot work on Windows: family %s runs on %s, and Windows containers on Fargate cannot mount Amazon EFS, where composex keeps the named volume %s; use task storage (x-efs: false on the volume) or a Linux family", f.Name, f.OSFamily, mp.Volume)
		}
	}
}

// checkFamilyPlatform applies Fargate's rules for the family's operating
// system and architecture, once they are settled: Fargate Spot runs
// neither ARM64 nor Windows tasks, and Windows containers take none of
// the Linux-only keys.
func checkFamilyPlatform(f *Family, ds *Diagnostics) {
	windows := strings.HasPrefix(f.OSFamily, "WINDOWS")
	for _, cp := range f.CapacityProvider {
		if cp.CapacityProvider != "FARGATE_SPOT" {
			continue
		}
		what := ""
		switch {
		case windows:
			what = "Windows (" + f.OSFamily + ")"
		case f.CpuArchitecture == "ARM64":
			what = "ARM64"
		}
		if what != "" {
			s := f.Services[0].Name
			ds.Errorf(s, ServicePath(s, "x-ecs.CapacityProviderStrategy"), "family %s runs on %s, which Fargate Spot does not offer (Spot runs Linux X86_64 tasks only); use FARGATE", f.Name, what)
		}
	}
	if !windows {
		return
	}
	if f.CpuArchitecture == "ARM64" {
		s := f.Services[0].Name
		ds.Errorf(s, ServicePath(s, "x-ecs", "OperatingSystemFamily"), "family %s runs on %s, which Fargate offers on X86_64 only, but asks for ARM64 (x-ecs.CpuArchitecture or platform); remove one", f.Name, f.OSFamily)
	}
	for _, s := range f.Services {
		for _, r := range windowsRefused {
			if r.set(s) {
				ds.Errorf(s.Name, ServicePath(s.Name, r.key), "cannot work on Windows: family %s runs on %s, and Windows containers on Fargate do not support %s; remove it", f.Name, f.OSFamily, r.key)
			}
		}
	}
}
