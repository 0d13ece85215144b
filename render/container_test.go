package render

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// svc wraps the keys of a service named web (indented by 4) in a project.
func svc(keys string) string {
	return "services:\n  web:\n    image: nginx\n" + keys
}

func TestPorts(t *testing.T) {
	tests := []struct {
		name string
		keys string
		want []Port
	}{
		{"short form", "    ports: [\"80\"]\n", []Port{{80, "tcp", "tcp_80", ""}}},
		{"short form published = target", "    ports: [\"8080:8080\"]\n", []Port{{8080, "tcp", "tcp_8080", ""}}},
		{"udp", "    ports: [\"53:53/udp\"]\n", []Port{{53, "udp", "udp_53", ""}}},
		{"tcp and udp on one port", "    ports: [\"53:53/udp\", \"53:53\"]\n", []Port{{53, "tcp", "tcp_53", ""}, {53, "udp", "udp_53", ""}}},
		{"long form with name and app protocol", "    ports:\n      - target: 8080\n        name: web\n        app_protocol: HTTP2\n",
			[]Port{{8080, "tcp", "web", "http2"}}},
		{"expose", "    expose: [\"9000\", \"9001/udp\"]\n", []Port{{9000, "tcp", "tcp_9000", ""}, {9001, "udp", "udp_9001", ""}}},
		{"expose duplicates ports", "    ports: [\"80:80\"]\n    expose: [\"80\", \"443\"]\n", []Port{{80, "tcp", "tcp_80", ""}, {443, "tcp", "tcp_443", ""}}},
		{"duplicates dropped and sorted", "    ports: [\"9090\", \"80\", \"9090\"]\n", []Port{{80, "tcp", "tcp_80", ""}, {9090, "tcp", "tcp_9090", ""}}},
		// compose-go expands a range published on the same range into one
		// entry per port, which ECS can map.
		{"equal ranges expanded", "    ports: [\"3000-3001:3000-3001\"]\n", []Port{{3000, "tcp", "tcp_3000", ""}, {3001, "tcp", "tcp_3001", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ds := onlyContainer(t, svc(tt.keys))
			if ds.HasErrors() {
				t.Fatalf("unexpected errors:\n%s", dump(ds))
			}
			if !reflect.DeepEqual(c.Ports, tt.want) {
				t.Fatalf("ports = %+v, want %+v", c.Ports, tt.want)
			}
		})
	}
}

func TestPortProblems(t *testing.T) {
	tests := []struct {
		name string
		keys string
		sev  Severity
		path string
		msg  string
		want []Port // ports still mapped
	}{
		{"published differs", "    ports: [\"8080:80\"]\n", Warning, "services.web.ports.0",
			"published port 8080 cannot be honoured on Fargate (awsvpc): the task is reached on its container port 80", []Port{{80, "tcp", "tcp_80", ""}}},
		{"published range", "    ports: [\"8000-8001:80\"]\n", Error, "services.web.ports.0",
			"port ranges (8000-8001) are not supported by ECS; list each port", nil},
		{"expose range", "    expose: [\"9000-9001\"]\n", Error, "services.web.expose.0",
			"port ranges (9000-9001) are not supported by ECS; list each port", nil},
		{"bad protocol", "    ports:\n      - target: 80\n        protocol: sctp\n", Error, "services.web.ports.0",
			`protocol "sctp" is not supported by ECS; allowed: tcp, udp`, nil},
		{"bad app protocol", "    ports:\n      - target: 80\n        app_protocol: ftp\n", Error, "services.web.ports.0.app_protocol",
			`"ftp" is not an ECS app protocol; allowed: http, http2, grpc`, []Port{{80, "tcp", "tcp_80", ""}}},
		{"host ip", "    ports: [\"127.0.0.1:80:80\"]\n", Warning, "services.web.ports.0.host_ip",
			"host_ip has no meaning on Fargate; ignored", []Port{{80, "tcp", "tcp_80", ""}}},
		{"expose not a number", "    expose: [\"http\"]\n", Error, "services.web.expose.0", `"http" is not a port number`, nil},
		{"expose out of range", "    expose: [\"70000\"]\n", Error, "services.web.expose.0", "port 70000 is out of range; allowed: 1 to 65535", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ds := onlyContainer(t, svc(tt.keys))
			d := wantDiag(t, ds, tt.sev, "web", tt.path, tt.msg)
			if d.Line == 0 || !strings.HasSuffix(d.File, "compose.yaml") {
				t.Errorf("diagnostic not located in the file: %s", d)
			}
			if !reflect.DeepEqual(c.Ports, tt.want) {
				t.Fatalf("ports = %+v, want %+v", c.Ports, tt.want)
			}
		})
	}
}

