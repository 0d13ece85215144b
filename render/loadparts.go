package render

import (
	"bytes"
	"context"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/consts"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// A large project loads in parts, concurrently: compose-go's loader spends
// its time per node (path matching in interpolation, canonical forms,
// defaults, path resolution), and what it does to one service does not
// depend on the others until the project is assembled. So the services are
// split into parts, each part is loaded as a model (loader.LoadModelWithContext)
// with every top-level section beside it, and each part's model becomes
// that part's project (loader.ModelToProject), concurrently too; the
// projects are joined, with the checks that look across services made
// whole (render/loadproject.go).
//
// Each part is handed the mapping composex already decoded from the tree
// its line map parsed (types.ConfigFile.Config), so compose-go does not parse
// the file again. That skips compose-go's own reading of the YAML, which is
// only the same when nothing it does there matters: the file is one
// document, with no tags (!reset, !override, or any other), no key written
// twice in a mapping, no include. Otherwise, and whenever any part fails,
// the file is loaded whole, as compose-go alone would: errors are always
// those of the single load, with its messages and order.

// partitionMin is the number of services a part must have at least: a
// part costs a goroutine, a copy of the top-level sections and a schema
// validation of its own, which at 50 services is a few percent of its
// load; a small file (one service, a dozen) loads whole, as before. Tests
// lower it to run every example through the parts.
var partitionMin = 50

// partsLoaded, when set (by tests), hears of every project loaded in parts.
var partsLoaded func(parts int)

// partsRefused, when set (by tests), hears why a load in parts gave way
// to the whole load.
var partsRefused func(error)

// asideRestored, when set (by tests), hears of the x- blocks a load in
// parts set aside and put back.
var asideRestored func(*asideExtensions)

// partitionMax bounds the number of parts whatever GOMAXPROCS says: each
// part copies the top-level sections.
const partitionMax = 8

// loadProject loads the project in parts when it pays and the result is
// the single load's, else whole.
func loadProject(ctx context.Context, details *types.ConfigDetails, opts []func(*loader.Options), s *Sources) (*types.Project, error) {
	if p := loadInParts(ctx, details, opts, s); p != nil {
		return p, nil
	}
	return loader.LoadWithContext(ctx, *details, opts...)
}

// topLevelShared are the top-level keys every part is given whole. Another
// top-level key (include, models, jobs, anything compose-go may add) means
// the file is loaded whole.
var topLevelShared = map[string]bool{"name": true, "version": true, "networks": true, "volumes": true, "secrets": true, "configs": true}

// loadInParts returns nil when the project is not split (too small, or not
// a file whose parts load exactly like the whole) or when any step fails.
func loadInParts(ctx context.Context, details *types.ConfigDetails, opts []func(*loader.Options), s *Sources) *types.Project {
	files := details.ConfigFiles
	if len(files) == 2 && files[1].Filename == secretsPatchName {
		// The x-secrets patch only marks top-level secrets external: every
		// part gets it, as it is.
	} else if len(files) != 1 {
		return nil
	}
	main := files[0]
	if main.Config != nil || main.Content == nil || !singleDocument(main.Content) {
		return nil
	}
	root := s.rootOf(main.Content)
	if root == nil || root.Kind != yaml.MappingNode {
		return nil
	}
	var order []string // services in file order
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i].Value
		if k == "services" {
			svcs := root.Content[i+1]
			if svcs.Kind != yaml.MappingNode {
				return nil
			}
			for j := 0; j < len(svcs.Content); j += 2 {
				order = append(order, svcs.Content[j].Value)
			}
		} else if !topLevelShared[k] && !strings.HasPrefix(k, "x-") {
			return nil
		}
	}
	parts := min(runtime.GOMAXPROCS(0), partitionMax, len(order)/max(partitionMin, 1))
	if parts < 2 || !plainTree(root) {
		return nil
	}
	var decoded any
	if root.Decode(&decoded) != nil {
		return nil
	}
	doc, ok := decoded.(map[string]any)
	if !ok {
		return nil
	}
	services, ok := doc["services"].(map[string]any)
	if !ok || len(services) != len(order) {
		return nil
	}
	groups := partition(order, services, parts)
	if groups == nil {
		return nil
	}
	aside := setAsideExtensions(doc, services)

	name := projectNameContent(root)
	if name == nil {
		return nil
	}
	models := make([]map[string]any, len(groups))
	envs := make([]types.Mapping, len(groups))
	errs := make([]error, len(groups))
	each := make([]types.ConfigDetails, len(groups))
	for i, group := range groups {
		cfg := make(map[string]any, len(doc))
		for k, v := range doc {
			if k == "services" {
				continue
			}
			if i > 0 {
				// compose-go rewrites the mapping it is given in place
				// (its key conversion): each part gets its own copy.
				v = deepCopyYAML(v)
			}
			cfg[k] = v
		}
		part := make(map[string]any, len(group))
		for _, svc := range group {
			part[svc] = services[svc]
		}
		cfg["services"] = part
		pd := *details
		pd.ConfigFiles = append([]types.ConfigFile{{Filename: main.Filename, Content: name, Config: cfg}}, files[1:]...)
		pd.Environment = maps.Clone(details.Environment)
		if pd.Environment == nil {
			pd.Environment = types.Mapping{}
		}
		envs[i] = pd.Environment
		each[i] = pd
	}
	partOpts := opts
	if o := loader.ToOptions(details, opts); o.Interpolate != nil && !o.SkipInterpolation {
		docs := []map[string]any{doc}
		for _, f := range files[1:] {
			var patch map[string]any
			if yaml.Unmarshal(f.Content, &patch) != nil {
				return nil
			}
			docs = append(docs, patch)
		}
		if used, ok := castsUsed(o.Interpolate.TypeCastMapping, docs...); ok {
			partOpts = append(slices.Clip(opts), func(o *loader.Options) {
				if o.Interpolate != nil {
					fewer := *o.Interpolate
					fewer.TypeCastMapping = used
					o.Interpolate = &fewer
				}
			})
		}
	}
	// Only now that every copy is made: part 0 rewrites the originals.
	var wg sync.WaitGroup
	for i := range each {
		wg.Add(1)
		go func() {
			defer wg.Done()
			models[i], errs[i] = loader.LoadModelWithContext(ctx, each[i], partOpts...)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			if partsRefused != nil {
				partsRefused(err)
			}
			return nil
		}
	}
	projectName, _ := models[0]["name"].(string)
	// What compose-go's single load does to the caller's environment: the
	// project name becomes COMPOSE_PROJECT_NAME.
	if details.Environment == nil {
		details.Environment = types.Mapping{}
	}
	before, had := details.Environment[consts.ComposeProjectName]
	if v, ok := envs[0][consts.ComposeProjectName]; ok {
		details.Environment[consts.ComposeProjectName] = v
	}
	o := func() *loader.Options {
		return loader.ToOptions(details, append(append([]func(*loader.Options){}, opts...), func(o *loader.Options) {
			o.SetProjectName(projectName, true)
		}))
	}
	project, err := projectInParts(models, o, *details)
	if err == nil && aside != nil {
		// Interpolated with what the first part's load saw: the caller's
		// environment and the project name compose-go put into it.
		err = aside.interpolate(loader.ToOptions(&each[0], opts))
		if err == nil && !aside.restore(project) {
			err = errAsideLost
		}
	}
	if err == nil && aside != nil && asideRestored != nil {
		asideRestored(aside)
	}
	if err == nil && partsLoaded != nil {
		partsLoaded(len(groups))
	}
	if err != nil {
		if partsRefused != nil {
			partsRefused(err)
		}
		if had {
			details.Environment[consts.ComposeProjectName] = before
		} else {
			delete(details.Environment, consts.ComposeProjectName)
		}
		return nil
	}
	return project
}

