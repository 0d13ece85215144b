// Package prometheus reads x-prometheus: which exporters of a service the
// family's CloudWatch agent scrapes, and which of their metrics become
// CloudWatch metrics through EMF rules.
package prometheus

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/composex/composex/render"
)

// XPrometheus is the service-level x-prometheus block.
type XPrometheus struct {
	ContainersInsights *ContainersInsights `json:"ContainersInsights"`
}

// ContainersInsights holds the Prometheus collection settings of a service.
type ContainersInsights struct {
	EnableCWAgentDebug             bool                   `json:"EnableCWAgentDebug,omitempty"`
	CollectEmf                     bool                   `json:"CollectEmf,omitempty"`
	CollectForJavaJmx              *ExporterToggle        `json:"CollectForJavaJmx,omitempty"`
	CollectForNginx                *ExporterToggle        `json:"CollectForNginx,omitempty"`
	AutoAddNginxPrometheusExporter *NginxExporterToggle   `json:"AutoAddNginxPrometheusExporter,omitempty"`
	ScrapingConfiguration          *ScrapingConfiguration `json:"ScrapingConfiguration,omitempty"`
	CustomRules                    []CustomRule           `json:"CustomRules,omitempty"`
	// CollectForAppMesh (and compose-x's other spelling) is accepted when
	// false, as compose-x files write it: it asks for nothing. App Mesh
	// reached end of support, so true is refused.
	CollectForAppMesh *bool `json:"CollectForAppMesh,omitempty"`
	CollectForAppmesh *bool `json:"CollectForAppmesh,omitempty"`
}

// ExporterConfig overrides where an exporter listens and how its metrics
// are matched.
type ExporterConfig struct {
	ExporterPort int      `json:"ExporterPort,omitempty"`
	ExporterPath string   `json:"ExporterPath,omitempty"`
	SourceLabels []string `json:"source_labels,omitempty"`
	LabelMatcher string   `json:"label_matcher,omitempty"`
}

// ExporterToggle is `true`, `false` or an ExporterConfig.
type ExporterToggle struct {
	Enabled bool
	ExporterConfig
}

// UnmarshalJSON accepts a boolean or a strict ExporterConfig.
func (t *ExporterToggle) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &t.Enabled); err == nil {
		return nil
	}
	t.Enabled = true
	return strictDecode(b, &t.ExporterConfig)
}

// NginxExporterToggle is `true`, `false` or settings of the exporter
// sidecar composex adds.
type NginxExporterToggle struct {
	Enabled   bool
	ScrapeUri string `json:"ScrapeUri,omitempty"`
}

// UnmarshalJSON accepts a boolean or {ScrapeUri}.
func (t *NginxExporterToggle) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &t.Enabled); err == nil {
		return nil
	}
	t.Enabled = true
	var v struct {
		ScrapeUri string `json:"ScrapeUri"`
	}
	if err := strictDecode(b, &v); err != nil {
		return err
	}
	t.ScrapeUri = v.ScrapeUri
	return nil
}

// ScrapingConfiguration sets the Prometheus scrape settings of the agent.
type ScrapingConfiguration struct {
	Interval                  string `json:"Interval,omitempty"`
	Timeout                   string `json:"Timeout,omitempty"`
	ScrapingConfigurationFile string `json:"ScrapingConfigurationFile,omitempty"`
	// StorageResolution (composex; compose-x has no such key) is 1 for
	// CloudWatch high-resolution storage of the service's scraped metrics
	// (one-second datapoints, needed by alarms with a 10 s or 30 s
	// period), 60 (the default) for standard one-minute storage.
	StorageResolution *int `json:"StorageResolution,omitempty"`
}

// CustomRule scrapes one more port and adds its own EMF rules.
type CustomRule struct {
	ExporterPort  int              `json:"ExporterPort"`
	ExporterPath  string           `json:"ExporterPath,omitempty"`
	EmfProcessors []render.EMFRule `json:"EmfProcessors"`
}

func strictDecode(b []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%v", err)
	}
	return nil
}