// Two containers of a family share one network interface.
func TestPortClashInFamily(t *testing.T) {
	_, ds := buildYAML(t, `services:
  a:
    image: nginx
    ports: ["80"]
    deploy: {labels: {ecs.task.family: app}}
  b:
    image: httpd
    expose: ["80"]
    deploy: {labels: {ecs.task.family: app}}
`)
	wantError(t, ds, "b", "services.b.ports", "family app: a and b both listen on 80/tcp; the containers of a task share one network interface")
}

func TestHealthCheck(t *testing.T) {
	tests := []struct {
		name string
		keys string
		want *HealthCheck
	}{
		{"string test", "    healthcheck:\n      test: curl -f http://localhost/\n",
			&HealthCheck{Command: []string{"CMD-SHELL", "curl -f http://localhost/"}, Interval: 30, Timeout: 30, Retries: 3}},
		{"list test", "    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost/\"]\n",
			&HealthCheck{Command: []string{"CMD", "curl", "-f", "http://localhost/"}, Interval: 30, Timeout: 30, Retries: 3}},
		{"all settings", "    healthcheck:\n      test: [\"CMD-SHELL\", \"true\"]\n      interval: 1m\n      timeout: 10000ms\n      retries: 10\n      start_period: 0s\n",
			&HealthCheck{Command: []string{"CMD-SHELL", "true"}, Interval: 60, Timeout: 10, Retries: 10, StartPeriod: 0}},
		{"bounds", "    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 5s\n      timeout: 2s\n      retries: 1\n      start_period: 5m\n",
			&HealthCheck{Command: []string{"CMD", "true"}, Interval: 5, Timeout: 2, Retries: 1, StartPeriod: 300}},
		{"upper bounds", "    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 300s\n      timeout: 60s\n",
			&HealthCheck{Command: []string{"CMD", "true"}, Interval: 300, Timeout: 60, Retries: 3}},
		{"NONE", "    healthcheck:\n      test: [\"NONE\"]\n", nil},
		{"disable", "    healthcheck:\n      disable: true\n", nil},
		{"none at all", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ds := onlyContainer(t, svc(tt.keys))
			if ds.HasErrors() {
				t.Fatalf("unexpected errors:\n%s", dump(ds))
			}
			if !reflect.DeepEqual(c.HealthCheck, tt.want) {
				t.Fatalf("health check = %+v, want %+v", c.HealthCheck, tt.want)
			}
		})
	}
}

