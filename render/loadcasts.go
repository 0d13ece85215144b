package render

import (
	"strings"

	interp "github.com/compose-spec/compose-go/v2/interpolation"
	"github.com/compose-spec/compose-go/v2/tree"
)

// compose-go's interpolation looks up, for every string it interpolates,
// the cast to apply at that string's path: it tries each of its patterns
// (some seventy) with tree.Path.Matches, which splits both paths. A file
// holds strings at only a few of those paths (a cpus or a replicas written
// as a string, an external: "true"), so a project loaded in parts hands
// the loader only the patterns that match a string of the file: the
// others match nothing in it, and compose-go's lookup, which returns the
// first pattern that matches, finds the same casts.

// castTrie holds cast patterns by their parts.
type castTrie struct {
	next     map[string]*castTrie
	patterns []tree.Path // the patterns that end here
}

func newCastTrie(casts map[tree.Path]interp.Cast) *castTrie {
	root := &castTrie{}
	for pattern := range casts {
		n := root
		for _, part := range pattern.Parts() {
			if n.next == nil {
				n.next = map[string]*castTrie{}
			}
			c := n.next[part]
			if c == nil {
				c = &castTrie{}
				n.next[part] = c
			}
			n = c
		}
		n.patterns = append(n.patterns, pattern)
	}
	return root
}

// castsUsed returns the casts whose pattern matches the path of a string in
// one of docs, decoded compose files as the interpolation sees them. ok is
// false when a path cannot be followed exactly (a top-level key holding a
// dot, which compose-go's paths split; a mapping not keyed by strings):
// then every cast is kept.
func castsUsed(casts map[tree.Path]interp.Cast, docs ...map[string]any) (used map[tree.Path]interp.Cast, ok bool) {
	root := newCastTrie(casts)
	found := map[tree.Path]bool{}
	var walk func(v any, at []*castTrie) bool
	step := func(at []*castTrie, key string) []*castTrie {
		// The part of the path compose-go makes of the key: tree.Path.Next
		// writes a key's dots as another character.
		part := key
		if strings.Contains(key, ".") {
			part = string(tree.Path("x").Next(key))[len("x."):]
		}
		var out []*castTrie
		for _, n := range at {
			if c := n.next[tree.PathMatchAll]; c != nil {
				out = append(out, c)
			}
			if c := n.next[part]; c != nil && part != tree.PathMatchAll {
				out = append(out, c)
			}
		}
		return out
	}
	walk = func(v any, at []*castTrie) bool {
		if len(at) == 0 {
			return true
		}
		switch v := v.(type) {
		case string:
			for _, n := range at {
				for _, p := range n.patterns {
					found[p] = true
				}
			}
		case map[string]any:
			for k, e := range v {
				if !walk(e, step(at, k)) {
					return false
				}
			}
		case []any:
			next := step(at, tree.PathMatchList)
			for _, e := range v {
				if !walk(e, next) {
					return false
				}
			}
		case map[any]any:
			return false
		}
		return true
	}
	for _, doc := range docs {
		for k, v := range doc {
			if strings.Contains(k, ".") {
				return casts, false
			}
			if !walk(v, step([]*castTrie{root}, k)) {
				return casts, false
			}
		}
	}
	used = make(map[tree.Path]interp.Cast, len(found))
	for p := range found {
		used[p] = casts[p]
	}
	return used, true
}
