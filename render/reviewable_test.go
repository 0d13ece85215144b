package render

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Issue 16, reviewable output: the template says what made it (the
// composex version and the compose files, relative to the project, in
// merge order), has a Description, and outputs what a user looks up after
// a deploy: the cluster and each family's ECS service and log group.
func TestTemplateSaysWhatMadeIt(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"compose.yaml":        "services:\n  web:\n    image: nginx:1.27\n  worker:\n    image: nginx:1.27\n",
		"deploy/override.yml": "services:\n  web:\n    environment: {MODE: prod}\n",
	})
	opts := Options{Load: LoadOptions{Files: []string{filepath.Join(dir, "compose.yaml"), filepath.Join(dir, "deploy", "override.yml")},
		ProjectName: "shop", Environment: map[string]string{}}}
	out, ds := Render(context.Background(), opts)
	if out == nil || ds.HasErrors() {
		t.Fatalf("render failed:\n%s", ds.Error())
	}
	doc := template(t, out)
	meta, _ := doc["Metadata"].(map[string]any)["composex"].(map[string]any)
	if meta == nil {
		t.Fatalf("no Metadata.composex: %v", doc["Metadata"])
	}
	var files []string
	for _, f := range meta["ComposeFiles"].([]any) {
		files = append(files, f.(string))
	}
	if !slices.Equal(files, []string{"compose.yaml", "deploy/override.yml"}) {
		t.Errorf("ComposeFiles %v, want the two files relative to the project, in merge order", files)
	}
	if v, _ := meta["Version"].(string); v == "" {
		t.Errorf("Metadata.composex.Version is empty")
	}
	if d, _ := doc["Description"].(string); !strings.Contains(d, "shop") {
		t.Errorf("Description %q does not name the project", d)
	}
	outputs, _ := doc["Outputs"].(map[string]any)
	for _, k := range []string{"ClusterName", "WebServiceName", "WebLogGroupName", "WorkerServiceName", "WorkerLogGroupName"} {
		if _, ok := outputs[k]; !ok {
			t.Errorf("no output %s; have %v", k, slices.Sorted(maps.Keys(outputs)))
		}
	}
}
