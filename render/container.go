package render

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

// ImageParam is the template parameter that holds a compose service's
// image, so that a pipeline can deploy another tag without re-rendering.
func ImageParam(service string, logical map[string]string) string {
	return logical[service] + "Image"
}

// convertService maps a compose service onto an ECS container definition.
// Problems are reported with the service's key paths.
func convertService(s types.ServiceConfig, logical map[string]string, ds *Diagnostics) *Container {
	name := s.Name
	c := &Container{
		Name:         name,
		Service:      name,
		ImageParam:   ImageParam(name, logical),
		Command:      s.Command,
		EntryPoint:   s.Entrypoint,
		Environment:  map[string]string{},
		DockerLabels: map[string]string{},
		User:         s.User,
		WorkingDir:   s.WorkingDir,
		ReadOnly:     s.ReadOnly,
		Essential:    true,
	}
	for k, v := range s.Environment {
		if v == nil {
			ds.Warnf(name, ServicePath(name, "environment", Key(k)), "no value in the file or the environment; the variable is left out")
			continue
		}
		c.Environment[k] = *v
	}
	for k, v := range s.Labels {
		c.DockerLabels[k] = v
	}
	c.Ports = convertPorts(s, ds)
	c.HealthCheck = convertHealthCheck(s, ds)
	convertResources(s, c, ds)
	convertLinuxSettings(s, c, ds)
	if s.StopGracePeriod != nil {
		d := time.Duration(*s.StopGracePeriod)
		secs, whole := wholeSeconds(d)
		switch {
		case !whole:
			ds.Errorf(name, ServicePath(name, "stop_grace_period"), "%s: ECS counts the stop timeout in whole seconds (2 to 120)", d)
		case secs < 2 || secs > 120:
			ds.Errorf(name, ServicePath(name, "stop_grace_period"), "%s is out of range: Fargate waits 2 to 120 seconds before it kills a container", d)
		default:
			c.StopTimeout = secs
		}
	}
	if s.Init != nil && *s.Init {
		c.Init = true
	}
	return c
}

func wholeSeconds(d time.Duration) (int, bool) {
	if d%time.Second != 0 {
		return 0, false
	}
	return int(d / time.Second), true
}

