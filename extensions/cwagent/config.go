package cwagent

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/render"
)

// The CloudWatch agent configuration, as typed structs so that a misspelled
// key cannot ship; tests validate the output against the agent's schema.
type agentConfig struct {
	Agent  *agentSection  `json:"agent,omitempty"`
	Logs   *logsSection   `json:"logs,omitempty"`
	Traces *tracesSection `json:"traces,omitempty"`
}

type agentSection struct {
	Debug bool `json:"debug"`
}

type logsSection struct {
	MetricsCollected   metricsCollected `json:"metrics_collected"`
	ForceFlushInterval int              `json:"force_flush_interval"`
}

type metricsCollected struct {
	EMF        *struct{}          `json:"emf,omitempty"`
	Prometheus *prometheusSection `json:"prometheus,omitempty"`
}

type prometheusSection struct {
	PrometheusConfigPath string               `json:"prometheus_config_path"`
	LogGroupName         string               `json:"log_group_name"`
	ServiceDiscovery     *ecsServiceDiscovery `json:"ecs_service_discovery,omitempty"`
	EMFProcessor         emfProcessor         `json:"emf_processor"`
}

type ecsServiceDiscovery struct {
	Frequency          string               `json:"sd_frequency"`
	ResultFile         string               `json:"sd_result_file"`
	TaskDefinitionList []taskDefinitionItem `json:"task_definition_list"`
}

type taskDefinitionItem struct {
	JobName              string `json:"sd_job_name"`
	MetricsPorts         string `json:"sd_metrics_ports"`
	MetricsPath          string `json:"sd_metrics_path"`
	TaskDefinitionArn    string `json:"sd_task_definition_arn_pattern"`
	ContainerNamePattern string `json:"sd_container_name_pattern"`
}

type emfProcessor struct {
	Dedup        bool             `json:"metric_declaration_dedup"`
	Namespace    string           `json:"metric_namespace"`
	Declarations []render.EMFRule `json:"metric_declaration"`
}

type tracesSection struct {
	TracesCollected tracesCollected `json:"traces_collected"`
}

type tracesCollected struct {
	XRay *xraySection `json:"xray,omitempty"`
	OTLP *otlpSection `json:"otlp,omitempty"`
}

type xraySection struct {
	BindAddress string `json:"bind_address"`
}

type otlpSection struct {
	GRPC string `json:"grpc_endpoint"`
	HTTP string `json:"http_endpoint"`
}

// Where the agent's ECS discovery writes the targets it found; only a
// user's own Prometheus configuration that reads this file turns it on.
const sdResultFile = "/tmp/cwagent_ecs_auto_sd.yaml"

// Placeholders replaced by ${...} references after user text was escaped.
const stackPlaceholder = "@@COMPOSEX_STACK@@"

// How a sidecar agent finds its exporters.
//
// The agent's ECS discovery (internal/ecsservicediscovery of the agent)
// lists every task of the cluster and keeps those whose task definition
// matches (docker label, task definition ARN pattern or service name): no
// filter narrows it to the agent's own task, so the agent of each of N
// tasks would scrape all N, multiplying Sum and SampleCount by N. On
// Fargate the containers of a task share one network namespace, so the
// sidecar scrapes its own task at localhost instead, with static targets
// that carry the labels discovery would have attached and the EMF rules
// use (container_name, TaskDefinitionFamily; the agent adds ClusterName,
// Prometheus adds job and instance). No docker label is written: a
// cluster-wide agent that discovers ECS_PROMETHEUS_EXPORTER_PORT (the AWS
// default) does not collect these targets a second time.
//
// Only a user's own Prometheus configuration that reads sdResultFile gets
// ECS discovery, by task definition ARN: the family's task definition,
// which is named after the stack, so that two stacks of one project in one
// cluster never find each other's tasks. composex warns that such an agent
// scrapes every task of its family.
func usesDiscovery(p *render.PrometheusScrape) bool {
	return p.ConfigFile != "" && strings.Contains(p.ConfigFile, sdResultFile) && len(p.Exporters) > 0
}

// TaskFamily is the task definition family of a family, as the template
// names it (the stack name resolved by Fn::Sub).
func taskFamily(f *render.Family) string {
	return stackPlaceholder + "-" + render.ResourceName(f.Name)
}

