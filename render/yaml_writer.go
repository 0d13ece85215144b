package render

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// yamlWriter writes a Tree as block-style YAML, two spaces per level,
// sequences indented under their key, keys sorted (each resource's Type
// first). It is a small, linear writer for the plain JSON values of a
// template; yaml.v3's general encoder costs several times more on large
// projects. Tests parse its output back and compare it with the tree.
type yamlWriter struct {
	b strings.Builder
}

func writeYAML(tree Tree) []byte {
	var w yamlWriter
	w.b.Grow(64 * 1024)
	w.mapping(tree, 0, templateMap)
	return []byte(w.b.String())
}

func (w *yamlWriter) indent(n int) {
	for i := 0; i < n; i++ {
		w.b.WriteByte(' ')
	}
}

// mapKind tells a mapping's place in the template: a resource's keys are
// written with Type first, every other mapping in sorted order.
type mapKind int

const (
	plainMap mapKind = iota
	templateMap
	resourcesMap
	resourceMap
)

// child is the kind of the mapping under key k of a mapping of this kind.
func (kind mapKind) child(k string) mapKind {
	switch {
	case kind == templateMap && k == "Resources":
		return resourcesMap
	case kind == resourcesMap:
		return resourceMap
	}
	return plainMap
}

// mapping writes the keys of m at the given indent; the first key goes on
// the current line (after "- " or the indent already written).
func (w *yamlWriter) mapping(m map[string]any, indent int, kind mapKind) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if kind == resourceMap {
		sort.SliceStable(keys, func(i, j int) bool { return keys[i] == "Type" && keys[j] != "Type" })
	}
	if kind == resourcesMap && len(keys) >= parallelResources {
		w.resources(m, keys, indent)
		return
	}
	for i, k := range keys {
		if i > 0 {
			w.indent(indent)
		}
		w.key(k, indent)
		w.value(m[k], indent, kind.child(k))
	}
}

// parallelResources is how many resources a template needs before its
// resources are written in parallel (below it, the goroutines cost more
// than they save).
var parallelResources = 64

// resources writes a template's resources as mapping does, each resource
// by its own writer on as many CPUs as there are, then in key order: the
// bytes are the serial writer's.
func (w *yamlWriter) resources(m map[string]any, keys []string, indent int) {
	chunks := make([]string, len(keys))
	parallel(len(keys), func(i int) {
		var c yamlWriter
		c.key(keys[i], indent)
		c.value(m[keys[i]], indent, resourceMap)
		chunks[i] = c.b.String()
	})
	for i, c := range chunks {
		if i > 0 {
			w.indent(indent)
		}
		w.b.WriteString(c)
	}
}

// key writes "k:". YAML limits implicit keys to 1024 characters; a longer
// key (a very long docker label, say) is written in the explicit "? k"
// form, with its ":" on the next line at the same indent.
func (w *yamlWriter) key(k string, indent int) {
	start := w.b.Len()
	w.scalarText(k)
	// The limit is on the key as written, escapes and quotes included.
	if w.b.Len()-start > 1000 {
		written := w.b.String()[start:]
		w.truncate(start)
		w.b.WriteString("? ")
		w.b.WriteString(written)
		w.b.WriteByte('\n')
		w.indent(indent)
	}
	w.b.WriteByte(':')
}

// truncate drops what was written after n bytes.
func (w *yamlWriter) truncate(n int) {
	kept := w.b.String()[:n]
	w.b.Reset()
	w.b.WriteString(kept)
}

// value writes what follows "key:" (or "- "): a scalar on the same line, a
// collection on the next lines.
func (w *yamlWriter) value(v any, indent int, kind mapKind) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			w.b.WriteString(" {}\n")
			return
		}
		w.b.WriteByte('\n')
		w.indent(indent + 2)
		w.mapping(t, indent+2, kind)
	case []any:
		if len(t) == 0 {
			w.b.WriteString(" []\n")
			return
		}
		w.b.WriteByte('\n')
		w.sequence(t, indent+2)
	default:
		w.b.WriteByte(' ')
		w.scalar(v, indent)
		w.b.WriteByte('\n')
	}
}

func (w *yamlWriter) sequence(l []any, indent int) {
	for _, item := range l {
		w.indent(indent)
		w.b.WriteString("-")
		switch t := item.(type) {
		case map[string]any:
			if len(t) == 0 {
				w.b.WriteString(" {}\n")
				continue
			}
			w.b.WriteByte(' ')
			w.mapping(t, indent+2, plainMap)
		case []any:
			if len(t) == 0 {
				w.b.WriteString(" []\n")
				continue
			}
			w.b.WriteByte('\n')
			w.sequence(t, indent+2)
		default:
			w.b.WriteByte(' ')
			w.scalar(item, indent)
			w.b.WriteByte('\n')
		}
	}
}

func (w *yamlWriter) scalar(v any, indent int) {
	switch t := v.(type) {
	case string:
		if strings.Contains(t, "\n") && literalSafe(t) && blockSafe(t) {
			w.literal(t, indent+2)
			return
		}
		w.scalarText(t)
	case json.Number:
		w.b.WriteString(t.String())
	case float64: // from an intrinsic's own JSON (Fn::Select's index)
		w.b.WriteString(strconv.FormatFloat(t, 'f', -1, 64))
	case bool:
		w.b.WriteString(strconv.FormatBool(t))
	case nil:
		w.b.WriteString("null")
	default:
		fmt.Fprint(&w.b, t)
	}
}

