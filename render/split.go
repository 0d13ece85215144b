package render

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Layout chooses between one template and a root with nested stacks.
type Layout string

const (
	LayoutAuto   Layout = "auto"   // nested only when one template would pass a limit
	LayoutSingle Layout = "single" // always one template (an error when it cannot be)
	LayoutNested Layout = "nested" // always a root with nested stacks
)

// Limits are CloudFormation's quotas for one template.
type Limits struct {
	Resources, Parameters, Outputs, Bytes int
}

// CloudFormationLimits are the hard quotas (template body in S3: 1 MB).
var CloudFormationLimits = Limits{Resources: 500, Parameters: 200, Outputs: 200, Bytes: 1_000_000}

// Headroom is what composex fills a template up to, so that a user adding
// a few resources by hand, or CloudFormation counting differently, never
// hits a quota. Nested stacks are filled to less, as a family's references
// grow the parameters and outputs after it was placed.
var (
	Headroom     = Limits{Resources: 450, Parameters: 180, Outputs: 180, Bytes: 900_000}
	nestedLimits = Limits{Resources: 400, Parameters: 150, Outputs: 150, Bytes: 700_000}
)

// Stack is one template of the output.
type Stack struct {
	File string
	Tree Tree
}

// Owners maps each resource's logical ID to its family; resources not in
// the map belong to the project (they stay in the root template).
func Owners(m *Model) map[string]*Family {
	out := map[string]*Family{}
	for _, f := range m.Families {
		for _, id := range []string{f.LogGroupID(), f.TaskRoleID(), f.ExecutionRoleID(), f.SecurityGroupID(), f.TaskDefinitionID(), f.ServiceID()} {
			out[id] = f
		}
		for id := range f.Resources {
			out[id] = f
		}
	}
	return out
}

// Count reports a template's size against the limits. Bytes is the size
// of the compact JSON form (what CloudFormation measures), computed
// without encoding.
func Count(tree Tree) Limits {
	n := func(k string) int { m, _ := tree[k].(map[string]any); return len(m) }
	return Limits{Resources: n("Resources"), Parameters: n("Parameters"), Outputs: n("Outputs"), Bytes: jsonSize(tree)}
}

// jsonSize is the length of v's compact JSON encoding, give or take the
// escapes of unusual characters.
func jsonSize(v any) int {
	switch t := v.(type) {
	case map[string]any:
		n := 2
		for k, c := range t {
			n += len(k) + 4 + jsonSize(c) // "k":v,
		}
		return n
	case []any:
		n := 2
		for _, c := range t {
			n += jsonSize(c) + 1
		}
		return n
	case string:
		return len(t) + 2
	case json.Number:
		return len(t)
	case bool:
		return 5
	case nil:
		return 4
	}
	return 8
}

// Within reports whether every count is at most the limit.
func (c Limits) Within(l Limits) bool {
	return c.Resources <= l.Resources && c.Parameters <= l.Parameters && c.Outputs <= l.Outputs && c.Bytes <= l.Bytes
}

func (c Limits) String() string {
	return fmt.Sprintf("%d resources, %d parameters, %d outputs, %d bytes", c.Resources, c.Parameters, c.Outputs, c.Bytes)
}

// Arrange returns the templates to write: the single template when it fits
// (or is asked for), else a root and nested stacks grouping whole families.
func Arrange(tree Tree, m *Model, layout Layout, name string, format Format) ([]Stack, error) {
	root := Stack{File: name + "." + string(format), Tree: tree}
	sizes := resourceSizes(tree)
	c := countSized(tree, sizes)
	switch {
	case layout == LayoutSingle && !c.Within(CloudFormationLimits):
		return nil, fmt.Errorf("the template has %s; CloudFormation allows %s in one template: use --layout auto or nested", c, CloudFormationLimits)
	case layout == LayoutSingle, layout != LayoutNested && c.Within(Headroom):
		return []Stack{root}, nil
	}
	return split(tree, m, name, format, sizes)
}

