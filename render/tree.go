package render

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/awslabs/goformation/v7/cloudformation"
)

// treeOf builds the Tree value of a goformation value directly, by
// reflection: what json.Marshal followed by a decode with UseNumber and
// decodeIntrinsics gives, without writing and re-reading the JSON text (a
// tenth of a 1000-service render went to that round trip).
//
// It follows encoding/json's rules where composex's values need them
// (field names and omitempty, nil as null, numbers as json.Number,
// invalid UTF-8 as U+FFFD) and builds goformation's resources, whose
// MarshalJSON is generated from one pattern, itself. Anything else that
// encoding/json treats specially (other Marshalers and TextMarshalers,
// embedded fields, the string and omitzero options, byte slices, floats)
// goes through encoding/json itself, so it is exact by construction.
// TestTreeOfMatchesJSON compares both on every goformation resource type.
func treeOf(v reflect.Value) (any, error) {
	if !v.IsValid() {
		return nil, nil
	}
	t := v.Type()
	switch k := t.Kind(); {
	case (k == reflect.Pointer || k == reflect.Interface) && v.IsNil():
		return nil, nil
	case t.Implements(marshalerType):
		if r := resourceShape(t); r != nil {
			return r.tree(v)
		}
		return viaJSON(v.Interface())
	case k != reflect.Pointer && v.CanAddr() && reflect.PointerTo(t).Implements(marshalerType):
		return viaJSON(v.Addr().Interface())
	case t.Implements(textMarshalerType) || (k != reflect.Pointer && v.CanAddr() && reflect.PointerTo(t).Implements(textMarshalerType)):
		return viaJSONValue(v)
	}
	switch v.Kind() {
	case reflect.String:
		if t == numberType {
			return viaJSONValue(v)
		}
		s := validUTF8(v.String())
		if fn, ok := intrinsic(s); ok {
			return decodeIntrinsics(fn), nil
		}
		return s, nil
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.Number(strconv.FormatInt(v.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return json.Number(strconv.FormatUint(v.Uint(), 10)), nil
	case reflect.Pointer, reflect.Interface:
		return treeOf(v.Elem())
	case reflect.Struct:
		fs := fieldsOf(t)
		if fs == nil {
			return viaJSONValue(v)
		}
		return fs.tree(v, make(map[string]any, len(fs.list)))
	case reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		kk := t.Key().Kind()
		if kk != reflect.String && !isIntKind(kk) {
			return viaJSONValue(v)
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			c, err := treeOf(it.Value())
			if err != nil {
				return nil, err
			}
			out[mapKey(it.Key())] = c
		}
		return out, nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return viaJSONValue(v) // base64, as encoding/json writes []byte
		}
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil, nil
		}
		out := make([]any, v.Len())
		for i := range out {
			c, err := treeOf(v.Index(i))
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	return viaJSONValue(v) // floats, and what encoding/json refuses, with its error
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	numberType        = reflect.TypeFor[json.Number]()
)

// viaJSON is the round trip itself, for a value treeOf leaves to
// encoding/json.
func viaJSON(x any) (any, error) {
	raw, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return decodeIntrinsics(out), nil
}

// viaJSONValue hands v to encoding/json as it would meet it inside the
// whole template: through a pointer when it is addressable, so that
// methods with pointer receivers below it are found as they were.
func viaJSONValue(v reflect.Value) (any, error) {
	if v.CanAddr() {
		return viaJSON(v.Addr().Interface())
	}
	return viaJSON(v.Interface())
}

func isIntKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// mapKey is a map key as encoding/json writes it (string or integer kinds
// only; treeOf leaves other keys to encoding/json).
func mapKey(k reflect.Value) string {
	switch k.Kind() {
	case reflect.String:
		return validUTF8(k.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10)
	}
	return strconv.FormatUint(k.Uint(), 10)
}

// validUTF8 is s as encoding/json writes it: each byte of an invalid UTF-8
// sequence becomes U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isEmptyValue is encoding/json's test for omitempty.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// structFields is how encoding/json writes one struct type's fields.
type structFields struct {
	list []structField
}

type structField struct {
	index     int
	name      string
	omitEmpty bool
}

func (fs *structFields) tree(v reflect.Value, out map[string]any) (map[string]any, error) {
	for _, f := range fs.list {
		fv := v.Field(f.index)
		if f.omitEmpty && isEmptyValue(fv) {
			continue
		}
		c, err := treeOf(fv)
		if err != nil {
			return nil, err
		}
		out[f.name] = c
	}
	return out, nil
}

var fieldCache sync.Map // reflect.Type → *structFields, or nil for "leave it to encoding/json"

// fieldsOf reads a struct type's json tags once. It returns nil for a type
// with what treeOf does not reproduce: embedded fields (encoding/json's
// promotion rules), the string and omitzero options, tag names that
// encoding/json would ignore, or two fields of one name.
func fieldsOf(t reflect.Type) *structFields {
	if c, ok := fieldCache.Load(t); ok {
		fs, _ := c.(*structFields)
		return fs
	}
	fs := &structFields{}
	seen := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Anonymous {
			fs = nil
			break
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name != "" && !validTagName(name) {
			fs = nil
			break
		}
		if name == "" {
			name = sf.Name
		}
		omit := false
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "omitempty":
				omit = true
			case "":
			default: // string, omitzero, or one a newer encoding/json knows
				fs = nil
			}
		}
		if fs == nil || seen[name] {
			fs = nil
			break
		}
		seen[name] = true
		fs.list = append(fs.list, structField{index: i, name: name, omitEmpty: omit})
	}
	fieldCache.Store(t, fs)
	return fs
}

