package schema

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/xeipuuv/gojsonschema"

	"github.com/composex/composex/render"
)

// Validator is Validate as a render.Validator, for render.Options.
var Validator render.Validator = Validate

// Validate checks every x- block of the project that has a schema
// (services.*.x-*, top-level x-*, secrets.*.x-secrets) and reports every
// problem, each with the file, line and column where the user wrote it, the
// service, the key path, what is wrong and what is allowed.
func Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	if in == nil || in.Project == nil {
		return ds
	}
	p := in.Project
	for _, name := range sortedKeys(p.Services) {
		ext := p.Services[name].Extensions
		for _, k := range sortedKeys(ext) {
			if file, ok := Lookup(ServiceLevel, k); ok {
				check(in, file, ext[k], name, []string{"services", name, k}, &ds)
			}
		}
	}
	for _, k := range sortedKeys(p.Extensions) {
		if file, ok := Lookup(ProjectLevel, k); ok {
			check(in, file, p.Extensions[k], "", []string{k}, &ds)
		}
	}
	for _, name := range sortedKeys(p.Secrets) {
		ext := p.Secrets[name].Extensions
		for _, k := range sortedKeys(ext) {
			if file, ok := Lookup(SecretLevel, k); ok {
				check(in, file, ext[k], "", []string{"secrets", name, k}, &ds)
			}
		}
	}
	for _, name := range sortedKeys(p.Volumes) {
		ext := p.Volumes[name].Extensions
		for _, k := range sortedKeys(ext) {
			if file, ok := Lookup(VolumeLevel, k); ok {
				check(in, file, ext[k], "", []string{"volumes", name, k}, &ds)
			}
		}
	}
	return ds
}

// finding is one problem at an instance path (relative to the x- block).
type finding struct {
	parts []string
	msg   string
}

func check(in *render.Input, file string, value any, service string, base []string, ds *render.Diagnostics) {
	add := func(parts []string, msg string) {
		path := joinPath(append(append([]string(nil), base...), parts...))
		d := render.Diagnostic{Severity: render.Error, Service: service, Path: path, Message: msg}
		d.File, d.Line, d.Column = in.Sources.Locate(path)
		ds.Add(d)
	}
	c, err := schemaFile(file)
	if err != nil {
		ds.Errorf(service, joinPath(base), "internal error: extension schemas: %v", err)
		return
	}
	doc, err := normalize(value)
	if err != nil {
		add(nil, fmt.Sprintf("cannot read the value: %v", err))
		return
	}
	res, err := c.schema.Validate(gojsonschema.NewGoLoader(doc))
	if err != nil {
		add(nil, fmt.Sprintf("cannot check the value: %v", err))
		return
	}
	if res.Valid() {
		return
	}
	for _, f := range explain(c.raw, doc, res.Errors()) {
		add(f.parts, f.msg)
	}
}

