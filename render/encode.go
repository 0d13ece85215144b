package render

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/awslabs/goformation/v7/cloudformation"
	"gopkg.in/yaml.v3"
)

// Format is the output encoding of templates.
type Format string

const (
	YAML Format = "yaml"
	JSON Format = "json"
)

// Tree is a template as plain JSON values (maps, slices, strings,
// json.Number, bools): the form in which templates are split into nested
// stacks and written out.
type Tree = map[string]any

// Encode writes a template in the chosen format.
func Encode(t *cloudformation.Template, format Format) ([]byte, error) {
	tree, err := TemplateTree(t)
	if err != nil {
		return nil, err
	}
	return EncodeTree(tree, format)
}

// TemplateTree turns a goformation template into a Tree, and makes the
// fixes goformation's typed structs need, once: its intrinsics (stored as
// base64 strings so that they fit string fields) become objects again, and
// list-valued Refs leave the one-element lists they had to live in.
//
// goformation's own Template.JSON() does the first fix too, but it also
// evaluates Fn::Equals, Fn::Join or Fn::Select of literals, marshals the
// template twice and re-parses it. The tree is built from the structs
// directly (treeOf), giving what encoding/json's round trip gives.
func TemplateTree(t *cloudformation.Template) (Tree, error) {
	// Resources are independent of each other: they are built in
	// parallel, the rest of the template (small) on its own.
	skeleton := *t
	skeleton.Resources = cloudformation.Resources{}
	top, err := treeOf(reflect.ValueOf(&skeleton))
	if err != nil {
		return nil, fmt.Errorf("encoding template: %w", err)
	}
	tree := top.(map[string]any)
	lists := listParameters(tree)
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	decoded := make([]any, len(ids))
	errs := make([]error, len(ids))
	parallel(len(ids), func(i int) {
		r, err := treeOf(reflect.ValueOf(t.Resources[ids[i]]))
		decoded[i], errs[i] = fixListRefs(r, lists), err
	})
	resources := make(map[string]any, len(ids))
	for i, id := range ids {
		if errs[i] != nil {
			return nil, fmt.Errorf("encoding resource %s: %w", id, errs[i])
		}
		resources[id] = decoded[i]
	}
	fixListRefs(tree, lists) // the resources' own are fixed above
	tree["Resources"] = resources
	return tree, nil
}

// parallel runs do(0..n-1) on as many goroutines as there are CPUs.
func parallel(n int, do func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers > n {
		workers = n
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				do(i)
			}
		}()
	}
	wg.Wait()
}

// decodeIntrinsics replaces every string that is a goformation-encoded
// intrinsic function (base64 of {"Fn::...": ...} or {"Ref": ...}) by the
// function itself, recursively.
func decodeIntrinsics(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			t[k] = decodeIntrinsics(c)
		}
	case []any:
		for i, c := range t {
			t[i] = decodeIntrinsics(c)
		}
	case string:
		if fn, ok := intrinsic(t); ok {
			return decodeIntrinsics(fn)
		}
	}
	return v
}