// secretsPatchName names the in-memory file of secretsPatch.
const secretsPatchName = "composex-x-secrets"

// singleDocument reports whether content holds at most one YAML document:
// no document marker (--- or ...) at the start of a line but an opening
// --- on the first line. A block scalar never starts a line with one at
// column 0 below a key, so this is conservative, never wrong the other
// way.
func singleDocument(content []byte) bool {
	first := true
	for len(content) > 0 {
		line := content
		if i := bytes.IndexByte(content, '\n'); i >= 0 {
			line, content = content[:i], content[i+1:]
		} else {
			content = nil
		}
		if (bytes.HasPrefix(line, []byte("---")) && !first) || bytes.HasPrefix(line, []byte("...")) {
			return false
		}
		first = false
	}
	return true
}

// plainTree reports whether compose-go's own reading of the file would add
// nothing to a plain decode of the tree: no node carries a tag written in
// the file (compose-go gives !reset and !override their meaning) and no
// mapping names a key twice (compose-go refuses that with its own message,
// and a second << is not refused by a plain decode).
func plainTree(n *yaml.Node) bool {
	if n.Style&yaml.TaggedStyle != 0 {
		return false
	}
	switch n.Kind {
	case yaml.MappingNode:
		if len(n.Content) > 16 {
			seen := make(map[string]bool, len(n.Content)/2)
			for i := 0; i < len(n.Content); i += 2 {
				if seen[n.Content[i].Value] {
					return false
				}
				seen[n.Content[i].Value] = true
			}
		} else {
			for i := 0; i < len(n.Content); i += 2 {
				for j := 0; j < i; j += 2 {
					if n.Content[i].Value == n.Content[j].Value {
						return false
					}
				}
			}
		}
		for _, c := range n.Content {
			if !plainTree(c) {
				return false
			}
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if !plainTree(c) {
				return false
			}
		}
	}
	// An alias's target is checked where it is written.
	return true
}

