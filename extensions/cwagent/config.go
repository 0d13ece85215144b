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
	PrometheusConfigPath string              `json:"prometheus_config_path"`
	ServiceDiscovery     ecsServiceDiscovery `json:"ecs_service_discovery"`
	EMFProcessor         emfProcessor        `json:"emf_processor"`
}

type ecsServiceDiscovery struct {
	Frequency          string               `json:"sd_frequency"`
	ResultFile         string               `json:"sd_result_file"`
	DockerLabel        *dockerLabel         `json:"docker_label,omitempty"`
	TaskDefinitionList []taskDefinitionItem `json:"task_definition_list,omitempty"`
}

type dockerLabel struct {
	PortLabel        string `json:"sd_port_label"`
	JobNameLabel     string `json:"sd_job_name_label"`
	MetricsPathLabel string `json:"sd_metrics_path_label"`
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

// Where the agent writes the targets its ECS discovery found; the
// Prometheus configuration reads them from there.
const sdResultFile = "/tmp/cwagent_ecs_auto_sd.yaml"

// Placeholders replaced by ${...} references after user text was escaped.
const (
	stackPlaceholder = "@@COMPOSEX_STACK@@"
)

// PortLabel is the docker label that this family's agent discovers
// exporters by. It names the project and family so that the agents of two
// families sharing a cluster never scrape each other's exporters (the
// agent's discovery scans the whole cluster).
func PortLabel(project, family string) string {
	return "ECS_PROMETHEUS_EXPORTER_PORT_" + strings.ToUpper(render.LogicalName(project)+"_"+render.LogicalName(family))
}

// buildConfig builds the agent configuration for a family.
func buildConfig(m *render.Model, f *render.Family, a *render.CloudWatchAgent) agentConfig {
	cfg := agentConfig{}
	if a.Debug {
		cfg.Agent = &agentSection{Debug: true}
	}
	if a.CollectEMF || a.Prometheus != nil {
		cfg.Logs = &logsSection{ForceFlushInterval: 5}
	}
	if a.CollectEMF {
		cfg.Logs.MetricsCollected.EMF = &struct{}{}
	}
	if p := a.Prometheus; p != nil {
		sd := ecsServiceDiscovery{Frequency: "1m", ResultFile: sdResultFile}
		labelled, listed := splitExporters(p.Exporters)
		if len(labelled) > 0 {
			sd.DockerLabel = &dockerLabel{PortLabel: PortLabel(m.Name, f.Name), JobNameLabel: "job", MetricsPathLabel: "ECS_PROMETHEUS_METRICS_PATH"}
		}
		for _, e := range listed {
			sd.TaskDefinitionList = append(sd.TaskDefinitionList, taskDefinitionItem{
				JobName:              e.Job,
				MetricsPorts:         strconv.Itoa(e.Port),
				MetricsPath:          e.Path,
				TaskDefinitionArn:    fmt.Sprintf(".*:task-definition/%s-%s:[0-9]+$", stackPlaceholder, render.ResourceName(f.Name)),
				ContainerNamePattern: "^" + regexpQuote(e.Container) + "$",
			})
		}
		rules := p.Rules
		if rules == nil {
			rules = []render.EMFRule{}
		}
		cfg.Logs.MetricsCollected.Prometheus = &prometheusSection{
			PrometheusConfigPath: "env:PROMETHEUS_CONFIG_CONTENT",
			ServiceDiscovery:     sd,
			EMFProcessor:         emfProcessor{Dedup: true, Namespace: "ECS/ContainerInsights/Prometheus", Declarations: rules},
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

// splitExporters decides how each exporter is discovered: a container with
// one exporter port carries docker labels; the further ports of a container
// are listed by task definition and container name. Each target is found
// exactly once, so nothing is scraped twice.
func splitExporters(all []render.PrometheusExporter) (labelled, listed []render.PrometheusExporter) {
	seen := map[string]bool{}
	for _, e := range all {
		if seen[e.Container] {
			listed = append(listed, e)
			continue
		}
		seen[e.Container] = true
		labelled = append(labelled, e)
	}
	return labelled, listed
}

func regexpQuote(s string) string {
	r := strings.NewReplacer(".", `\.`, "-", `\-`, "+", `\+`, "*", `\*`, "?", `\?`, "(", `\(`, ")", `\)`, "[", `\[`, "]", `\]`, "{", `\{`, "}", `\}`, "^", `\^`, "$", `\$`, "|", `\|`)
	return r.Replace(s)
}

// scrapeConfig is the Prometheus configuration the agent runs: the user's
// file, or one job that reads what the ECS discovery found.
type scrapeConfig struct {
	Global        scrapeGlobal `yaml:"global"`
	ScrapeConfigs []scrapeJob  `yaml:"scrape_configs"`
}

type scrapeGlobal struct {
	ScrapeInterval string `yaml:"scrape_interval"`
	ScrapeTimeout  string `yaml:"scrape_timeout"`
}

type scrapeJob struct {
	JobName       string         `yaml:"job_name"`
	SampleLimit   int            `yaml:"sample_limit"`
	FileSDConfigs []fileSDConfig `yaml:"file_sd_configs"`
}

type fileSDConfig struct {
	Files []string `yaml:"files"`
}

func buildScrapeConfig(f *render.Family, p *render.PrometheusScrape) (string, error) {
	if p.ConfigFile != "" {
		return p.ConfigFile, nil
	}
	cfg := scrapeConfig{
		Global: scrapeGlobal{ScrapeInterval: orDefault(p.Interval, "1m"), ScrapeTimeout: orDefault(p.Timeout, defaultTimeout(p.Interval))},
		ScrapeConfigs: []scrapeJob{{
			JobName:       "cwagent-ecs-file-sd-" + render.ResourceName(f.Name),
			SampleLimit:   10000,
			FileSDConfigs: []fileSDConfig{{Files: []string{sdResultFile}}},
		}},
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

// defaultTimeout is Prometheus's 10s, or the interval when that is shorter:
// Prometheus refuses a timeout above the interval.
func defaultTimeout(interval string) string {
	if d, err := time.ParseDuration(interval); err == nil && d < 10*time.Second {
		return interval
	}
	return "10s"
}
