package examples

// The CloudWatch agent as the consumer of the rendered templates.
//
// These tests read what CloudFormation would create (the task definitions'
// container definitions, the agent and Prometheus configurations held in the
// SSM parameters, the log groups and the task role) and apply to it the
// rules the agent follows at run time, written here from its source
// (github.com/aws/amazon-cloudwatch-agent v1.300045.0):
//
//   - ECS discovery (internal/ecsservicediscovery) lists every task of the
//     cluster (taskprocessor.go: ListTasks for the cluster) and keeps the
//     containers of those tasks whose task definition matches: a container
//     carrying the sd_port_label docker label, or a task_definition_list
//     entry (task definition ARN regex, container name regex, ports). In
//     awsvpc mode the port is looked up in that same container's own
//     portMappings (decoratedtask.go, getPrometheusExporterPort); a
//     container that does not map it gives no target. Each target gets the
//     labels container_name, TaskDefinitionFamily, TaskRevision, TaskGroup,
//     StartedBy, LaunchType, TaskClusterName, TaskId, the container's docker
//     labels whose names are Prometheus label names, and job; ServiceName
//     only through service_name_list_for_tasks, which composex never uses.
//   - Static targets are Prometheus' own: job (the job name or a job label)
//     and instance (the address), plus the labels written beside them.
//   - The agent's metrics handler (plugins/inputs/prometheus) adds
//     ClusterName and drops every metric that is not a gauge, counter or
//     summary (metrics_filter.go): untyped and histogram metrics never
//     reach EMF.
//   - The EMF exporter keeps a metric for a declaration when the values of
//     source_labels, joined by ";", match label_matcher and a
//     metric_selector matches the name; a dimension set naming a label the
//     metric does not have is dropped.
//
// The exporters' metric names come from real output kept in
// testdata/metrics (see its README for where each file came from).

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// ---- the deployed cluster, as the agent sees it ---------------------------

type sdContainer struct {
	Name    string
	Ports   map[int]int // container port → host port (awsvpc: the same)
	Labels  map[string]string
	Command []string
}

type sdTask struct {
	Stack, Family, Logical string
	TaskDefArn, TaskArn    string
	Revision               int
	Containers             []sdContainer
	// AgentConfig and ScrapeConfig are the family's configurations, as the
	// SSM parameters hold them for this stack ("" when there is no agent).
	AgentConfig  map[string]any
	ScrapeConfig string
}

func (t sdTask) container(name string) *sdContainer {
	for i := range t.Containers {
		if t.Containers[i].Name == name {
			return &t.Containers[i]
		}
	}
	return nil
}

const (
	sdRegion  = "eu-west-1"
	sdAccount = "123456789012"
	sdCluster = "shared"
)

// resolveSub resolves a template value for a stack: a plain string, or a
// Fn::Sub string whose only reference is the stack name.
func resolveSub(t *testing.T, v any, stack string) string {
	t.Helper()
	if s, ok := v.(string); ok {
		return s
	}
	sub, ok := dig(v, "Fn::Sub").(string)
	if !ok {
		t.Fatalf("not a string or a Fn::Sub string: %v", v)
	}
	s := strings.ReplaceAll(sub, "${AWS::StackName}", stack)
	if strings.Contains(strings.ReplaceAll(s, "${!", ""), "${") {
		t.Fatalf("a reference other than the stack name is left in %q", s)
	}
	return strings.ReplaceAll(s, "${!", "${")
}