func TestHealthCheckErrors(t *testing.T) {
	base := "    healthcheck:\n      test: [\"CMD\", \"true\"]\n"
	tests := []struct {
		name string
		keys string
		path string
		msg  string
	}{
		{"milliseconds", "      interval: 5500ms\n", "services.web.healthcheck.interval", "5.5s: ECS counts health check times in whole seconds (5 to 300)"},
		{"fraction of a second", "      timeout: 2500ms\n", "services.web.healthcheck.timeout", "2.5s: ECS counts health check times in whole seconds (2 to 60)"},
		{"interval too long", "      interval: 301s\n", "services.web.healthcheck.interval", "5m1s is out of range: ECS allows 5 to 300 seconds"},
		{"timeout too short", "      timeout: 1s\n", "services.web.healthcheck.timeout", "1s is out of range: ECS allows 2 to 60 seconds"},
		{"timeout too long", "      timeout: 61s\n", "services.web.healthcheck.timeout", "1m1s is out of range: ECS allows 2 to 60 seconds"},
		{"timeout ECS refuses at deploy", "      timeout: 120s\n", "services.web.healthcheck.timeout", "2m0s is out of range: ECS allows 2 to 60 seconds"},
		{"no retries", "      retries: 0\n", "services.web.healthcheck.retries", "0 is out of range: ECS allows 1 to 10 retries"},
		{"too many retries", "      retries: 11\n", "services.web.healthcheck.retries", "11 is out of range: ECS allows 1 to 10 retries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := onlyContainer(t, svc(base+tt.keys))
			d := wantError(t, ds, "web", tt.path, tt.msg)
			if d.Line == 0 {
				t.Errorf("no line: %s", d)
			}
		})
	}
	// start_interval is not an error: ECS has no such setting.
	// An interval below ECS's 5 s still checks, only less often: raised
	// with a warning, not refused.
	for _, short := range []string{"4s", "500ms"} {
		c, ds := onlyContainer(t, svc(base+"      interval: "+short+"\n"))
		wantWarning(t, ds, "web", "services.web.healthcheck.interval", short+" is below the 5 seconds ECS allows; the check runs every 5 seconds")
		if ds.HasErrors() || c.HealthCheck == nil || c.HealthCheck.Interval != 5 || c.HealthCheck.Timeout != 30 {
			t.Errorf("interval %s: health check %+v, errors:\n%s", short, c.HealthCheck, dump(ds))
		}
	}
	// A start period above ECS's 300 s (compose-x files write 1h) gets the
	// longest grace ECS gives, with a warning saying what that means.
	for _, long := range []string{"301s", "1h"} {
		c, ds := onlyContainer(t, svc(base+"      start_period: "+long+"\n"))
		d := time.Duration(0)
		if long == "1h" {
			d = time.Hour
		} else {
			d = 301 * time.Second
		}
		wantWarning(t, ds, "web", "services.web.healthcheck.start_period", d.String()+" is above the 300 seconds ECS allows; the check gets 300 seconds of grace, and failures after that count: a container that takes longer to become healthy is replaced")
		if ds.HasErrors() || c.HealthCheck == nil || c.HealthCheck.StartPeriod != 300 {
			t.Errorf("start_period %s: health check %+v, errors:\n%s", long, c.HealthCheck, dump(ds))
		}
	}
	c, ds := onlyContainer(t, svc(base+"      start_interval: 5s\n"))
	wantWarning(t, ds, "web", "services.web.healthcheck.start_interval", "ECS has no start interval; ignored")
	if c.HealthCheck == nil {
		t.Fatal("health check dropped")
	}
}

func TestResources(t *testing.T) {
	tests := []struct {
		name              string
		keys              string
		cpu, mem, reserve int
	}{
		{"none", "", 0, 0, 0},
		{"deploy limits", "    deploy:\n      resources:\n        limits: {cpus: '0.5', memory: 1G}\n", 512, 1024, 0},
		{"reservations only", "    deploy:\n      resources:\n        reservations: {cpus: '0.25', memory: 256M}\n", 256, 0, 256},
		{"cpu: the larger of limit and reservation", "    deploy:\n      resources:\n        limits: {cpus: '0.25'}\n        reservations: {cpus: '1'}\n", 1024, 0, 0},
		{"fractional cpu rounds up", "    deploy:\n      resources:\n        limits: {cpus: '0.1'}\n", 103, 0, 0},
		{"kB rounds up to MiB", "    deploy:\n      resources:\n        limits: {memory: 64000kB}\n", 0, 63, 0},
		{"bytes", "    deploy:\n      resources:\n        limits: {memory: 134217728b}\n", 0, 128, 0},
		{"limit and reservation", "    deploy:\n      resources:\n        limits: {memory: 2G}\n        reservations: {memory: 512M}\n", 0, 2048, 512},
		{"legacy keys", "    cpus: 0.25\n    mem_limit: 512m\n    mem_reservation: 128m\n", 256, 512, 128},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ds := onlyContainer(t, svc(tt.keys))
			if ds.HasErrors() {
				t.Fatalf("unexpected errors:\n%s", dump(ds))
			}
			if c.Cpu != tt.cpu || c.Memory != tt.mem || c.MemoryReservation != tt.reserve {
				t.Fatalf("cpu %d memory %d reservation %d, want %d %d %d", c.Cpu, c.Memory, c.MemoryReservation, tt.cpu, tt.mem, tt.reserve)
			}
		})
	}
}

