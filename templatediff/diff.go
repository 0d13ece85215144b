// Package templatediff compares two composex renders (two sets of output
// files) and says, per template and per resource, what a deploy would
// change. It is offline: it compares the documents, not a stack's state,
// so a pipeline can gate a pull request on it before anything is deployed.
package templatediff

import (
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Kind is what happened to one entry between the old and the new render.
type Kind string

const (
	Added   Kind = "+"
	Removed Kind = "-"
	Changed Kind = "~"
)

// Change is one difference: a file, a resource (or parameter, output...),
// or, for a changed entry, the property paths that differ.
type Change struct {
	File    string   // output file name, e.g. shop.yaml
	Section string   // Resources, Parameters, Outputs, ... ("" for a whole file)
	Name    string   // logical ID or parameter name ("" for a whole file)
	Type    string   // resource type where there is one
	Kind    Kind     //
	Paths   []string // for Changed: the property paths that differ, sorted
}

func (c Change) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", c.Kind, c.File)
	if c.Section != "" {
		fmt.Fprintf(&b, " %s", c.Section)
	}
	if c.Name != "" {
		fmt.Fprintf(&b, ".%s", c.Name)
	}
	if c.Type != "" {
		fmt.Fprintf(&b, " (%s)", c.Type)
	}
	if len(c.Paths) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(c.Paths, ", "))
	}
	return b.String()
}

// maxPaths bounds how many property paths one changed entry lists, so a
// rewritten task definition reads as a line, not a page.
const maxPaths = 12

// Compare returns the differences between two renders, each a map from
// output file name to its bytes, in a stable order (file, section, name).
// Templates (.yaml, .yml, .json other than *.params.json) are compared as
// CloudFormation documents, so a YAML and a JSON render of the same project
// are equal; parameter files as lists of Key=Value entries.
func Compare(old, new map[string][]byte) ([]Change, error) {
	oldDocs, err := decodeAll(old)
	if err != nil {
		return nil, fmt.Errorf("old render: %w", err)
	}
	newDocs, err := decodeAll(new)
	if err != nil {
		return nil, fmt.Errorf("new render: %w", err)
	}
	var changes []Change
	for _, name := range unionKeys(oldDocs, newDocs) {
		o, inOld := oldDocs[name]
		n, inNew := newDocs[name]
		switch {
		case !inOld:
			changes = append(changes, Change{File: n.file, Kind: Added})
		case !inNew:
			changes = append(changes, Change{File: o.file, Kind: Removed})
		default:
			changes = append(changes, compareDocs(n.file, o.body, n.body)...)
		}
	}
	return changes, nil
}

// document is one decoded output file, keyed by its name without the
// format extension so that x.yaml and x.json compare with each other.
type document struct {
	file string
	body any
}

func decodeAll(files map[string][]byte) (map[string]document, error) {
	docs := map[string]document{}
	for _, name := range unionKeys(files, nil) {
		body := files[name]
		key, ok := documentKey(name)
		if !ok {
			continue
		}
		var v any
		if err := yaml.Unmarshal(body, &v); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if !isRenderFile(name, v) {
			continue // a compose file or anything else that is not a template
		}
		if prev, dup := docs[key]; dup {
			return nil, fmt.Errorf("%s and %s are the same template in two formats", prev.file, name)
		}
		docs[key] = document{file: name, body: normalise(v)}
	}
	return docs, nil
}

// documentKey is a file's name without its format extension, or false for
// a file that is not part of a render (a README someone left there).
func documentKey(name string) (string, bool) {
	if strings.HasSuffix(name, ".params.json") {
		return name, true
	}
	switch ext := path.Ext(name); ext {
	case ".yaml", ".yml", ".json":
		return strings.TrimSuffix(name, ext), true
	}
	return "", false
}

// isRenderFile tells a file composex writes (a CloudFormation template or
// a parameters list) from other YAML and JSON beside it.
func isRenderFile(name string, v any) bool {
	if strings.HasSuffix(name, ".params.json") {
		_, ok := v.([]any)
		return ok
	}
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, resources := m["Resources"]
	_, version := m["AWSTemplateFormatVersion"]
	return resources || version
}

// normalise turns YAML's decoded forms into JSON's (map keys as strings,
// every number as float64), so the same value compares equal from both.
func normalise(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalise(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = normalise(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = normalise(e)
		}
		return t
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	}
	return v
}

// sections of a template compared entry by entry; any other top-level key
// (Description, Metadata, Transform...) is compared as a whole.
var sections = []string{"Parameters", "Conditions", "Mappings", "Resources", "Outputs"}

