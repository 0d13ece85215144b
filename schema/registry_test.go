package schema_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/extensions/files"
	"github.com/composex/composex/render"
	"github.com/composex/composex/schema"
)

// Every x- key composex reads must have a schema, and every schema file
// must be used: forgetting one is a test failure, not a silent gap.
func TestEveryKeyHasASchema(t *testing.T) {
	need := map[schema.Level][]string{
		schema.ServiceLevel: append([]string(nil), render.CoreServiceKeys...),
		schema.ProjectLevel: append([]string(nil), render.CoreProjectKeys...),
		schema.SecretLevel:  {"x-secrets", files.SecretGenerateKey},
		schema.VolumeLevel:  {"x-efs"},
	}
	for _, e := range extensions.All() {
		need[schema.ServiceLevel] = append(need[schema.ServiceLevel], e.ServiceKeys()...)
		need[schema.ProjectLevel] = append(need[schema.ProjectLevel], e.ProjectKeys()...)
	}
	for level, keys := range need {
		for _, k := range keys {
			if !strings.HasPrefix(k, "x-") {
				continue
			}
			if _, ok := schema.Lookup(level, k); !ok {
				t.Errorf("%s key %s has no schema: add schema/ext/<file>.schema.json and an entry in schema.Entries", level, k)
			}
		}
	}
}

// Schema files are compiled when a block first needs one: each must
// compile, used or not by the examples.
func TestEverySchemaFileCompiles(t *testing.T) {
	for _, f := range schema.FileNames() {
		if err := schema.CompileSchemaFile(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestEverySchemaFileIsUsed(t *testing.T) {
	used := map[string]bool{}
	for _, e := range schema.Entries {
		used[e.File] = true
		if _, err := schema.File(e.File); err != nil {
			t.Errorf("entry %s %s: %v", e.Level, e.Key, err)
		}
	}
	for _, f := range schema.FileNames() {
		if !used[f] {
			t.Errorf("schema/ext/%s is not used by any entry of schema.Entries", f)
		}
	}
	seen := map[string]bool{}
	for _, e := range schema.Entries {
		k := string(e.Level) + " " + e.Key
		if seen[k] {
			t.Errorf("%s listed twice", k)
		}
		seen[k] = true
	}
}

// Each schema is draft-07, strict, and says what each key means, so that
// editors can show it.
func TestSchemasAreStrictAndDocumented(t *testing.T) {
	for _, f := range schema.FileNames() {
		data, err := schema.File(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if doc["$schema"] != "http://json-schema.org/draft-07/schema#" {
			t.Errorf("%s: $schema is %v, want draft-07", f, doc["$schema"])
		}
		if doc["description"] == nil {
			t.Errorf("%s: no description", f)
		}
		walkSchema(doc, doc, f, func(where string, n map[string]any, isProperty bool) {
			if n["properties"] != nil && n["additionalProperties"] != false {
				t.Errorf("%s: %s has properties but is not strict (additionalProperties: false)", f, where)
			}
			if !isProperty {
				return
			}
			target := n
			if ref, ok := n["$ref"].(string); ok && n["description"] == nil {
				target = pointer(doc, ref)
			}
			if target == nil || target["description"] == nil {
				t.Errorf("%s: key %s has no description", f, where)
			}
			if target != nil && target["type"] == "boolean" && target["default"] == nil {
				t.Errorf("%s: boolean key %s has no default", f, where)
			}
		})
	}
}

func walkSchema(doc, n map[string]any, where string, visit func(string, map[string]any, bool)) {
	var rec func(where string, v any, isProperty bool)
	rec = func(where string, v any, isProperty bool) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		visit(where, m, isProperty)
		if props, ok := m["properties"].(map[string]any); ok {
			keys := make([]string, 0, len(props))
			for k := range props {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				rec(where+"."+k, props[k], true)
			}
		}
		for _, kw := range []string{"items", "additionalProperties", "not"} {
			rec(where+"["+kw+"]", m[kw], false)
		}
		for _, kw := range []string{"allOf", "anyOf", "oneOf"} {
			list, _ := m[kw].([]any)
			for i, b := range list {
				rec(fmt.Sprintf("%s[%s %d]", where, kw, i), b, false)
			}
		}
		if defs, ok := m["definitions"].(map[string]any); ok {
			for k, d := range defs {
				rec(where+"#"+k, d, false)
			}
		}
	}
	rec(where, n, false)
}

func pointer(doc map[string]any, ref string) map[string]any {
	cur := any(doc)
	for _, p := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	m, _ := cur.(map[string]any)
	return m
}
