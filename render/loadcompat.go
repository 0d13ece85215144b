package render

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// Files written for ECS Compose-X hold things compose-go refuses before
// composex sees anything, though compose-x itself reads them: secrets
// without any source, services listing a secret no file declares, integer
// keys inside x- blocks. What is here lets such files load, and reports what
// composex did with them.

// sourcelessSecrets names the secrets that have no source at all: a
// top-level secret with none of file, environment, external, driver or
// x-secrets (`abcd: {}`), and a secret a service lists that no file
// declares. compose-x skips such secrets (it maps only those with
// x-secrets); the value is the path to report them at.
func sourcelessSecrets(s *Sources) map[string]string {
	out := map[string]string{}
	declared := map[string]bool{}
	for _, name := range s.Keys("secrets") {
		declared[name] = true
		keys := s.Keys("secrets." + Key(name))
		if !oneOf("x-secrets", keys) && !oneOf("file", keys) && !oneOf("environment", keys) &&
			!oneOf("external", keys) && !oneOf("driver", keys) && !oneOf("name", keys) {
			out[name] = "secrets." + Key(name)
		}
	}
	for _, f := range s.files {
		if f.root == nil {
			continue
		}
		_, svcs, depth := walk(f.root, []string{"services"})
		if depth != 1 || svcs.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(svcs.Content); i += 2 {
			svc := svcs.Content[i].Value
			_, list, d := walk(svcs.Content[i+1], []string{"secrets"})
			if d != 1 || list.Kind != yaml.SequenceNode {
				continue
			}
			for j, item := range list.Content {
				name := secretRefSource(item)
				if name == "" || declared[name] {
					continue
				}
				if _, seen := out[name]; !seen {
					out[name] = ServicePath(svc, "secrets", itoa(j))
				}
			}
		}
	}
	return out
}

// secretRefSource is the secret a service's secrets entry names: the short
// form's string or the long form's source.
func secretRefSource(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "source" {
				return n.Content[i+1].Value
			}
		}
	}
	return ""
}

// dropSourcelessSecrets removes the sourceless secrets (loaded as external
// placeholders) from the project and from every service, with one warning
// per secret naming the services that listed it.
func dropSourcelessSecrets(p *types.Project, s *Sources, names map[string]string, ds *Diagnostics) {
	for _, name := range slices.Sorted(maps.Keys(names)) {
		_, declared := p.Secrets[name]
		var users []string
		for _, svcName := range slices.Sorted(maps.Keys(p.Services)) {
			svc := p.Services[svcName]
			kept := svc.Secrets[:0:0]
			for _, ref := range svc.Secrets {
				if ref.Source == name {
					if !oneOf(svcName, users) {
						users = append(users, svcName)
					}
					continue
				}
				kept = append(kept, ref)
			}
			if len(kept) != len(svc.Secrets) {
				svc.Secrets = kept
				p.Services[svcName] = svc
			}
		}
		delete(p.Secrets, name)
		what := "has no source (none of file, environment, x-secrets)"
		if !declared || strings.HasPrefix(names[name], "services.") {
			what = "is not declared under the top-level secrets"
		}
		given := "no container gets it"
		if len(users) > 0 {
			given = "not given to " + strings.Join(users, ", ")
		}
		d := Diagnostic{Severity: Warning, Path: names[name], Service: serviceOfPath(names[name]),
			Message: fmt.Sprintf("secret %q %s: compose-x skips it and so does composex (%s); to pass a Secrets Manager secret, declare secrets.%s.x-secrets.Name", name, what, given, name)}
		d.File, d.Line, d.Column = s.Locate(d.Path)
		ds.Add(d)
	}
}