// deployTasks runs `replicas` tasks of every family of a project's template
// in stack `stack` of the cluster.
func deployTasks(t *testing.T, p *project, stack string, replicas int) []sdTask {
	t.Helper()
	res := templateResources(t, p)
	var out []sdTask
	for _, id := range slices.Sorted(maps.Keys(res)) {
		r := res[id]
		if r["Type"] != "AWS::ECS::TaskDefinition" {
			continue
		}
		logical := strings.TrimSuffix(id, "TaskDefinition")
		family := resolveSub(t, dig(r, "Properties", "Family"), stack)
		var cs []sdContainer
		defs, _ := dig(r, "Properties", "ContainerDefinitions").([]any)
		for _, d := range defs {
			c := sdContainer{Name: dig(d, "Name").(string), Ports: map[int]int{}, Labels: map[string]string{}}
			pms, _ := dig(d, "PortMappings").([]any)
			for _, pm := range pms {
				if proto, _ := dig(pm, "Protocol").(string); proto != "" && proto != "tcp" {
					continue
				}
				port := dig(pm, "ContainerPort").(int)
				host := port // ECS sets hostPort = containerPort in awsvpc mode
				if h, ok := dig(pm, "HostPort").(int); ok {
					host = h
				}
				c.Ports[port] = host
			}
			labels, _ := dig(d, "DockerLabels").(map[string]any)
			for k, v := range labels {
				c.Labels[k] = fmt.Sprint(v)
			}
			cmd, _ := dig(d, "Command").([]any)
			for _, a := range cmd {
				c.Command = append(c.Command, fmt.Sprint(a))
			}
			cs = append(cs, c)
		}
		var agent map[string]any
		scrape := ""
		if a, ok := res[logical+"CloudWatchAgentConfig"]; ok {
			body := resolveSub(t, dig(a, "Properties", "Value"), stack)
			if err := json.Unmarshal([]byte(body), &agent); err != nil {
				t.Fatalf("%s: agent configuration: %v", id, err)
			}
		}
		if s, ok := res[logical+"PrometheusConfig"]; ok {
			scrape = resolveSub(t, dig(s, "Properties", "Value"), stack)
		}
		for i := 1; i <= replicas; i++ {
			taskID := fmt.Sprintf("%s%s%d", stack, strings.ToLower(logical), i)
			out = append(out, sdTask{
				Stack: stack, Family: family, Logical: logical, Revision: 1,
				TaskDefArn: fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:1", sdRegion, sdAccount, family),
				TaskArn:    fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/%s", sdRegion, sdAccount, sdCluster, taskID),
				Containers: cs, AgentConfig: agent, ScrapeConfig: scrape,
			})
		}
	}
	return out
}

// ---- what one agent scrapes -------------------------------------------------

type sdTarget struct {
	Task      sdTask // the task whose container serves the metrics
	Container string
	Port      int
	Path      string
	Labels    map[string]string
}

func (g sdTarget) String() string {
	return fmt.Sprintf("%s/%s:%d%s", g.Task.TaskArn[strings.LastIndex(g.Task.TaskArn, "/")+1:], g.Container, g.Port, g.Path)
}

var promLabelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// discoveryLabels are the labels the agent's discovery gives a target.
func discoveryLabels(task sdTask, c sdContainer, job, path string) map[string]string {
	l := map[string]string{
		"container_name": c.Name, "TaskDefinitionFamily": task.Family, "TaskRevision": strconv.Itoa(task.Revision),
		"TaskGroup": "service:" + task.Family, "StartedBy": "ecs-svc/1234567890", "LaunchType": "FARGATE",
		"TaskClusterName": sdCluster, "TaskId": task.TaskArn[strings.LastIndex(task.TaskArn, "/")+1:],
	}
	if path != "" {
		l["__metrics_path__"] = path
	}
	for k, v := range c.Labels {
		if promLabelName.MatchString(k) {
			l[k] = v
		}
	}
	if job != "" {
		l["job"] = job
	}
	return l
}

