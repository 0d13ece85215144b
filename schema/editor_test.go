package schema_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/composex/composex/schema"
)

var update = flag.Bool("update", false, "rewrite schema/composex.schema.json from the extension schemas")

const editorFile = "composex.schema.json" // schema.EditorFile, from this folder

// The editor schema kept in the repository is what `composex schema`
// prints; `go test ./schema -update` regenerates it.
func TestEditorSchemaUpToDate(t *testing.T) {
	got, err := schema.Editor()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(editorFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(editorFile)
	if err != nil {
		t.Fatalf("%v (run: go test ./schema -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date; run: go test ./schema -update", schema.EditorFile)
	}
}

func TestEditorSchemaHasEveryExtension(t *testing.T) {
	var doc map[string]any
	data, err := schema.Editor()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	defs := doc["$defs"].(map[string]any)
	places := map[schema.Level]map[string]any{
		schema.ServiceLevel: defs["service"].(map[string]any)["properties"].(map[string]any),
		schema.ProjectLevel: doc["properties"].(map[string]any),
		schema.SecretLevel:  defs["secret"].(map[string]any)["properties"].(map[string]any),
		schema.VolumeLevel:  defs["volume"].(map[string]any)["properties"].(map[string]any),
	}
	for _, e := range schema.Entries {
		ref, _ := places[e.Level][e.Key].(map[string]any)
		if ref == nil || !strings.HasPrefix(fmt.Sprint(ref["$ref"]), "#/$defs/composex.") {
			t.Errorf("%s %s: not in the editor schema", e.Level, e.Key)
		}
	}
}

// compileEditor compiles the editor schema as editors read it: draft
// 2020-12 (compose-go's spec) with the draft-07 extension schemas inside.
func compileEditor(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := schema.Editor()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("composex.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("composex.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlInstance reads a compose file as an editor sees it: not interpolated.
func yamlInstance(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := json.Marshal(plain(v))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func plain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = plain(e)
		}
		return x
	case map[any]any:
		m := map[string]any{}
		for k, e := range x {
			m[fmt.Sprint(k)] = plain(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = plain(e)
		}
		return x
	}
	return v
}

// goodFiles are the compose files that must be valid: every example's
// compose files (some examples are being written: globbed at test time;
// other YAML there, such as a Prometheus config, is not a compose file)
// and the seed fixtures.
func goodFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, p := range []string{
		filepath.Join(repoRoot, "examples", "*", "docker-compose*.yml"),
		filepath.Join(repoRoot, "examples", "*", "docker-compose*.yaml"),
		filepath.Join(repoRoot, "examples", "*", "compose*.yml"),
		filepath.Join(repoRoot, "examples", "*", "compose*.yaml"),
		filepath.Join(sharedDir(), "fixtures", "seed-*", "*.yml"),
	} {
		m, err := filepath.Glob(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	var seeds int
	for _, f := range files {
		if strings.Contains(f, "seed-") {
			seeds++
		}
	}
	if seeds < 2 {
		t.Fatalf("seed fixtures not found under %s (set COMPOSEX_SHARED)", sharedDir())
	}
	return files
}

// schemaInvalid are the invalid fixtures a schema catches.
var schemaInvalid = []string{
	"alarms-unknown-predefined", "iam-policy-without-statement", "network-bad-cidr",
	"prometheus-custom-rule-without-port", "scaling-cpu-target-too-high",
	"scaling-range-garbage", "scaling-unknown-key",
}

func TestEditorSchemaAcceptsExamplesAndSeeds(t *testing.T) {
	s := compileEditor(t)
	for _, f := range goodFiles(t) {
		if err := s.Validate(yamlInstance(t, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestEditorSchemaRefusesInvalidFixtures(t *testing.T) {
	s := compileEditor(t)
	for _, name := range schemaInvalid {
		f := filepath.Join(sharedDir(), "fixtures", "invalid", name+".yml")
		if err := s.Validate(yamlInstance(t, f)); err == nil {
			t.Errorf("%s: accepted by the editor schema", f)
		}
	}
}

// expectations reads the `# expect:` lines of an invalid fixture.
func expectations(t *testing.T, path string) []*regexp.Regexp {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []*regexp.Regexp
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "# expect:"); ok {
			out = append(out, regexp.MustCompile("(?i)"+strings.TrimSpace(rest)))
		}
	}
	return out
}