// validTagName is encoding/json's isValidTag.
func validTagName(s string) bool {
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

// goformationResource is the shape of a goformation resource's generated
// MarshalJSON: {Type, Properties: the struct's own fields, and DependsOn,
// Metadata, DeletionPolicy, UpdateReplacePolicy and Condition from its
// AWSCloudFormation... fields, each omitted when empty}.
type goformationResource struct {
	props *structFields
	meta  structFields // the AWSCloudFormation... fields, by their keys, omitempty
}

// resourceMeta are the fields goformation's generated MarshalJSON adds next
// to Type and Properties, all with omitempty. A resource type with any
// other AWSCloudFormation... field (UpdatePolicy, CreationPolicy) has a
// MarshalJSON of another shape and is left to encoding/json.
var resourceMeta = map[string]string{
	"AWSCloudFormationDependsOn":           "DependsOn",
	"AWSCloudFormationMetadata":            "Metadata",
	"AWSCloudFormationDeletionPolicy":      "DeletionPolicy",
	"AWSCloudFormationUpdateReplacePolicy": "UpdateReplacePolicy",
	"AWSCloudFormationCondition":           "Condition",
}

const goformationResources = "github.com/awslabs/goformation/v7/cloudformation/"

var resourceCache sync.Map // reflect.Type → *goformationResource, or nil

// resourceShape recognises a goformation resource type (a pointer to one,
// or the struct) whose MarshalJSON is the generated one; nil otherwise.
func resourceShape(t reflect.Type) *goformationResource {
	if c, ok := resourceCache.Load(t); ok {
		r, _ := c.(*goformationResource)
		return r
	}
	r := newResourceShape(t)
	resourceCache.Store(t, r)
	return r
}

func newResourceShape(t reflect.Type) *goformationResource {
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	pkg := st.PkgPath()
	if st.Kind() != reflect.Struct || !strings.HasPrefix(pkg, goformationResources) ||
		strings.Contains(pkg[len(goformationResources):], "/") || strings.HasSuffix(pkg, "/serverless") ||
		!st.Implements(marshalerType) || !reflect.PointerTo(st).Implements(reflect.TypeFor[cloudformation.Resource]()) {
		return nil
	}
	r := &goformationResource{props: fieldsOf(st)}
	if r.props == nil {
		return nil
	}
	found := 0
	for i := 0; i < st.NumField(); i++ {
		sf := st.Field(i)
		if !strings.HasPrefix(sf.Name, "AWSCloudFormation") {
			continue
		}
		key, ok := resourceMeta[sf.Name]
		if !ok || sf.Tag.Get("json") != "-" {
			return nil
		}
		r.meta.list = append(r.meta.list, structField{index: i, name: key, omitEmpty: true})
		found++
	}
	if found != len(resourceMeta) {
		return nil
	}
	return r
}

// tree is what the generated MarshalJSON writes, as a Tree.
func (r *goformationResource) tree(v reflect.Value) (any, error) {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if !v.CanAddr() {
		// MarshalJSON encodes its copy through a pointer: addressable.
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		v = c
	}
	typ, err := treeOf(reflect.ValueOf(v.Addr().Interface().(cloudformation.Resource).AWSCloudFormationType()))
	if err != nil {
		return nil, err
	}
	props, err := r.props.tree(v, make(map[string]any, len(r.props.list)))
	if err != nil {
		return nil, err
	}
	return r.meta.tree(v, map[string]any{"Type": typ, "Properties": props})
}
