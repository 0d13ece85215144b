package examples

import (
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/render"
)

// An example is documentation that users copy, so each must be something
// that would really start on Fargate. This file applies, to the rendered
// template, the rules the ECS agent and the images themselves apply at
// start, as far as they can be checked offline:
//   - every app container's image is a real repository with a tag that was
//     checked to exist (knownImages), never a placeholder (example.com,
//     ghcr.io/example, :latest, no tag);
//   - a container that must keep running runs something that does: an image
//     whose default command exits at once without a terminal (a shell, a
//     REPL, no CMD at all) gets a command, and a `sh -c`/`python -c` script
//     loops or execs a server;
//   - a command, entry point or health check names a program the image has;
//   - an image's entry point gets the variables it refuses to start without;
//   - a `-javaagent:` jar is on a volume the container mounts (it is in no
//     image composex knows);
//   - a port the task maps is one its containers listen on, where every
//     container's ports are known;
//   - a family whose security group restricts egress still reaches the
//     public registries and CloudWatch Logs (tcp 443 to 0.0.0.0/0): on
//     Fargate the image is pulled through the task's own network interface.

// imageFacts is what composex knows of an image repository, read from its
// Dockerfile and entry point script (the note says where).
type imageFacts struct {
	note string
	// tags that were checked to exist in the registry.
	tags []string
	// runs: the image's default command keeps running (a server). False:
	// it exits at once without a terminal (a shell, a REPL, no CMD).
	runs bool
	// args: the image's entry point is its program and a container
	// command only gives it arguments (nginx-prometheus-exporter).
	args bool
	// programs on the image's PATH that a command or health check may name.
	programs []string
	// listens: the ports the default command listens on.
	listens []int
	// requiredEnv: variables the entry point refuses to start without.
	requiredEnv []string
}

var (
	shells       = []string{"sh", "bash", "/bin/sh", "/bin/bash"}
	busyboxTools = []string{"sh", "/bin/sh", "ls", "cat", "echo", "sleep", "wget", "nc", "tail"}
	pythonTools  = append([]string{"python", "python3", "pip"}, shells...)
)

