package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"gopkg.in/yaml.v3"
)

// Format is the output encoding of templates.
type Format string

const (
	YAML Format = "yaml"
	JSON Format = "json"
)

// Encode writes a template in the chosen format. goformation gives the
// JSON (resolving its encoded intrinsics); it is then read into an ordered
// YAML tree, where the one fix goformation's typed structs need is made,
// and written out in either format.
func Encode(t *cloudformation.Template, format Format) ([]byte, error) {
	raw, err := t.JSON()
	if err != nil {
		return nil, fmt.Errorf("encoding template: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("reading template back: %w", err)
	}
	root := doc.Content[0]
	fixListRefs(root, listParameters(t))
	typeFirst(root)
	plain(root)
	switch format {
	case JSON:
		var b bytes.Buffer
		writeJSON(&b, root, "")
		b.WriteByte('\n')
		return b.Bytes(), nil
	default:
		var b bytes.Buffer
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(root); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
}

func listParameters(t *cloudformation.Template) map[string]bool {
	out := map[string]bool{}
	for name, p := range t.Parameters {
		if strings.HasPrefix(p.Type, "List<") || p.Type == "CommaDelimitedList" {
			out[name] = true
		}
	}
	return out
}

// fixListRefs replaces [ {Ref: ListParam} ] by {Ref: ListParam}. goformation
// types list properties as []string, so a list-valued parameter can only be
// put in as a one-element list; CloudFormation wants the Ref itself.
func fixListRefs(n *yaml.Node, lists map[string]bool) {
	for i, c := range n.Content {
		if c.Kind == yaml.SequenceNode && len(c.Content) == 1 {
			if name, ok := refName(c.Content[0]); ok && lists[name] {
				n.Content[i] = c.Content[0]
				continue
			}
		}
		fixListRefs(c, lists)
	}
}

func refName(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 || n.Content[0].Value != "Ref" {
		return "", false
	}
	return n.Content[1].Value, true
}

// yaml11Special matches plain scalars that a YAML 1.1 reader (such as
// CloudFormation's) takes for a boolean, null or number although YAML 1.2,
// and so yaml.v3, reads them as strings: on, yes, n, 0777, 1_000, 1:30.
var yaml11Special = regexp.MustCompile(`^(?i:y|n|yes|no|on|off|true|false|null|~)$|^[-+]?(0[0-7_]+|0b[01_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?|\.(inf|Inf|INF)|\.(nan|NaN|NAN))$`)

// plain drops the JSON quoting style so that YAML output is written in its
// plain style; strings that would read as another type stay quoted, under
// YAML 1.1 rules as well as 1.2.
func plain(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		switch {
		case strings.Contains(n.Value, "\n"):
			n.Style = yaml.LiteralStyle
		case yaml11Special.MatchString(n.Value):
			n.Style = yaml.DoubleQuotedStyle
		}
	}
	for _, c := range n.Content {
		plain(c)
	}
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
	// json.Marshal escapes <, > and & for HTML; templates are not HTML.
	enc = bytes.ReplaceAll(enc, []byte(`\u003c`), []byte("<"))
	enc = bytes.ReplaceAll(enc, []byte(`\u003e`), []byte(">"))
	enc = bytes.ReplaceAll(enc, []byte(`\u0026`), []byte("&"))
	b.Write(enc)
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
			for k := 0; k+1 < len(r.Content); k += 2 {
				if r.Content[k].Value == "Type" && k > 0 {
					key, val := r.Content[k], r.Content[k+1]
					rest := append(r.Content[:k:k], r.Content[k+2:]...)
					r.Content = append([]*yaml.Node{key, val}, rest...)
					break
				}
			}
		}
	}
}
