package render

// CloudWatchAgent is the one place where extensions ask for the family's
// CloudWatch agent: x-prometheus adds exporters and EMF rules, x-monitoring
// turns on EMF, tracing adds X-Ray/OTLP receivers. One extension (cwagent)
// then turns the request into one sidecar, its configs and its IAM.
type CloudWatchAgent struct {
	Debug bool
	// CollectEMF receives embedded metric format logs from the apps.
	CollectEMF bool
	// Image overrides the pinned agent image ("" keeps it).
	Image string
	// Prometheus scraping; nil when nobody asked for it.
	Prometheus *PrometheusScrape
	// Traces: receive X-Ray segments (UDP 2000) and OTLP.
	CollectTraces bool
}

// PrometheusScrape describes what the agent scrapes and how it turns the
// metrics into CloudWatch metrics.
type PrometheusScrape struct {
	Interval string // Prometheus duration, "" for the default (1m)
	Timeout  string // Prometheus duration, "" for the default (10s)
	// ConfigFile is the user's own Prometheus configuration, verbatim.
	ConfigFile string
	Exporters  []PrometheusExporter
	Rules      []EMFRule
}

// PrometheusExporter is one port of one container that serves metrics.
type PrometheusExporter struct {
	Container string
	Port      int
	Path      string // default /metrics
	Job       string // Prometheus job name
	// Service is the compose service whose x-prometheus asked for the
	// exporter ("" when another extension added it), for messages.
	Service string
	// Interval and Timeout are the service's own scrape settings
	// (Prometheus durations); "" takes the family's (PrometheusScrape).
	Interval, Timeout string
	// StorageResolution is 1 when the service asks CloudWatch to store
	// this exporter's metrics at one-second (high) resolution; 0 or 60 is
	// the standard one minute.
	StorageResolution int
}

// PrometheusNamespace is the CloudWatch namespace the agent's EMF
// processor publishes the families' Prometheus metrics in.
const PrometheusNamespace = "ECS/ContainerInsights/Prometheus"

// StorageResolutionLabel is the metric attribute the agent's EMF exporter
// (awsemfexporter's aws.emf.storage_resolution) reads as a metric's
// CloudWatch storage resolution, 1 or 60 seconds; it is not a dimension.
const StorageResolutionLabel = "aws.emf.storage_resolution"

// EMFRule is one metric declaration of the agent's EMF processor.
type EMFRule struct {
	SourceLabels    []string   `json:"source_labels"`
	LabelMatcher    string     `json:"label_matcher"`
	Dimensions      [][]string `json:"dimensions"`
	MetricSelectors []string   `json:"metric_selectors"`
	// Service and Path say where a user's rule came from, for messages
	// about it; they are not part of the agent's configuration.
	Service string `json:"-"`
	Path    string `json:"-"`
}

// Agent returns the family's CloudWatch agent request, creating it.
func (f *Family) Agent() *CloudWatchAgent {
	if f.CloudWatchAgent == nil {
		f.CloudWatchAgent = &CloudWatchAgent{}
	}
	return f.CloudWatchAgent
}
