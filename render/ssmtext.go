package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Configurations composex stores in SSM Parameter Store (the CloudWatch
// agent's, the Prometheus scrape file, the Envoy bootstrap) are read by a
// program at run time and by a person in a pull request. They are written
// for the person: indented, one key per line, keys in a stable order, so
// that a change shows as the lines it changes. The program does not mind.

// SSM Parameter Store's value limits per tier. A Standard parameter holds
// 4096 characters (SSM's ValidationException says "characters"); an
// Advanced one 8192 and costs a monthly fee per parameter. composex counts
// bytes, which is never fewer than characters.
const (
	TierStandard           = "Standard"
	TierAdvanced           = "Advanced"
	StandardParameterChars = 4096
	AdvancedParameterChars = 8192
)

// TierLimit is the most a parameter of the tier holds (0: not a tier).
func TierLimit(tier string) int {
	switch tier {
	case TierStandard:
		return StandardParameterChars
	case TierAdvanced:
		return AdvancedParameterChars
	}
	return 0
}

// subLengths are the longest values CloudFormation's pseudo parameters
// take (a stack name is at most 128 characters, a nested stack's too).
var subLengths = map[string]int{
	"AWS::StackName": 128, "AWS::Region": 20, "AWS::AccountId": 12,
	"AWS::Partition": 16, "AWS::URLSuffix": 20,
}

// StoredLength is the longest a parameter value can be once CloudFormation
// has resolved it: text as written, and sub when it is the string of a
// Fn::Sub (each ${AWS::...} at its longest, each ${!x} one character
// shorter). A reference whose length cannot be bounded is an error.
func StoredLength(text string, sub bool) (int, error) {
	if !sub {
		return len(text), nil
	}
	n := 0
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			return n + len(text), nil
		}
		n += i
		rest := text[i+2:]
		if strings.HasPrefix(rest, "!") { // ${!x} is written ${x}
			n += 2
			text = rest[1:]
			continue
		}
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return 0, fmt.Errorf("an unclosed ${ in a Fn::Sub string")
		}
		l, ok := subLengths[rest[:end]]
		if !ok {
			return 0, fmt.Errorf("${%s} in a stored configuration: composex cannot bound its length", rest[:end])
		}
		n += l
		text = rest[end+1:]
	}
}

// ParameterTier is the cheapest tier that holds the value at its longest
// (see StoredLength), or an error naming what was stored and the limit.
//
// Parameter Store refuses to move a parameter from Advanced back to
// Standard: a configuration that shrinks below 4096 characters after a
// deploy that stored it as Advanced fails that stack update (the README
// says so); composex sizes by the longest stack name, so a value near
// the limit does not flip with the stack's name.
func ParameterTier(what, text string, sub bool) (string, error) {
	n, err := StoredLength(text, sub)
	if err != nil {
		return "", fmt.Errorf("%s: %v", what, err)
	}
	switch {
	case n <= StandardParameterChars:
		return TierStandard, nil
	case n <= AdvancedParameterChars:
		return TierAdvanced, nil
	}
	return "", fmt.Errorf("%s is up to %d characters once stored; an SSM parameter holds %d at most (Advanced tier)", what, n, AdvancedParameterChars)
}

// ReviewJSON writes v as JSON for review: two-space indentation, object
// keys sorted (v goes through a generic value, so struct field order does
// not matter), numbers as written, no HTML escaping of regular
// expressions' < and >.
func ReviewJSON(v any) (string, error) {
	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	dec := json.NewDecoder(&raw)
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return "", err
	}
	var out bytes.Buffer
	enc = json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(generic); err != nil {
		return "", err
	}
	return strings.TrimSuffix(out.String(), "\n"), nil
}

// ReviewYAML writes a generic value (maps, slices, scalars, as JSON
// decodes them with UseNumber) as YAML for review: mapping keys sorted,
// two-space indentation, strings quoted wherever YAML would read them as
// another type. A mapping or sequence whose flow form is short
// ({address: 127.0.0.1, port_value: 8080}) stays on one line: a change
// still shows as the line it changes, and the deep nesting of a
// configuration such as Envoy's does not spend the SSM parameter's 4096
// characters on indentation.
func ReviewYAML(v any) (string, error) {
	var n yaml.Node
	if err := n.Encode(yamlNumbers(v)); err != nil {
		return "", err
	}
	if err := shortFlow(&n); err != nil {
		return "", err
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return out.String(), nil
}

// ReviewFlowWidth is the longest flow form ReviewYAML keeps on one line.
const ReviewFlowWidth = 80

// shortFlow sets flow style on every collection whose flow form is at most
// ReviewFlowWidth characters on one line, innermost first; the document's
// top level stays block.
func shortFlow(n *yaml.Node) error {
	for _, c := range n.Content {
		if err := shortFlow(c); err != nil {
			return err
		}
	}
	if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
		return nil
	}
	if len(n.Content) == 0 {
		n.Style = yaml.FlowStyle
		return nil
	}
	saved := n.Style
	n.Style = yaml.FlowStyle
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	flow := strings.TrimSuffix(string(b), "\n")
	if len(flow) > ReviewFlowWidth || strings.Contains(flow, "\n") {
		n.Style = saved
	}
	return nil
}

// yamlNumbers turns json.Number into a YAML number node (yaml.v3 would
// write a json.Number as a quoted string).
func yamlNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = yamlNumbers(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = yamlNumbers(x)
		}
		return out
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(t.String(), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t.String()}
	}
	return v
}
