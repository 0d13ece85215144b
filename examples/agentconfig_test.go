package examples

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xeipuuv/gojsonschema"
	"gopkg.in/yaml.v3"

	"github.com/composex/composex/render"
)

// TestAgentConfigs validates every CloudWatch agent configuration that the
// examples and shared fixtures produce against the agent's own JSON Schema
// (shared/reference/cloudwatch-agent-config.schema.json), and every
// Prometheus scrape configuration with `promtool check config` (Debian
// package prometheus; .ci/run installs it). The values are read from the
// templates' SSM parameters with Fn::Sub resolved for a stack "probe".
func TestAgentConfigs(t *testing.T) {
	schemaFile := filepath.Join(requireShared(t), "reference", "cloudwatch-agent-config.schema.json")
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(data))
	if err != nil {
		t.Fatalf("%s: %v", schemaFile, err)
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		require(t, false, "promtool (apt-get install prometheus)")
	}
	agents, scrapes := 0, 0
	for _, p := range append(renderExamples(t), renderFixtures(t)...) {
		t.Run(p.name, func(t *testing.T) {
			for id, value := range ssmValues(t, p) {
				switch {
				case strings.HasSuffix(id, "CloudWatchAgentConfig"):
					agents++
					res, err := schema.Validate(gojsonschema.NewStringLoader(value))
					if err != nil {
						t.Fatalf("%s: %v", id, err)
					}
					for _, e := range res.Errors() {
						t.Errorf("%s: the agent's schema says: %s\n%s", id, e, value)
					}
				case strings.HasSuffix(id, "PrometheusConfig"):
					scrapes++
					f := filepath.Join(t.TempDir(), "prometheus.yml")
					if err := os.WriteFile(f, []byte(withoutUTF8Labels(t, id, value)), 0o644); err != nil {
						t.Fatal(err)
					}
					if out, err := exec.Command(promtool, "check", "config", f).CombinedOutput(); err != nil {
						t.Errorf("%s: promtool check config: %v\n%s\n%s", id, err, out, value)
					}
				case strings.HasSuffix(id, "EnvoyBootstrap"):
					checkEnvoyBootstrap(t, id, value)
				case reFireLensFile.MatchString(id):
					checkFluentBitFile(t, id, value)
				case reFileParameter.MatchString(id):
					checkFileParameter(t, id, value)
				default:
					t.Errorf("%s: an SSM parameter this test does not know; validate it here", id)
				}
			}
		})
	}
	t.Logf("validated %d agent configurations against the agent's schema and %d scrape configurations with promtool", agents, scrapes)
	if agents == 0 || scrapes == 0 {
		t.Errorf("no agent or scrape configuration found: the examples must show x-prometheus and x-monitoring")
	}
}

// ssmValues returns the value of every AWS::SSM::Parameter of a project's
// template, with ${AWS::StackName} resolved and ${!x} unescaped, as
// CloudFormation would store it.
func ssmValues(t *testing.T, p *project) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id, r := range templateResources(t, p) {
		if r["Type"] != "AWS::SSM::Parameter" {
			continue
		}
		v := dig(r, "Properties", "Value")
		s, ok := v.(string)
		if !ok {
			sub, isSub := dig(v, "Fn::Sub").(string)
			if !isSub {
				t.Fatalf("%s: Value is neither a string nor a Fn::Sub string: %v", id, v)
			}
			s = strings.ReplaceAll(sub, "${AWS::StackName}", motoStack)
			if strings.Contains(strings.ReplaceAll(s, "${!", ""), "${") {
				t.Fatalf("%s: a reference other than the stack name is left in %q", id, s)
			}
			s = strings.ReplaceAll(s, "${!", "${")
		}
		out[id] = s
	}
	return out
}

// reFireLensFile names the SSM parameters that hold a FireLens router's
// Fluent Bit files (extensions/firelens), written raw, not base64.
var reFireLensFile = regexp.MustCompile(`FireLensFile\d+$`)

// checkFluentBitFile reads a stored Fluent Bit file as Fluent Bit's classic
// format does: every line is blank, a comment, a known [SECTION], an
// @INCLUDE/@SET directive, or a key and its value inside a section.
func checkFluentBitFile(t *testing.T, id, value string) {
	t.Helper()
	sections := map[string]bool{"SERVICE": true, "INPUT": true, "FILTER": true, "OUTPUT": true, "PARSER": true, "MULTILINE_PARSER": true}
	in := false
	for i, line := range strings.Split(value, "\n") {
		l := strings.TrimSpace(line)
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			if !sections[strings.ToUpper(strings.Trim(l, "[]"))] {
				t.Errorf("%s line %d: %s is not a Fluent Bit section", id, i+1, l)
			}
			in = true
		case strings.HasPrefix(l, "@INCLUDE ") || strings.HasPrefix(l, "@SET "):
		case !in:
			t.Errorf("%s line %d: %q is outside any section", id, i+1, l)
		case len(strings.Fields(l)) < 2:
			t.Errorf("%s line %d: %q is a key without a value", id, i+1, l)
		}
	}
	if !in {
		t.Errorf("%s: no section at all:\n%s", id, value)
	}
}

// withoutUTF8Labels returns a scrape configuration without the target label
// aws.emf.storage_resolution, for promtool 2.42 (Debian's), which predates
// UTF-8 label names: the agent's Prometheus is 3.0.1 (agent 1.300058.0 and
// later; go.mod prometheus/prometheus v0.300.1), whose default name
// validation (prometheus/common v0.62.0, model.NameValidationScheme =
// UTF8Validation) accepts any valid UTF-8 name. What promtool checks is the
// rest; the label itself must say 1 or 60, the two resolutions CloudWatch
// stores (the agent's EMF exporter ignores any other value).
func withoutUTF8Labels(t *testing.T, id, value string) string {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(value), &doc); err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	found := false
	jobs, _ := doc["scrape_configs"].([]any)
	for _, j := range jobs {
		scs, _ := dig(j, "static_configs").([]any)
		for _, sc := range scs {
			labels, _ := dig(sc, "labels").(map[string]any)
			v, ok := labels[render.StorageResolutionLabel]
			if !ok {
				continue
			}
			if v != "1" && v != "60" {
				t.Errorf("%s: %s is %v; CloudWatch stores 1 or 60", id, render.StorageResolutionLabel, v)
			}
			delete(labels, render.StorageResolutionLabel)
			found = true
		}
	}
	if !found {
		return value
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