// prometheusLogGroupName is where the agent writes a family's Prometheus
// metrics (its log_group_name), beside the family's other groups
// (/ecs/<stack>/<family> for logs, .../metrics for EMF). The agent's own
// default, /aws/ecs/containerinsights/<cluster>/prometheus, is one group per
// cluster: every stack of the cluster would claim it, and the first one
// deleted would take the others' metrics log with it.
func prometheusLogGroupName(f *render.Family) string {
	return "/ecs/${AWS::StackName}/" + render.ResourceName(f.Name) + "/prometheus"
}

// buildConfig builds the agent configuration for a family.
func buildConfig(f *render.Family, a *render.CloudWatchAgent) agentConfig {
	cfg := agentConfig{}
	if a.Debug {
		cfg.Agent = &agentSection{Debug: true}
	}
	if a.CollectEMF || a.Prometheus != nil {
		cfg.Logs = &logsSection{ForceFlushInterval: flushSeconds(a.Prometheus)}
	}
	if a.CollectEMF {
		cfg.Logs.MetricsCollected.EMF = &struct{}{}
	}
	if p := a.Prometheus; p != nil {
		var sd *ecsServiceDiscovery
		if usesDiscovery(p) {
			sd = &ecsServiceDiscovery{Frequency: "1m", ResultFile: sdResultFile, TaskDefinitionList: []taskDefinitionItem{}}
			for _, e := range p.Exporters {
				sd.TaskDefinitionList = append(sd.TaskDefinitionList, taskDefinitionItem{
					JobName:              e.Job,
					MetricsPorts:         strconv.Itoa(e.Port),
					MetricsPath:          e.Path,
					TaskDefinitionArn:    ".*:task-definition/" + taskFamily(f) + ":[0-9]+$",
					ContainerNamePattern: "^" + regexpQuote(portOwner(f, e)) + "$",
				})
			}
		}
		rules := p.Rules
		if rules == nil {
			rules = []render.EMFRule{}
		}
		cfg.Logs.MetricsCollected.Prometheus = &prometheusSection{
			PrometheusConfigPath: "env:PROMETHEUS_CONFIG_CONTENT",
			LogGroupName:         strings.ReplaceAll(prometheusLogGroupName(f), "${AWS::StackName}", stackPlaceholder),
			ServiceDiscovery:     sd,
			EMFProcessor:         emfProcessor{Dedup: true, Namespace: render.PrometheusNamespace, Declarations: rules},
		}
	}
	if a.CollectTraces {
		cfg.Traces = &tracesSection{TracesCollected: tracesCollected{
			XRay: &xraySection{BindAddress: "0.0.0.0:2000"},
			OTLP: &otlpSection{GRPC: "0.0.0.0:4317", HTTP: "0.0.0.0:4318"},
		}}
	}
	return cfg
}

// portOwner is the container whose port mappings declare the exporter's
// port: the agent's discovery reads the port from that container's own
// portMappings (a target whose container does not map it is skipped).
// The exporter's own container comes first.
func portOwner(f *render.Family, e render.PrometheusExporter) string {
	if c := f.Container(e.Container); c != nil && mapsPort(c, e.Port) {
		return c.Name
	}
	for _, c := range f.Containers {
		if mapsPort(c, e.Port) {
			return c.Name
		}
	}
	return e.Container
}

func mapsPort(c *render.Container, port int) bool {
	for _, p := range c.Ports {
		if p.ContainerPort == port && p.Protocol == "tcp" {
			return true
		}
	}
	return false
}

func regexpQuote(s string) string {
	r := strings.NewReplacer(".", `\.`, "-", `\-`, "+", `\+`, "*", `\*`, "?", `\?`, "(", `\(`, ")", `\)`, "[", `\[`, "]", `\]`, "{", `\{`, "}", `\}`, "^", `\^`, "$", `\$`, "|", `\|`)
	return r.Replace(s)
}

// scrapeConfig is the Prometheus configuration the agent runs: the user's
// file, or one job per exporter of the task, scraped at localhost.
type scrapeConfig struct {
	Global        scrapeGlobal `yaml:"global"`
	ScrapeConfigs []scrapeJob  `yaml:"scrape_configs"`
}

type scrapeGlobal struct {
	ScrapeInterval string `yaml:"scrape_interval"`
	ScrapeTimeout  string `yaml:"scrape_timeout"`
}