// resourceSizes is jsonSize of each resource, by logical ID, measured in
// parallel: the split weighs each family by them, and the template's own
// size is their sum plus the rest (countSized), so each resource is
// measured once.
func resourceSizes(tree Tree) map[string]int {
	resources, _ := tree["Resources"].(map[string]any)
	ids := make([]string, 0, len(resources))
	for id := range resources {
		ids = append(ids, id)
	}
	n := make([]int, len(ids))
	parallel(len(ids), func(i int) { n[i] = jsonSize(resources[ids[i]]) })
	out := make(map[string]int, len(ids))
	for i, id := range ids {
		out[id] = n[i]
	}
	return out
}

// countSized is Count(tree), with the resources' sizes already measured.
func countSized(tree Tree, sizes map[string]int) Limits {
	n := func(k string) int { m, _ := tree[k].(map[string]any); return len(m) }
	c := Limits{Resources: n("Resources"), Parameters: n("Parameters"), Outputs: n("Outputs"), Bytes: 2}
	for k, v := range tree {
		c.Bytes += len(k) + 4
		resources, ok := v.(map[string]any)
		if k != "Resources" || !ok {
			c.Bytes += jsonSize(v)
			continue
		}
		c.Bytes += 2
		for id := range resources {
			c.Bytes += len(id) + 4 + sizes[id]
		}
	}
	return c
}

// splitter moves families' resources into nested stacks and rewrites every
// reference that crosses a template into a parameter (and, in the template
// that owns the target, an output), passed through the root.
type splitter struct {
	root      Tree
	resources map[string]any // all resources of the single template
	params    map[string]any
	conds     map[string]any
	groupOf   map[string]*group // resource ID -> its group; nil: root
	groups    []*group
	format    Format
	name      string
}

type group struct {
	index     int
	id        string // logical ID of the AWS::CloudFormation::Stack in the root
	families  []*Family
	resources map[string]any
	params    map[string]any // parameter name -> definition
	values    map[string]any // parameter name -> value passed by the root
	outputs   map[string]any
	conds     map[string]bool
	dependsOn map[string]bool // other stacks (or root resources) to wait for
	reads     map[string]bool // other stacks whose outputs it takes
	// exports are the outputs this group's references need of other
	// groups: groups are rewritten concurrently, each writing only its own
	// state, and the outputs are added to their owners afterwards.
	exports []export
}

// export is an output a group needs from another.
type export struct {
	owner *group
	name  string
	value any
}

