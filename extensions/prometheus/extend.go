package prometheus

import (
	"fmt"

	"github.com/composex/composex/render"
)

// jmxRules are the EMF declarations for the JMX exporter: compose-x's
// threads, classes, OS, GC and memory sets, each selector written to match
// the names of both exporter generations (0.x through simpleclient_hotspot,
// 1.x through client_java 1.x; see examples/testdata/metrics):
//
//	0.x                        1.x
//	jvm_memory_bytes_used      jvm_memory_used_bytes
//	jvm_memory_pool_bytes_used jvm_memory_pool_used_bytes
//	jvm_classes_loaded (0.16.1) jvm_classes_currently_loaded (as 0.20.0)
//
// The dimensions are labels every target has (TaskDefinitionFamily from the
// scrape, ClusterName from the agent) plus the metric's own area or pool.
// java_lang_operatingsystem_* come from the exporter's JMX rules, untyped
// unless the rule sets a type, and the agent drops untyped metrics: the
// exporter's configuration must type them (README, x-prometheus). compose-x
// also listed catalina_* selectors; no exporter emits those names unless its
// configuration names them so, and then a CustomRule says what is wanted.
func jmxRules(labels []string, matcher string) []render.EMFRule {
	return []render.EMFRule{
		{SourceLabels: labels, LabelMatcher: matcher, Dimensions: [][]string{{"ClusterName", "TaskDefinitionFamily"}}, MetricSelectors: []string{
			"^jvm_threads_(current|daemon)$",
			"^jvm_classes_(loaded|currently_loaded)$",
			"^java_lang_operatingsystem_(freephysicalmemorysize|totalphysicalmemorysize|freeswapspacesize|totalswapspacesize|systemcpuload|processcpuload|availableprocessors|openfiledescriptorcount)$",
			"^jvm_gc_collection_seconds_(count|sum)$",
		}},
		{SourceLabels: labels, LabelMatcher: matcher, Dimensions: [][]string{{"ClusterName", "TaskDefinitionFamily", "area"}}, MetricSelectors: []string{"^jvm_memory_(bytes_used|used_bytes)$"}},
		{SourceLabels: labels, LabelMatcher: matcher, Dimensions: [][]string{{"ClusterName", "TaskDefinitionFamily", "pool"}}, MetricSelectors: []string{"^jvm_memory_pool_(bytes_used|used_bytes)$"}},
	}
}

// nginxRules keep every nginx_* metric of the exporter by cluster and task
// family. compose-x added ServiceName, a label the agent attaches only to
// targets found through service_name_list_for_tasks: with any other
// discovery every metric lost its only dimension set and stayed in the logs.
func nginxRules(labels []string, matcher string) []render.EMFRule {
	return []render.EMFRule{{SourceLabels: labels, LabelMatcher: matcher,
		Dimensions: [][]string{{"ClusterName", "TaskDefinitionFamily"}}, MetricSelectors: []string{"^nginx_.*$"}}}
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Extend asks each family's CloudWatch agent to scrape the exporters its
// services declare, adding the nginx exporter sidecar where asked. Rules
// of every service of a family are kept, in service order, so that two
// services never overwrite each other's rules (compose-x's last one won).
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds render.Diagnostics
	for _, f := range m.Families {
		var scrapeFrom string
		for _, s := range f.Services {
			ci := read(in, *s, &ds)
			if ci == nil {
				continue
			}
			agent := f.Agent()
			agent.Debug = agent.Debug || ci.EnableCWAgentDebug
			agent.CollectEMF = agent.CollectEMF || ci.CollectEmf
			if agent.Prometheus == nil {
				agent.Prometheus = &render.PrometheusScrape{}
			}
			p := agent.Prometheus
			// Interval, Timeout and StorageResolution are the service's
			// own: they go on the scrape jobs of its exporters. The first
			// service's Interval and Timeout are also the family's global
			// ones, which the jobs of services that set none (and of other
			// extensions) keep, as compose-x applies them task-wide. A
			// Prometheus configuration file is the task's whole
			// configuration: the services must agree on it.
			own := scrapeSettings{service: s.Name}
			if sc := ci.ScrapingConfiguration; sc != nil {
				file := configFile(in, sc)
				if scrapeFrom != "" && p.ConfigFile != file {
					ds.Errorf(s.Name, render.ServicePath(s.Name, key, "ContainersInsights.ScrapingConfiguration"),
						"family %s: %s and %s set different scraping configurations; a task has one CloudWatch agent, give them the same", f.Name, scrapeFrom, s.Name)
				}
				if scrapeFrom == "" {
					p.Interval, p.Timeout = sc.Interval, sc.Timeout
				}
				scrapeFrom = s.Name
				p.ConfigFile = file
				own.interval, own.timeout = sc.Interval, sc.Timeout
				if sc.StorageResolution != nil {
					own.resolution = *sc.StorageResolution
				}
			}
			userJob := s.Labels["job"]
			addExporter := func(p *render.PrometheusScrape, container string, port int, path, job string) {
				own.add(p, container, port, path, job)
			}
			if t := ci.CollectForJavaJmx; t != nil && t.Enabled {
				addExporter(p, s.Name, orDefault(t.ExporterPort, defaultJmxPort), t.ExporterPath, orDefault(userJob, "jmx-"+s.Name))
				p.Rules = append(p.Rules, jmxRules(orDefault2(t.SourceLabels, []string{"job"}), orDefault(t.LabelMatcher, "^.*jmx.*$"))...)
			}
			auto := ci.AutoAddNginxPrometheusExporter
			if t := ci.CollectForNginx; (t != nil && t.Enabled) || (auto != nil && auto.Enabled) {
				var cfg ExporterConfig
				if t != nil {
					cfg = t.ExporterConfig
				}
				port := orDefault(cfg.ExporterPort, defaultNginxPort)
				if auto != nil && auto.Enabled {
					if err := addNginxExporter(m, f, s.Name, port, auto.ScrapeUri); err != nil {
						ds.Errorf(s.Name, render.ServicePath(s.Name, key, "ContainersInsights.AutoAddNginxPrometheusExporter"), "%v", err)
						continue
					}
					addExporter(p, NginxExporterName, port, cfg.ExporterPath, NginxExporterName)
				} else {
					addExporter(p, s.Name, port, cfg.ExporterPath, orDefault(userJob, "nginx-"+s.Name))
				}
				p.Rules = append(p.Rules, nginxRules(orDefault2(cfg.SourceLabels, []string{"job"}), orDefault(cfg.LabelMatcher, "^.*nginx.*$"))...)
			}
			for i, r := range ci.CustomRules {
				addExporter(p, s.Name, r.ExporterPort, r.ExporterPath, orDefault(userJob, fmt.Sprintf("%s-custom-%d", s.Name, i)))
				for j, e := range r.EmfProcessors {
					e.Service = s.Name
					e.Path = render.ServicePath(s.Name, key, fmt.Sprintf("ContainersInsights.CustomRules.%d.EmfProcessors.%d", i, j))
					p.Rules = append(p.Rules, e)
				}
			}
		}
	}
	return ds
}