type scrapeJob struct {
	JobName string `yaml:"job_name"`
	// A service's own interval and timeout, when they differ from the
	// global ones (Prometheus: a job's settings override global).
	ScrapeInterval string         `yaml:"scrape_interval,omitempty"`
	ScrapeTimeout  string         `yaml:"scrape_timeout,omitempty"`
	SampleLimit    int            `yaml:"sample_limit"`
	MetricsPath    string         `yaml:"metrics_path"`
	StaticConfigs  []staticConfig `yaml:"static_configs"`
}

type staticConfig struct {
	Targets []string          `yaml:"targets"`
	Labels  map[string]string `yaml:"labels"`
}

func buildScrapeConfig(f *render.Family, p *render.PrometheusScrape) (string, error) {
	if p.ConfigFile != "" {
		return p.ConfigFile, nil
	}
	global := scrapeGlobal{ScrapeInterval: orDefault(p.Interval, "1m"), ScrapeTimeout: orDefault(p.Timeout, defaultTimeout(p.Interval))}
	cfg := scrapeConfig{Global: global, ScrapeConfigs: []scrapeJob{}}
	used := map[string]bool{}
	for _, e := range p.Exporters {
		labels := map[string]string{"container_name": e.Container, "TaskDefinitionFamily": taskFamily(f)}
		if e.StorageResolution == 1 {
			// The agent's EMF exporter writes StorageResolution 1 in the
			// metric definitions of every metric carrying this label
			// (and keeps it out of the dimensions and the log fields).
			labels[render.StorageResolutionLabel] = "1"
		}
		interval, timeout := jobTiming(p, e)
		if interval == global.ScrapeInterval && timeout == global.ScrapeTimeout {
			interval, timeout = "", ""
		}
		// Prometheus wants one job per metrics path and unique job names;
		// a second exporter of the same job keeps the job label.
		name := e.Job
		if used[name] {
			name = fmt.Sprintf("%s-%d", e.Job, e.Port)
			labels["job"] = e.Job
		}
		used[name] = true
		cfg.ScrapeConfigs = append(cfg.ScrapeConfigs, scrapeJob{
			JobName:        name,
			ScrapeInterval: interval,
			ScrapeTimeout:  timeout,
			SampleLimit:    10000,
			MetricsPath:    e.Path,
			StaticConfigs:  []staticConfig{{Targets: []string{fmt.Sprintf("localhost:%d", e.Port)}, Labels: labels}},
		})
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return "", err
	}
	return b.String(), nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// jobTiming is the interval and timeout an exporter's job is scraped at:
// its service's own, else the family's, else Prometheus's defaults.
// A service that sets only a Timeout keeps the family's interval; one that
// sets only an Interval gets Prometheus's default timeout for it.
func jobTiming(p *render.PrometheusScrape, e render.PrometheusExporter) (interval, timeout string) {
	iv, to := orDefault(e.Interval, p.Interval), e.Timeout
	if to == "" && e.Interval == "" {
		to = p.Timeout
	}
	return orDefault(iv, "1m"), orDefault(to, defaultTimeout(iv))
}

// ScrapeInterval is how often the agent scrapes an exporter, as the
// Prometheus configuration composex writes says (0 when it cannot be read
// as a Go duration: d, w and y units, a minute or more anyway).
func ScrapeInterval(p *render.PrometheusScrape, e render.PrometheusExporter) time.Duration {
	iv, _ := jobTiming(p, e)
	d, err := time.ParseDuration(iv)
	if err != nil {
		return 0
	}
	return d
}

// flushSeconds is the agent's logs.force_flush_interval: the timeout of the
// batch processor in front of its EMF exporter (batchprocessor translator:
// logs.force_flush_interval, 5 s by default), which pushes and flushes each
// batch to CloudWatch Logs. 5 s, or the shortest scrape interval when that
// is shorter, so that every scrape's datapoints leave before the next.
func flushSeconds(p *render.PrometheusScrape) int {
	flush := 5
	if p == nil {
		return flush
	}
	for _, e := range append([]render.PrometheusExporter{{}}, p.Exporters...) {
		if d := ScrapeInterval(p, e); d > 0 && d < time.Duration(flush)*time.Second {
			flush = max(1, int(d/time.Second))
		}
	}
	return flush
}

// defaultTimeout is Prometheus's 10s, or the interval when that is shorter:
// Prometheus refuses a timeout above the interval.
func defaultTimeout(interval string) string {
	if d, err := time.ParseDuration(interval); err == nil && d < 10*time.Second {
		return interval
	}
	return "10s"
}