// convertPorts maps ports and expose onto port mappings. In awsvpc mode a
// task is reached on the container port: a different published port cannot
// be honoured, which is reported.
func convertPorts(s types.ServiceConfig, ds *Diagnostics) []Port {
	var ports []Port
	seen := map[string]bool{}
	add := func(path string, target int, proto, name, appProto string) {
		if target < 1 || target > 65535 {
			ds.Errorf(s.Name, path, "port %d is out of range; allowed: 1 to 65535", target)
			return
		}
		proto = strings.ToLower(proto)
		if proto == "" {
			proto = "tcp"
		}
		if proto != "tcp" && proto != "udp" {
			ds.Errorf(s.Name, path, "protocol %q is not supported by ECS; allowed: tcp, udp", proto)
			return
		}
		key := fmt.Sprintf("%d/%s", target, proto)
		if seen[key] {
			return
		}
		seen[key] = true
		if name == "" {
			name = fmt.Sprintf("%s_%d", proto, target)
		}
		ports = append(ports, Port{ContainerPort: target, Protocol: proto, Name: name, AppProtocol: appProto})
	}
	for i, p := range s.Ports {
		path := ServicePath(s.Name, "ports", strconv.Itoa(i))
		if p.Published != "" {
			if strings.Contains(p.Published, "-") {
				ds.Errorf(s.Name, path, "port ranges (%s) are not supported by ECS; list each port", p.Published)
				continue
			}
			if pub, err := strconv.Atoi(p.Published); err == nil && pub != int(p.Target) {
				ds.Warnf(s.Name, path, "published port %d cannot be honoured on Fargate (awsvpc): the task is reached on its container port %d", pub, p.Target)
			}
		}
		if p.HostIP != "" {
			ds.Warnf(s.Name, path+".host_ip", "host_ip has no meaning on Fargate; ignored")
		}
		appProto := ""
		switch strings.ToLower(p.AppProtocol) {
		case "":
		case "http", "http2", "grpc":
			appProto = strings.ToLower(p.AppProtocol)
		default:
			ds.Errorf(s.Name, path+".app_protocol", "%q is not an ECS app protocol; allowed: http, http2, grpc", p.AppProtocol)
		}
		add(path, int(p.Target), p.Protocol, p.Name, appProto)
	}
	for i, e := range s.Expose {
		path := ServicePath(s.Name, "expose", strconv.Itoa(i))
		num, proto, _ := strings.Cut(e, "/")
		if strings.Contains(num, "-") {
			ds.Errorf(s.Name, path, "port ranges (%s) are not supported by ECS; list each port", e)
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil {
			ds.Errorf(s.Name, path, "%q is not a port number", e)
			continue
		}
		add(path, n, proto, "", "")
	}
	sort.SliceStable(ports, func(i, j int) bool {
		if ports[i].ContainerPort != ports[j].ContainerPort {
			return ports[i].ContainerPort < ports[j].ContainerPort
		}
		return ports[i].Protocol < ports[j].Protocol
	})
	return ports
}

// ECS's allowed ranges for health check settings, in seconds.
var healthRanges = []struct {
	key      string
	min, max int
}{
	{"interval", 5, 300}, {"timeout", 2, 60}, {"start_period", 0, 300},
}

// dockerHealthTimeout is Docker's default probe timeout; ECS's default is
// 5 s, so a probe that passes under compose could fail on ECS without it.
// ECS documents no rule between timeout and interval for container health
// checks (the timeout < interval rule is the load balancers'), so it is
// written as Docker has it.
const dockerHealthTimeout = 30

func convertHealthCheck(s types.ServiceConfig, ds *Diagnostics) *HealthCheck {
	h := s.HealthCheck
	if h == nil || h.Disable {
		return nil
	}
	path := ServicePath(s.Name, "healthcheck")
	if len(h.Test) == 0 {
		ds.Errorf(s.Name, path+".test", "a health check needs a test command")
		return nil
	}
	if h.Test[0] == "NONE" {
		return nil
	}
	hc := &HealthCheck{Command: h.Test, Interval: 30, Timeout: dockerHealthTimeout, Retries: 3}
	if h.Test[0] != "CMD" && h.Test[0] != "CMD-SHELL" {
		hc.Command = append([]string{"CMD"}, h.Test...)
	}
	values := map[string]*types.Duration{"interval": h.Interval, "timeout": h.Timeout, "start_period": h.StartPeriod}
	targets := map[string]*int{"interval": &hc.Interval, "timeout": &hc.Timeout, "start_period": &hc.StartPeriod}
	for _, r := range healthRanges {
		v := values[r.key]
		if v == nil {
			continue
		}
		d := time.Duration(*v)
		secs, whole := wholeSeconds(d)
		switch {
		case r.key == "interval" && d > 0 && d < time.Duration(r.min)*time.Second:
			// The check still works, only less often.
			ds.Warnf(s.Name, path+"."+r.key, "%s is below the %d seconds ECS allows; the check runs every %d seconds", d, r.min, r.min)
			*targets[r.key] = r.min
		case r.key == "start_period" && whole && secs > r.max:
			// compose-x files write start periods of an hour, which ECS
			// refuses at deploy; the longest grace ECS gives is the useful
			// reading of "a long time".
			ds.Warnf(s.Name, path+"."+r.key, "%s is above the %d seconds ECS allows; the check gets %d seconds of grace, and failures after that count: a container that takes longer to become healthy is replaced", d, r.max, r.max)
			*targets[r.key] = r.max
		case !whole:
			ds.Errorf(s.Name, path+"."+r.key, "%s: ECS counts health check times in whole seconds (%d to %d)", d, r.min, r.max)
		case secs < r.min || secs > r.max:
			ds.Errorf(s.Name, path+"."+r.key, "%s is out of range: ECS allows %d to %d seconds", d, r.min, r.max)
		default:
			*targets[r.key] = secs
		}
	}
	if h.StartInterval != nil {
		ds.Warnf(s.Name, path+".start_interval", "ECS has no start interval; ignored")
	}
	if h.Retries != nil {
		if *h.Retries < 1 || *h.Retries > 10 {
			ds.Errorf(s.Name, path+".retries", "%d is out of range: ECS allows 1 to 10 retries", *h.Retries)
		} else {
			hc.Retries = int(*h.Retries)
		}
	}
	return hc
}

const mebibyte = 1024 * 1024

// convertResources reads CPU and memory from deploy.resources (and the
// legacy cpus/mem_limit/mem_reservation keys): CPU in units of 1/1024 vCPU,
// memory in MiB rounded up.
func convertResources(s types.ServiceConfig, c *Container, ds *Diagnostics) {
	var limCPU, resCPU float64
	var limMem, resMem int64
	if s.CPUS > 0 {
		limCPU = float64(s.CPUS)
	}
	limMem, resMem = int64(s.MemLimit), int64(s.MemReservation)
	if s.Deploy != nil {
		if l := s.Deploy.Resources.Limits; l != nil {
			if l.NanoCPUs > 0 {
				limCPU = float64(l.NanoCPUs)
			}
			if l.MemoryBytes > 0 {
				limMem = int64(l.MemoryBytes)
			}
		}
		if r := s.Deploy.Resources.Reservations; r != nil {
			if r.NanoCPUs > 0 {
				resCPU = float64(r.NanoCPUs)
			}
			if r.MemoryBytes > 0 {
				resMem = int64(r.MemoryBytes)
			}
		}
	}
	// compose-go accepts negative amounts; they used to be dropped without a
	// word, leaving the container unsized.
	negative := func(key string, v float64, unit string) {
		if v < 0 || math.IsNaN(v) {
			ds.Errorf(s.Name, ServicePath(s.Name, key), "%v is not an amount of %s: give a number above 0", v, unit)
		}
	}
	negative("cpus", float64(s.CPUS), "vCPUs")
	negative("mem_limit", float64(s.MemLimit), "memory")
	negative("mem_reservation", float64(s.MemReservation), "memory")
	if s.Deploy != nil {
		if l := s.Deploy.Resources.Limits; l != nil {
			negative("deploy.resources.limits.cpus", float64(l.NanoCPUs), "vCPUs")
			negative("deploy.resources.limits.memory", float64(l.MemoryBytes), "memory")
		}
		if r := s.Deploy.Resources.Reservations; r != nil {
			negative("deploy.resources.reservations.cpus", float64(r.NanoCPUs), "vCPUs")
			negative("deploy.resources.reservations.memory", float64(r.MemoryBytes), "memory")
		}
	}
	cpu := math.Max(limCPU, resCPU)
	if cpu > 0 {
		c.Cpu = int(math.Ceil(cpu*1024 - 1e-6))
	}
	toMiB := func(b int64) int { return int((b + mebibyte - 1) / mebibyte) }
	if limMem > 0 {
		c.Memory = toMiB(limMem)
		if c.Memory < 6 {
			ds.Errorf(s.Name, ServicePath(s.Name, "deploy.resources.limits.memory"), "%d bytes is below the 6 MiB that ECS requires for a container", limMem)
		}
	}
	if resMem > 0 {
		c.MemoryReservation = toMiB(resMem)
	}
	if c.Memory > 0 && c.MemoryReservation > c.Memory {
		ds.Errorf(s.Name, ServicePath(s.Name, "deploy.resources.reservations.memory"), "the reservation (%d MiB) is above the limit (%d MiB)", c.MemoryReservation, c.Memory)
	}
}

// Fargate lets a task add only this capability (AWS ECS task definition
// parameters, "linuxParameters").
var fargateAddableCaps = []string{"SYS_PTRACE"}

var ulimitNames = []string{"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"}

func convertLinuxSettings(s types.ServiceConfig, c *Container, ds *Diagnostics) {
	dropped := map[string]bool{}
	for _, cap := range s.CapDrop {
		dropped[normalizeCap(cap)] = true
		c.CapDrop = append(c.CapDrop, normalizeCap(cap))
	}
	for i, cap := range s.CapAdd {
		n := normalizeCap(cap)
		path := ServicePath(s.Name, "cap_add", strconv.Itoa(i))
		switch {
		case dropped[n]:
			ds.Errorf(s.Name, path, "%s is both added and dropped", n)
		case n == "ALL":
			// compose-x passes ALL through and ECS refuses the task definition
			// at deploy; the file still renders, without what Fargate refuses.
			ds.Warnf(s.Name, path, "ALL is dropped: Fargate supports adding only %s; list it to add it", allowedList(fargateAddableCaps))
		case !oneOf(n, fargateAddableCaps):
			ds.Warnf(s.Name, path, "%s is dropped: Fargate supports adding only %s", n, allowedList(fargateAddableCaps))
		default:
			c.CapAdd = append(c.CapAdd, n)
		}
	}
	sort.Strings(c.CapAdd)
	sort.Strings(c.CapDrop)
	for _, name := range slices.Sorted(maps.Keys(s.Ulimits)) {
		u := s.Ulimits[name]
		path := ServicePath(s.Name, "ulimits", name)
		if !oneOf(name, ulimitNames) {
			ds.Errorf(s.Name, path, "%q is not a ulimit ECS knows; allowed: %s", name, allowedList(ulimitNames))
			continue
		}
		soft, hard := u.Soft, u.Hard
		if u.Single != 0 {
			soft, hard = u.Single, u.Single
		}
		if soft > hard {
			ds.Errorf(s.Name, path, "the soft limit (%d) is above the hard limit (%d)", soft, hard)
			continue
		}
		if name != "nofile" {
			ds.Warnf(s.Name, path, "Fargate applies only the nofile ulimit; %s is ignored", name)
			continue
		}
		c.Ulimits = append(c.Ulimits, Ulimit{Name: name, Soft: soft, Hard: hard})
	}
}

func normalizeCap(c string) string {
	return strings.TrimPrefix(strings.ToUpper(c), "CAP_")
}