// knownImages is the allow-list of repositories the examples may use. Add a
// repository only with a note on where its behaviour was read, and a tag
// only once it was seen in the registry.
var knownImages = map[string]imageFacts{
	"public.ecr.aws/nginx/nginx": {
		note: "NGINX's official image, mirrored on ECR Public; mainline/debian Dockerfile: ENTRYPOINT docker-entrypoint.sh execs its arguments, CMD nginx -g 'daemon off;' on port 80 (master as root), curl installed",
		tags: []string{"1.27", "1.27-alpine", "1.26"}, runs: true, listens: []int{80},
		// perl: Debian's perl-base is an essential package, in every
		// Debian-based image.
		programs: append([]string{"nginx", "curl", "perl"}, shells...),
	},
	"public.ecr.aws/docker/library/nginx": {
		note: "the same Docker official image through ECR Public's docker/library mirror",
		tags: []string{"1.27", "1.27-alpine"}, runs: true, listens: []int{80},
		programs: append([]string{"nginx", "curl"}, shells...),
	},
	"public.ecr.aws/docker/library/python": {
		note: "Docker official python image: no ENTRYPOINT, CMD python3 (a REPL that exits at once without a terminal); slim variants have neither curl nor wget",
		tags: []string{"3.12-slim", "3.13-slim", "3.12", "3.13"}, programs: pythonTools,
	},
	"public.ecr.aws/docker/library/alpine": {
		note: "Docker official alpine image: CMD /bin/sh, which exits at once without a terminal; busybox tools",
		tags: []string{"3.20", "3.21", "3.22"}, programs: busyboxTools,
	},
	"public.ecr.aws/docker/library/busybox": {
		note: "Docker official busybox image: CMD sh, which exits at once without a terminal",
		tags: []string{"1.36", "1.37"}, programs: append([]string{"httpd"}, busyboxTools...),
	},
	"public.ecr.aws/docker/library/redis": {
		note: "Docker official redis image: docker-entrypoint.sh execs its arguments (redis-server when they start with -), CMD redis-server on 6379",
		tags: []string{"7.2", "7.4"}, runs: true, listens: []int{6379},
		programs: append([]string{"redis-server", "redis-cli"}, shells...),
	},
	"public.ecr.aws/docker/library/tomcat": {
		note: "Docker official tomcat image: CMD catalina.sh run on 8080; the JDK's java; no javaagent jar",
		tags: []string{"10.1-jre21", "10.1-jdk21", "11.0-jre21"}, runs: true, listens: []int{8080},
		programs: append([]string{"catalina.sh", "java"}, shells...),
	},
	"public.ecr.aws/docker/library/httpd": {
		note: "Docker official httpd image: CMD httpd-foreground on 80",
		tags: []string{"2.4"}, runs: true, listens: []int{80},
		programs: append([]string{"httpd", "httpd-foreground"}, shells...),
	},
	"public.ecr.aws/amazoncorretto/amazoncorretto": {
		note: "Amazon Corretto's image: Amazon Linux with the JDK, no CMD of its own (bash, exits at once): give it a command",
		tags: []string{"11", "17", "21"}, programs: append([]string{"java"}, shells...),
	},
	"public.ecr.aws/compose-x/amazoncorretto": {
		note: "compose-x's mirror of amazoncorretto (the Prometheus blog's kafdrop image): no CMD of its own",
		tags: []string{"11"}, programs: append([]string{"java"}, shells...),
	},
	"public.ecr.aws/aws-observability/aws-for-fluent-bit": {
		note: "AWS for Fluent Bit (release 2.32.4, 2024-11-01, aws/aws-for-fluent-bit#873): CMD /entrypoint.sh runs fluent-bit with the image's default configuration",
		tags: []string{"2.32.4", "2.32.5"}, runs: true, programs: append([]string{"/fluent-bit/bin/fluent-bit"}, shells...),
	},
	"docker.io/confluentinc/cp-kafka-connect": {
		note: "Confluent's Kafka Connect image: /etc/confluent/docker/run; its configure step (dub ensure) stops the container without these CONNECT_ variables",
		tags: []string{"7.6.0", "7.7.1"}, runs: true, listens: []int{8083},
		programs:    append([]string{"/etc/confluent/docker/run", "connect-distributed", "java"}, shells...),
		requiredEnv: []string{"CONNECT_BOOTSTRAP_SERVERS", "CONNECT_GROUP_ID", "CONNECT_CONFIG_STORAGE_TOPIC", "CONNECT_OFFSET_STORAGE_TOPIC", "CONNECT_STATUS_STORAGE_TOPIC", "CONNECT_KEY_CONVERTER", "CONNECT_VALUE_CONVERTER", "CONNECT_REST_ADVERTISED_HOST_NAME"},
	},
	"public.ecr.aws/nginx/nginx-prometheus-exporter": {
		note: "NGINX's Prometheus exporter: ENTRYPOINT is the exporter, a command gives it flags; listens on 9113",
		tags: []string{"1.3.0", "1.4.0"}, runs: true, args: true, listens: []int{9113},
	},
	"docker.io/postgres": {
		note: "Docker official postgres image: docker-entrypoint.sh needs POSTGRES_PASSWORD (or _FILE, or trust auth), CMD postgres on 5432, pg_isready for health checks; alpine variants too",
		tags: []string{"16", "16.4-alpine", "17-alpine"}, runs: true, listens: []int{5432},
		programs: append([]string{"postgres", "pg_isready", "psql", "docker-entrypoint.sh"}, shells...),
	},
	"public.ecr.aws/docker/library/postgres": {
		note: "the same Docker official postgres image through ECR Public's docker/library mirror",
		tags: []string{"16", "17"}, runs: true, listens: []int{5432},
		programs: append([]string{"postgres", "pg_isready", "psql", "docker-entrypoint.sh"}, shells...),
	},
	"docker.io/nginx": {
		note: "Docker official nginx image (alpine variants: busybox tools and curl); CMD nginx -g 'daemon off;' on 80",
		tags: []string{"1.27-alpine", "1.27.3-alpine"}, runs: true, listens: []int{80},
		programs: append([]string{"nginx", "curl"}, busyboxTools...),
	},
	"docker.io/redis": {
		note: "Docker official redis image, alpine variant: CMD redis-server on 6379",
		tags: []string{"7.4-alpine"}, runs: true, listens: []int{6379},
		programs: append([]string{"redis-server", "redis-cli"}, busyboxTools...),
	},
	"docker.io/traefik/whoami": {
		note: "Traefik's whoami: a static Go binary as ENTRYPOINT (FROM scratch) answering HTTP on 80; flags such as --port as command",
		tags: []string{"v1.10"}, runs: true, args: true, listens: []int{80},
	},
	"docker.io/hashicorp/http-echo": {
		note: "HashiCorp's http-echo: a static binary as ENTRYPOINT (FROM scratch), -text and -listen as command; default port 5678",
		tags: []string{"1.0"}, runs: true, args: true, listens: []int{5678},
	},
	"docker.io/oliver006/redis_exporter": {
		note: "redis_exporter: the exporter binary as ENTRYPOINT (FROM scratch), flags or REDIS_ADDR; listens on 9121",
		tags: []string{"v1.62.0"}, runs: true, args: true, listens: []int{9121},
	},
	"docker.io/obsidiandynamics/kafdrop": {
		note: "Kafdrop 4: ENTRYPOINT kafdrop.sh runs the jar; KAFKA_BROKERCONNECT and JAVA_OPTS from the environment; listens on 9000",
		tags: []string{"4.0.1"}, runs: true, listens: []int{9000},
		programs: append([]string{"java", "kafdrop.sh"}, shells...),
	},
	"quay.io/prometheus/node-exporter": {
		note: "Prometheus node_exporter: the exporter as ENTRYPOINT (busybox base), flags as command; listens on 9100",
		tags: []string{"v1.8.2", "v1.9.1"}, runs: true, args: true, listens: []int{9100},
		programs: busyboxTools,
	},
	"public.ecr.aws/aws-cli/aws-cli": {
		note: "AWS CLI v2: ENTRYPOINT aws, a command gives it arguments (an entrypoint override gives a shell); Amazon Linux base",
		tags: []string{"2.31.23"}, args: true,
		programs: append([]string{"aws"}, shells...),
	},
}