// discover applies the agent's ECS discovery (an ecs_service_discovery
// section) to every task of the cluster.
func discover(t *testing.T, sd map[string]any, cluster []sdTask) []sdTarget {
	t.Helper()
	var out []sdTarget
	seen := map[string]bool{}
	add := func(g sdTarget) {
		key := fmt.Sprintf("%s:%d%s", g.Task.TaskArn, g.Port, g.Path)
		if !seen[key] {
			seen[key] = true
			out = append(out, g)
		}
	}
	for _, task := range cluster {
		for _, c := range task.Containers {
			if dl, ok := sd["docker_label"].(map[string]any); ok {
				if v, ok := c.Labels[dl["sd_port_label"].(string)]; ok {
					port, err := strconv.Atoi(v)
					// The labelled container's own portMappings, nothing else.
					if _, mapped := c.Ports[port]; err == nil && mapped {
						path, pathLabel := "/metrics", ""
						if p, ok := c.Labels[fmt.Sprint(dl["sd_metrics_path_label"])]; ok {
							path, pathLabel = p, p
						}
						g := sdTarget{Task: task, Container: c.Name, Port: port, Path: path}
						g.Labels = discoveryLabels(task, c, c.Labels[fmt.Sprint(dl["sd_job_name_label"])], pathLabel)
						add(g)
					}
				}
			}
			list, _ := sd["task_definition_list"].([]any)
			for _, item := range list {
				if !regexp.MustCompile(fmt.Sprint(dig(item, "sd_task_definition_arn_pattern"))).MatchString(task.TaskDefArn) {
					continue
				}
				if p, _ := dig(item, "sd_container_name_pattern").(string); p != "" && !regexp.MustCompile(p).MatchString(c.Name) {
					continue
				}
				for _, ps := range strings.Split(fmt.Sprint(dig(item, "sd_metrics_ports")), ";") {
					port, err := strconv.Atoi(strings.TrimSpace(ps))
					if _, mapped := c.Ports[port]; err != nil || !mapped {
						continue
					}
					path, _ := dig(item, "sd_metrics_path").(string)
					g := sdTarget{Task: task, Container: c.Name, Port: port, Path: orDefault(path, "/metrics")}
					g.Labels = discoveryLabels(task, c, fmt.Sprint(dig(item, "sd_job_name")), path)
					add(g)
				}
			}
		}
	}
	return out
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

type promConfig struct {
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string          `yaml:"targets"`
			Labels  map[string]string `yaml:"labels"`
		} `yaml:"static_configs"`
		FileSDConfigs []struct {
			Files []string `yaml:"files"`
		} `yaml:"file_sd_configs"`
	} `yaml:"scrape_configs"`
}

// scrapeTargets is what the agent running in task `own` scrapes, with the
// labels each target's metrics carry (the agent's ClusterName included).
func scrapeTargets(t *testing.T, own sdTask, cluster []sdTask) []sdTarget {
	t.Helper()
	var cfg promConfig
	if err := yaml.Unmarshal([]byte(own.ScrapeConfig), &cfg); err != nil {
		t.Fatalf("%s: Prometheus configuration: %v", own.Family, err)
	}
	prom, _ := dig(own.AgentConfig, "logs", "metrics_collected", "prometheus").(map[string]any)
	sd, _ := prom["ecs_service_discovery"].(map[string]any)
	var out []sdTarget
	for _, job := range cfg.ScrapeConfigs {
		for _, sc := range job.StaticConfigs {
			for _, addr := range sc.Targets {
				host, port, _ := strings.Cut(addr, ":")
				n, err := strconv.Atoi(port)
				if err != nil || (host != "localhost" && host != "127.0.0.1") {
					t.Errorf("%s: static target %q is not a port of the agent's own task", own.Family, addr)
					continue
				}
				l := map[string]string{"job": job.JobName, "instance": addr}
				for k, v := range sc.Labels {
					l[k] = v
				}
				out = append(out, sdTarget{Task: own, Container: l["container_name"], Port: n, Path: orDefault(job.MetricsPath, "/metrics"), Labels: l})
			}
		}
		for _, fs := range job.FileSDConfigs {
			if sd == nil || !slices.Contains(fs.Files, fmt.Sprint(sd["sd_result_file"])) {
				continue
			}
			for _, g := range discover(t, sd, cluster) {
				l := map[string]string{"instance": fmt.Sprintf("10.0.0.1:%d", g.Port)}
				for k, v := range g.Labels {
					if !strings.HasPrefix(k, "__") {
						l[k] = v
					}
				}
				if l["job"] == "" {
					l["job"] = job.JobName
				}
				g.Labels = l
				out = append(out, g)
			}
		}
	}
	for _, g := range out {
		g.Labels["ClusterName"] = sdCluster
	}
	return out
}

// ---- the exporters' real output ----------------------------------------------

type sampleMetric struct {
	Name, Type string
	Labels     map[string]bool
}

// readSample reads Prometheus text exposition (# TYPE lines and samples) or
// a jmx_exporter assertion file ("match TYPE name{labels} value").
func readSample(t *testing.T, file string) []sampleMetric {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "metrics", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	types := map[string]string{}
	var out []sampleMetric
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		typ := ""
		switch {
		case strings.HasPrefix(line, "# TYPE "):
			fields := strings.Fields(line)
			types[fields[2]] = fields[3]
			continue
		case strings.HasPrefix(line, "match "):
			fields := strings.SplitN(line, " ", 3)
			typ, line = strings.ToLower(fields[1]), fields[2]
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		m := sampleMetric{Name: name, Type: typ, Labels: map[string]bool{}}
		if strings.HasPrefix(rest, "{") {
			for _, kv := range regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="`).FindAllStringSubmatch(rest[:strings.LastIndex(rest, "}")], -1) {
				m.Labels[kv[1]] = true
			}
		}
		if m.Type == "" {
			m.Type = familyType(types, name)
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no metrics", file)
	}
	return out
}