// projectNameContent is what compose-go reads the project name from when
// it is handed a decoded mapping (it still decodes the file's bytes for
// name alone): a document holding only the file's name key, or an empty
// one. nil means the name is not a plain scalar; the file then loads whole.
func projectNameContent(root *yaml.Node) []byte {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "name" {
			continue
		}
		v := root.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return nil
		}
		b, err := yaml.Marshal(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: "name"},
			{Kind: yaml.ScalarNode, Value: v.Value, Tag: v.Tag, Style: v.Style &^ (yaml.LiteralStyle | yaml.FoldedStyle)},
		}})
		if err != nil {
			return nil
		}
		return b
	}
	return []byte("{}\n")
}

// partition splits the services, in file order, into at most n parts of
// about the same size, keeping together a service and every service it
// extends in the same file (compose-go resolves those within the part).
// nil when a part would be empty.
func partition(order []string, services map[string]any, n int) [][]string {
	parent := make(map[string]string, len(order))
	var find func(string) string
	find = func(x string) string {
		p, ok := parent[x]
		if !ok || p == x {
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	for _, svc := range order {
		if base := extendsInFile(services[svc]); base != "" {
			if _, ok := services[base]; ok {
				a, b := find(svc), find(base)
				if a != b {
					parent[a] = b
				}
			}
		}
	}
	members := map[string][]string{}
	var roots []string
	for _, svc := range order {
		r := find(svc)
		if _, ok := members[r]; !ok {
			roots = append(roots, r)
		}
		members[r] = append(members[r], svc)
	}
	size := (len(order) + n - 1) / n
	var groups [][]string
	var cur []string
	for _, r := range roots {
		cur = append(cur, members[r]...)
		if len(cur) >= size && len(groups) < n-1 {
			groups = append(groups, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	if len(groups) < 2 {
		return nil
	}
	return groups
}

// extendsInFile is the service a service extends in the same file, or "".
func extendsInFile(svc any) string {
	m, ok := svc.(map[string]any)
	if !ok {
		return ""
	}
	switch e := m["extends"].(type) {
	case string:
		return e
	case map[string]any:
		if _, other := e["file"]; other {
			return ""
		}
		name, _ := e["service"].(string)
		return name
	}
	return ""
}

// deepCopyYAML copies a decoded YAML value: mappings and sequences anew,
// scalars as they are.
func deepCopyYAML(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopyYAML(e)
		}
		return out
	case map[any]any:
		out := make(map[any]any, len(v))
		for k, e := range v {
			out[k] = deepCopyYAML(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopyYAML(e)
		}
		return out
	}
	return v
}