// startableFixedElsewhere lists the examples that fail these rules today
// and that another helper's branch makes startable (owner in the value).
// Each is checked and its problems logged, not failed; an example on this
// list that passes is an error, so that the list is emptied as the
// branches are merged.
var startableFixedElsewhere = map[string]string{}

// TestExamplesCouldStart applies the start rules to every example.
func TestExamplesCouldStart(t *testing.T) {
	for _, p := range renderExamples(t) {
		t.Run(p.name, func(t *testing.T) {
			problems := startProblems(t, p)
			owner, elsewhere := startableFixedElsewhere[p.name]
			switch {
			case elsewhere && len(problems) == 0:
				t.Errorf("%s now passes the start rules: remove it from startableFixedElsewhere (owner %s)", p.name, owner)
			case elsewhere:
				for _, pr := range problems {
					t.Logf("known, fixed on the %s branch: %s", owner, pr)
				}
			default:
				for _, pr := range problems {
					t.Error(pr)
				}
			}
		})
	}
}

// TestStartRulesCatchBrokenTasks proves each rule fails on a task it must
// refuse: the checks above are only worth something if they can fail.
func TestStartRulesCatchBrokenTasks(t *testing.T) {
	cases := []struct {
		name, compose string
		want          string
	}{
		{"placeholder registry", `
services:
  api:
    image: ghcr.io/example/api:1.0.0
`, "placeholder"},
		{"latest tag", `
services:
  api:
    image: public.ecr.aws/docker/library/redis:latest
`, "placeholder"},
		{"unknown repository", `
services:
  api:
    image: quay.io/someone/thing:1.0
`, "not in knownImages"},
		{"unchecked tag", `
services:
  api:
    image: public.ecr.aws/docker/library/redis:6.0.0
`, "tag 6.0.0"},
		{"shell image without command", `
services:
  api:
    image: public.ecr.aws/docker/library/python:3.13-slim
`, "exits at once"},
		{"script that ends", `
services:
  api:
    image: public.ecr.aws/docker/library/alpine:3.20
    command: ["sh", "-c", "echo hello"]
`, "exits"},
		{"module the image does not have", `
services:
  api:
    image: public.ecr.aws/docker/library/alpine:3.20
    command: ["python", "-m", "worker"]
`, "python"},
		{"health check tool missing", `
services:
  api:
    image: public.ecr.aws/docker/library/python:3.13-slim
    command: ["python", "-m", "http.server", "8000"]
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8000/"]
`, "curl"},
		{"port nobody listens on", `
services:
  api:
    image: public.ecr.aws/nginx/nginx:1.27
    ports: ["8080:8080"]
`, "8080"},
		{"required variables", `
services:
  connect:
    image: confluentinc/cp-kafka-connect:7.6.0
`, "CONNECT_BOOTSTRAP_SERVERS"},
		{"javaagent outside volumes", `
services:
  app:
    image: public.ecr.aws/docker/library/tomcat:10.1-jre21
    environment:
      JAVA_OPTS: -javaagent:/opt/jmx/agent.jar=9404:/opt/jmx/config.yaml
`, "-javaagent"},
		{"egress without the registries", `
services:
  api:
    image: public.ecr.aws/nginx/nginx:1.27
    x-network:
      Egress:
        - IPv4: 10.0.0.0/16
          Ports: [443]
`, "pull"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := writeCompose(t, c.compose)
			p := renderProject(t, "startrules", file)
			problems := startProblems(t, p)
			for _, pr := range problems {
				if strings.Contains(pr, c.want) {
					return
				}
			}
			t.Errorf("no problem mentions %q; got %q", c.want, problems)
		})
	}
	// And a task that follows every rule passes.
	p := renderProject(t, "startrules", writeCompose(t, `
services:
  api:
    image: public.ecr.aws/docker/library/python:3.13-slim
    command: ["python", "-m", "http.server", "8000"]
    ports: ["8000:8000"]
    healthcheck:
      test: ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8000/')"]
`))
	if problems := startProblems(t, p); len(problems) > 0 {
		t.Errorf("a startable task is refused: %q", problems)
	}
}