func orDefault2(v, def []string) []string {
	if len(v) == 0 {
		return def
	}
	return v
}

func configFile(in *render.Input, sc *ScrapingConfiguration) string {
	if sc.ScrapingConfigurationFile == "" {
		return ""
	}
	text, _ := readConfigFile(in, sc.ScrapingConfigurationFile) // checked in Validate
	return text
}

// scrapeSettings are one service's own scrape settings, given to the
// exporters it asks for.
type scrapeSettings struct {
	service           string
	interval, timeout string
	resolution        int
}

// add records a scrape target once per container and port.
func (o scrapeSettings) add(p *render.PrometheusScrape, container string, port int, path, job string) {
	path = orDefault(path, defaultPath)
	for _, e := range p.Exporters {
		if e.Container == container && e.Port == port {
			return
		}
	}
	p.Exporters = append(p.Exporters, render.PrometheusExporter{Container: container, Port: port, Path: path, Job: job,
		Service: o.service, Interval: o.interval, Timeout: o.timeout, StorageResolution: o.resolution})
}

// addNginxExporter adds the nginx Prometheus exporter beside the nginx
// container, under its own name (compose-x gave it the agent's name, which
// broke both sidecars).
func addNginxExporter(m *render.Model, f *render.Family, nginx string, port int, scrapeURI string) error {
	if c := f.Container(NginxExporterName); c != nil {
		if !c.Sidecar {
			return fmt.Errorf("family %s already has a service named %s; rename it or turn AutoAddNginxPrometheusExporter off", f.Name, NginxExporterName)
		}
		return nil // added for another nginx service of the family
	}
	if err := m.SidecarImage("NginxPrometheusExporterImage", nginxExporterImage, "nginx Prometheus exporter"); err != nil {
		return err
	}
	condition := "START"
	if app := f.Container(nginx); app != nil && app.HealthCheck != nil {
		condition = "HEALTHY"
	}
	c := &render.Container{
		Name:              NginxExporterName,
		ImageParam:        "NginxPrometheusExporterImage",
		Command:           []string{"--nginx.scrape-uri=" + orDefault(scrapeURI, defaultStubStatus), fmt.Sprintf("--web.listen-address=:%d", port)},
		Cpu:               32,
		MemoryReservation: 64,
		Essential:         false,
		// The image's own USER 1001:1001 (render.ImageUsers), written out;
		// a static binary that writes nothing (AWS Control Tower
		// CT.ECS.PR.3, CT.ECS.PR.6).
		User:     "1001:1001",
		ReadOnly: true,
	}
	if !portTaken(f, port) {
		// The compose file may already declare the exporter port on nginx
		// (compose-x files do); the task shares one interface, so declare it once.
		c.Ports = []render.Port{{ContainerPort: port, Protocol: "tcp", Name: fmt.Sprintf("tcp_%d", port)}}
	}
	c.DependOn(nginx, condition)
	return f.AddSidecar(c)
}

func portTaken(f *render.Family, port int) bool {
	for _, c := range f.Containers {
		for _, p := range c.Ports {
			if p.ContainerPort == port && p.Protocol == "tcp" {
				return true
			}
		}
	}
	return false
}