// familyType finds a sample's type the way the agent's type handler does:
// by its name, or by its family name without _count, _sum, _bucket, _total.
func familyType(types map[string]string, name string) string {
	if typ, ok := types[name]; ok {
		return typ
	}
	for _, s := range []string{"_count", "_sum", "_bucket", "_total"} {
		if typ, ok := types[strings.TrimSuffix(name, s)]; ok && strings.HasSuffix(name, s) {
			return typ
		}
	}
	return "untyped"
}

// keptByAgent: the agent's metrics filter passes gauges, counters and
// summaries only.
func keptByAgent(typ string) bool { return typ == "gauge" || typ == "counter" || typ == "summary" }

// samples are the real outputs of each kind of exporter composex writes
// EMF rules for, each with the metrics that must become CloudWatch metrics.
var samples = map[string][]struct {
	file string
	want []string
}{
	"nginx": {{"nginx-prometheus-exporter-1.3.0.prom", []string{"nginx_connections_accepted", "nginx_connections_active", "nginx_connections_handled",
		"nginx_connections_reading", "nginx_connections_waiting", "nginx_connections_writing", "nginx_http_requests_total", "nginx_up"}}},
	"jmx": {
		{"jmx_exporter-0.16.1-jvm.prom", []string{"jvm_threads_current", "jvm_threads_daemon", "jvm_classes_loaded", "jvm_memory_bytes_used",
			"jvm_memory_pool_bytes_used", "jvm_gc_collection_seconds_count", "jvm_gc_collection_seconds_sum"}},
		{"jmx_exporter-0.20.0-jvm.prom", []string{"jvm_threads_current", "jvm_threads_daemon", "jvm_classes_currently_loaded", "jvm_memory_bytes_used",
			"jvm_memory_pool_bytes_used", "jvm_gc_collection_seconds_count", "jvm_gc_collection_seconds_sum"}},
		{"jmx_exporter-1.x-assertions.txt", []string{"jvm_threads_current", "jvm_threads_daemon", "jvm_classes_currently_loaded", "jvm_memory_used_bytes",
			"jvm_memory_pool_used_bytes"}},
	},
}

// ---- EMF ------------------------------------------------------------------------

type emfDeclaration struct {
	SourceLabels    []string   `json:"source_labels" yaml:"source_labels"`
	LabelMatcher    string     `json:"label_matcher" yaml:"label_matcher"`
	Dimensions      [][]string `json:"dimensions" yaml:"dimensions"`
	MetricSelectors []string   `json:"metric_selectors" yaml:"metric_selectors"`
}

func emfDeclarations(t *testing.T, agent map[string]any) []emfDeclaration {
	t.Helper()
	raw, _ := json.Marshal(dig(agent, "logs", "metrics_collected", "prometheus", "emf_processor", "metric_declaration"))
	var out []emfDeclaration
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// matches says whether a declaration applies to a target's metrics.
func (d emfDeclaration) matches(labels map[string]string) bool {
	var vals []string
	for _, l := range d.SourceLabels {
		vals = append(vals, labels[l])
	}
	return regexp.MustCompile(d.LabelMatcher).MatchString(strings.Join(vals, ";"))
}

func (d emfDeclaration) selects(name string) bool {
	for _, s := range d.MetricSelectors {
		if regexp.MustCompile(s).MatchString(name) {
			return true
		}
	}
	return false
}

// userSelectors are the metric selectors the compose file's CustomRules
// write: those declarations are the user's, tested for what composex can
// know about them (their dimensions), not against an exporter's output.
func userSelectors(t *testing.T, p *project) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, f := range p.files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Services map[string]struct {
				XPrometheus struct {
					ContainersInsights struct {
						CustomRules []struct {
							EmfProcessors []emfDeclaration `yaml:"EmfProcessors"`
						} `yaml:"CustomRules"`
					} `yaml:"ContainersInsights"`
				} `yaml:"x-prometheus"`
			} `yaml:"services"`
		}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		for _, s := range doc.Services {
			for _, r := range s.XPrometheus.ContainersInsights.CustomRules {
				for _, d := range r.EmfProcessors {
					out[strings.Join(d.MetricSelectors, "\n")] = true
				}
			}
		}
	}
	return out
}