// quoteIntegerKeys quotes the plain integer (and other non-string) keys of
// mappings inside x- blocks, where compose-x files write listener ports as
// keys (`Listeners: {443: ...}`) and compose-go refuses any key that is not
// a string. The quotes go in place, so every line and column stays as
// written. It returns nil when the file needs no change.
func quoteIntegerKeys(content []byte, root *yaml.Node) []byte {
	if root == nil {
		return nil
	}
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil
	}
	var keys []*yaml.Node
	var collect func(n *yaml.Node, inX bool, seen map[*yaml.Node]bool)
	collect = func(n *yaml.Node, inX bool, seen map[*yaml.Node]bool) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				x := inX || strings.HasPrefix(k.Value, "x-")
				if x && k.Kind == yaml.ScalarNode && k.Style == 0 && k.Tag != "!!str" && k.Tag != "!!merge" && k.Value != "" {
					keys = append(keys, k)
				}
				collect(n.Content[i+1], x, seen)
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				collect(c, inX, seen)
			}
		}
	}
	seen := map[*yaml.Node]bool{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k := doc.Content[i]
		top := strings.HasPrefix(k.Value, "x-")
		if k.Value == "services" {
			// x- keys of each service
			if svcs := doc.Content[i+1]; svcs.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(svcs.Content); j += 2 {
					collect(svcs.Content[j+1], false, seen)
				}
			}
			continue
		}
		if top {
			collect(doc.Content[i+1], true, seen)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	var edits []scalarEdit
	for _, k := range keys {
		edits = append(edits, scalarEdit{node: k, text: `"` + k.Value + `"`})
	}
	return replaceScalars(content, edits)
}

// scalarEdit replaces a plain scalar of a file by other text.
type scalarEdit struct {
	node *yaml.Node
	text string
	// dropLine blanks the line of a block sequence item "- value" instead.
	dropLine bool
}

// replaceScalars makes the edits in place, on the scalars' own lines, so
// that every line number stays as written. It returns nil when nothing
// changed.
func replaceScalars(content []byte, edits []scalarEdit) []byte {
	lines := bytes.SplitAfter(content, []byte("\n"))
	changed := false
	// Edit each line from its last scalar back, so that earlier columns hold.
	slices.SortFunc(edits, func(a, b scalarEdit) int {
		if a.node.Line != b.node.Line {
			return a.node.Line - b.node.Line
		}
		return b.node.Column - a.node.Column
	})
	for _, e := range edits {
		k := e.node
		li, col := k.Line-1, k.Column-1
		if li < 0 || li >= len(lines) || col < 0 || col+len(k.Value) > len(lines[li]) {
			continue
		}
		line := lines[li]
		if k.Style == yaml.DoubleQuotedStyle || k.Style == yaml.SingleQuotedStyle {
			col++ // past the opening quote; the text must be as written
			if col+len(k.Value) > len(line) {
				continue
			}
		}
		if string(line[col:col+len(k.Value)]) != k.Value {
			continue
		}
		if e.dropLine {
			if strings.TrimSpace(string(line)) == "- "+k.Value {
				lines[li] = []byte("\n")
				changed = true
			}
			continue
		}
		edited := append([]byte{}, line[:col]...)
		edited = append(edited, e.text...)
		edited = append(edited, line[col+len(k.Value):]...)
		lines[li] = edited
		changed = true
	}
	if !changed {
		return nil
	}
	return bytes.Join(lines, nil)
}

// quoteConfigIntegerKeys applies quoteIntegerKeys to every file compose-go
// is about to parse.
func quoteConfigIntegerKeys(details *types.ConfigDetails, s *Sources) {
	families := sourceFamilies(s)
	for i, cf := range details.ConfigFiles {
		content := cf.Content
		if content == nil && cf.Config == nil {
			b, err := os.ReadFile(cf.Filename)
			if err != nil {
				continue // compose-go reports it
			}
			content = b
		}
		if content == nil {
			continue
		}
		var root yaml.Node
		if parsed := s.rootOf(content); parsed != nil {
			// The line map parsed these very bytes: read its tree (the
			// patches below only read it) instead of parsing again.
			root = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{parsed}}
		} else if yaml.Unmarshal(content, &root) != nil {
			continue // compose-go reports the syntax error
		}
		if patched := quoteIntegerKeys(content, &root); patched != nil {
			details.ConfigFiles[i].Content = patched
			content = patched
			if yaml.Unmarshal(content, &root) != nil {
				continue
			}
		}
		if patched := dependsOnFamilies(content, &root, families); patched != nil {
			details.ConfigFiles[i].Content = patched
			content = patched
			if yaml.Unmarshal(content, &root) != nil {
				continue
			}
		}
		if patched := escapeIgnoredModules(content, &root); patched != nil {
			details.ConfigFiles[i].Content = patched
		}
	}
}

