package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// roundTrip writes a tree as YAML, reads it back with yaml.v3 and compares.
func roundTrip(t *testing.T, tree Tree) {
	t.Helper()
	out := writeYAML(tree)
	var back map[string]any
	if err := yaml.Unmarshal(out, &back); err != nil {
		t.Fatalf("written YAML does not parse: %v\n%s", err, out)
	}
	want := normalizeForYAML(tree)
	if !reflect.DeepEqual(back, want) {
		t.Fatalf("round trip differs\nwant %#v\ngot  %#v\nYAML:\n%s", want, back, out)
	}
}

// normalizeForYAML turns json.Number into what yaml.v3 reads back.
func normalizeForYAML(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, c := range t {
			out[k] = normalizeForYAML(c)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, c := range t {
			out[i] = normalizeForYAML(c)
		}
		return out
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return int(i)
		}
		f, _ := t.Float64()
		return f
	}
	return v
}

var trickyStrings = []string{
	"", " ", "a", "on", "Off", "yes", "NO", "y", "~", "null", "true", "0777", "012", "0x1F", "0b101", "0o17",
	"1_000", "12:30", "1:20:30.5", ".5", "-.5", "1e3", "-1", "+1", ".inf", ".NaN", "2012-10-17", "2026-11-21T12:00:00Z",
	"<<", "=", "-", "--flag", "- item", "-x", "?x", "? x", ":x", ": x", "a: b", "a:b", "a #b", "a#b", "#c", "&a", "*a", "!t",
	"|", ">", "'q'", `"d"`, "%p", "@a", "`b", "[x]", "{x}", "a,b", "tab\there", "trailing ", " leading",
	"line1\nline2", "line1\nline2\n", "line1\n\n", "\nstarts with newline", "  indented\nnext", "caf\u00e9", "\u2028sep",
	"ctrl\x01", "back\\slash", "${AWS::StackName}", "${!Literal}", "arn:aws:iam::aws:policy/X", "*", "^nginx_.*$",
	"CMD-SHELL", "curl -f http://localhost/ || exit 1", "a: \"b\"", "it's", "\ufeffbom",
}

func TestYAMLWriterRoundTripsTrickyStrings(t *testing.T) {
	for _, s := range trickyStrings {
		roundTrip(t, Tree{"AWSTemplateFormatVersion": "2010-09-09", "k": s, "list": []any{s, map[string]any{s: s}}, s + "key": "v"})
	}
}

func TestYAMLWriterRoundTripsShapes(t *testing.T) {
	roundTrip(t, Tree{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Resources": map[string]any{
			"A": map[string]any{"Type": "AWS::X::Y", "Properties": map[string]any{
				"Empty": map[string]any{}, "None": []any{}, "N": json.Number("3"), "F": json.Number("2.5"), "B": false, "Nil": nil,
				"Nested": []any{[]any{"a", "b"}, []any{}, map[string]any{}, map[string]any{"x": []any{map[string]any{"y": "z"}}}},
			}},
			"B": map[string]any{},
		},
	})
}

// TestYAMLWriterPutsTypeFirst keeps templates readable: what a resource is
// comes before its properties.
func TestYAMLWriterPutsTypeFirst(t *testing.T) {
	out := string(writeYAML(Tree{"Resources": map[string]any{"R": map[string]any{"Properties": map[string]any{"A": "b"}, "Condition": "C", "Type": "AWS::S3::Bucket"}}}))
	want := "Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Condition: C\n    Properties:\n      A: b\n"
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}

func FuzzYAMLWriter(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc, _ := json.Marshal(s)
		var clean string
		_ = json.Unmarshal(enc, &clean) // the writer sees what encoding/json produced
		tree := Tree{"k": clean, "l": []any{clean}, "m": map[string]any{clean: clean}}
		roundTrip(t, tree)
		// The JSON writer escapes the same characters, and reads back.
		out, _ := EncodeTree(tree, JSON)
		if r, bad := rawUnprintable(out); bad {
			t.Fatalf("JSON output carries U+%04X raw: %q", r, out)
		}
		var back map[string]any
		if err := json.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(back, tree) {
			t.Fatalf("JSON output does not read back (%v): %q", err, out)
		}
	})
}

// TestYAMLWriterParallelIsSerial: a template with enough resources to be
// written in parallel is written byte for byte as the serial writer
// writes it, whatever the number of CPUs (tricky strings and long keys
// included, which the writer measures by its own length).
func TestYAMLWriterParallelIsSerial(t *testing.T) {
	resources := map[string]any{}
	for i := 0; i < 3*parallelResources; i++ {
		s := trickyStrings[i%len(trickyStrings)]
		resources[fmt.Sprintf("R%03d", i)] = map[string]any{"Type": "AWS::X::Y", "DependsOn": []any{"A"}, "Properties": map[string]any{
			"S": s, "L": []any{s, map[string]any{s: json.Number("1")}}, strings.Repeat("k", 1100): "long key", "E": map[string]any{}}}
	}
	resources["Empty"] = map[string]any{}
	tree := Tree{"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources, "Outputs": map[string]any{"O": map[string]any{"Value": "v"}}}
	parallelOut := writeYAML(tree)
	defer func(n int) { parallelResources = n }(parallelResources)
	parallelResources = math.MaxInt
	if serial := writeYAML(tree); !bytes.Equal(parallelOut, serial) {
		t.Errorf("the parallel writer differs from the serial one:\n%s\n---\n%s", parallelOut, serial)
	}
	roundTrip(t, tree)
}