// discoveryOnly are the labels that only the agent's ECS discovery can give
// a target (decoratedtask.go), ServiceName only through service names.
var discoveryOnly = []string{"ServiceName", "TaskRevision", "TaskGroup", "StartedBy", "LaunchType", "TaskClusterName", "TaskId", "InstanceType", "VpcId", "SubnetId", "container_name", "TaskDefinitionFamily"}

// ---- the table ------------------------------------------------------------------

// agentExporter is an exporter a compose file asks the family's agent to
// scrape: the container that serves it, its port and what it is.
type agentExporter struct {
	family, container string
	port              int
	kind              string // "nginx", "jmx" (samples above), or "" for the user's own
}

var agentCases = []struct {
	project   string // example folder, or fixture folder under shared/fixtures
	exporters []agentExporter
}{
	{"prometheus-blog", []agentExporter{
		{"connect", "connect", 1234, "jmx"}, {"kafdrop", "kafdrop", 1234, "jmx"}, {"nginx", "nginx-prometheus-exporter", 9113, "nginx"}}},
	{"seed-prometheus-blog", []agentExporter{
		{"connect", "connect", 1234, "jmx"}, {"kafdrop", "kafdrop", 1234, "jmx"}, {"nginx", "nginx-prometheus-exporter", 9113, "nginx"}}},
	{"prometheus-nginx", []agentExporter{{"web", "nginx-prometheus-exporter", 9113, "nginx"}}},
	{"prometheus-jmx", []agentExporter{{"orders", "orders", 9404, "jmx"}}},
	{"prometheus-custom-rules", []agentExporter{{"node", "node", 9100, ""}}},
	{"prometheus-high-resolution", []agentExporter{{"web", "nginx-prometheus-exporter", 9113, "nginx"}}},
}

// agentProject renders an example or a shared fixture of that name.
func agentProject(t *testing.T, name string) *project {
	t.Helper()
	if fileExists(filepath.Join(name, composeFile)) {
		return renderProject(t, name, filepath.Join(name, composeFile))
	}
	f := filepath.Join(requireShared(t), "fixtures", name, composeFile)
	if !fileExists(f) {
		t.Fatalf("no example or fixture %s", name)
	}
	return renderProject(t, name, f)
}

// TestAgentScrapesItsOwnTask: two stacks of one project (staging and prod)
// in one cluster, two tasks of each family in each: every agent scrapes
// exactly the exporters of its own task that the compose file declares,
// once, and nothing of another task or stack.
func TestAgentScrapesItsOwnTask(t *testing.T) {
	for _, tc := range agentCases {
		t.Run(tc.project, func(t *testing.T) {
			p := agentProject(t, tc.project)
			cluster := append(deployTasks(t, p, "staging", 2), deployTasks(t, p, "prod", 2)...)
			for _, own := range cluster {
				if own.AgentConfig == nil || own.ScrapeConfig == "" {
					continue
				}
				var want, got []string
				for _, e := range tc.exporters {
					if own.Family == own.Stack+"-"+e.family {
						want = append(want, fmt.Sprintf("%s:%d", e.container, e.port))
					}
				}
				for _, g := range scrapeTargets(t, own, cluster) {
					if g.Task.TaskArn != own.TaskArn {
						t.Errorf("the agent of %s scrapes %s of another task", own.TaskArn, g)
						continue
					}
					got = append(got, fmt.Sprintf("%s:%d", g.Container, g.Port))
					// Containers of a task share one interface: the port must be
					// one the task declares, served by the named container.
					if own.container(g.Container) == nil {
						t.Errorf("%s: target %s names container %q, which the task does not have", own.Family, g, g.Container)
					}
					declared := false
					for _, c := range own.Containers {
						_, ok := c.Ports[g.Port]
						declared = declared || ok
					}
					if !declared {
						t.Errorf("%s: no container of the task maps port %d of target %s", own.Family, g.Port, g)
					}
				}
				sort.Strings(want)
				sort.Strings(got)
				if !slices.Equal(got, want) {
					t.Errorf("the agent of %s scrapes %v; the compose file declares %v", own.TaskArn, got, want)
				}
			}
		})
	}
}

