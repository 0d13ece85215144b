package render

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// stringPaths are the paths compose-go's interpolation gives the strings of
// doc (tree.NewPath at the top, Path.Next below, [] for list items).
func stringPaths(doc map[string]any) []tree.Path {
	var out []tree.Path
	var walk func(v any, p tree.Path)
	walk = func(v any, p tree.Path) {
		switch v := v.(type) {
		case string:
			out = append(out, p)
		case map[string]any:
			for k, e := range v {
				walk(e, p.Next(k))
			}
		case []any:
			for _, e := range v {
				walk(e, p.Next(tree.PathMatchList))
			}
		}
	}
	for k, v := range doc {
		walk(v, tree.NewPath(k))
	}
	return out
}

// TestCastsUsedAreThoseThatMatch holds castsUsed to compose-go's own rule:
// of compose-go's casts it keeps exactly the patterns that tree.Path.Matches
// finds matching the path of some string of the file, for every example
// and for a file with strings at cast paths, dotted keys and list items.
func TestCastsUsedAreThoseThatMatch(t *testing.T) {
	casts := loader.ToOptions(&types.ConfigDetails{}, nil).Interpolate.TypeCastMapping
	files, err := filepath.Glob("../examples/*/docker-compose.yml")
	if err != nil || len(files) < 20 {
		t.Fatalf("examples: %v, %d files", err, len(files))
	}
	docs := map[string][]byte{"synthetic": []byte(`
services:
  web.v2:
    image: nginx:1.27
    cpus: "0.5"
    init: "true"
    deploy: {replicas: "2", resources: {limits: {cpus: "0.25"}}}
    networks: {front: {use_service_name_alias: "true"}}
    ulimits: {nofile: {soft: "1024", hard: "2048"}}
    "*": "x"
    healthcheck: {test: [CMD, "true"], retries: "3"}
    pre_start: [{image: busybox:1.36, privileged: "false"}]
networks:
  front: {external: "false"}
volumes:
  data: {external: "true"}
`)}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[f] = b
	}
	keptSome := false
	for name, b := range docs {
		var doc map[string]any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		used, ok := castsUsed(casts, doc)
		if !ok {
			t.Fatalf("%s: castsUsed could not follow the file", name)
		}
		paths := stringPaths(doc)
		for pattern := range casts {
			matches := false
			for _, p := range paths {
				if p.Matches(pattern) {
					matches = true
					break
				}
			}
			if _, kept := used[pattern]; kept != matches {
				t.Errorf("%s: %s kept %v, but it matches a string of the file: %v", name, pattern, kept, matches)
			}
		}
		if name == "synthetic" {
			keptSome = len(used) >= 9
		}
	}
	if !keptSome {
		t.Error("the synthetic file's strings at cast paths kept fewer than 9 casts")
	}
	// A top-level key holding a dot is split by compose-go's paths: every
	// cast is kept.
	if used, ok := castsUsed(casts, map[string]any{"a.b": "x"}); ok || len(used) != len(casts) {
		t.Errorf("a dotted top-level key: ok %v, %d of %d casts kept", ok, len(used), len(casts))
	}
}
