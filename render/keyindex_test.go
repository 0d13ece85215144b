package render

import (
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestIndexedWalkIsWalk: a file's indexed walk finds what the plain walk
// finds, for every key of a large mapping (a key written twice included,
// where the first is taken), below it, through an alias, and for keys that
// are not there.
func TestIndexedWalkIsWalk(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-base: &base\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "  k%d: %d\n", i, i)
	}
	b.WriteString("services:\n")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, "  s%d:\n    image: nginx:1.27\n    environment: {A: \"%d\"}\n", i, i)
	}
	b.WriteString("  s7:\n    image: redis:7\n") // written twice: the first counts
	b.WriteString("  alias: *base\n")
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatal(err)
	}
	f := sourceFile{root: doc.Content[0], keys: &keyIndex{}}
	paths := [][]string{{"services"}, {"services", "nope"}, {"services", "s7", "image"}, {"services", "alias", "k39"},
		{"services", "alias", "k40"}, {"x-base", "k3"}, {"services", "s99", "environment", "A"}, {"services", "s5", "ports", "0"}}
	for i := 0; i < 100; i++ {
		paths = append(paths, []string{"services", fmt.Sprintf("s%d", i), "image"})
	}
	for _, p := range paths {
		pos1, v1, d1 := walk(f.root, p)
		pos2, v2, d2 := f.walk(p)
		if pos1 != pos2 || v1 != v2 || d1 != d2 {
			t.Errorf("%v: indexed walk gives (%v, %d), plain (%v, %d)", p, v2.Value, d2, v1.Value, d1)
		}
	}
	if n := len(f.keys.at); n != 2 {
		t.Errorf("%d mappings indexed, want the services and the anchored base", n)
	}
	if _, v, _ := f.walk([]string{"services", "s7", "image"}); v.Value != "nginx:1.27" {
		t.Errorf("s7's image is %s, want the first s7's", v.Value)
	}
}