// TestClusterWideAgentIgnoresComposexTasks: an AWS-documented cluster-wide
// agent (docker-label discovery on ECS_PROMETHEUS_EXPORTER_PORT) in the same
// cluster finds nothing of composex's tasks, so no metric is collected
// twice.
func TestClusterWideAgentIgnoresComposexTasks(t *testing.T) {
	sd := map[string]any{"sd_result_file": "/tmp/cwagent_ecs_auto_sd.yaml", "docker_label": map[string]any{
		"sd_port_label": "ECS_PROMETHEUS_EXPORTER_PORT", "sd_job_name_label": "job", "sd_metrics_path_label": "ECS_PROMETHEUS_METRICS_PATH"}}
	for _, p := range append(renderExamples(t), renderFixtures(t)...) {
		t.Run(p.name, func(t *testing.T) {
			for _, g := range discover(t, sd, deployTasks(t, p, "prod", 1)) {
				t.Errorf("a cluster-wide agent would also collect %s", g)
			}
		})
	}
}

// TestEMFRulesMatchTargets: every dimension set of every EMF declaration
// that applies to a target names labels that target's metrics really have,
// every selector of composex's own rules matches a metric the exporter
// emits, and the metrics that matter (the JVM's memory, pools, classes,
// threads and GC, in jmx_exporter 0.x and 1.x; nginx's) become CloudWatch
// metrics.
func TestEMFRulesMatchTargets(t *testing.T) {
	for _, tc := range agentCases {
		t.Run(tc.project, func(t *testing.T) {
			p := agentProject(t, tc.project)
			user := userSelectors(t, p)
			cluster := deployTasks(t, p, "prod", 1)
			for _, own := range cluster {
				if own.AgentConfig == nil || own.ScrapeConfig == "" {
					continue
				}
				decls := emfDeclarations(t, own.AgentConfig)
				for _, g := range scrapeTargets(t, own, cluster) {
					kind := ""
					for _, e := range tc.exporters {
						if own.Family == "prod-"+e.family && e.container == g.Container && e.port == g.Port {
							kind = e.kind
						}
					}
					checkTargetRules(t, own.Family, g, kind, decls, user)
				}
			}
		})
	}
}