func TestResourceErrors(t *testing.T) {
	_, ds := onlyContainer(t, svc("    deploy:\n      resources:\n        limits: {memory: 512M}\n        reservations: {memory: 1G}\n"))
	wantError(t, ds, "web", "services.web.deploy.resources.reservations.memory", "the reservation (1024 MiB) is above the limit (512 MiB)")

	_, ds = onlyContainer(t, svc("    mem_limit: 256m\n    mem_reservation: 300m\n"))
	wantError(t, ds, "web", "services.web.deploy.resources.reservations.memory", "the reservation (300 MiB) is above the limit (256 MiB)")

	_, ds = onlyContainer(t, svc("    deploy:\n      resources:\n        limits: {memory: 4M}\n"))
	wantError(t, ds, "web", "services.web.deploy.resources.limits.memory", "4194304 bytes is below the 6 MiB that ECS requires for a container")
}

// The task size is the sum of the containers; memory without a limit
// counts its reservation.
func TestFamilySizeFromContainers(t *testing.T) {
	out, _ := mustRender(t, `services:
  a:
    image: nginx
    deploy:
      labels: {ecs.task.family: app}
      resources:
        limits: {cpus: '0.25', memory: 1G}
  b:
    image: nginx
    deploy:
      labels: {ecs.task.family: app}
      resources:
        limits: {cpus: '0.5'}
        reservations: {memory: 2G}
`, Options{})
	f := family(t, out.Model, "app")
	if f.Size != (FargateSize{1024, 3072}) {
		t.Fatalf("size = %+v, want 1024 CPU / 3072 MiB", f.Size)
	}
	td := resource(t, template(t, out), "AppTaskDefinition", "AWS::ECS::TaskDefinition")
	if td["Cpu"] != "1024" || td["Memory"] != "3072" {
		t.Fatalf("task definition Cpu %#v Memory %#v, want \"1024\" and \"3072\"", td["Cpu"], td["Memory"])
	}
}

func TestFamilyTooLarge(t *testing.T) {
	_, ds := renderYAML(t, svc("    deploy:\n      resources:\n        limits: {cpus: '17'}\n"), Options{})
	wantError(t, ds, "web", "services.web.deploy.resources", "family web: the containers ask for 17 vCPU in all; the largest Fargate task has 16 vCPU")
}

func TestCapabilities(t *testing.T) {
	c, ds := onlyContainer(t, svc("    cap_add: [SYS_PTRACE]\n    cap_drop: [NET_RAW, cap_chown]\n"))
	if ds.HasErrors() {
		t.Fatalf("unexpected errors:\n%s", dump(ds))
	}
	if !reflect.DeepEqual(c.CapAdd, []string{"SYS_PTRACE"}) || !reflect.DeepEqual(c.CapDrop, []string{"CHOWN", "NET_RAW"}) {
		t.Fatalf("add %v drop %v", c.CapAdd, c.CapDrop)
	}
	c, ds = onlyContainer(t, svc("    cap_add: [CAP_SYS_PTRACE]\n"))
	if ds.HasErrors() || !reflect.DeepEqual(c.CapAdd, []string{"SYS_PTRACE"}) {
		t.Fatalf("CAP_SYS_PTRACE: add %v\n%s", c.CapAdd, dump(ds))
	}

	// What Fargate refuses is dropped with a warning naming it (compose-x
	// passes it on and ECS refuses the task definition at deploy).
	c, ds = onlyContainer(t, svc("    cap_add: [NET_ADMIN, SYS_PTRACE, cap_sys_admin]\n"))
	if ds.HasErrors() {
		t.Fatalf("unexpected errors:\n%s", dump(ds))
	}
	wantWarning(t, ds, "web", "services.web.cap_add.0", "NET_ADMIN is dropped: Fargate supports adding only SYS_PTRACE")
	wantWarning(t, ds, "web", "services.web.cap_add.2", "SYS_ADMIN is dropped: Fargate supports adding only SYS_PTRACE")
	if !reflect.DeepEqual(c.CapAdd, []string{"SYS_PTRACE"}) {
		t.Fatalf("add %v", c.CapAdd)
	}
	c, ds = onlyContainer(t, svc("    cap_add: [ALL]\n"))
	wantWarning(t, ds, "web", "services.web.cap_add.0", "ALL is dropped: Fargate supports adding only SYS_PTRACE; list it to add it")
	if len(c.CapAdd) != 0 {
		t.Fatalf("ALL: add %v", c.CapAdd)
	}

	_, ds = onlyContainer(t, svc("    cap_add: [SYS_PTRACE]\n    cap_drop: [SYS_PTRACE]\n"))
	wantError(t, ds, "web", "services.web.cap_add.0", "SYS_PTRACE is both added and dropped")
}