func compareDocs(file string, old, new any) []Change {
	if list, ok := new.([]any); ok {
		return compareParams(file, old, list)
	}
	om, _ := old.(map[string]any)
	nm, _ := new.(map[string]any)
	if om == nil || nm == nil {
		if !reflect.DeepEqual(old, new) {
			return []Change{{File: file, Kind: Changed}}
		}
		return nil
	}
	var changes []Change
	isSection := map[string]bool{}
	for _, s := range sections {
		isSection[s] = true
		changes = append(changes, compareSection(file, s, asMap(om[s]), asMap(nm[s]))...)
	}
	for _, k := range unionKeys(om, nm) {
		if isSection[k] {
			continue
		}
		o, inOld := om[k]
		n, inNew := nm[k]
		switch {
		case !inOld:
			changes = append(changes, Change{File: file, Section: k, Kind: Added})
		case !inNew:
			changes = append(changes, Change{File: file, Section: k, Kind: Removed})
		case !reflect.DeepEqual(o, n):
			changes = append(changes, Change{File: file, Section: k, Kind: Changed, Paths: limit(diffPaths("", o, n))})
		}
	}
	return changes
}

func compareSection(file, section string, old, new map[string]any) []Change {
	var changes []Change
	for _, name := range unionKeys(old, new) {
		o, inOld := old[name]
		n, inNew := new[name]
		c := Change{File: file, Section: section, Name: name}
		switch {
		case !inOld:
			c.Kind, c.Type = Added, resourceType(n)
		case !inNew:
			c.Kind, c.Type = Removed, resourceType(o)
		case reflect.DeepEqual(o, n):
			continue
		default:
			c.Kind, c.Type = Changed, resourceType(n)
			c.Paths = limit(diffPaths("", o, n))
		}
		changes = append(changes, c)
	}
	return changes
}

// compareParams compares two parameter files (lists of Key=Value) by key.
func compareParams(file string, old any, new []any) []Change {
	ov, nv := paramValues(old), paramValues(new)
	var changes []Change
	for _, k := range unionKeys(ov, nv) {
		o, inOld := ov[k]
		n, inNew := nv[k]
		c := Change{File: file, Section: "Values", Name: k}
		switch {
		case !inOld:
			c.Kind = Added
		case !inNew:
			c.Kind = Removed
		case o != n:
			c.Kind = Changed
		default:
			continue
		}
		changes = append(changes, c)
	}
	return changes
}

func paramValues(v any) map[string]string {
	m := map[string]string{}
	list, _ := v.([]any)
	for _, e := range list {
		s, _ := e.(string)
		k, val, _ := strings.Cut(s, "=")
		m[k] = val
	}
	return m
}

func resourceType(v any) string {
	if m, ok := v.(map[string]any); ok {
		if t, ok := m["Type"].(string); ok && strings.Contains(t, "::") {
			return t
		}
	}
	return ""
}

// diffPaths lists the paths under which old and new differ, descending
// maps by key and lists by index, so a reviewer sees the property that
// changed ("Properties.ContainerDefinitions[0].Image"), not just the
// resource.
func diffPaths(prefix string, old, new any) []string {
	if reflect.DeepEqual(old, new) {
		return nil
	}
	switch o := old.(type) {
	case map[string]any:
		n, ok := new.(map[string]any)
		if !ok {
			break
		}
		var paths []string
		for _, k := range unionKeys(o, n) {
			paths = append(paths, diffPaths(join(prefix, k), o[k], n[k])...)
		}
		return paths
	case []any:
		n, ok := new.([]any)
		if !ok || len(n) != len(o) {
			break
		}
		var paths []string
		for i := range o {
			paths = append(paths, diffPaths(prefix+"["+strconv.Itoa(i)+"]", o[i], n[i])...)
		}
		return paths
	}
	if prefix == "" {
		prefix = "(value)"
	}
	return []string{prefix}
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func limit(paths []string) []string {
	if len(paths) <= maxPaths {
		return paths
	}
	more := len(paths) - maxPaths
	return append(paths[:maxPaths:maxPaths], fmt.Sprintf("and %d more", more))
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := make(map[string]bool, len(a)+len(b))
	var keys []string
	for _, m := range []map[string]V{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// MarshalJSON writes a change with lower-case keys, for --json output.
func (c Change) MarshalJSON() ([]byte, error) {
	kind := map[Kind]string{Added: "added", Removed: "removed", Changed: "changed"}[c.Kind]
	return json.Marshal(struct {
		Kind    string   `json:"kind"`
		File    string   `json:"file"`
		Section string   `json:"section,omitempty"`
		Name    string   `json:"name,omitempty"`
		Type    string   `json:"type,omitempty"`
		Paths   []string `json:"paths,omitempty"`
	}{kind, c.File, c.Section, c.Name, c.Type, c.Paths})
}