func writeCompose(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	file := path.Join(dir, composeFile)
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// containerDef is the part of a rendered container definition the start
// rules read.
type containerDef struct {
	Name        string            `yaml:"Name"`
	Image       map[string]string `yaml:"Image"`
	Command     []string          `yaml:"Command"`
	EntryPoint  []string          `yaml:"EntryPoint"`
	Essential   *bool             `yaml:"Essential"`
	Environment []struct {
		Name  string `yaml:"Name"`
		Value any    `yaml:"Value"`
	} `yaml:"Environment"`
	Secrets []struct {
		Name string `yaml:"Name"`
	} `yaml:"Secrets"`
	PortMappings []struct {
		ContainerPort int `yaml:"ContainerPort"`
	} `yaml:"PortMappings"`
	HealthCheck *struct {
		Command []string `yaml:"Command"`
	} `yaml:"HealthCheck"`
	DependsOn []struct {
		ContainerName string `yaml:"ContainerName"`
		Condition     string `yaml:"Condition"`
	} `yaml:"DependsOn"`
	MountPoints []struct {
		ContainerPath string `yaml:"ContainerPath"`
	} `yaml:"MountPoints"`
}

type renderedTemplate struct {
	Parameters map[string]struct {
		Default *string `yaml:"Default"`
	} `yaml:"Parameters"`
	Resources map[string]struct {
		Type       string    `yaml:"Type"`
		Properties yaml.Node `yaml:"Properties"`
	} `yaml:"Resources"`
}

// startProblems applies the start rules to a rendered project and returns
// one message per problem.
func startProblems(t *testing.T, p *project) []string {
	t.Helper()
	var tmpl renderedTemplate
	tmpl.Parameters = map[string]struct {
		Default *string `yaml:"Default"`
	}{}
	tmpl.Resources = map[string]struct {
		Type       string    `yaml:"Type"`
		Properties yaml.Node `yaml:"Properties"`
	}{}
	for _, name := range sortedNames(p.out.Files) {
		if strings.HasSuffix(name, ".params.json") {
			continue
		}
		var one renderedTemplate
		if err := yaml.Unmarshal(p.out.Files[name], &one); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for k, v := range one.Parameters {
			tmpl.Parameters[k] = v
		}
		for k, v := range one.Resources {
			tmpl.Resources[k] = v
		}
	}
	var problems []string
	for _, f := range p.out.Model.Families {
		td, ok := tmpl.Resources[f.TaskDefinitionID()]
		if !ok {
			problems = append(problems, fmt.Sprintf("family %s: no task definition %s in the template", f.Name, f.TaskDefinitionID()))
			continue
		}
		var props struct {
			ContainerDefinitions []containerDef `yaml:"ContainerDefinitions"`
		}
		if err := td.Properties.Decode(&props); err != nil {
			t.Fatalf("%s: %v", f.TaskDefinitionID(), err)
		}
		problems = append(problems, taskProblems(f, props.ContainerDefinitions, func(param string) *string { return tmpl.Parameters[param].Default })...)
		if sg, ok := tmpl.Resources[f.SecurityGroupID()]; ok {
			var g struct {
				SecurityGroupEgress []struct {
					CidrIp     string `yaml:"CidrIp"`
					IpProtocol string `yaml:"IpProtocol"`
					FromPort   int    `yaml:"FromPort"`
					ToPort     int    `yaml:"ToPort"`
				} `yaml:"SecurityGroupEgress"`
			}
			if err := sg.Properties.Decode(&g); err != nil {
				t.Fatalf("%s: %v", f.SecurityGroupID(), err)
			}
			open := len(g.SecurityGroupEgress) == 0 // none: the default allow-all egress
			for _, e := range g.SecurityGroupEgress {
				if e.CidrIp == "0.0.0.0/0" && (e.IpProtocol == "-1" || (e.IpProtocol == "tcp" && e.FromPort <= 443 && 443 <= e.ToPort)) {
					open = true
				}
			}
			if !open {
				problems = append(problems, fmt.Sprintf("family %s: its security group's egress has no tcp 443 to 0.0.0.0/0, so Fargate cannot pull the images from their public registries nor write to CloudWatch Logs through the task's interface; add that egress (x-network.Egress)", f.Name))
			}
		}
	}
	return problems
}

var (
	rePlaceholderHost = regexp.MustCompile(`(^|\.)example\.(com|org|net)(/|:|$)`)
	reJavaAgent       = regexp.MustCompile(`-javaagent:([^=\s]+)`)
	reHTTPServer      = regexp.MustCompile(`^\d+$`)
)

func taskProblems(f *render.Family, defs []containerDef, defaultOf func(string) *string) []string {
	var problems []string
	bad := func(c, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("family %s, container %s: %s", f.Name, c, fmt.Sprintf(format, args...)))
	}
	oneShot := map[string]bool{} // containers others wait on to exit
	for _, d := range defs {
		for _, dep := range d.DependsOn {
			if dep.Condition == "SUCCESS" || dep.Condition == "COMPLETE" {
				oneShot[dep.ContainerName] = true
			}
		}
	}
	listening := map[int]bool{}
	known := true // every container's ports are known
	mapped := map[int]string{}
	for _, d := range defs {
		mc := f.Container(d.Name)
		for _, pm := range d.PortMappings {
			mapped[pm.ContainerPort] = d.Name
		}
		if mc == nil || mc.Sidecar {
			known = false // composex's own sidecars: their images are pinned and tested elsewhere
			continue
		}
		param := d.Image["Ref"]
		def := defaultOf(param)
		if def == nil {
			known = false // the image is given at deploy time (build:)
			continue
		}
		repo, tag, problem := splitImage(*def)
		if problem != "" {
			bad(d.Name, "image %s is a %s; use a real public image with a tag that exists", *def, problem)
			known = false
			continue
		}
		facts, ok := knownImages[repo]
		if !ok {
			bad(d.Name, "image repository %s is not in knownImages: check the image's entry point, command and tags, then add it with a note", repo)
			known = false
			continue
		}
		if !slices.Contains(facts.tags, tag) {
			bad(d.Name, "image %s: tag %s is not among the tags checked to exist (%s); check it in the registry and add it to knownImages", repo, tag, strings.Join(facts.tags, ", "))
		}
		cmd := append(append([]string(nil), d.EntryPoint...), d.Command...)
		program := ""
		switch {
		case len(d.EntryPoint) > 0:
			program = d.EntryPoint[0]
		case len(d.Command) > 0 && !facts.args:
			program = d.Command[0]
		}
		if program != "" && !slices.Contains(facts.programs, program) {
			bad(d.Name, "runs %q, which image %s does not have (it has %s)", program, repo, strings.Join(facts.programs, ", "))
		}
		runs, ports := keepsRunning(facts, cmd)
		// A non-essential container may exit: ECS stops the task only
		// when an essential one does.
		essential := d.Essential == nil || *d.Essential
		if !runs && !oneShot[d.Name] && essential {
			if len(cmd) == 0 {
				bad(d.Name, "image %s has no long-running default command (its default exits at once without a terminal): give the container a command", repo)
			} else {
				bad(d.Name, "command %q exits, and no container waits for it to finish: the task stops; run a server or a loop", cmd)
			}
		}
		if ports == nil {
			known = false
		}
		for _, port := range ports {
			listening[port] = true
		}
		if hc := d.HealthCheck; hc != nil && len(hc.Command) > 1 {
			tool := hc.Command[1]
			if hc.Command[0] == "CMD-SHELL" {
				tool = strings.Fields(hc.Command[1])[0]
			}
			if !slices.Contains(facts.programs, tool) {
				bad(d.Name, "the health check runs %s, which image %s does not have (it has %s): the container never becomes healthy", tool, repo, strings.Join(facts.programs, ", "))
			}
		}
		env := map[string]bool{}
		var texts []string
		for _, e := range d.Environment {
			env[e.Name] = true
			texts = append(texts, fmt.Sprint(e.Value))
		}
		for _, s := range d.Secrets {
			env[s.Name] = true
		}
		for _, v := range facts.requiredEnv {
			if !env[v] {
				bad(d.Name, "image %s stops at start without %s (set it in environment or secrets)", repo, v)
			}
		}
		for _, text := range append(texts, cmd...) {
			for _, m := range reJavaAgent.FindAllStringSubmatch(text, -1) {
				onVolume := false
				for _, mp := range d.MountPoints {
					if strings.HasPrefix(m[1], strings.TrimSuffix(mp.ContainerPath, "/")+"/") {
						onVolume = true
					}
				}
				if !onVolume {
					bad(d.Name, "-javaagent:%s is in no volume the container mounts, and image %s does not have it: the JVM refuses to start", m[1], repo)
				}
			}
		}
	}
	if known {
		ports := make([]int, 0, len(mapped))
		for p := range mapped {
			ports = append(ports, p)
		}
		sort.Ints(ports)
		for _, port := range ports {
			if !listening[port] {
				bad(mapped[port], "maps port %d, on which no container of the task listens", port)
			}
		}
	}
	return problems
}