func split(tree Tree, m *Model, name string, format Format, sizes map[string]int) ([]Stack, error) {
	s := &splitter{root: tree, groupOf: map[string]*group{}, format: format, name: name}
	s.resources, _ = tree["Resources"].(map[string]any)
	s.params, _ = tree["Parameters"].(map[string]any)
	s.conds, _ = tree["Conditions"].(map[string]any)
	owners := Owners(m)
	byFamily := map[*Family][]string{}
	var owned []string
	for id := range s.resources {
		if f := owners[id]; f != nil {
			byFamily[f] = append(byFamily[f], id)
			owned = append(owned, id)
		}
	}
	// Each resource's references, found concurrently (a read of the tree).
	found := make([][]string, len(owned))
	parallel(len(owned), func(i int) { found[i] = s.references(s.resources[owned[i]]) })
	refsOf := make(map[string][]string, len(owned))
	for i, id := range owned {
		refsOf[id] = found[i]
	}
	// Families in dependency order, so that a group only waits for groups
	// before it and the nested stacks never wait for each other in a cycle.
	var cur *group
	var curSize Limits
	var curRefs map[string]bool
	for _, f := range familiesInOrder(m) {
		ids := byFamily[f]
		sort.Strings(ids)
		size := Limits{Resources: len(ids)}
		own := map[string]bool{}
		for _, id := range ids {
			own[id] = true
		}
		refs := map[string]bool{}
		for _, id := range ids {
			size.Bytes += sizes[id]
			for _, ref := range refsOf[id] {
				if target, _, _ := strings.Cut(ref, "."); !own[target] && !strings.HasPrefix(target, "AWS::") {
					refs[ref] = true
				}
			}
		}
		size.Parameters = len(refs)
		merged := 0
		for r := range refs {
			if !curRefs[r] {
				merged++
			}
		}
		if size.Resources > nestedLimits.Resources || size.Bytes > nestedLimits.Bytes {
			return nil, fmt.Errorf("family %s alone has %d resources (%d bytes); a nested stack holds %d: split the family", f.Name, size.Resources, size.Bytes, nestedLimits.Resources)
		}
		if cur == nil || curSize.Resources+size.Resources > nestedLimits.Resources || curSize.Bytes+size.Bytes > nestedLimits.Bytes ||
			curSize.Parameters+merged > nestedLimits.Parameters {
			cur = &group{index: len(s.groups) + 1, resources: map[string]any{}, params: map[string]any{}, values: map[string]any{},
				outputs: map[string]any{}, conds: map[string]bool{}, dependsOn: map[string]bool{}, reads: map[string]bool{}}
			cur.id = fmt.Sprintf("Stack%02d", cur.index)
			s.groups = append(s.groups, cur)
			curSize, curRefs, merged = Limits{}, map[string]bool{}, size.Parameters
		}
		cur.families = append(cur.families, f)
		curSize.Resources += size.Resources
		curSize.Bytes += size.Bytes
		curSize.Parameters += merged
		for r := range refs {
			curRefs[r] = true
		}
		for _, id := range ids {
			cur.resources[id] = s.resources[id]
			s.groupOf[id] = cur
		}
	}
	stackIDs := map[string]bool{} // the IDs given so far (a scan of the groups per group was quadratic)
	for _, g := range s.groups {
		g.id = nestedStackID(g.families, func(id string) bool {
			_, ok := s.resources[id]
			return ok || stackIDs[id]
		})
		stackIDs[g.id] = true
	}
	// The groups are rewritten concurrently: a group's rewrite writes its
	// own resources and state only, and reads what no rewrite changes
	// (which group owns what, the root's resources, parameters and
	// conditions); the outputs it needs of other groups are added after.
	parallel(len(s.groups), func(i int) {
		g := s.groups[i]
		for id, r := range g.resources {
			g.resources[id] = s.rewriteResource(r, g)
		}
	})
	for _, g := range s.groups {
		for _, e := range g.exports {
			e.owner.outputs[e.name] = e.value
		}
		for id := range g.resources {
			delete(s.resources, id)
		}
	}
	for id, r := range s.resources {
		s.resources[id] = s.rewriteResource(r, nil)
	}
	if outputs, ok := tree["Outputs"].(map[string]any); ok {
		for id, o := range outputs {
			outputs[id] = s.rewrite(o, nil)
		}
	}
	if err := s.checkAcyclic(); err != nil {
		return nil, err
	}
	s.pruneRootParameters()
	stacks := []Stack{{File: name + "." + string(format), Tree: tree}}
	for _, g := range s.groups {
		child := s.childTemplate(g)
		if c := Count(child); !c.Within(CloudFormationLimits) {
			return nil, fmt.Errorf("nested stack %s has %s, past CloudFormation's limits (%s)", g.id, c, CloudFormationLimits)
		}
		stacks = append(stacks, Stack{File: s.childFile(g), Tree: child})
		s.resources[g.id] = s.stackResource(g)
	}
	if c := Count(tree); !c.Within(CloudFormationLimits) {
		return nil, fmt.Errorf("the root template still has %s, past CloudFormation's limits (%s)", c, CloudFormationLimits)
	}
	return stacks, nil
}

func (s *splitter) childFile(g *group) string {
	return fmt.Sprintf("%s-%s.%s", s.name, nestedStackFile(g.families), s.format)
}

// familiesInOrder sorts families so that each comes after those its
// services depend on (the model refuses cycles), by name otherwise.
func familiesInOrder(m *Model) []*Family {
	done := map[string]bool{}
	var out []*Family
	var visit func(f *Family)
	visit = func(f *Family) {
		if f == nil || done[f.Name] {
			return
		}
		done[f.Name] = true
		for _, d := range f.DependsOn {
			visit(m.Family(d))
		}
		out = append(out, f)
	}
	for _, f := range m.Families {
		visit(f)
	}
	return out
}

