package schema_test

import (
	"strings"
	"testing"

	"github.com/composex/composex/render"
	"github.com/composex/composex/schema"
)

// compose-x files write CollectForAppMesh: false; false asks for nothing
// from App Mesh, so it is accepted. true is still refused at its line.
func TestCollectForAppMeshFalseAccepted(t *testing.T) {
	for _, key := range []string{"CollectForAppMesh", "CollectForAppmesh"} {
		in := loadYAML(t, web+"    x-prometheus:\n      ContainersInsights:\n        "+key+": false\n")
		if ds := schema.Validate(in); len(ds) != 0 {
			t.Errorf("%s: false refused:\n%s", key, dump(ds))
		}
		in = loadYAML(t, web+"    x-prometheus:\n      ContainersInsights:\n        "+key+": true\n")
		ds := schema.Validate(in)
		path := "services.web.x-prometheus.ContainersInsights." + key
		found := false
		for _, d := range ds {
			if d.Severity == render.Error && d.Path == path && d.Line == 6 &&
				strings.Contains(d.Message, "App Mesh reached end of support on 2026-09-30; for Envoy metrics use x-network.Envoy with PrometheusMetrics (false is accepted: it asks for nothing)") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: true: want the App Mesh error at %s line 6; got:\n%s", key, path, dump(ds))
		}
	}
}
