package render

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Limits on what one compose file may make composex do. They bound the work
// of hostile input (compose files arrive in pull requests) without refusing
// any legitimate project: a generated 5000-service file is about 160,000
// nodes and expands to the same number, so the bounds sit far above that.
const (
	// maxComposeFileBytes bounds one compose file; it is read whole.
	maxComposeFileBytes = 64 << 20
	// maxScalarBytes bounds one value: no compose or x- value is near it,
	// and a larger one ends in a template CloudFormation refuses anyway.
	maxScalarBytes = 1 << 20
	// maxExpansionFactor and minExpansionBudget bound what aliases expand to:
	// the expanded tree may be this many times the file's own node count,
	// or this many nodes, whichever is larger.
	maxExpansionFactor = 20
	minExpansionBudget = 1_000_000
	// maxNesting bounds the depth of the tree: the deepest compose key is
	// about ten levels down, and every walker that follows stays shallow.
	maxNesting = 200
	// maxGuardErrors keeps a hostile file from producing a flood of
	// messages: the first ones say what is wrong.
	maxGuardErrors = 20
)

// expansion is what a file's YAML tree amounts to once its aliases are
// followed: what compose-go's loader will walk.
type expansion struct {
	literal  int // nodes as written
	expanded int // nodes with every alias replaced by what it names
}

// guardSource checks one parsed file against the limits: an alias that
// refers to a node containing itself (x: &x {<<: *x}), aliases that expand
// past the budget (a billion laughs), and an oversized value. It returns the
// file's expansion for sizing the loader's own cap.
func guardSource(name string, root *yaml.Node) (expansion, Diagnostics) {
	var ds Diagnostics
	var e expansion
	report := func(n *yaml.Node, path []string, format string, args ...any) {
		if len(ds) >= maxGuardErrors {
			return
		}
		p := joinPath(path)
		ds.Add(Diagnostic{Severity: Error, File: name, Line: n.Line, Column: n.Column, Path: p,
			Service: serviceOfPath(p), Message: fmt.Sprintf(format, args...)})
	}
	var countLiteral func(n *yaml.Node, path []string, depth int)
	countLiteral = func(n *yaml.Node, path []string, depth int) {
		e.literal++
		if depth > maxNesting {
			report(n, path, "nesting deeper than %d levels: no compose or x- key needs that many", maxNesting)
			return
		}
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			// !Ref, !GetAtt, !Sub...: CloudFormation's short forms would
			// make user text live in the template. Compose has no tags.
			report(n, path, "the YAML tag %s is not allowed: compose files have no tags, and composex never lets a compose file write CloudFormation functions (write the value as plain text)", n.Tag)
		}
		if n.Kind == yaml.ScalarNode {
			if len(n.Value) > maxScalarBytes {
				report(n, path, "value of %d bytes: the limit for one value is %d bytes (1 MiB)", len(n.Value), maxScalarBytes)
			}
			if span := portRangeSpan(path, n.Value); span > maxPortsPerService {
				report(n, path, "the port range %q spans %d ports: the limit is %d a service (compose expands a range into one port each)", n.Value, span, maxPortsPerService)
			}
			if n.ShortTag() == "!!float" && isNaNOrInf(n.Value) {
				report(n, path, "%s is not a number composex can use: give a finite number", n.Value)
			}
		}
		if depth == 1 && n.Kind == yaml.MappingNode && len(path) == 1 {
			checkNames(path[0], n, report)
		}
		seen := map[string]*yaml.Node{}
		for i, c := range n.Content {
			if n.Kind != yaml.MappingNode {
				countLiteral(c, path, depth+1)
				continue
			}
			if i%2 == 0 {
				if first, dup := seen[c.Value]; dup && c.Value != "<<" {
					report(c, append(path, c.Value), "the key %q is given twice in this mapping (first at line %d): YAML keeps one, so the other would be lost; remove one", c.Value, first.Line)
				}
				seen[c.Value] = c
				e.literal++
				continue
			}
			countLiteral(c, append(path[:len(path):len(path)], n.Content[i-1].Value), depth+1)
		}
	}
	countLiteral(root, nil, 0)
	if len(ds) > 0 {
		return e, ds
	}
	budget := max(minExpansionBudget, maxExpansionFactor*e.literal)

	// Expanded size per node, memoized: each node is measured once, so the
	// check is linear in the file however the aliases multiply.
	size := map[*yaml.Node]int{}
	onPath := map[*yaml.Node]bool{}
	var measure func(n *yaml.Node) (int, *yaml.Node)
	measure = func(n *yaml.Node) (int, *yaml.Node) {
		if s, ok := size[n]; ok {
			return s, nil
		}
		if onPath[n] {
			return 0, n
		}
		onPath[n] = true
		defer delete(onPath, n)
		total := 1
		kids := n.Content
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			kids = []*yaml.Node{n.Alias}
		}
		for _, c := range kids {
			s, cycle := measure(c)
			if cycle != nil {
				return 0, cycle
			}
			total += s
			if total > budget {
				total = budget + 1 // saturate: past the budget is past it
			}
		}
		size[n] = total
		return total, nil
	}
	total, cycle := measure(root)
	switch {
	case cycle != nil:
		ds.Add(Diagnostic{Severity: Error, File: name, Line: cycle.Line, Column: cycle.Column,
			Message: fmt.Sprintf("the YAML anchor %q is used inside its own value (an alias that refers to itself never ends): give the repeated block its own anchor outside it", cycle.Anchor)})
	case total > budget:
		ds.Add(Diagnostic{Severity: Error, File: name, Line: firstAlias(root),
			Message: fmt.Sprintf("YAML aliases expand this file of %d nodes to more than %d nodes (the limit is %d times the file's own size, at least %d): an alias bomb, or anchors nested too deep", e.literal, budget, maxExpansionFactor, minExpansionBudget)})
	}
	e.expanded = total
	return e, ds
}

