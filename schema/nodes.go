package schema

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The helpers below walk a schema document (as parsed JSON) along an
// instance path, to find what gojsonschema's errors do not carry: the keys
// allowed at a level, the value range, and composex's own messages
// (errorMessage, patternErrorMessage: the keywords yaml-language-server
// shows too).

type node = map[string]any

// resolve follows a local $ref ("#/definitions/x") to its target.
func resolve(root, n node) node {
	for i := 0; i < 16 && n != nil; i++ {
		ref, ok := n["$ref"].(string)
		if !ok {
			return n
		}
		n = pointer(root, ref)
	}
	return n
}

func pointer(root node, ref string) node {
	if !strings.HasPrefix(ref, "#") {
		return nil
	}
	cur := any(root)
	for _, p := range strings.Split(strings.TrimPrefix(strings.TrimPrefix(ref, "#"), "/"), "/") {
		if p == "" {
			continue
		}
		p = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
		m, ok := cur.(node)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	m, _ := cur.(node)
	return m
}

// expand returns n (resolved) and, recursively, the members of its allOf,
// anyOf and oneOf and its then and else: every schema that may apply to the
// same value (a then or else applies when its if does or does not match; it
// is listed for the keys and messages it holds).
func expand(root, n node) []node {
	var out []node
	var visit func(n node, depth int)
	visit = func(n node, depth int) {
		n = resolve(root, n)
		if n == nil || depth > 8 {
			return
		}
		out = append(out, n)
		for _, kw := range []string{"allOf", "anyOf", "oneOf"} {
			list, _ := n[kw].([]any)
			for _, m := range list {
				if mn, ok := m.(node); ok {
					visit(mn, depth+1)
				}
			}
		}
		for _, kw := range []string{"then", "else"} {
			if mn, ok := n[kw].(node); ok {
				visit(mn, depth+1)
			}
		}
	}
	visit(n, 0)
	return out
}

var (
	patternCache sync.Map // string -> *regexp.Regexp (nil if invalid)
)

func matches(pattern, s string) bool {
	v, ok := patternCache.Load(pattern)
	if !ok {
		re, err := regexp.Compile(pattern)
		if err != nil {
			re = nil
		}
		v, _ = patternCache.LoadOrStore(pattern, re)
	}
	re, _ := v.(*regexp.Regexp)
	return re != nil && re.MatchString(s)
}

// children returns the schemas that apply to the value under key of a
// value that n describes.
func children(root, n node, key string) []node {
	var out []node
	matched := false
	if props, ok := n["properties"].(node); ok {
		if c, ok := props[key].(node); ok {
			out = append(out, c)
			matched = true
		}
	}
	if pats, ok := n["patternProperties"].(node); ok {
		for p, c := range pats {
			if cn, ok := c.(node); ok && matches(p, key) {
				out = append(out, cn)
				matched = true
			}
		}
	}
	if !matched {
		if c, ok := n["additionalProperties"].(node); ok {
			out = append(out, c)
		}
	}
	if _, err := strconv.Atoi(key); err == nil {
		if c, ok := n["items"].(node); ok {
			out = append(out, c)
		}
	}
	return out
}

// nodesAt returns every schema (expanded) that applies at an instance path.
func nodesAt(root node, parts []string) []node {
	cur := expand(root, root)
	for _, p := range parts {
		var next []node
		for _, n := range cur {
			for _, c := range children(root, n, p) {
				next = append(next, expand(root, c)...)
			}
		}
		cur = next
		if len(cur) == 0 {
			return nil
		}
	}
	return cur
}

// allowedKeys lists the keys the schemas at a level declare, without the
// ones kept only to refuse them with a message.
func allowedKeys(nodes []node) []string {
	set := map[string]bool{}
	for _, n := range nodes {
		props, _ := n["properties"].(node)
		for k, v := range props {
			if vn, ok := v.(node); ok && vn["doNotSuggest"] == true {
				continue
			}
			set[k] = true
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case int, int64, int32, uint, uint64, uint32:
		return "integer"
	case float32:
		return "number"
	}
	return "unknown"
}

// typeMatches reports whether a value of JSON type t satisfies a schema
// "type" keyword (absent: any type).
func typeMatches(n node, t string) bool {
	tv, ok := n["type"]
	if !ok {
		return true
	}
	check := func(s string) bool { return s == t || (s == "number" && t == "integer") }
	switch x := tv.(type) {
	case string:
		return check(x)
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && check(s) {
				return true
			}
		}
	}
	return false
}

// declaredTypes lists the "type" values of a schema's alternatives.
func declaredTypes(root, n node) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, m := range expand(root, n) {
		switch x := m["type"].(type) {
		case string:
			add(x)
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok {
					add(s)
				}
			}
		}
	}
	return out
}

// requiredBranches returns, for a oneOf/anyOf whose members only name
// required keys ({required: [A]} | {required: [B]}), those key sets.
func requiredBranches(list []any) [][]string {
	var out [][]string
	for _, m := range list {
		mn, ok := m.(node)
		if !ok || len(mn) != 1 {
			return nil
		}
		req, ok := mn["required"].([]any)
		if !ok {
			return nil
		}
		var keys []string
		for _, r := range req {
			if s, ok := r.(string); ok {
				keys = append(keys, s)
			}
		}
		out = append(out, keys)
	}
	return out
}

func str(n node, key string) string {
	s, _ := n[key].(string)
	return s
}