// splitImage reads REPO[:TAG]; a docker.io name gets its registry. It
// names the problem of a placeholder image.
func splitImage(image string) (repo, tag, problem string) {
	repo, tag = image, ""
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		repo, tag = image[:i], image[i+1:]
	}
	host, _, _ := strings.Cut(repo, "/")
	switch {
	case rePlaceholderHost.MatchString(host) || strings.HasPrefix(repo, "ghcr.io/example/"):
		return repo, tag, "placeholder (example registry)"
	case tag == "" || tag == "latest":
		return repo, tag, "placeholder tag (" + orNone(tag) + "): a moving tag is not what was checked"
	}
	if !strings.Contains(host, ".") && host != "localhost" {
		repo = "docker.io/" + repo
	}
	return repo, tag, ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return ":" + s
}

// keepsRunning tells whether a container with this command keeps running,
// and the ports it then listens on (nil: not known).
func keepsRunning(facts imageFacts, cmd []string) (bool, []int) {
	if len(cmd) == 0 {
		return facts.runs, facts.listens
	}
	base := path.Base(cmd[0])
	if facts.args && base != "sh" && base != "bash" {
		// The image's program with flags: a listen flag moves its port.
		if port, ok := listenFlag(cmd); ok {
			return facts.runs, []int{port}
		}
		return facts.runs, facts.listens
	}
	switch {
	case (base == "sh" || base == "bash") && len(cmd) >= 3 && cmd[1] == "-c":
		s := cmd[2]
		loops := strings.Contains(s, "while true") || strings.Contains(s, "while :") || strings.Contains(s, "sleep infinity") ||
			strings.Contains(s, "exec ") || strings.Contains(s, "tail -f") || strings.Contains(s, "tail -F")
		return loops, nil
	case strings.HasPrefix(base, "python") && len(cmd) >= 3 && cmd[1] == "-m" && cmd[2] == "http.server":
		port := 8000
		for _, a := range cmd[3:] {
			if reHTTPServer.MatchString(a) {
				fmt.Sscan(a, &port)
				break
			}
		}
		return true, []int{port}
	case strings.HasPrefix(base, "python") && len(cmd) >= 3 && cmd[1] == "-c":
		return strings.Contains(cmd[2], "while True") || strings.Contains(cmd[2], "serve_forever"), nil
	case strings.HasPrefix(base, "python") && len(cmd) >= 2 && cmd[1] == "-m":
		return false, nil // a module the image does not ship
	}
	// The image's own program with other arguments: assume it serves.
	return true, nil
}