// normalize turns what compose-go decoded into plain JSON values.
func normalize(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// joinPath builds a key path that render.Sources.Locate understands.
func joinPath(parts []string) string {
	q := make([]string, len(parts))
	for i, p := range parts {
		q[i] = render.Key(p)
	}
	return strings.Join(q, ".")
}

// verr is a gojsonschema error with its instance path split into keys.
type verr struct {
	parts []string
	ctx   string
	typ   string
	det   gojsonschema.ErrorDetails
	desc  string
}

const sep = "\x00"

func ctxParts(e gojsonschema.ResultError) []string {
	s := e.Context().String(sep)
	parts := strings.Split(s, sep)
	if len(parts) > 0 && parts[0] == gojsonschema.STRING_CONTEXT_ROOT {
		parts = parts[1:]
	}
	return parts
}

func isCombinator(typ string) bool {
	return typ == "number_one_of" || typ == "number_any_of" || typ == "number_all_of"
}

// under reports whether ctx b is ctx a or below it.
func under(b, a string) bool {
	return a == "" || b == a || strings.HasPrefix(b, a+sep)
}

// explain turns gojsonschema's errors into composex's messages. The
// combinators (oneOf, anyOf, allOf) merge the errors of their best branch;
// those are kept when they point at something precise, and replaced by the
// schema's own errorMessage when the value has none of the allowed forms.
func explain(root node, doc any, raw []gojsonschema.ResultError) []finding {
	errs := make([]*verr, 0, len(raw))
	for _, e := range raw {
		parts := ctxParts(e)
		errs = append(errs, &verr{parts: parts, ctx: strings.Join(parts, sep), typ: e.Type(), det: e.Details(), desc: e.Description()})
	}
	dropped := map[*verr]bool{}
	var out []finding

	// Contexts where a oneOf/anyOf failed, outermost first.
	var ofCtx []*verr
	seen := map[string]bool{}
	for _, e := range errs {
		if (e.typ == "number_one_of" || e.typ == "number_any_of") && !seen[e.ctx] {
			seen[e.ctx] = true
			ofCtx = append(ofCtx, e)
		}
	}
	sort.SliceStable(ofCtx, func(i, j int) bool { return len(ofCtx[i].parts) < len(ofCtx[j].parts) })
	for _, oe := range ofCtx {
		nodes := nodesAt(root, oe.parts)
		v := valueAt(doc, oe.parts)
		t := jsonType(v)
		emitted := false
		discKeys := map[string]bool{}
		dropTypes, typeMismatch := false, false
		oneForm := false // the value's type picks exactly one alternative
		for _, n := range nodes {
			if !typeMatches(n, t) {
				continue
			}
			for _, kw := range []string{"oneOf", "anyOf"} {
				list, ok := n[kw].([]any)
				if !ok {
					continue
				}
				if branches := requiredBranches(list); branches != nil {
					obj, isObj := v.(map[string]any)
					if !isObj {
						continue // required keys only mean something in a mapping
					}
					count := 0
					var names []string
					for _, b := range branches {
						names = append(names, strings.Join(b, " and "))
						all := true
						for _, k := range b {
							discKeys[k] = true
							if _, ok := obj[k]; !ok {
								all = false
							}
						}
						if all {
							count++
						}
					}
					if (kw == "oneOf" && count != 1) || (kw == "anyOf" && count == 0) {
						msg := str(n, "errorMessage")
						if msg == "" {
							if kw == "oneOf" {
								msg = "give exactly one of " + strings.Join(names, " or ")
							} else {
								msg = "give " + strings.Join(names, " or ")
							}
						}
						out = append(out, finding{oe.parts, msg})
						emitted = true
					}
					continue
				}
				var types []string
				for _, b := range list {
					if bn, ok := b.(node); ok {
						types = append(types, declaredTypes(root, bn)...)
					}
				}
				if len(types) == 0 || emitted || dropTypes {
					continue
				}
				okType, matching := false, 0
				for _, b := range list {
					bn, ok := b.(node)
					if !ok {
						continue
					}
					branchOK := false
					for _, m := range expand(root, bn) {
						if _, has := m["type"]; has && typeMatches(m, t) {
							branchOK = true
						}
					}
					if branchOK {
						okType = true
						matching++
					}
				}
				if matching == 1 {
					oneForm = true
				}
				if !okType {
					msg := str(n, "errorMessage")
					if msg == "" {
						msg = "expected " + typeList(uniq(types))
					}
					out = append(out, finding{oe.parts, fmt.Sprintf("%s; got %s", msg, describe(v))})
					emitted, typeMismatch = true, true
				}
				dropTypes = true
			}
		}
		// What the combinators merged at this very level is replaced; when
		// the value has none of the allowed types, everything below too.
		for _, e := range errs {
			switch {
			case typeMismatch && under(e.ctx, oe.ctx):
				dropped[e] = true
			case e.ctx != oe.ctx:
			case isCombinator(e.typ), e.typ == "invalid_type":
				dropped[e] = true
			case e.typ == "required" && discKeys[fmt.Sprint(e.det["property"])]:
				dropped[e] = true
			}
		}
		if !emitted {
			// A precise error (a missing or unknown key, or anything below
			// this level) explains the failure best; otherwise the schema's
			// own message replaces the leftovers of the branch that came
			// closest (an enum of one branch, a multipleOf of another).
			precise, rest := false, false
			for _, e := range errs {
				if dropped[e] || !under(e.ctx, oe.ctx) {
					continue
				}
				rest = true
				if oneForm || e.ctx != oe.ctx || e.typ == "required" || e.typ == "additional_property_not_allowed" || e.typ == "invalid_property_name" || e.typ == "number_not" {
					precise = true
				}
			}
			msg := ""
			for _, n := range nodes {
				if _, ok := n["oneOf"]; !ok {
					if _, ok := n["anyOf"]; !ok {
						continue
					}
				}
				if m := str(n, "errorMessage"); m != "" {
					msg = m
					break
				}
			}
			switch {
			case precise:
				for _, e := range errs {
					if e.ctx == oe.ctx && !oneForm && !(e.typ == "required" || e.typ == "additional_property_not_allowed" || e.typ == "invalid_property_name" || e.typ == "number_not") {
						dropped[e] = true
					}
				}
			case msg != "" || !rest:
				for _, e := range errs {
					if e.ctx == oe.ctx {
						dropped[e] = true
					}
				}
				if msg == "" {
					msg = oe.desc
				}
				out = append(out, finding{oe.parts, fmt.Sprintf("%s; got %s", msg, describe(v))})
			}
		}
	}
	for _, e := range errs {
		// allOf, then and else merge their members' errors, which say more.
		if e.typ == "number_all_of" || e.typ == "condition_then" || e.typ == "condition_else" {
			dropped[e] = true
		}
	}
	// propertyNames: the key's own pattern error is folded into one message.
	for _, e := range errs {
		if e.typ != "invalid_property_name" {
			continue
		}
		name := fmt.Sprint(e.det["property"])
		for _, o := range errs {
			if o.ctx == e.ctx && (o.typ == "pattern" || o.typ == "string_gte" || o.typ == "string_lte") {
				dropped[o] = true
			}
		}
		pattern := ""
		for _, n := range nodesAt(root, e.parts) {
			if pn, ok := n["propertyNames"].(node); ok {
				pattern = str(pn, "pattern")
			}
		}
		msg := fmt.Sprintf("%q is not a valid name here", name)
		if pattern != "" {
			msg += fmt.Sprintf(" (allowed: names matching %s)", pattern)
		}
		out = append(out, finding{append(append([]string(nil), e.parts...), name), msg})
		dropped[e] = true
	}
	for _, e := range errs {
		if dropped[e] {
			continue
		}
		out = append(out, describeError(root, doc, e))
	}
	return dedupe(out)
}

func dedupe(in []finding) []finding {
	seen := map[string]bool{}
	var out []finding
	for _, f := range in {
		k := strings.Join(f.parts, sep) + "\x01" + f.msg
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := strings.Join(out[i].parts, sep), strings.Join(out[j].parts, sep)
		if a != b {
			return a < b
		}
		return out[i].msg < out[j].msg
	})
	return out
}

