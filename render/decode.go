package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// DecodeExtension decodes an x- block (as compose-go hands it over: maps,
// slices and scalars) into a typed struct, refusing unknown keys. Schema
// validation reports problems with their location first; this is the last
// guard so that a key the schema missed can never be silently dropped.
func DecodeExtension(raw any, out any) error {
	data, err := json.Marshal(raw)
	if err != nil {
		return fmt.Errorf("cannot read value: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return decodeError(err)
	}
	return nil
}

func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	msg := err.Error()
	switch {
	case asType(err, &te):
		field := te.Field
		if field == "" {
			return fmt.Errorf("expected %s, got %s", jsonKind(te.Type.Kind().String()), te.Value)
		}
		return fmt.Errorf("%s: expected %s, got %s", field, jsonKind(te.Type.Kind().String()), te.Value)
	case strings.HasPrefix(msg, "json: unknown field "):
		return fmt.Errorf("unknown key %s", strings.TrimPrefix(msg, "json: unknown field "))
	}
	return fmt.Errorf("%s", strings.TrimPrefix(msg, "json: "))
}

func asType(err error, te **json.UnmarshalTypeError) bool {
	t, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*te = t
	}
	return ok
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64", "int32", "uint", "uint32", "uint64":
		return "an integer"
	case "float64", "float32":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "slice":
		return "a list"
	case "map", "struct":
		return "a mapping"
	}
	return k
}
