package render

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation"
)

// templateTreeJSON is TemplateTree through encoding/json's text, as it was
// built before treeOf: the reference TestTreeOfMatchesJSON compares with.
func templateTreeJSON(t *cloudformation.Template) (Tree, error) {
	skeleton := *t
	skeleton.Resources = cloudformation.Resources{}
	raw, err := json.Marshal(&skeleton)
	if err != nil {
		return nil, fmt.Errorf("encoding template: %w", err)
	}
	tree, err := decodeJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("reading template back: %w", err)
	}
	tree = decodeIntrinsics(tree).(map[string]any)
	resources := make(map[string]any, len(t.Resources))
	for id, r := range t.Resources {
		raw, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encoding resource %s: %w", id, err)
		}
		d, err := decodeJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("encoding resource %s: %w", id, err)
		}
		resources[id] = decodeIntrinsics(d)
	}
	tree["Resources"] = resources
	fixListRefs(tree, listParameters(tree))
	return tree, nil
}

func decodeJSON(raw []byte) (Tree, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree Tree
	err := dec.Decode(&tree)
	return tree, err
}

// filler sets every exported field of a value to something, by reflection,
// from a seeded generator: the values encoding/json treats differently
// (empty and nil, intrinsics, invalid UTF-8, HTML characters, large and
// small floats, interfaces holding maps and lists) come up often.
type filler struct{ r *rand.Rand }

var fillStrings = []string{"", "plain", "a<b>&c", "bad \xff\xfe utf-8", "line\nbreak", "é", "0777", "yes",
	cloudformation.Ref("Param"), cloudformation.GetAtt("Res", "Arn"), cloudformation.Sub("${AWS::Region}-x"),
	cloudformation.Join(",", []string{cloudformation.Ref("A"), "b"})}

func (f filler) fill(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(fillStrings[f.r.IntN(len(fillStrings))])
	case reflect.Bool:
		v.SetBool(f.r.IntN(2) == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt([]int64{0, 1, -7, 300}[f.r.IntN(4)])
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint([]uint64{0, 1, 300}[f.r.IntN(3)])
	case reflect.Float32, reflect.Float64:
		v.SetFloat([]float64{0, 1, 1.5, -2.25, 1e21, 1e-7, 123456789}[f.r.IntN(7)])
	case reflect.Pointer:
		if depth > 4 || f.r.IntN(4) == 0 {
			return
		}
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		switch n := f.r.IntN(4); {
		case n == 0 || depth > 4:
		case n == 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := 0; i < n-1; i++ {
				f.fill(s.Index(i), depth+1)
			}
			v.Set(s)
		}
	case reflect.Map:
		switch n := f.r.IntN(4); {
		case n == 0 || depth > 4:
		case n == 1:
			v.Set(reflect.MakeMap(v.Type()))
		default:
			m := reflect.MakeMap(v.Type())
			for i := 0; i < n; i++ {
				k := reflect.New(v.Type().Key()).Elem()
				f.fill(k, depth+1)
				e := reflect.New(v.Type().Elem()).Elem()
				f.fill(e, depth+1)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	case reflect.Interface:
		if v.NumMethod() > 0 {
			return
		}
		choices := []any{nil, "s", cloudformation.Ref("P"), 3, 2.5, true, json.Number("12"),
			map[string]any{"k": []any{1.0, "x", nil}, "": map[string]any{}}, []any{}, []string{"a", cloudformation.Ref("B")}}
		if c := choices[f.r.IntN(len(choices))]; c != nil {
			v.Set(reflect.ValueOf(c))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i), depth+1)
			}
		}
	}
}

// TestTreeOfMatchesJSON: the tree TemplateTree builds from the structs is
// the one encoding/json's round trip gives, for every goformation resource
// type (several fillings each, so that each field is seen empty and set),
// and for the rest of the template (parameters, outputs, conditions,
// metadata, transform).
func TestTreeOfMatchesJSON(t *testing.T) {
	all := cloudformation.AllResources()
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range all {
			if !yield(k) {
				return
			}
		}
	})
	f := filler{rand.New(rand.NewPCG(18, 2026))}
	fast := 0
	for round := 0; round < 3; round++ {
		tpl := cloudformation.NewTemplate()
		tpl.Description = "tree test <&>"
		tpl.Metadata = map[string]any{"composex": map[string]any{"version": "x", "n": 1}}
		tpl.Parameters["P"] = cloudformation.Parameter{Type: "List<AWS::EC2::Subnet::Id>", Default: "a,b"}
		tpl.Parameters["Q"] = cloudformation.Parameter{Type: "String", Default: 3}
		tpl.Conditions["C"] = map[string]any{"Fn::Equals": []any{cloudformation.Ref("Q"), ""}}
		tpl.Outputs["O"] = cloudformation.Output{Value: cloudformation.GetAtt("R", "Arn")}
		tpl.Transform = &cloudformation.Transform{String: cloudformation.String("AWS::LanguageExtensions")}
		for _, name := range names {
			typ := reflect.TypeOf(all[name]).Elem()
			v := reflect.New(typ)
			f.fill(v.Elem(), 0)
			tpl.Resources[fmt.Sprintf("%s%d", strings.ReplaceAll(name, ":", ""), round)] = v.Interface().(cloudformation.Resource)
			if round == 0 && resourceShape(v.Type()) != nil {
				fast++
			}
		}
		want, werr := templateTreeJSON(tpl)
		got, gerr := TemplateTree(tpl)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("round %d: encoding/json says %v, treeOf says %v", round, werr, gerr)
		}
		if werr != nil {
			continue
		}
		for id := range want["Resources"].(map[string]any) {
			w, g := want["Resources"].(map[string]any)[id], got["Resources"].(map[string]any)[id]
			if !reflect.DeepEqual(w, g) {
				wj, _ := json.Marshal(w)
				gj, _ := json.Marshal(g)
				t.Errorf("round %d, resource %s differs:\nencoding/json: %s\ntreeOf:        %s", round, id, wj, gj)
			}
		}
		delete(want, "Resources")
		delete(got, "Resources")
		if !reflect.DeepEqual(want, got) {
			t.Errorf("round %d: the template outside Resources differs:\n%v\n%v", round, want, got)
		}
	}
	// The fast path must be the one taken: a change in goformation's
	// generated MarshalJSON shows here, not as a slow render.
	if fast < len(names)*9/10 {
		t.Errorf("only %d of %d resource types are built directly", fast, len(names))
	}
}