func checkTargetRules(t *testing.T, family string, g sdTarget, kind string, decls []emfDeclaration, user map[string]bool) {
	t.Helper()
	var mine, users []emfDeclaration
	for _, d := range decls {
		if !d.matches(g.Labels) {
			continue
		}
		if user[strings.Join(d.MetricSelectors, "\n")] {
			users = append(users, d)
		} else {
			mine = append(mine, d)
		}
	}
	// A user's rule: only the labels discovery would attach can be judged.
	for _, d := range append(users, mine...) {
		for _, set := range d.Dimensions {
			for _, dim := range set {
				if _, ok := g.Labels[dim]; !ok && slices.Contains(discoveryOnly, dim) {
					t.Errorf("%s: target %s has no label %s (it has %v): the dimension set %v of %v is dropped", family, g, dim, sortedKeys(g.Labels), set, d.MetricSelectors)
				}
			}
		}
	}
	if kind == "" {
		return
	}
	if len(mine) == 0 {
		t.Errorf("%s: no composex EMF declaration applies to the %s exporter %s (labels %v)", family, kind, g, g.Labels)
		return
	}
	matched := map[string]bool{}
	for _, s := range samples[kind] {
		cloudwatch := map[string]bool{}
		for _, m := range readSample(t, s.file) {
			for _, d := range mine {
				if !d.selects(m.Name) {
					continue
				}
				for _, sel := range d.MetricSelectors {
					if regexp.MustCompile(sel).MatchString(m.Name) {
						matched[sel] = true
					}
				}
				complete := len(d.Dimensions) > 0
				for _, set := range d.Dimensions {
					for _, dim := range set {
						if _, ok := g.Labels[dim]; !ok && !m.Labels[dim] {
							complete = false
							t.Errorf("%s: %s metric %s (%s) lacks the dimension %s of %v: neither the target (%v) nor the metric has it", family, kind, m.Name, s.file, dim, set, sortedKeys(g.Labels))
						}
					}
				}
				if complete && keptByAgent(m.Type) {
					cloudwatch[m.Name] = true
				}
			}
		}
		for _, w := range s.want {
			if !cloudwatch[w] {
				t.Errorf("%s: %s (%s) never becomes a CloudWatch metric: no declaration for target %s selects it with complete dimensions", family, w, s.file, g)
			}
		}
	}
	for _, d := range mine {
		for _, sel := range d.MetricSelectors {
			if !matched[sel] {
				t.Errorf("%s: selector %s matches no metric the %s exporter emits (testdata/metrics)", family, sel, kind)
			}
		}
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestPrometheusLogGroupInStack: the log group the agent writes a family's
// Prometheus metrics to is created by the stack, with retention, named
// after the stack (two stacks in one cluster never share it), and it is the
// only group the task role may write those metrics to.
func TestPrometheusLogGroupInStack(t *testing.T) {
	for _, tc := range agentCases {
		t.Run(tc.project, func(t *testing.T) {
			p := agentProject(t, tc.project)
			res := templateResources(t, p)
			names := map[string][]string{}
			for _, stack := range []string{"staging", "prod"} {
				for _, task := range deployTasks(t, p, stack, 1) {
					if task.ScrapeConfig == "" {
						continue
					}
					group, _ := dig(task.AgentConfig, "logs", "metrics_collected", "prometheus", "log_group_name").(string)
					if group == "" {
						t.Errorf("%s: the agent has no log_group_name, so it creates /aws/ecs/containerinsights/<cluster>/prometheus itself, outside the stack, without retention", task.Family)
						continue
					}
					names[task.Logical] = append(names[task.Logical], group)
					id := ""
					for rid, r := range res {
						if r["Type"] == "AWS::Logs::LogGroup" && resolveSub(t, dig(r, "Properties", "LogGroupName"), stack) == group {
							id = rid
							if _, ok := dig(r, "Properties", "RetentionInDays").(int); !ok {
								t.Errorf("%s: log group %s has no retention", task.Family, group)
							}
						}
					}
					if id == "" {
						t.Errorf("%s: the stack does not create the agent's log group %s", task.Family, group)
						continue
					}
					policies, _ := dig(res[task.Logical+"TaskRole"], "Properties", "Policies").([]any)
					raw, _ := json.Marshal(policies)
					if !strings.Contains(string(raw), `"${`+id+`.Arn}"`) || strings.Contains(string(raw), "logs:CreateLogGroup") {
						t.Errorf("%s: the task role must write to %s (%s) and create no group: %s", task.Family, group, id, raw)
					}
				}
			}
			for logical, gs := range names {
				if len(gs) != 2 || gs[0] == gs[1] {
					t.Errorf("%s: staging and prod write to %v; each stack needs its own group", logical, gs)
				}
			}
		})
	}
}

// TestDiscoveryStaysInStack: a user's Prometheus configuration that reads
// the agent's discovery results gets ECS discovery (with a warning, since
// every agent then scrapes every task of its family). That discovery still
// finds each declared exporter, on a container that maps its port (the
// nginx exporter's port is mapped by nginx; the JMX port nobody declared is
// added), and never a task of another family or of another stack of the
// same project in the same cluster.
func TestDiscoveryStaysInStack(t *testing.T) {
	dir := filepath.Join("testdata", "agent-discovery")
	p := renderProject(t, "agent-discovery", filepath.Join(dir, composeFile))
	cluster := append(deployTasks(t, p, "staging", 2), deployTasks(t, p, "prod", 2)...)
	want := map[string][]string{"Web": {"web:9113", "web:9113"}, "Api": {"api:9404", "api:9404"}}
	for _, own := range cluster {
		if own.ScrapeConfig == "" {
			continue
		}
		var got []string
		for _, g := range scrapeTargets(t, own, cluster) {
			if g.Task.Stack != own.Stack || g.Task.Family != own.Family {
				t.Errorf("the agent of %s (%s) discovers %s of %s", own.TaskArn, own.Family, g, g.Task.Family)
				continue
			}
			if _, ok := g.Task.container(g.Container).Ports[g.Port]; !ok {
				t.Errorf("%s: discovered on a container that does not map the port", g)
			}
			got = append(got, fmt.Sprintf("%s:%d", g.Container, g.Port))
		}
		if !slices.Equal(got, want[own.Logical]) {
			t.Errorf("the agent of %s discovers %v; want %v (its family's exporters in the stack's two tasks)", own.TaskArn, got, want[own.Logical])
		}
	}
}