var reSubToken = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// references lists the logical names a value refers to (Ref, GetAtt and
// ${} in Sub), as "X" or "X.Attr".
func (s *splitter) references(v any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if len(t) == 1 {
				if ref, ok := t["Ref"].(string); ok {
					out = append(out, ref)
					return
				}
				if ga, ok := t["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
					out = append(out, fmt.Sprint(ga[0])+"."+fmt.Sprint(ga[1]))
					return
				}
				if sub, ok := t["Fn::Sub"]; ok {
					str, vars := subParts(sub)
					for _, m := range reSubToken.FindAllStringSubmatch(str, -1) {
						if _, isVar := vars[m[1]]; !isVar {
							out = append(out, m[1])
						}
					}
					for _, vv := range vars {
						walk(vv)
					}
					return
				}
			}
			for _, c := range t {
				walk(c)
			}
		case []any:
			for _, c := range t {
				walk(c)
			}
		}
	}
	walk(v)
	return out
}

func subParts(sub any) (string, map[string]any) {
	switch t := sub.(type) {
	case string:
		return t, nil
	case []any:
		if len(t) == 2 {
			str, _ := t[0].(string)
			vars, _ := t[1].(map[string]any)
			return str, vars
		}
	}
	return "", nil
}

// paramName is the parameter that carries a reference into a nested stack.
func paramName(target, attr string) string {
	if attr == "" {
		return target
	}
	return target + nonAlnum.ReplaceAllString(attr, "")
}

// carry makes reference X (or X.Attr) available in group g (nil: the root)
// and says how to write it there: keep it as it is (same template, or a
// parameter of the same name), use a parameter of that name, or (in the
// root) read a nested stack's output through getatt.
func (s *splitter) carry(g *group, target, attr string) (name string, getatt []any, keep bool) {
	if strings.HasPrefix(target, "AWS::") {
		return "", nil, true
	}
	name = paramName(target, attr)
	if owner, inGroup := s.groupOf[target]; inGroup {
		switch {
		case owner == g:
			return "", nil, true
		case g == nil:
			owner.outputs[name] = map[string]any{"Value": valueOf(target, attr)}
			return "", []any{owner.id, "Outputs." + name}, false
		}
		g.exports = append(g.exports, export{owner, name, map[string]any{"Value": valueOf(target, attr)}})
		g.reads[owner.id] = true // CloudFormation orders the stacks through the GetAtt
		s.needParam(g, name, map[string]any{"Type": "String"}, map[string]any{"Fn::GetAtt": []any{owner.id, "Outputs." + name}})
		return name, nil, false
	}
	if _, isRootResource := s.resources[target]; isRootResource {
		if g == nil {
			return "", nil, true
		}
		s.needParam(g, name, map[string]any{"Type": "String"}, s.rootValue(target, attr))
		return name, nil, false
	}
	if def := s.params[target]; def != nil && g != nil {
		s.needParam(g, target, def, map[string]any{"Ref": target})
	}
	return "", nil, true
}

func valueOf(target, attr string) any {
	if attr == "" {
		return map[string]any{"Ref": target}
	}
	return map[string]any{"Fn::GetAtt": []any{target, attr}}
}

// rootValue is the value the root passes for one of its own resources; a
// resource under a condition passes "" when it does not exist.
func (s *splitter) rootValue(target, attr string) any {
	v := valueOf(target, attr)
	if r, ok := s.resources[target].(map[string]any); ok {
		if cond, ok := r["Condition"].(string); ok {
			return map[string]any{"Fn::If": []any{cond, v, ""}}
		}
	}
	return v
}

func (s *splitter) needParam(g *group, name string, def any, value any) {
	if _, done := g.params[name]; done {
		return
	}
	g.params[name] = def
	if isListType(def) {
		// Nested stack parameters are strings: a list travels joined.
		value = map[string]any{"Fn::Join": []any{",", value}}
	}
	g.values[name] = value
}