// describeError writes the message of one plain error.
func describeError(root node, doc any, e *verr) finding {
	nodes := nodesAt(root, e.parts)
	v := valueAt(doc, e.parts)
	prop := fmt.Sprint(e.det["property"])
	switch e.typ {
	case "additional_property_not_allowed":
		allowed := allowedKeys(nodes)
		msg := fmt.Sprintf("unknown key %q", prop)
		if s := suggest(prop, allowed); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		if len(allowed) > 0 {
			msg += "; allowed: " + strings.Join(allowed, ", ")
		} else {
			msg += "; no keys are allowed here"
		}
		return finding{append(append([]string(nil), e.parts...), prop), msg}
	case "required":
		return finding{e.parts, fmt.Sprintf("missing required key %q", prop)}
	case "number_not":
		for _, n := range nodes {
			if _, ok := n["not"]; ok {
				if m := str(n, "errorMessage"); m != "" {
					return finding{e.parts, m}
				}
			}
		}
		return finding{e.parts, "this value is not allowed here"}
	case "const":
		for _, n := range nodes {
			if _, ok := n["const"]; ok {
				if m := str(n, "errorMessage"); m != "" {
					return finding{e.parts, m}
				}
			}
		}
		for _, n := range nodes {
			if c, ok := n["const"]; ok {
				return finding{e.parts, fmt.Sprintf("%s is not allowed; allowed: %s", literal(v), literal(c))}
			}
		}
	case "false":
		// A key whose schema is false (in a then: a key that another key
		// excludes) is explained by the errorMessage beside it.
		if len(e.parts) > 0 {
			for _, n := range nodesAt(root, e.parts[:len(e.parts)-1]) {
				if props, ok := n["properties"].(node); ok && props[e.parts[len(e.parts)-1]] == false {
					if m := str(n, "errorMessage"); m != "" {
						return finding{e.parts, m}
					}
				}
			}
		}
		return finding{e.parts, "this key is not allowed here"}
	case "invalid_type":
		var types []string
		for _, n := range nodes {
			if _, ok := n["type"]; ok {
				types = append(types, declaredTypes(root, n)...)
			}
		}
		if len(types) == 0 {
			types = []string{fmt.Sprint(e.det["expected"])}
		}
		return finding{e.parts, fmt.Sprintf("expected %s; got %s", typeList(uniq(types)), describe(v))}
	case "enum":
		for _, n := range nodes {
			if _, ok := n["enum"]; ok {
				if m := str(n, "errorMessage"); m != "" {
					return finding{e.parts, m}
				}
			}
		}
		var vals []string
		for _, n := range nodes {
			if list, ok := n["enum"].([]any); ok {
				for _, x := range list {
					vals = append(vals, literal(x))
				}
			}
		}
		return finding{e.parts, fmt.Sprintf("%s is not allowed; allowed: %s", literal(v), strings.Join(uniq(vals), ", "))}
	case "pattern":
		for _, n := range nodes {
			if m := str(n, "patternErrorMessage"); m != "" {
				return finding{e.parts, fmt.Sprintf("%s: %s", literal(v), m)}
			}
		}
		return finding{e.parts, fmt.Sprintf("%s does not match the pattern %s", literal(v), fmt.Sprint(e.det["pattern"]))}
	case "number_gte", "number_gt", "number_lte", "number_lt":
		lo, hi := bounds(nodes)
		var msg string
		switch e.typ {
		case "number_gte":
			msg = fmt.Sprintf("%s is below the minimum of %v", literal(v), e.det["min"])
		case "number_gt":
			msg = fmt.Sprintf("%s must be greater than %v", literal(v), e.det["min"])
		case "number_lte":
			msg = fmt.Sprintf("%s is above the maximum of %v", literal(v), e.det["max"])
		default:
			msg = fmt.Sprintf("%s must be less than %v", literal(v), e.det["max"])
		}
		if lo != nil && hi != nil {
			msg += fmt.Sprintf("; allowed: %v to %v", lo, hi)
		}
		return finding{e.parts, msg}
	case "multiple_of":
		return finding{e.parts, fmt.Sprintf("%s is not a multiple of %v", literal(v), e.det["multiple"])}
	case "string_gte":
		if fmt.Sprint(e.det["min"]) == "1" {
			return finding{e.parts, "must not be empty"}
		}
		return finding{e.parts, fmt.Sprintf("%s is shorter than %v characters", literal(v), e.det["min"])}
	case "string_lte":
		return finding{e.parts, fmt.Sprintf("%s is longer than %v characters", literal(v), e.det["max"])}
	case "array_min_items":
		return finding{e.parts, fmt.Sprintf("needs at least %v item(s)", e.det["min"])}
	case "array_max_items":
		return finding{e.parts, fmt.Sprintf("takes at most %v item(s)", e.det["max"])}
	case "unique":
		return finding{e.parts, "items must be unique: the list holds the same item twice"}
	case "array_min_properties":
		return finding{e.parts, fmt.Sprintf("needs at least %v key(s)", e.det["min"])}
	case "array_max_properties":
		return finding{e.parts, fmt.Sprintf("takes at most %v key(s)", e.det["max"])}
	}
	for _, n := range nodes {
		if m := str(n, "errorMessage"); m != "" {
			return finding{e.parts, m}
		}
	}
	return finding{e.parts, e.desc}
}