// sourceFamilies maps each task family named by an ecs.task.family label
// to the services that carry it, the services being every service name
// written: a name that is a service is never taken for a family.
func sourceFamilies(s *Sources) map[string][]string {
	out := map[string][]string{}
	services := s.Keys("services")
	for _, svc := range services {
		for _, fam := range familyLabel(s, svc) {
			if !oneOf(fam, services) && !oneOf(svc, out[fam]) {
				out[fam] = append(out[fam], svc)
			}
		}
	}
	return out
}

// familyLabel reads a service's deploy.labels ecs.task.family, map or list
// form, as the last file that sets it wrote it.
func familyLabel(s *Sources, svc string) []string {
	var value string
	for _, f := range s.files {
		if f.root == nil {
			continue
		}
		_, labels, depth := walk(f.root, []string{"services", svc, "deploy", "labels"})
		if depth != 4 {
			continue
		}
		switch labels.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(labels.Content); i += 2 {
				if labels.Content[i].Value == "ecs.task.family" {
					value = labels.Content[i+1].Value
				}
			}
		case yaml.SequenceNode:
			for _, item := range labels.Content {
				if k, v, ok := strings.Cut(item.Value, "="); ok && k == "ecs.task.family" {
					value = v
				}
			}
		}
	}
	var out []string
	for _, fam := range strings.Split(value, ",") {
		if fam = strings.TrimSpace(fam); fam != "" {
			out = append(out, fam)
		}
	}
	return out
}

// dependsOnFamilies rewrites depends_on entries that name a task family
// (compose-x orders services by family) to the family's first service:
// composex orders the ECS services of families, so waiting for one service
// of a family is waiting for the family. It returns nil when nothing
// changed.
func dependsOnFamilies(content []byte, root *yaml.Node, families map[string][]string) []byte {
	if len(families) == 0 || len(root.Content) == 0 {
		return nil
	}
	_, svcs, depth := walk(root.Content[0], []string{"services"})
	if depth != 1 || svcs.Kind != yaml.MappingNode {
		return nil
	}
	var edits []scalarEdit
	for i := 0; i+1 < len(svcs.Content); i += 2 {
		self := svcs.Content[i].Value
		_, deps, d := walk(svcs.Content[i+1], []string{"depends_on"})
		if d != 1 {
			continue
		}
		var names []*yaml.Node
		switch deps.Kind {
		case yaml.SequenceNode:
			names = deps.Content
		case yaml.MappingNode:
			for j := 0; j < len(deps.Content); j += 2 {
				names = append(names, deps.Content[j])
			}
		}
		listed := map[string]bool{}
		for _, n := range names {
			listed[n.Value] = true
		}
		for _, n := range names {
			members := families[n.Value]
			if n.Kind != yaml.ScalarNode || n.Style != 0 || len(members) == 0 {
				continue
			}
			// A member already listed already orders the family (and the
			// compose schema wants entries unique): drop the entry then;
			// otherwise name the first member that is not the service
			// itself.
			target := ""
			for _, m := range members {
				if listed[m] {
					target = ""
					break
				}
				if target == "" && m != self {
					target = m
				}
			}
			switch {
			case target != "":
				listed[target] = true
				edits = append(edits, scalarEdit{node: n, text: target})
			case deps.Kind == yaml.SequenceNode:
				edits = append(edits, scalarEdit{node: n, dropLine: true})
			}
		}
	}
	if len(edits) == 0 {
		return nil
	}
	return replaceScalars(content, edits)
}

// ignoredModuleEscapes are the compose-x modules whose blocks composex
// never reads (x-elbv2, x-efs and x-vpc are left alone: other parts of
// composex read or may read them).
func ignoredModuleEscapes(k string) bool {
	return composexModules[k] && k != "x-elbv2" && k != "x-efs" && k != "x-vpc"
}