// reListenFlag finds the port a server's flags give: --port 8080,
// --port=8080, -listen=:8080, --web.listen-address=:9100.
var reListenFlag = regexp.MustCompile(`^--?(?:port|listen|web\.listen-address)(?:=|$)(?:[^:]*:)?([0-9]*)$`)

func listenFlag(cmd []string) (int, bool) {
	for i, a := range cmd {
		m := reListenFlag.FindStringSubmatch(a)
		if m == nil {
			continue
		}
		v := m[1]
		if v == "" && i+1 < len(cmd) {
			v = strings.TrimPrefix(cmd[i+1], ":")
		}
		var port int
		if _, err := fmt.Sscan(v, &port); err == nil && port > 0 {
			return port, true
		}
	}
	return 0, false
}

func TestListenFlag(t *testing.T) {
	for _, tc := range []struct {
		cmd  []string
		port int
	}{
		{[]string{"--port", "8080"}, 8080},
		{[]string{"--port=9000"}, 9000},
		{[]string{"-listen=:8080", "-text=hi"}, 8080},
		{[]string{"--web.listen-address=:9101"}, 9101},
		{[]string{"-text=hello"}, 0},
	} {
		if got, _ := listenFlag(tc.cmd); got != tc.port {
			t.Errorf("%v: port %d, want %d", tc.cmd, got, tc.port)
		}
	}
}