// intrinsic decodes one goformation intrinsic string. goformation writes
// them as base64 of `{ "Name": ...}`, so the text always starts with "eyAi"
// or "eyJ" and is a multiple of 4 long: a cheap test before decoding.
func intrinsic(s string) (map[string]any, bool) {
	if len(s) < 8 || len(s)%4 != 0 || !(strings.HasPrefix(s, "eyAi") || strings.HasPrefix(s, "eyJ")) {
		return nil, false
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	m, ok := commonIntrinsic(raw)
	if !ok {
		if err := json.Unmarshal(raw, &m); err != nil || len(m) != 1 {
			return nil, false
		}
	}
	for k := range m {
		if k != "Ref" && k != "Condition" && !strings.HasPrefix(k, "Fn::") {
			return nil, false
		}
	}
	return m, true
}

// commonIntrinsic reads an intrinsic as goformation writes it, without a
// JSON decoder (which was a third of building the tree): one key, its
// value a string or a list of strings, written with goformation's spacing
// ({ "Ref": "X" }, { "Fn::If" : [ "C", "a", "b" ] }). Anything else (a
// number, a nested list, an escape it does not know, other spacing)
// returns false and is decoded as JSON; TestCommonIntrinsicIsJSON holds
// both to one answer.
func commonIntrinsic(raw []byte) (map[string]any, bool) {
	r := intrinsicReader{raw: raw}
	if !r.skip("{ ") {
		return nil, false
	}
	key, ok := r.str()
	if !ok || !(r.skip(" : ") || r.skip(": ")) {
		return nil, false
	}
	var val any
	if r.skip("[ ") {
		var list []any
		for {
			s, ok := r.str()
			if !ok {
				return nil, false
			}
			list = append(list, s)
			if r.skip(" ]") {
				break
			}
			if !r.skip(", ") {
				return nil, false
			}
		}
		val = list
	} else if val, ok = r.str(); !ok {
		return nil, false
	}
	if !r.skip(" }") || r.i != len(raw) {
		return nil, false
	}
	return map[string]any{key: val}, true
}

type intrinsicReader struct {
	raw []byte
	i   int
}

func (r *intrinsicReader) skip(lit string) bool {
	if len(r.raw)-r.i >= len(lit) && string(r.raw[r.i:r.i+len(lit)]) == lit {
		r.i += len(lit)
		return true
	}
	return false
}

// str reads a JSON string as encoding/json reads it, for the escapes
// encoding/json writes; a \u escape of a surrogate, a raw control
// character or invalid UTF-8 returns false (the decoder has its own
// rules for those).
func (r *intrinsicReader) str() (string, bool) {
	if r.i >= len(r.raw) || r.raw[r.i] != '"' {
		return "", false
	}
	start := r.i + 1
	j := start
	for j < len(r.raw) && r.raw[j] != '"' && r.raw[j] != '\\' {
		j++
	}
	if j < len(r.raw) && r.raw[j] == '"' { // no escape: the text itself
		s := r.raw[start:j]
		if !plainText(s) {
			return "", false
		}
		r.i = j + 1
		return string(s), true
	}
	var b []byte
	b = append(b, r.raw[start:j]...)
	for j < len(r.raw) {
		c := r.raw[j]
		switch {
		case c == '"':
			if !utf8.Valid(b) {
				return "", false
			}
			r.i = j + 1
			return string(b), true
		case c < 0x20:
			return "", false
		case c != '\\':
			b = append(b, c)
			j++
			continue
		}
		if j+1 >= len(r.raw) {
			return "", false
		}
		switch e := r.raw[j+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			if j+6 > len(r.raw) {
				return "", false
			}
			n, err := strconv.ParseUint(string(r.raw[j+2:j+6]), 16, 32)
			if err != nil || (n >= 0xd800 && n < 0xe000) {
				return "", false
			}
			b = utf8.AppendRune(b, rune(n))
			j += 4
		default:
			return "", false
		}
		j += 2
	}
	return "", false
}

// plainText reports whether s is valid UTF-8 without raw control
// characters below U+0020 (an escape writes those; JSON forbids them raw).
func plainText(s []byte) bool {
	for _, c := range s {
		if c < 0x20 {
			return false
		}
	}
	return utf8.Valid(s)
}

// EncodeTree writes a Tree as YAML or JSON: keys sorted, each resource's
// Type first, deterministic byte for byte.
func EncodeTree(tree Tree, format Format) ([]byte, error) {
	if format != JSON {
		return writeYAML(tree), nil
	}
	root := toNode(tree)
	typeFirst(root)
	var b bytes.Buffer
	writeJSON(&b, root, "")
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func listParameters(tree Tree) map[string]bool {
	out := map[string]bool{}
	params, _ := tree["Parameters"].(map[string]any)
	for name, p := range params {
		typ, _ := p.(map[string]any)["Type"].(string)
		if strings.HasPrefix(typ, "List<") || typ == "CommaDelimitedList" {
			out[name] = true
		}
	}
	return out
}

// fixListRefs replaces [ {Ref: ListParam} ] by {Ref: ListParam}. goformation
// types list properties as []string, so a list-valued parameter can only be
// put in as a one-element list; CloudFormation wants the Ref itself.
func fixListRefs(v any, lists map[string]bool) any {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			t[k] = fixListRefs(c, lists)
		}
	case []any:
		if len(t) == 1 {
			if name, ok := refName(t[0]); ok && lists[name] {
				return t[0]
			}
		}
		for i, c := range t {
			t[i] = fixListRefs(c, lists)
		}
	}
	return v
}