// scalarText writes a string plain when YAML (1.1 or 1.2) reads it back as
// the same string; else single-quoted when it is printable, double-quoted
// with JSON escapes (valid YAML) when it needs escapes or looks like
// another type.
func (w *yamlWriter) scalarText(s string) {
	switch {
	case plainSafe(s):
		w.b.WriteString(s)
	case s != "" && printable(s) && !yaml11Lookalike(s):
		w.b.WriteByte('\'')
		w.b.WriteString(strings.ReplaceAll(s, "'", "''"))
		w.b.WriteByte('\'')
	default:
		w.doubleQuoted(s)
	}
}

// doubleQuoted writes s in double quotes, escaping what YAML does not allow
// raw: quotes, backslashes, control characters (C0, DEL, C1), Unicode line
// separators and the byte order mark; invalid UTF-8 becomes U+FFFD.
func (w *yamlWriter) doubleQuoted(s string) {
	w.b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			w.b.WriteString(`\"`)
		case r == '\\':
			w.b.WriteString(`\\`)
		case r == '\n':
			w.b.WriteString(`\n`)
		case r == '\t':
			w.b.WriteString(`\t`)
		case r == '\r':
			w.b.WriteString(`\r`)
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == 0x2028, r == 0x2029, r == 0xfeff, r == 0xfffe, r == 0xffff:
			// U+FFFE and U+FFFF are outside YAML's printable set.
			fmt.Fprintf(&w.b, `\u%04x`, r)
		default:
			w.b.WriteRune(r)
		}
	}
	w.b.WriteByte('"')
}

// printable reports whether a string needs no escape in YAML: valid UTF-8
// without control characters or Unicode line breaks.
func printable(s string) bool {
	for _, r := range s {
		switch {
		case r == utf8.RuneError, r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == 0x2028, r == 0x2029, r == 0xfeff, r == 0xfffe, r == 0xffff:
			return false
		}
	}
	return true
}

// literal writes a multi-line string as a literal block: |- without a
// final newline, | with one, |+ with more.
func (w *yamlWriter) literal(s string, indent int) {
	body := strings.TrimRight(s, "\n")
	switch trailing := len(s) - len(body); trailing {
	case 0:
		w.b.WriteString("|-")
	case 1:
		w.b.WriteString("|")
	default:
		w.b.WriteString("|+")
		body = s[:len(s)-1]
	}
	for _, line := range strings.Split(body, "\n") {
		w.b.WriteByte('\n')
		if line != "" {
			w.indent(indent)
			w.b.WriteString(line)
		}
	}
}

// literalSafe reports whether a multi-line string survives a literal
// block: printable, no tabs or carriage returns, no trailing spaces, and
// a first line that does not start with a space (which would need an
// indentation indicator).
func literalSafe(s string) bool {
	if s == "" || s[0] == ' ' || s[0] == '\n' {
		return false
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.HasSuffix(line, " ") {
			return false
		}
	}
	for _, r := range s {
		if r == '\t' || r == '\r' || r < 0x20 && r != '\n' || r == 0x7f || r == 0xfeff {
			return false
		}
	}
	return true
}

// plainSafe reports whether a string can be written unquoted.
func plainSafe(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	switch s[0] {
	case '-', '?', ':':
		// "-x" is a plain string; "- x", "-" and ": x" are not.
		if len(s) == 1 || s[1] == ' ' {
			return false
		}
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '=', '~':
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ':' && (i+1 == len(s) || s[i+1] == ' ') {
			return false
		}
		if c == '#' && i > 0 && s[i-1] == ' ' {
			return false
		}
		if c == '\t' {
			return false
		}
	}
	return printable(s) && !yaml11Lookalike(s)
}

// yaml11Lookalike reports strings that a YAML 1.1 or 1.2 reader takes for
// a boolean, null, number or timestamp. Words are looked up; the regex
// runs only on strings made of the characters numbers and timestamps use.
func yaml11Lookalike(s string) bool {
	switch c := s[0]; {
	case c == '~' || c == '<':
		return s == "~" || s == "<<"
	case (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.':
		for i := 0; i < len(s); i++ {
			if !strings.ContainsRune(numberChars, rune(s[i])) {
				return false
			}
		}
		// YAML readers drop underscores before parsing a number (yaml.v3
		// reads 0E0_ as 0): try that too.
		plain := strings.ReplaceAll(s, "_", "")
		if _, err := strconv.ParseFloat(plain, 64); err == nil {
			return true
		}
		if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return true
		}
		return yaml11Special.MatchString(s)
	case len(s) <= 5:
		switch strings.ToLower(s) {
		case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
			return true
		}
		// .inf and .nan start with a dot, handled above.
	}
	return false
}

// numberChars are the characters of YAML numbers (decimal, hex, octal,
// binary, sexagesimal, exponents, inf/nan) and timestamps.
const numberChars = "0123456789+-._:abcdefABCDEFxXoOtTzZiInN "