func TestUlimits(t *testing.T) {
	c, ds := onlyContainer(t, svc("    ulimits:\n      nofile: {soft: 1024, hard: 4096}\n      nproc: 65535\n"))
	if ds.HasErrors() {
		t.Fatalf("unexpected errors:\n%s", dump(ds))
	}
	if !reflect.DeepEqual(c.Ulimits, []Ulimit{{"nofile", 1024, 4096}}) {
		t.Fatalf("ulimits %+v", c.Ulimits)
	}
	wantWarning(t, ds, "web", "services.web.ulimits.nproc", "Fargate applies only the nofile ulimit; nproc is ignored")

	c, ds = onlyContainer(t, svc("    ulimits:\n      nofile: 65535\n"))
	if ds.HasErrors() || !reflect.DeepEqual(c.Ulimits, []Ulimit{{"nofile", 65535, 65535}}) {
		t.Fatalf("single value: %+v\n%s", c.Ulimits, dump(ds))
	}

	_, ds = onlyContainer(t, svc("    ulimits:\n      files: 10\n"))
	wantError(t, ds, "web", "services.web.ulimits.files", `"files" is not a ulimit ECS knows; allowed: core, cpu,`)

	_, ds = onlyContainer(t, svc("    ulimits:\n      nofile: {soft: 4096, hard: 1024}\n"))
	wantError(t, ds, "web", "services.web.ulimits.nofile", "the soft limit (4096) is above the hard limit (1024)")
}

func TestStopGracePeriod(t *testing.T) {
	tests := []struct {
		value string
		want  int
		msg   string
	}{
		{"2s", 2, ""},
		{"1m", 60, ""},
		{"2m", 120, ""},
		{"1s", 0, "1s is out of range: Fargate waits 2 to 120 seconds before it kills a container"},
		{"121s", 0, "2m1s is out of range: Fargate waits 2 to 120 seconds"},
		{"1500ms", 0, "1.5s: ECS counts the stop timeout in whole seconds (2 to 120)"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, ds := onlyContainer(t, svc("    stop_grace_period: "+tt.value+"\n"))
			if tt.msg != "" {
				wantError(t, ds, "web", "services.web.stop_grace_period", tt.msg)
			} else if ds.HasErrors() {
				t.Fatalf("unexpected errors:\n%s", dump(ds))
			}
			if c.StopTimeout != tt.want {
				t.Fatalf("StopTimeout = %d, want %d", c.StopTimeout, tt.want)
			}
		})
	}
}

