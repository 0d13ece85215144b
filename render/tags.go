package render

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// AWS tags, as ECS, Elastic Load Balancing, EFS and CloudWatch define
// them (the Tag type of their APIs): a key of 1 to 128 characters and a
// value of 0 to 256, both made of letters, digits, spaces and _ . : / = +
// - @ only, neither starting with aws: (reserved for AWS), and at most 50
// tags on one resource. CloudFormation passes tags through unchecked and
// cfn-lint does not look, so a label like team: "a&b" deploys nothing:
// the service fails to create. composex refuses such text at its key.
const (
	maxTagKey         = 128
	maxTagValue       = 256
	maxTagsOnResource = 50
)

var tagText = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// TagProblem says why AWS would refuse key and value as a tag, or "".
func TagProblem(key, value string) string {
	if key == "" {
		return "a tag key cannot be empty"
	}
	if p := tagPartProblem("key", key, maxTagKey); p != "" {
		return p
	}
	return tagPartProblem("value", value, maxTagValue)
}

// tagPartProblem checks a tag's key or value (part) against AWS's rules.
func tagPartProblem(part, s string, max int) string {
	switch {
	case utf8.RuneCountInString(s) > max:
		return fmt.Sprintf("the tag %s is %d characters long: AWS allows %d", part, utf8.RuneCountInString(s), max)
	case !tagText.MatchString(s):
		return fmt.Sprintf("the tag %s %q has %s, which AWS tags do not allow (letters, digits, spaces and _ . : / = + - @ only)", part, s, badTagChars(s))
	case strings.HasPrefix(strings.ToLower(s), "aws:"):
		return fmt.Sprintf("the tag %s %q starts with aws:, which AWS reserves for its own tags", part, s)
	}
	return ""
}

// badTagChars lists the characters of s a tag does not allow, quoted.
func badTagChars(s string) string {
	var bad []string
	for _, r := range s {
		if !tagText.MatchString(string(r)) {
			q := fmt.Sprintf("%q", string(r))
			if !slices.Contains(bad, q) {
				bad = append(bad, q)
			}
		}
	}
	return strings.Join(bad, ", ")
}

// checkServiceTags refuses what the core would write into tags and AWS
// refuses: deploy labels (they become tags of the ECS service, key and
// value), the family names of ecs.task.family (the composex:family tag of
// every resource of the family), and a family whose service would carry
// more than 50 tags. Each problem is reported at the key that holds the
// text.
func checkServiceTags(p *types.Project, members map[string][]string, ds *Diagnostics) {
	for _, n := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[n]
		if s.Deploy == nil {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(s.Deploy.Labels)) {
			v := s.Deploy.Labels[k]
			path := ServicePath(n, "deploy.labels", Key(k))
			switch {
			case k == labelFamily:
				for _, f := range strings.Split(v, ",") {
					if f = strings.TrimSpace(f); f == "" {
						continue
					}
					if why := TagProblem("composex:family", f); why != "" {
						ds.Errorf(n, path, "the family name %q becomes the tag composex:family of the family's resources, and %s: rename the family", f, why)
					}
				}
			case strings.HasPrefix(k, "ecs.") || strings.HasPrefix(k, "aws:"):
				// composex settings, and reserved keys the core skips
			default:
				if why := TagProblem(k, v); why != "" {
					ds.Errorf(n, path, "deploy labels become tags of the ECS service, and %s: change the label", why)
				}
			}
		}
	}
	for _, f := range slices.Sorted(maps.Keys(members)) {
		labels := map[string]bool{}
		for _, n := range members[f] {
			if s := p.Services[n]; s.Deploy != nil {
				for k := range s.Deploy.Labels {
					if !strings.HasPrefix(k, "ecs.") && !strings.HasPrefix(k, "aws:") {
						labels[k] = true
					}
				}
			}
		}
		// composex adds composex:project and composex:family (and one
		// tag per EFS volume, which the extension counts on its own).
		if total := len(labels) + 2; total > maxTagsOnResource {
			svc := members[f][0]
			ds.Errorf(svc, ServicePath(svc, "deploy.labels"), "family %s would put %d tags on its ECS service (%d deploy labels and composex:project, composex:family): AWS allows %d a resource; move labels that are not tags to labels:", f, total, len(labels), maxTagsOnResource)
		}
	}
}

