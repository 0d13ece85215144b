package examples

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/render"
)

// storedParameter is an AWS::SSM::Parameter of a rendered template: its
// tier and its value as written (sub: the string of a Fn::Sub).
type storedParameter struct {
	file, id, tier, text string
	sub                  bool
}

// storedParameters returns every SSM parameter of every template of a
// render (nested stacks included).
func storedParameters(t *testing.T, p *project) []storedParameter {
	t.Helper()
	var out []storedParameter
	for _, name := range slices.Sorted(maps.Keys(p.out.Files)) {
		if !strings.HasSuffix(name, ".yaml") {
			continue
		}
		var doc struct {
			Resources map[string]struct {
				Type       string `yaml:"Type"`
				Properties struct {
					Tier  string `yaml:"Tier"`
					Value any    `yaml:"Value"`
				} `yaml:"Properties"`
			} `yaml:"Resources"`
		}
		if err := yaml.Unmarshal(p.out.Files[name], &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for id, r := range doc.Resources {
			if r.Type != "AWS::SSM::Parameter" {
				continue
			}
			sp := storedParameter{file: name, id: id, tier: r.Properties.Tier}
			switch v := r.Properties.Value.(type) {
			case string:
				sp.text = v
			case map[string]any:
				s, ok := v["Fn::Sub"].(string)
				if !ok {
					t.Fatalf("%s %s: Value is neither a string nor a Fn::Sub string: %v", name, id, v)
				}
				sp.text, sp.sub = s, true
			default:
				t.Fatalf("%s %s: Value is %T", name, id, v)
			}
			out = append(out, sp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].file+out[i].id < out[j].file+out[j].id })
	return out
}

// TestSSMParameterTiers: every SSM parameter of every example and shared
// fixture names a tier (Standard or Advanced, never left to the account's
// default), its value fits that tier's limit at its longest once
// CloudFormation resolved it (a 128-character stack name: SSM refuses a
// Standard value above 4096 characters at deploy), and Advanced, which is
// billed, is used only where Standard cannot hold the value.
func TestSSMParameterTiers(t *testing.T) {
	counts := map[string]int{}
	for _, p := range append(renderExamples(t), renderFixtures(t)...) {
		for _, sp := range storedParameters(t, p) {
			limit := render.TierLimit(sp.tier)
			if limit == 0 {
				t.Errorf("%s %s %s: tier %q; give Standard or Advanced", p.name, sp.file, sp.id, sp.tier)
				continue
			}
			n, err := render.StoredLength(sp.text, sp.sub)
			if err != nil {
				t.Errorf("%s %s %s: %v", p.name, sp.file, sp.id, err)
				continue
			}
			if n > limit {
				t.Errorf("%s %s %s: up to %d characters stored in a %s parameter, which holds %d", p.name, sp.file, sp.id, n, sp.tier, limit)
			}
			if sp.tier == render.TierAdvanced && n <= render.StandardParameterChars {
				t.Errorf("%s %s %s: Advanced (billed) for up to %d characters, which Standard holds", p.name, sp.file, sp.id, n)
			}
			counts[sp.tier]++
		}
	}
	t.Logf("SSM parameters by tier: %v", counts)
	if counts[render.TierStandard] == 0 {
		t.Error("no SSM parameter at all: the examples must store configurations")
	}
}

// TestStoredConfigsReviewable: the configurations composex writes into
// SSM are laid out for a reviewer's diff, one key per line. The CloudWatch
// agent's JSON is indented by two spaces with every object's keys sorted
// (what encoding/json writes from a generic value); the Envoy bootstrap is
// YAML, two-space indented, keys sorted, short collections on one line;
// the Prometheus scrape file composex generates is block YAML, two-space
// indented, keys in one fixed order (job_name first, as Prometheus's
// documentation writes it). Each stored text must be byte-identical to
// that canonical form of itself, so a reordered or compact value fails.
// (A scrape file the user gives, ScrapingConfigurationFile, is stored as
// written; the examples' own are written in that form too.)
func TestStoredConfigsReviewable(t *testing.T) {
	seen := map[string]int{}
	for _, p := range append(renderExamples(t), renderFixtures(t)...) {
		for _, sp := range storedParameters(t, p) {
			text := sp.text
			if sp.sub {
				text = strings.ReplaceAll(strings.ReplaceAll(text, "${AWS::StackName}", motoStack), "${!", "${")
			}
			var kind, want string
			switch {
			case strings.HasSuffix(sp.id, "CloudWatchAgentConfig"):
				kind, want = "agent", canonicalJSON(t, sp.id, text)
			case strings.HasSuffix(sp.id, "EnvoyBootstrap"):
				kind, want = "envoy", canonicalYAML(t, sp.id, text, true)
			case strings.HasSuffix(sp.id, "PrometheusConfig"):
				kind, want = "prometheus", canonicalYAML(t, sp.id, text, false)
			default:
				continue // files and FireLens files are the user's text
			}
			seen[kind]++
			if !strings.Contains(text, "\n  ") {
				t.Errorf("%s %s: not indented:\n%s", p.name, sp.id, text)
			}
			if text != want {
				t.Errorf("%s %s: not in its canonical reviewable form\n--- stored\n%s\n--- canonical\n%s", p.name, sp.id, text, want)
			}
		}
	}
	t.Logf("stored configurations checked: %v", seen)
	for _, k := range []string{"agent", "envoy", "prometheus"} {
		if seen[k] == 0 {
			t.Errorf("no %s configuration in the examples", k)
		}
	}
}

// canonicalJSON is text re-encoded from a generic value: keys sorted,
// two-space indentation, numbers as written, no HTML escaping.
func canonicalJSON(t *testing.T, id, text string) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", id, err, text)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// canonicalYAML is text re-encoded by yaml.v3 from its own node tree with
// two-space indentation: the same text when its layout is canonical. With
// sorted, every mapping's keys must also be in sorted order, and a
// collection written on one line ({address: ..., port_value: ...}) must
// be short (render.ReviewFlowWidth), so that a line of the diff is one
// setting.
func canonicalYAML(t *testing.T, id, text string, sorted bool) string {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(text), &n); err != nil {
		t.Fatalf("%s: not YAML: %v\n%s", id, err, text)
	}
	if sorted {
		checkYAMLLayout(t, id, &n)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func checkYAMLLayout(t *testing.T, id string, n *yaml.Node) {
	t.Helper()
	if n.Kind == yaml.MappingNode {
		for i := 2; i < len(n.Content); i += 2 {
			if a, b := n.Content[i-2].Value, n.Content[i].Value; a >= b {
				t.Errorf("%s line %d: key %q after %q: keys are not sorted", id, n.Content[i].Line, b, a)
			}
		}
	}
	if (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && n.Style == yaml.FlowStyle {
		out, err := yaml.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		if l := len(strings.TrimSpace(string(out))); l > render.ReviewFlowWidth {
			t.Errorf("%s line %d: a %d-character collection on one line (at most %d)", id, n.Line, l, render.ReviewFlowWidth)
		}
		return
	}
	for _, c := range n.Content {
		checkYAMLLayout(t, id, c)
	}
}
