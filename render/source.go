package render

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Sources keeps the YAML node tree of every compose file so that a problem
// found after compose-go's merge can still be reported at the file and line
// where the user wrote the key.
type Sources struct {
	files []sourceFile
}

type sourceFile struct {
	name string
	root *yaml.Node
	// tooLarge is set when the file passed maxComposeFileBytes and was not
	// read; its size is what the message reports.
	tooLarge int64
	// empty is set for a file with no YAML document (nothing, or only
	// comments).
	empty bool
	// badBytes locates a NUL, a control character or invalid UTF-8 that
	// YAML refuses, by line and column (the parser names a byte offset).
	badBytes *Diagnostic
	// data is the content root was parsed from: a file compose-go reads
	// with the same bytes can reuse root instead of parsing it again.
	data []byte
	// keys indexes root's large mappings (built at first use).
	keys *keyIndex
}

// keyIndex finds a key of a large mapping of a file without scanning it:
// locating every service's problems scans the services mapping once per
// lookup, which made the checks of a 3000-service project quadratic. Only
// mappings of many keys are indexed; the trees are never changed after
// they are parsed.
type keyIndex struct {
	once sync.Once
	at   map[*yaml.Node]map[string]int // mapping -> key -> index in Content of its first occurrence
}

// indexedKeys is the number of keys from which a mapping is indexed.
const indexedKeys = 32

func (k *keyIndex) build(root *yaml.Node) {
	k.at = map[*yaml.Node]map[string]int{}
	seen := map[*yaml.Node]bool{}
	var visit func(n *yaml.Node)
	visit = func(n *yaml.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		if n.Kind == yaml.MappingNode && len(n.Content) >= 2*indexedKeys {
			idx := make(map[string]int, len(n.Content)/2)
			for j := 0; j+1 < len(n.Content); j += 2 {
				if _, dup := idx[n.Content[j].Value]; !dup {
					idx[n.Content[j].Value] = j
				}
			}
			k.at[n] = idx
		}
		for _, c := range n.Content {
			visit(c)
		}
		visit(n.Alias)
	}
	visit(root)
}

// walk is walk on the file's tree, with its large mappings indexed.
func (f sourceFile) walk(parts []string) (pos, value *yaml.Node, depth int) {
	if f.keys == nil {
		return walk(f.root, parts)
	}
	f.keys.once.Do(func() { f.keys.build(f.root) })
	return walkIndexed(f.root, parts, f.keys.at)
}

// ReadSources parses each file once; a file that cannot be parsed is skipped
// here because the loader reports its syntax error with a line already. A
// file over maxComposeFileBytes is not read at all (Guard reports it).
func ReadSources(files []string) *Sources {
	return readSources(files, nil)
}

// StdinName is how diagnostics name a compose file read from standard input
// (-f -).
const StdinName = "<stdin>"

// readSources is ReadSources with the content of standard input, which can
// be read only once, given by the caller for the file "-".
func readSources(files []string, stdin []byte) *Sources {
	s := &Sources{}
	for _, f := range files {
		if f == "-" {
			if len(stdin) > maxComposeFileBytes {
				s.files = append(s.files, sourceFile{name: StdinName, tooLarge: int64(len(stdin))})
			} else {
				s.AddBytes(StdinName, stdin)
			}
			continue
		}
		fi, err := os.Stat(f)
		if err != nil {
			continue
		}
		if fi.Size() > maxComposeFileBytes {
			s.files = append(s.files, sourceFile{name: f, tooLarge: fi.Size()})
			continue
		}
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		// Read at most one byte past the limit: a file that grows while it
		// is read (a FIFO, /dev/zero) is caught the same way.
		data, err := io.ReadAll(io.LimitReader(fh, maxComposeFileBytes+1))
		fh.Close()
		if err != nil {
			continue
		}
		if len(data) > maxComposeFileBytes {
			s.files = append(s.files, sourceFile{name: f, tooLarge: int64(len(data))})
			continue
		}
		s.AddBytes(f, data)
	}
	return s
}

// Guard applies the limits of guard.go to every file and returns the total
// number of nodes the files expand to, which sizes compose-go's own cap.
func (s *Sources) Guard() (expanded int, ds Diagnostics) {
	for _, f := range s.files {
		if f.tooLarge > 0 {
			ds.Add(Diagnostic{Severity: Error, File: f.name,
				Message: fmt.Sprintf("compose file of %d bytes or more: the limit is %d bytes (64 MiB)", f.tooLarge, maxComposeFileBytes)})
			continue
		}
		if f.badBytes != nil {
			ds.Add(*f.badBytes)
			continue
		}
		if f.empty {
			ds.Add(Diagnostic{Severity: Error, File: f.name,
				Message: "the compose file is empty: it needs at least a services: mapping"})
			continue
		}
		if f.root == nil {
			continue
		}
		e, fds := guardSource(f.name, f.root)
		expanded += e.expanded
		ds.Add(fds...)
	}
	return expanded, ds
}

// AddBytes indexes one file's content under its name.
func (s *Sources) AddBytes(name string, data []byte) {
	var doc yaml.Node
	err := yaml.Unmarshal(data, &doc)
	if err != nil || len(doc.Content) == 0 {
		s.files = append(s.files, sourceFile{name: name, empty: err == nil, badBytes: scanBytes(name, data)})
		return
	}
	s.files = append(s.files, sourceFile{name: name, root: doc.Content[0], data: data, keys: &keyIndex{}})
}

// rootOf is the parsed tree of a file whose content is exactly data, or nil
// when no file parsed from these bytes.
func (s *Sources) rootOf(data []byte) *yaml.Node {
	for _, f := range s.files {
		if f.root != nil && bytes.Equal(f.data, data) {
			return f.root
		}
	}
	return nil
}

