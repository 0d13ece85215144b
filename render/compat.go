package render

import (
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// Support says what composex does with a compose key.
type Support int

const (
	// Mapped keys become part of the ECS task definition or service.
	Mapped Support = iota
	// Ignored keys have no meaning on Fargate; the output is still right,
	// so composex warns and goes on.
	Ignored
	// Refused keys would make the output wrong; composex stops.
	Refused
)

func (s Support) String() string {
	return [...]string{"mapped", "ignored (warning)", "refused (error)"}[s]
}

// KeyRule is one row of the conversion table in the README.
type KeyRule struct {
	Key     string // path below services.<name>, e.g. deploy.replicas
	Support Support
	Note    string
}

// ConversionTable lists every compose service key and what composex does
// with it. The README's table is generated from it and a test keeps the
// two in sync; keys missing here are reported as not handled.
var ConversionTable = []KeyRule{
	{"image", Mapped, "container image, as a template parameter whose default is this value"},
	{"build", Ignored, "ECS cannot build: the image parameter has no default and must be given at deploy"},
	{"command", Mapped, "`Command` (string or list)"},
	{"entrypoint", Mapped, "`EntryPoint` (string or list)"},
	{"environment", Mapped, "`Environment`, sorted by name; with an Envoy sidecar, `http://` URLs to an upstream point at its local egress listener"},
	{"env_file", Mapped, "read at render time into `Environment`"},
	{"ports", Mapped, "`PortMappings` on the container port (tcp/udp); a different published port is reported, as awsvpc cannot honour it"},
	{"expose", Mapped, "`PortMappings`"},
	{"healthcheck", Mapped, "`HealthCheck`, times in whole seconds within ECS's ranges; `disable` removes it"},
	{"depends_on", Mapped, "same family: container `DependsOn` with its condition; other family: the ECS services are ordered (a cycle between families is broken with a warning); with an Envoy sidecar, an HTTP dependency is called through an egress listener"},
	{"labels", Mapped, "`DockerLabels`"},
	{"label_file", Mapped, "read at render time into `DockerLabels`"},
	{"ulimits", Mapped, "`Ulimits` (Fargate applies `nofile` only; others are reported)"},
	{"cap_add", Mapped, "`LinuxParameters.Capabilities.Add`: Fargate adds SYS_PTRACE only, so any other capability (`ALL` too) is dropped with a warning"},
	{"cap_drop", Mapped, "`LinuxParameters.Capabilities.Drop`"},
	{"user", Mapped, "`User`"},
	{"working_dir", Mapped, "`WorkingDirectory`"},
	{"read_only", Mapped, "`ReadonlyRootFilesystem`"},
	{"stop_grace_period", Mapped, "`StopTimeout` (2 to 120 s on Fargate)"},
	{"init", Mapped, "`LinuxParameters.InitProcessEnabled`"},
	{"secrets", Mapped, "files at `/run/secrets/<target>` (or an absolute target), written by the family's init container before the app starts; with `x-secrets` also `Secrets` environment variables from Secrets Manager; a `file:`/`environment:` secret becomes a Secrets Manager secret of the stack whose value is a NoEcho parameter, or generated with `x-generate`"},
	{"volumes", Mapped, "named volumes: Amazon EFS (encrypted, kept when the stack is deleted, an access point per volume, IAM and TLS; see Named volumes); `x-efs: false`, tmpfs and anonymous volumes: task storage (lost with the task); bind mounts of files or small directories inside the project: stored in SSM and written by the family's init container; a bind mount of the build context is dropped (the image has the files); the Docker socket, host paths, devices and paths outside the project are refused"},
	{"deploy", Mapped, "see the deploy.* rows"},
	{"deploy.replicas", Mapped, "`DesiredCount` (the largest of the family); a service with `x-scaling` has none and starts with max(1, `Range` minimum) tasks (warned when that differs)"},
	{"deploy.labels", Mapped, "`ecs.task.family`, `ecs.depends.condition`, `ecs.essential`, `ecs.ephemeral.storage` (21-200 GiB: the task's `EphemeralStorage`), `ecs.compute.platform` (`FARGATE` only: `EC2` and `EXTERNAL` are refused); other labels become tags of the ECS service (a label AWS would refuse as a tag is an error)"},
	{"deploy.resources", Mapped, "container `Cpu`/`Memory`/`MemoryReservation`; their sum picks the Fargate task size"},
	{"deploy.update_config", Mapped, "`DeploymentConfiguration`: circuit breaker with rollback (`failure_action`), `order`, `x-aws-min_percent`/`x-aws-max_percent`"},
	{"deploy.mode", Ignored, "`global` has no meaning without hosts"},
	{"deploy.rollback_config", Ignored, "ECS rolls back through the deployment circuit breaker"},
	{"deploy.restart_policy", Ignored, "ECS replaces stopped tasks itself"},
	{"deploy.placement", Ignored, "Fargate places tasks itself"},
	{"deploy.endpoint_mode", Ignored, "service discovery comes from x-network"},
	{"cpus", Mapped, "as deploy.resources.limits.cpus"},
	{"mem_limit", Mapped, "as deploy.resources.limits.memory"},
	{"mem_reservation", Mapped, "as deploy.resources.reservations.memory"},
	{"scale", Mapped, "as deploy.replicas"},
	{"profiles", Mapped, "services outside the active profiles (`--profile`) are not rendered"},
	{"extends", Mapped, "resolved by the loader"},
	{"container_name", Ignored, "ECS names the container after the service"},
	{"hostname", Ignored, "awsvpc tasks take the hostname ECS gives them"},
	{"domainname", Ignored, "not settable on Fargate"},
	{"restart", Ignored, "ECS replaces stopped tasks itself"},
	{"networks", Mapped, "services on a shared network may reach each other's declared ports (security group rules) by name and network `aliases` (ECS Service Connect); a family is on the networks of all its services"},
	{"network_mode", Mapped, "`service:X` puts the service in X's task family (they share the task's network interface); every other mode is refused: Fargate tasks always use awsvpc"},
	{"links", Mapped, "the link alias is one more name of the linked service (ECS Service Connect); no network path beyond shared networks; with an Envoy sidecar, an HTTP link is called through an egress listener"},
	{"external_links", Ignored, "use service discovery (x-network) instead"},
	{"extra_hosts", Ignored, "not supported in awsvpc mode"},
	{"dns", Ignored, "not supported on Fargate"},
	{"dns_opt", Ignored, "not supported on Fargate"},
	{"dns_search", Ignored, "not supported on Fargate"},
	{"logging", Ignored, "every container logs to the family's CloudWatch log group (x-logging sets the retention); driver `awsfirelens` (or x-logging.FireLens) sends the service's logs through a Fluent Bit log router, its options are the output plugin's"},
	{"tmpfs", Ignored, "not supported on Fargate"},
	{"shm_size", Ignored, "not supported on Fargate"},
	{"sysctls", Ignored, "not mapped yet"},
	{"stop_signal", Ignored, "ECS always sends SIGTERM"},
	{"pull_policy", Ignored, "ECS pulls at every task start"},
	{"tty", Ignored, "not used by services"},
	{"stdin_open", Ignored, "not used by services"},
	{"platform", Mapped, "`RuntimePlatform.CpuArchitecture`: linux/amd64 → X86_64, linux/arm64 → ARM64; any other platform is refused"},
	{"security_opt", Ignored, "not supported on Fargate"},
	{"annotations", Ignored, "no ECS equivalent"},
	{"attach", Ignored, "no ECS equivalent"},
	{"develop", Ignored, "development only"},
	{"pid", Ignored, "not mapped"},
	{"ipc", Ignored, "not supported on Fargate"},
	{"uts", Ignored, "not supported on Fargate"},
	{"userns_mode", Ignored, "not supported on Fargate"},
	{"cgroup", Ignored, "not supported on Fargate"},
	{"cgroup_parent", Ignored, "not supported on Fargate"},
	{"cpu_count", Ignored, "use deploy.resources"},
	{"cpu_percent", Ignored, "use deploy.resources"},
	{"cpu_shares", Ignored, "use deploy.resources"},
	{"cpu_period", Ignored, "use deploy.resources"},
	{"cpu_quota", Ignored, "use deploy.resources"},
	{"cpu_rt_period", Ignored, "use deploy.resources"},
	{"cpu_rt_runtime", Ignored, "use deploy.resources"},
	{"cpuset", Ignored, "not supported on Fargate"},
	{"memswap_limit", Ignored, "Fargate has no swap"},
	{"mem_swappiness", Ignored, "Fargate has no swap"},
	{"oom_kill_disable", Ignored, "not supported on Fargate"},
	{"oom_score_adj", Ignored, "not supported on Fargate"},
	{"pids_limit", Ignored, "not supported on Fargate"},
	{"blkio_config", Ignored, "not supported on Fargate"},
	{"storage_opt", Ignored, "not supported on Fargate"},
	{"mac_address", Ignored, "not supported on Fargate"},
	{"group_add", Ignored, "not supported on Fargate"},
	{"isolation", Ignored, "not supported on Fargate"},
	{"runtime", Ignored, "not supported on Fargate"},
	{"post_start", Ignored, "no ECS equivalent"},
	{"pre_stop", Ignored, "no ECS equivalent"},
	{"use_api_socket", Ignored, "no Docker API on Fargate"},
	{"privileged", Refused, "Fargate does not run privileged containers"},
	{"devices", Refused, "Fargate gives no access to host devices"},
	{"device_cgroup_rules", Refused, "Fargate gives no access to host devices"},
	{"gpus", Refused, "Fargate has no GPUs"},
	{"volumes_from", Refused, "share a named volume within the family instead"},
	{"configs", Mapped, "files at the target (default `/<name>`), stored in SSM and written by the family's init container before the app starts; `external` is refused"},
	{"credential_spec", Refused, "not supported on Fargate Linux"},
	{"provider", Refused, "no ECS equivalent"},
	{"models", Refused, "no ECS equivalent"},
}

var conversionIndex = func() map[string]KeyRule {
	m := map[string]KeyRule{}
	for _, r := range ConversionTable {
		m[r.Key] = r
	}
	return m
}()

// checkComposeKeys reports the keys of each service that have no or a
// wrong meaning on Fargate, using the keys the user wrote (not compose-go's
// defaults).
func checkComposeKeys(in *Input, ds *Diagnostics) {
	for _, name := range slices.Sorted(maps.Keys(in.Project.Services)) {
		check := func(prefix string, keys []string) {
			for _, k := range keys {
				if strings.HasPrefix(k, "x-") {
					continue
				}
				full := k
				if prefix != "" {
					full = prefix + "." + k
				}
				rule, ok := conversionIndex[full]
				path := ServicePath(name, full)
				svc := in.Project.Services[name]
				switch {
				case full == "build": // reported with the image it lacks, by BuildModel
				case full == "privileged" && !svc.Privileged:
				case full == "logging" && routesLogs(svc): // read by extensions/firelens
				case full == "network_mode" && (svc.NetworkMode == "awsvpc" || svc.NetworkMode == ""):
				case full == "network_mode" && !strings.HasPrefix(svc.NetworkMode, networkModeService):
					ds.Errorf(name, path, "cannot work on Fargate: network_mode %s; Fargate tasks always use awsvpc (service:X, which shares X's network, is supported)", svc.NetworkMode)
				case !ok:
					ds.Warnf(name, path, "composex does not handle this key; ignored")
				case rule.Support == Ignored:
					ds.Warnf(name, path, "ignored on Fargate: %s", rule.Note)
				case rule.Support == Refused:
					ds.Errorf(name, path, "cannot work on Fargate: %s", rule.Note)
				}
			}
		}
		check("", in.Sources.Keys(ServicePath(name)))
		check("deploy", in.Sources.Keys(ServicePath(name, "deploy")))
	}
}

// routesLogs reports whether a service's logging is read by the FireLens
// extension rather than ignored.
func routesLogs(s types.ServiceConfig) bool {
	if s.Logging != nil && s.Logging.Driver == "awsfirelens" {
		return true
	}
	xl, ok := s.Extensions["x-logging"].(map[string]any)
	return ok && xl["FireLens"] != nil
}