func isListType(def any) bool {
	t, _ := def.(map[string]any)["Type"].(string)
	return strings.HasPrefix(t, "List<") || t == "CommaDelimitedList"
}

// rewriteResource rewrites the references of one resource for its
// template. Like rewrite, it changes the resource in place: every value of
// the tree has one place in it (TemplateTree builds each anew), so no
// other template sees the change, and copying every map and list was half
// of the split.
func (s *splitter) rewriteResource(r any, g *group) any {
	res, ok := r.(map[string]any)
	if !ok {
		return r
	}
	out := res
	for k, v := range res {
		switch k {
		case "DependsOn":
			var keep []any
			for _, d := range toList(v) {
				id := fmt.Sprint(d)
				owner, isGroup := s.groupOf[id]
				switch {
				case isGroup && owner == g, !isGroup && g == nil:
					keep = append(keep, id)
				case isGroup && g == nil:
					keep = append(keep, owner.id)
				case isGroup:
					g.dependsOn[owner.id] = true
				default: // a root resource: the nested stack waits for it
					g.dependsOn[id] = true
				}
			}
			if len(keep) > 0 {
				out[k] = dedupe(keep)
			} else {
				delete(out, k)
			}
		case "Condition":
			if g != nil {
				s.needCondition(g, fmt.Sprint(v))
			}
			out[k] = v
		default:
			out[k] = s.rewrite(v, g)
		}
	}
	return out
}

func toList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func dedupe(l []any) []any {
	seen := map[string]bool{}
	var out []any
	for _, v := range l {
		if !seen[fmt.Sprint(v)] {
			seen[fmt.Sprint(v)] = true
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}

func (s *splitter) rewrite(v any, g *group) any {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 1 {
			if ref, ok := t["Ref"].(string); ok {
				name, getatt, keep := s.carry(g, ref, "")
				switch {
				case keep:
					return t
				case getatt != nil:
					return map[string]any{"Fn::GetAtt": getatt}
				}
				return map[string]any{"Ref": name}
			}
			if ga, ok := t["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
				name, getatt, keep := s.carry(g, fmt.Sprint(ga[0]), fmt.Sprint(ga[1]))
				switch {
				case keep:
					return t
				case getatt != nil:
					return map[string]any{"Fn::GetAtt": getatt}
				}
				return map[string]any{"Ref": name}
			}
			if sub, ok := t["Fn::Sub"]; ok {
				return map[string]any{"Fn::Sub": s.rewriteSub(sub, g)}
			}
			if ifs, ok := t["Fn::If"].([]any); ok && len(ifs) == 3 && g != nil {
				s.needCondition(g, fmt.Sprint(ifs[0]))
			}
		}
		for k, c := range t {
			t[k] = s.rewrite(c, g) // in place: see rewriteResource
		}
		return t
	case []any:
		for i, c := range t {
			t[i] = s.rewrite(c, g)
		}
		return t
	}
	return v
}

func (s *splitter) rewriteSub(sub any, g *group) any {
	str, vars := subParts(sub)
	newVars := map[string]any{}
	for k, v := range vars {
		newVars[k] = s.rewrite(v, g)
	}
	str = reSubToken.ReplaceAllStringFunc(str, func(tok string) string {
		inner := tok[2 : len(tok)-1]
		if _, isVar := vars[inner]; isVar {
			return tok
		}
		target, attr, _ := strings.Cut(inner, ".")
		name, getatt, keep := s.carry(g, target, attr)
		switch {
		case keep:
			return tok
		case getatt != nil:
			return "${" + fmt.Sprint(getatt[0]) + "." + fmt.Sprint(getatt[1]) + "}"
		}
		return "${" + name + "}"
	})
	if len(vars) == 0 {
		return str
	}
	return []any{str, newVars}
}

// needCondition copies a condition (and what it uses) into a nested stack.
func (s *splitter) needCondition(g *group, name string) {
	if g.conds[name] {
		return
	}
	g.conds[name] = true
	def := s.conds[name]
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if c, ok := t["Condition"].(string); ok && len(t) == 1 {
				s.needCondition(g, c)
				return
			}
			if ref, ok := t["Ref"].(string); ok && len(t) == 1 {
				if p := s.params[ref]; p != nil {
					s.needParam(g, ref, p, map[string]any{"Ref": ref})
				}
				return
			}
			for _, c := range t {
				walk(c)
			}
		case []any:
			for _, c := range t {
				walk(c)
			}
		}
	}
	walk(def)
}