func TestPlainContainerProperties(t *testing.T) {
	c, ds := onlyContainer(t, svc(`    init: true
    user: "1000:1000"
    working_dir: /app
    read_only: true
    command: ["serve", "--port", "80"]
    entrypoint: /bin/run
    labels: {team: web}
    environment:
      B: "2"
      A: "1"
`))
	if ds.HasErrors() {
		t.Fatalf("unexpected errors:\n%s", dump(ds))
	}
	if !c.Init || c.User != "1000:1000" || c.WorkingDir != "/app" || !c.ReadOnly || !c.Essential {
		t.Fatalf("container %+v", c)
	}
	if !reflect.DeepEqual(c.Command, []string{"serve", "--port", "80"}) || !reflect.DeepEqual(c.EntryPoint, []string{"/bin/run"}) {
		t.Fatalf("command %q entrypoint %q", c.Command, c.EntryPoint)
	}
	if !reflect.DeepEqual(c.Environment, map[string]string{"A": "1", "B": "2"}) {
		t.Fatalf("environment %v", c.Environment)
	}
	wantLabels := map[string]string{"team": "web", "com.docker.compose.project": "test", "com.docker.compose.service": "web"}
	if !reflect.DeepEqual(c.DockerLabels, wantLabels) {
		t.Fatalf("labels %v", c.DockerLabels)
	}

	out, _ := mustRender(t, svc(`    init: true
    user: "1000"
    working_dir: /app
    read_only: true
    stop_grace_period: 30s
    environment: {B: "2", A: "1", PORT: "8080", FLAG: "true"}
`), Options{})
	cd := containerDef(t, resource(t, template(t, out), "WebTaskDefinition", "AWS::ECS::TaskDefinition"), "web")
	if cd["User"] != "1000" || cd["WorkingDirectory"] != "/app" || cd["ReadonlyRootFilesystem"] != true || cd["StopTimeout"] != 30 {
		t.Fatalf("container definition %v", cd)
	}
	if lp := cd["LinuxParameters"].(map[string]any); lp["InitProcessEnabled"] != true {
		t.Fatalf("LinuxParameters %v", lp)
	}
	env := cd["Environment"].([]any)
	var names []string
	for _, e := range env {
		kv := e.(map[string]any)
		names = append(names, kv["Name"].(string))
		if kv["Name"] == "PORT" && kv["Value"] != "8080" || kv["Name"] == "FLAG" && kv["Value"] != "true" {
			t.Errorf("%v: value must stay a string", kv)
		}
	}
	if strings.Join(names, ",") != "A,B,FLAG,PORT" {
		t.Fatalf("environment not sorted: %v", names)
	}
}

// A container without init or ECS Exec has no LinuxParameters at all.
func TestNoLinuxParametersByDefault(t *testing.T) {
	out, _ := mustRender(t, svc(""), Options{})
	cd := containerDef(t, resource(t, template(t, out), "WebTaskDefinition", "AWS::ECS::TaskDefinition"), "web")
	if _, ok := cd["LinuxParameters"]; ok {
		t.Fatalf("unexpected LinuxParameters: %v", cd["LinuxParameters"])
	}
	if cd["Essential"] != true {
		t.Fatalf("Essential = %v", cd["Essential"])
	}
}

func TestEnvironmentWithoutValue(t *testing.T) {
	c, ds := onlyContainer(t, svc("    environment: [UNSET_IN_TEST]\n"))
	wantWarning(t, ds, "web", "services.web.environment.UNSET_IN_TEST", "no value in the file or the environment; the variable is left out")
	if _, ok := c.Environment["UNSET_IN_TEST"]; ok {
		t.Fatal("variable without value kept")
	}
}

func TestImageRules(t *testing.T) {
	_, ds := buildYAML(t, "services:\n  web:\n    build: .\n")
	wantWarning(t, ds, "web", "services.web.build", "ECS cannot build images: the template parameter WebImage has no default and must be given the pushed image")

	m, ds := buildYAML(t, "services:\n  web:\n    image: nginx:1.27\n")
	if ds.HasErrors() {
		t.Fatalf("unexpected errors:\n%s", dump(ds))
	}
	p := m.Parameters["WebImage"]
	if p == nil || p.Default == nil || *p.Default != "nginx:1.27" || p.Type != "String" {
		t.Fatalf("WebImage parameter %+v", p)
	}
}