// TestTreeOfErrorsAsJSON: a value encoding/json refuses is refused, with
// its message.
func TestTreeOfErrorsAsJSON(t *testing.T) {
	tpl := cloudformation.NewTemplate()
	tpl.Metadata = map[string]any{"f": func() {}}
	_, werr := templateTreeJSON(tpl)
	_, gerr := TemplateTree(tpl)
	if werr == nil || gerr == nil || werr.Error() != gerr.Error() {
		t.Errorf("encoding/json: %v; TemplateTree: %v", werr, gerr)
	}
}

// TestIntrinsicKeys: a user's string that happens to be base64 of a
// one-key JSON object is an intrinsic only when the key is one.
func TestIntrinsicKeys(t *testing.T) {
	for raw, want := range map[string]bool{`{ "Ref": "A" }`: true, `{ "Condition": "C" }`: true, `{ "Fn::Sub" : "x" }`: true,
		`{ "Foo": "A" }`: false, `{ "Fn:Sub": "A" }`: false, `{ "ref": "A" }`: false} {
		if _, got := intrinsic(base64.StdEncoding.EncodeToString([]byte(raw))); got != want {
			t.Errorf("%s: intrinsic %v, want %v", raw, got, want)
		}
	}
}

// TestCommonIntrinsicIsJSON: the intrinsics read without a JSON decoder
// read as the decoder reads them, and what the shortcut cannot read
// exactly (surrogates, raw control characters, invalid UTF-8, numbers,
// nested lists, other spacing) is left to it.
func TestCommonIntrinsicIsJSON(t *testing.T) {
	names := []string{"Api", "AWS::Region", "a.b-c_d:e", "", " sp ace ", `q"uote`, `back\slash`, "é", "<&>", "tab\t",
		"x\", \"y", "eyJSZWYiOiAiQSJ9", "line\nbreak\r\n", "\u2028\u2029\ufeff", "\x00\x1f\x7f", "bad \xff", "😀", "a/b"}
	var raws []string
	for _, n := range names {
		raws = append(raws, cloudformation.Ref(n), cloudformation.Sub(n), cloudformation.Sub("${"+n+"}-x\n"), cloudformation.ImportValue(n),
			cloudformation.If("Cond", n, "b"), cloudformation.Equals(n, ""), cloudformation.Join(",", []string{n, "b"}), cloudformation.Select(0, []string{n}))
		for _, a := range names {
			raws = append(raws, cloudformation.GetAtt(n, a))
		}
	}
	for _, raw := range []string{`{ "Ref": "a\u00e9\u0041" }`, `{ "Ref": "\ud83d\ude00" }`, `{ "Ref": "\q" }`, `{ "Ref": "\u12" }`, `{"Ref": "a"}`,
		`{ "Fn::If" : [ "a", "b" ] } `, `{ "Ref": "a", "Ref": "b" }`, `{ "Fn::If" : [ ] }`, `{ "Ref": "a\/b\b\f" }`, `{ "Ref": "\uD800" }`,
		"{ \"Ref\": \"raw\ttab\" }", "{ \"Ref\": \"esc\\n raw\ttab\" }", "{ \"Ref\": \"esc\\n bad \xff\" }", `{ "Ref": "a" }trailing`} {
		raws = append(raws, base64.StdEncoding.EncodeToString([]byte(raw)))
	}
	short := 0
	for _, enc := range raws {
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := commonIntrinsic(raw)
		if !ok {
			continue
		}
		short++
		var want map[string]any
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Errorf("%s: read without the decoder, which refuses it: %v", raw, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read as %#v, the decoder reads %#v", raw, got, want)
		}
	}
	if short < len(raws)/2 {
		t.Errorf("only %d of %d intrinsics read without the decoder", short, len(raws))
	}
}

// TestCountSizedIsCount: the size Arrange takes from the resources'
// measured sizes is the size Count measures, on a rendered template with
// every kind of top-level section.
func TestCountSizedIsCount(t *testing.T) {
	out, _ := mustRender(t, `services:
  web:
    image: nginx:1.27
    ports: ["80:80"]
  api: {image: nginx:1.27}
`, Options{})
	tree := template(t, out)
	tree["Outputs"] = map[string]any{"O": map[string]any{"Value": "x"}}
	if got, want := countSized(tree, resourceSizes(tree)), Count(tree); got != want {
		t.Errorf("countSized = %v, Count = %v", got, want)
	}
}