// checkTemplateTags is the backstop for tags the extensions write from
// user text (x-elbv2 Tags, x-efs FileSystemTags, x-alarms and x-cluster
// Properties): every literal tag of the template is checked, and a problem
// is reported at the compose key that wrote the text.
func checkTemplateTags(tree Tree, s *Sources) Diagnostics {
	var ds Diagnostics
	resources, _ := tree["Resources"].(map[string]any)
	for _, id := range slices.Sorted(maps.Keys(resources)) {
		r, _ := resources[id].(map[string]any)
		props, _ := r["Properties"].(map[string]any)
		for _, field := range []string{"Tags", "FileSystemTags", "AccessPointTags"} {
			list, _ := props[field].([]any)
			if len(list) > maxTagsOnResource {
				ds.Errorf("", "", "%s would carry %d tags: AWS allows %d a resource", id, len(list), maxTagsOnResource)
			}
			for _, item := range list {
				tag, _ := item.(map[string]any)
				k, kok := tag["Key"].(string)
				v, vok := tag["Value"].(string)
				if !kok || !vok && tag["Value"] != nil {
					continue // a function composex wrote (Fn::Sub of the stack name)
				}
				if why := TagProblem(k, v); why != "" {
					file, line, col, path := s.findTag(k, v, TagProblem(k, "") != "")
					ds.Errorf(serviceOfPath(path), path, "a tag of %s (%s) that AWS refuses: %s", id, field, why)
					d := &ds[len(ds)-1]
					d.File, d.Line, d.Column = file, line, col
				}
			}
		}
	}
	return ds
}

// findTag finds where a compose file wrote a tag: a mapping entry k: v
// (labels, Lookup tags), a mapping with Key: k and Value: v (a Tags list),
// or else any scalar holding the key's or the value's text.
func (s *Sources) findTag(k, v string, keyBad bool) (file string, line, col int, path string) {
	if s == nil {
		return "", 0, 0, ""
	}
	type hit struct {
		file      string
		line, col int
		path      string
	}
	var pair, listed, loose *hit
	var walk func(name string, n *yaml.Node, keys []string)
	walk = func(name string, n *yaml.Node, keys []string) {
		if n.Kind == yaml.MappingNode {
			var hasK, hasV *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				key, val := n.Content[i], n.Content[i+1]
				if key.Value == k && val.Kind == yaml.ScalarNode && val.Value == v && pair == nil {
					pair = &hit{name, key.Line, key.Column, joinPath(append(keys[:len(keys):len(keys)], key.Value))}
				}
				if key.Value == "Key" && val.Value == k {
					hasK = val
				}
				if key.Value == "Value" && val.Value == v {
					hasV = val
				}
			}
			if hasK != nil && hasV != nil && listed == nil {
				listed = &hit{name, hasK.Line, hasK.Column, joinPath(keys)}
			}
		}
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode {
				if i%2 == 0 {
					continue
				}
				walk(name, c, append(keys[:len(keys):len(keys)], n.Content[i-1].Value))
				continue
			}
			if n.Kind == yaml.SequenceNode {
				walk(name, c, append(keys[:len(keys):len(keys)], fmt.Sprint(i)))
				continue
			}
			walk(name, c, keys)
		}
		if n.Kind == yaml.ScalarNode && loose == nil && (keyBad && n.Value == k || !keyBad && n.Value == v) {
			loose = &hit{name, n.Line, n.Column, joinPath(keys)}
		}
	}
	for _, f := range s.files {
		if f.root != nil {
			walk(f.name, f.root, nil)
		}
	}
	for _, h := range []*hit{pair, listed, loose} {
		if h != nil {
			return h.file, h.line, h.col, h.path
		}
	}
	return "", 0, 0, ""
}