func refName(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	name, ok := m["Ref"].(string)
	return name, ok
}

// toNode builds the YAML node of a value, keys sorted.
func toNode(v any) *yaml.Node {
	switch t := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n.Content = append(n.Content, scalar("!!str", k), toNode(t[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, c := range t {
			n.Content = append(n.Content, toNode(c))
		}
		return n
	case string:
		return scalar("!!str", t)
	case json.Number:
		if _, err := t.Int64(); err == nil {
			return scalar("!!int", t.String())
		}
		return scalar("!!float", t.String())
	case bool:
		return scalar("!!bool", fmt.Sprint(t))
	case nil:
		return scalar("!!null", "null")
	case int:
		return scalar("!!int", fmt.Sprint(t))
	case float64:
		return scalar("!!float", strconv.FormatFloat(t, 'f', -1, 64))
	}
	return scalar("!!str", fmt.Sprint(v))
}

// typeFirst puts each resource's Type before its other keys, so that a
// reader sees what a resource is before its properties.
func typeFirst(root *yaml.Node) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "Resources" {
			continue
		}
		resources := root.Content[i+1]
		for j := 1; j < len(resources.Content); j += 2 {
			r := resources.Content[j]
			for k := 2; k+1 < len(r.Content); k += 2 {
				if r.Content[k].Value == "Type" {
					key, val := r.Content[k], r.Content[k+1]
					rest := append(r.Content[:k:k], r.Content[k+2:]...)
					r.Content = append([]*yaml.Node{key, val}, rest...)
					break
				}
			}
		}
	}
}

// yaml11Special matches plain scalars that a YAML 1.1 or 1.2 reader (such
// as CloudFormation's) takes for a boolean, null, number, timestamp or
// merge key rather than a string: on, yes, n, 0777, 1_000, 1:30, .5,
// 2012-10-17, <<.
var yaml11Special = regexp.MustCompile(`(?i)^(y|n|yes|no|on|off|true|false|null|~)$|^[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*|[0-9][0-9_]*(:[0-5]?[0-9])+)$|^[-+]?(([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?|[0-9][0-9_]*[eE][-+]?[0-9]+|[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*|\.(inf|Inf|INF)|\.(nan|NaN|NAN))$|^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|^<<$`)

// scalar builds a scalar in plain style; strings that would read as
// another type (under YAML 1.1 rules as well as 1.2) are quoted, and
// multi-line strings are written as literal blocks.
func scalar(tag, value string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
	if tag == "!!str" {
		switch {
		case strings.Contains(value, "\n"):
			n.Style = yaml.LiteralStyle
		case yaml11Special.MatchString(value):
			n.Style = yaml.DoubleQuotedStyle
		}
	}
	return n
}

// writeJSON writes the tree as indented JSON, keeping key order.
func writeJSON(b *bytes.Buffer, n *yaml.Node, indent string) {
	inner := indent + "  "
	switch n.Kind {
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for i := 0; i+1 < len(n.Content); i += 2 {
			b.WriteString(inner)
			writeJSONString(b, n.Content[i].Value)
			b.WriteString(": ")
			writeJSON(b, n.Content[i+1], inner)
			if i+2 < len(n.Content) {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i, c := range n.Content {
			b.WriteString(inner)
			writeJSON(b, c, inner)
			if i+1 < len(n.Content) {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
	default:
		switch n.Tag {
		case "!!int", "!!float", "!!bool", "!!null":
			b.WriteString(n.Value)
		default:
			writeJSONString(b, n.Value)
		}
	}
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s)
	b.Write(escapeUnprintableJSON(unescapeHTML(enc)))
}

// unescapeHTML undoes json.Marshal's escaping of <, > and & for HTML;
// templates are not HTML.
func unescapeHTML(enc []byte) []byte {
	if !bytes.Contains(enc, []byte(`\u00`)) {
		return enc
	}
	enc = bytes.ReplaceAll(enc, []byte(`\u003c`), []byte("<"))
	enc = bytes.ReplaceAll(enc, []byte(`\u003e`), []byte(">"))
	return bytes.ReplaceAll(enc, []byte(`\u0026`), []byte("&"))
}