func (s *splitter) childTemplate(g *group) Tree {
	var names []string
	for _, f := range g.families {
		names = append(names, f.Name)
	}
	t := Tree{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description":              fmt.Sprintf("%s (families %s)", s.root["Description"], strings.Join(names, ", ")),
		"Resources":                g.resources,
	}
	if len(g.params) > 0 {
		t["Parameters"] = g.params
	}
	if len(g.outputs) > 0 {
		t["Outputs"] = g.outputs
	}
	if len(g.conds) > 0 {
		conds := map[string]any{}
		for c := range g.conds {
			conds[c] = s.conds[c]
		}
		t["Conditions"] = conds
	}
	return t
}

func (s *splitter) stackResource(g *group) map[string]any {
	props := map[string]any{"TemplateURL": s.childFile(g)}
	if len(g.values) > 0 {
		props["Parameters"] = g.values
	}
	r := map[string]any{"Type": "AWS::CloudFormation::Stack", "Properties": props}
	if len(g.dependsOn) > 0 {
		var deps []any
		for d := range g.dependsOn {
			deps = append(deps, d)
		}
		r["DependsOn"] = dedupe(deps)
	}
	return r
}

// pruneRootParameters moves a parameter with a default that only one
// nested stack uses into that stack (the root has room for 200
// parameters, a project of 1000 services has 1000 images); parameters a
// user must give, or that several templates use, stay in the root.
func (s *splitter) pruneRootParameters() {
	usedByRoot := map[string]bool{}
	for _, r := range s.resources {
		for _, ref := range s.references(r) {
			target, _, _ := strings.Cut(ref, ".")
			usedByRoot[target] = true
		}
	}
	for _, c := range s.conds {
		for _, ref := range s.references(c) {
			usedByRoot[ref] = true
		}
	}
	// The stacks that use each parameter, from one pass over the stacks
	// (asking every stack about every parameter was quadratic).
	users := map[string][]*group{}
	for _, g := range s.groups {
		for name := range g.params {
			if _, root := s.params[name]; root && len(users[name]) < 2 {
				users[name] = append(users[name], g)
			}
		}
	}
	for name, def := range s.params {
		if usedByRoot[name] {
			continue
		}
		if _, hasDefault := def.(map[string]any)["Default"]; !hasDefault {
			continue
		}
		if len(users[name]) != 1 {
			continue
		}
		g := users[name][0]
		g.params[name] = def
		delete(g.values, name)
		delete(s.params, name)
	}
}

// checkAcyclic refuses a split whose nested stacks would wait for each
// other in a circle (CloudFormation cannot create them).
func (s *splitter) checkAcyclic() error {
	state := map[string]int{}
	byID := map[string]*group{}
	for _, g := range s.groups {
		byID[g.id] = g
	}
	var visit func(g *group, path []string) error
	visit = func(g *group, path []string) error {
		switch state[g.id] {
		case 1:
			return fmt.Errorf("the nested stacks would depend on each other in a cycle (%s); use --layout single or group the families differently", strings.Join(append(path, g.id), " -> "))
		case 2:
			return nil
		}
		state[g.id] = 1
		deps := make([]string, 0, len(g.dependsOn)+len(g.reads))
		for d := range g.dependsOn {
			deps = append(deps, d)
		}
		for d := range g.reads {
			deps = append(deps, d)
		}
		sort.Strings(deps)
		for _, d := range deps {
			if h := byID[d]; h != nil {
				if err := visit(h, append(path, g.id)); err != nil {
					return err
				}
			}
		}
		state[g.id] = 2
		return nil
	}
	for _, g := range s.groups {
		if err := visit(g, nil); err != nil {
			return err
		}
	}
	return nil
}