// firstAlias returns the line of the first alias in the file, where a
// reader should start looking.
func firstAlias(n *yaml.Node) int {
	if n.Kind == yaml.AliasNode {
		return n.Line
	}
	for _, c := range n.Content {
		if l := firstAlias(c); l > 0 {
			return l
		}
	}
	return 0
}

// composeName is what the compose specification allows as the name of a
// service, volume, network, secret or config (its schema's
// patternProperties); docker compose refuses any other name.
var composeName = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

var namedSections = map[string]string{"services": "service", "volumes": "volume", "networks": "network", "secrets": "secret", "configs": "config"}

// checkNames reports, at its own line, each name of a top-level section
// that compose refuses (wéb, 服务, "my app"): compose-go says only that the
// section has additional properties, with no line, in one message for all.
func checkNames(section string, n *yaml.Node, report func(*yaml.Node, []string, string, ...any)) {
	kind, ok := namedSections[section]
	if !ok {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || composeName.MatchString(k.Value) || k.Value == "<<" {
			continue
		}
		var bad []string
		for _, r := range k.Value {
			if !composeName.MatchString(string(r)) {
				if q := fmt.Sprintf("%q", string(r)); !slices.Contains(bad, q) {
					bad = append(bad, q)
				}
			}
		}
		report(k, []string{section, k.Value}, "the %s name %q has %s: compose allows only the letters a-z and A-Z, digits, '.', '_' and '-' in %s names (docker compose refuses it too); rename the %s", kind, k.Value, strings.Join(bad, ", "), kind, kind)
	}
}

func isNaNOrInf(v string) bool {
	switch strings.ToLower(strings.TrimLeft(v, "+-")) {
	case ".nan", ".inf":
		return true
	}
	return false
}

// joinPath writes a key path the way diagnostics name keys (see Key).
func joinPath(parts []string) string {
	keys := make([]string, len(parts))
	for i, p := range parts {
		keys[i] = Key(p)
	}
	return strings.Join(keys, ".")
}

var portRange = regexp.MustCompile(`(\d+)-(\d+)`)

// portRangeSpan is the widest port range written in a value under a
// service's ports or expose, checked here because compose-go expands a
// range of 65535 ports for seconds before composex could count them.
func portRangeSpan(path []string, v string) int {
	if len(path) < 3 || path[0] != "services" || (path[2] != "ports" && path[2] != "expose") {
		return 0
	}
	widest := 0
	for _, m := range portRange.FindAllStringSubmatch(v, -1) {
		lo, err1 := strconv.Atoi(m[1])
		hi, err2 := strconv.Atoi(m[2])
		if err1 == nil && err2 == nil && hi-lo+1 > widest {
			widest = hi - lo + 1
		}
	}
	return widest
}

// interpolation finds the variables a value interpolates: ${NAME} and
// ${NAME<modifier>...} (group 1 and 2) and $NAME (group 3). $$ is a
// literal dollar and is skipped by the caller.
var interpolation = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)((?::?[-?+])[^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// unsetVariables warns about every ${VAR} or $VAR a file interpolates with
// no value and no default: compose makes it an empty string, which is rarely
// what the author meant (an image tag, a URL). compose-go says so only on its
// log, which composex does not show.
func (s *Sources) unsetVariables(env map[string]string) Diagnostics {
	var ds Diagnostics
	seen := map[string]bool{}
	var visit func(name string, n *yaml.Node, path []string)
	visit = func(name string, n *yaml.Node, path []string) {
		if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "$") {
			v := strings.ReplaceAll(n.Value, "$$", "")
			for _, m := range interpolation.FindAllStringSubmatch(v, -1) {
				variable, modifier := m[1], m[2]
				if variable == "" {
					variable = m[3]
				}
				if modifier != "" {
					continue // a default, an alternative or a required-message
				}
				if _, set := env[variable]; set || seen[variable+joinPath(path)] {
					continue
				}
				seen[variable+joinPath(path)] = true
				p := joinPath(path)
				ds.Add(Diagnostic{Severity: Warning, File: name, Line: n.Line, Column: n.Column, Path: p, Service: serviceOfPath(p),
					Message: fmt.Sprintf("the variable %s is not set, so it is replaced by an empty string: set it (environment, .env or --env-file), or give a default with ${%s:-value}", variable, variable)})
			}
		}
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode {
				if i%2 == 1 {
					visit(name, c, append(path[:len(path):len(path)], n.Content[i-1].Value))
				}
				continue
			}
			visit(name, c, path)
		}
	}
	for _, f := range s.files {
		if f.root != nil {
			visit(f.name, f.root, nil)
		}
	}
	return ds
}

// scanBytes finds the first byte sequence YAML cannot read (NUL and the
// other C0 controls but tab and line ends, DEL, invalid UTF-8) and reports
// it by line and column, counted in characters; nil when there is none.
func scanBytes(name string, data []byte) *Diagnostic {
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		var what string
		switch {
		case r == utf8.RuneError && size <= 1:
			what = fmt.Sprintf("invalid UTF-8 (byte 0x%02x): a compose file is UTF-8 text", data[i])
		case r == 0:
			what = "a NUL byte: a compose file is text (is this a binary file?)"
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f:
			what = fmt.Sprintf("the control character U+%04X, which YAML does not allow: write it as an escape in a double-quoted string", r)
		}
		if what != "" {
			return &Diagnostic{Severity: Error, File: name, Line: line, Column: col, Message: what}
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return nil
}