// Files returns the names of the indexed files, in load order.
func (s *Sources) Files() []string {
	names := make([]string, len(s.files))
	for i, f := range s.files {
		names[i] = f.name
	}
	return names
}

// Locate finds the file, line and column of a dotted key path. Later files
// win, as in compose's merge. When the exact key is absent (a value that was
// defaulted or merged), the deepest existing parent is returned.
func (s *Sources) Locate(path string) (file string, line, col int) {
	if s == nil {
		return "", 0, 0
	}
	parts := splitPath(path)
	bestDepth := -1
	for i := len(s.files) - 1; i >= 0; i-- {
		f := s.files[i]
		if f.root == nil {
			continue
		}
		node, _, depth := f.walk(parts)
		if depth > bestDepth && depth > 0 {
			bestDepth, file, line, col = depth, f.name, node.Line, node.Column
			if depth == len(parts) {
				return
			}
		}
	}
	if file == "" && len(s.files) > 0 {
		file = s.files[len(s.files)-1].name
	}
	return
}

// Place fills in the file and line of diagnostics that lack them.
func (s *Sources) Place(ds Diagnostics) Diagnostics {
	out := make(Diagnostics, len(ds))
	for i, d := range ds {
		if d.File == "" && s != nil {
			d.File, d.Line, d.Column = s.Locate(d.Path)
		}
		out[i] = d
	}
	return out
}

// splitPath splits "services.web.deploy.labels.ecs.task.family" into keys.
// Compose names can hold dots, so a path element may be quoted with [..]:
// services.web.deploy.labels[ecs.task.family].
func splitPath(path string) []string {
	var parts []string
	for path != "" {
		if path[0] == '[' {
			end := strings.IndexByte(path, ']')
			if end < 0 {
				parts = append(parts, path[1:])
				break
			}
			parts = append(parts, path[1:end])
			path = strings.TrimPrefix(path[end+1:], ".")
			continue
		}
		end := strings.IndexAny(path, ".[")
		if end < 0 {
			parts = append(parts, path)
			break
		}
		parts = append(parts, path[:end])
		path = strings.TrimPrefix(path[end:], ".")
	}
	return parts
}

// walk follows keys from node and returns the node that marks the position
// of the deepest key reached (the key itself for mappings), that key's
// value, and how many keys matched.
func walk(node *yaml.Node, parts []string) (pos, value *yaml.Node, depth int) {
	return walkIndexed(node, parts, nil)
}

// walkIndexed is walk, finding the keys of the mappings in index by it.
func walkIndexed(node *yaml.Node, parts []string, index map[*yaml.Node]map[string]int) (pos, value *yaml.Node, depth int) {
	cur := node
	for i, p := range parts {
		for cur.Kind == yaml.AliasNode && cur.Alias != nil {
			cur = cur.Alias
		}
		switch cur.Kind {
		case yaml.MappingNode:
			found := false
			if idx, ok := index[cur]; ok {
				if j, ok := idx[p]; ok {
					pos, cur, found = cur.Content[j], cur.Content[j+1], true
				}
				if !found {
					return posOr(pos, cur), cur, i
				}
				continue
			}
			for j := 0; j+1 < len(cur.Content); j += 2 {
				if cur.Content[j].Value == p {
					pos, cur, found = cur.Content[j], cur.Content[j+1], true
					break
				}
			}
			if !found {
				return posOr(pos, cur), cur, i
			}
		case yaml.SequenceNode:
			idx, err := strconv.Atoi(p)
			if err != nil || idx < 0 || idx >= len(cur.Content) {
				return posOr(pos, cur), cur, i
			}
			cur = cur.Content[idx]
			pos = cur
		default:
			return posOr(pos, cur), cur, i
		}
	}
	for cur.Kind == yaml.AliasNode && cur.Alias != nil {
		cur = cur.Alias
	}
	return posOr(pos, cur), cur, len(parts)
}

func posOr(pos, n *yaml.Node) *yaml.Node {
	if pos != nil {
		return pos
	}
	return n
}

// Key quotes a name for use in a key path when it contains a dot.
func Key(name string) string {
	if strings.ContainsAny(name, ".[]") {
		return "[" + name + "]"
	}
	return name
}

// ServicePath builds "services.<name>.<rest...>".
func ServicePath(service string, rest ...string) string {
	p := "services." + Key(service)
	for _, r := range rest {
		if r != "" {
			p += "." + r
		}
	}
	return p
}

// Keys returns the keys written under a mapping path in any file, sorted
// and without duplicates.
func (s *Sources) Keys(path string) []string {
	if s == nil {
		return nil
	}
	parts := splitPath(path)
	set := map[string]bool{}
	for _, f := range s.files {
		if f.root == nil {
			continue
		}
		_, node, depth := f.walk(parts)
		if depth != len(parts) || node.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == "<<" { // merge key: take the merged mapping's keys
				for _, k := range mergedKeys(node.Content[i+1]) {
					set[k] = true
				}
				continue
			}
			set[node.Content[i].Value] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// HasAnchor reports whether the value at path carries a YAML anchor in some
// file: a top-level x- key that only holds anchors for reuse.
func (s *Sources) HasAnchor(path string) bool {
	if s == nil {
		return false
	}
	parts := splitPath(path)
	for _, f := range s.files {
		if f.root == nil {
			continue
		}
		if _, v, depth := f.walk(parts); depth == len(parts) && v.Anchor != "" {
			return true
		}
	}
	return false
}

func mergedKeys(n *yaml.Node) []string {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	var out []string
	switch {
	case n == nil:
	case n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = append(out, n.Content[i].Value)
		}
	case n.Kind == yaml.SequenceNode:
		for _, c := range n.Content {
			out = append(out, mergedKeys(c)...)
		}
	}
	return out
}