// escapeIgnoredModules writes $$ for $ in the values of compose-x modules
// composex ignores: they hold CloudFormation Fn::Sub text (${!ARN},
// ${AWS::Region}) that compose's interpolation refuses, though nothing of
// them is rendered. It returns nil when nothing changed.
func escapeIgnoredModules(content []byte, root *yaml.Node) []byte {
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	doc := root.Content[0]
	var edits []scalarEdit
	var collect func(n *yaml.Node, seen map[*yaml.Node]bool)
	collect = func(n *yaml.Node, seen map[*yaml.Node]bool) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		switch n.Kind {
		case yaml.ScalarNode:
			if strings.Contains(n.Value, "$") && !strings.Contains(n.Value, "\n") && n.Style != yaml.LiteralStyle && n.Style != yaml.FoldedStyle {
				edits = append(edits, scalarEdit{node: n, text: strings.ReplaceAll(n.Value, "$", "$$")})
			}
		case yaml.MappingNode, yaml.SequenceNode:
			for _, c := range n.Content {
				collect(c, seen)
			}
		}
	}
	seen := map[*yaml.Node]bool{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if ignoredModuleEscapes(doc.Content[i].Value) {
			collect(doc.Content[i+1], seen)
		}
	}
	if len(edits) == 0 {
		return nil
	}
	return replaceScalars(content, edits)
}

var (
	reLoadKeyColon   = regexp.MustCompile(`^((?:services|volumes|secrets|networks|configs)\.[^ :]+): (.+)$`)
	reUndefinedRef   = regexp.MustCompile(`^service "([^"]+)" refers to undefined (secret|config|network|volume) (\S+?)(?:: invalid compose project)?$`)
	reUndefinedDep   = regexp.MustCompile(`^service "([^"]+)" depends on undefined service "?([^":]+)"?(?:: invalid compose project)?$`)
	reNonStringKey   = regexp.MustCompile(`^non-string key in (\S+): (.+)$`)
	reDependsCycle   = regexp.MustCompile(`^dependency cycle detected: (\S+) -> `)
	undefinedRefKeys = map[string]string{"secret": "secrets", "config": "configs", "network": "networks", "volume": "volumes"}
)

// locateLoaderError gives a key path (and so a file and line) to the
// compose-go errors that name a key only in their text.
func locateLoaderError(d *Diagnostic, sources *Sources) {
	if d.Path != "" || d.Line != 0 {
		return
	}
	msg := d.Message
	switch {
	case reLoadKeyColon.MatchString(msg):
		m := reLoadKeyColon.FindStringSubmatch(msg)
		d.Path, d.Message = m[1], m[2]
	case reUndefinedRef.MatchString(msg):
		m := reUndefinedRef.FindStringSubmatch(msg)
		d.Path = ServicePath(m[1], undefinedRefKeys[m[2]])
		d.Message = fmt.Sprintf("%s %q is not declared under the top-level %s", m[2], m[3], undefinedRefKeys[m[2]])
	case reUndefinedDep.MatchString(msg):
		m := reUndefinedDep.FindStringSubmatch(msg)
		d.Path = ServicePath(m[1], "depends_on")
		d.Message = fmt.Sprintf("%q is neither a service nor a task family (ecs.task.family) of this project", m[2])
		if near := closest(m[2], sources.Keys("services")); near != "" {
			d.Message += fmt.Sprintf(": did you mean %s?", near)
		}
	case reNonStringKey.MatchString(msg):
		m := reNonStringKey.FindStringSubmatch(msg)
		d.Path, d.Message = m[1], fmt.Sprintf("the key %s is not a string; quote it", m[2])
	case reDependsCycle.MatchString(msg):
		d.Path = ServicePath(reDependsCycle.FindStringSubmatch(msg)[1], "depends_on")
	default:
		return
	}
	d.Service = serviceOfPath(d.Path)
	if sources != nil {
		d.File, d.Line, d.Column = sources.Locate(d.Path)
	}
}