func bounds(nodes []node) (lo, hi any) {
	for _, n := range nodes {
		if v, ok := n["minimum"]; ok && lo == nil {
			lo = v
		}
		if v, ok := n["maximum"]; ok && hi == nil {
			hi = v
		}
	}
	return lo, hi
}

// valueAt returns the value at an instance path of a decoded document.
func valueAt(doc any, parts []string) any {
	cur := doc
	for _, p := range parts {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[p]
		case []any:
			var i int
			if _, err := fmt.Sscanf(p, "%d", &i); err != nil || i < 0 || i >= len(x) {
				return nil
			}
			cur = x[i]
		default:
			return nil
		}
	}
	return cur
}

var typeWords = map[string]string{
	"object":  "a mapping",
	"array":   "a list",
	"string":  "a string",
	"integer": "an integer",
	"number":  "a number",
	"boolean": "true or false",
	"null":    "nothing (null)",
}

func typeList(types []string) string {
	words := make([]string, 0, len(types))
	for _, t := range types {
		if w, ok := typeWords[t]; ok {
			words = append(words, w)
		} else {
			words = append(words, t)
		}
	}
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// describe names a value's type, with the value itself when it is short.
func describe(v any) string {
	t := jsonType(v)
	w := typeWords[t]
	if w == "" {
		w = t
	}
	switch v.(type) {
	case string, float64, bool:
		s := literal(v)
		if len(s) <= 40 {
			return w + " (" + s + ")"
		}
	}
	return w
}

// literal formats a value as the user would write it.
func literal(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case nil:
		return "null"
	case float64, bool:
		return fmt.Sprint(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
