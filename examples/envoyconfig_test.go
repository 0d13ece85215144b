package examples

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	// The typed configurations a composex bootstrap holds, for protojson
	// to resolve their @type.
	_ "github.com/envoyproxy/go-control-plane/envoy/config/trace/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/network/dns_resolver/getaddrinfo/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

// checkEnvoyBootstrap reads an Envoy bootstrap as Envoy would: the YAML
// of --config-yaml turned into JSON of the v3 Bootstrap as Envoy's YAML
// loader does (a quoted scalar is a string, a plain one a number or
// boolean where it reads as one, yaml-cpp's YAML 1.1 booleans included),
// strictly (no unknown field, every @type known), and checks it and every
// typed configuration inside with Envoy's own validation rules
// (protoc-gen-validate).
// bootstrapJSON reads a stored Envoy bootstrap as Envoy's --config-yaml
// does (YAML, of which JSON is a subset) and gives it back as JSON, for
// tests that decode it into structs.
func bootstrapJSON(value string) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal([]byte(value), &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func checkEnvoyBootstrap(t *testing.T, id, value string) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(value), &doc); err != nil {
		t.Errorf("%s: not YAML: %v\n%s", id, err, value)
		return
	}
	if s := oldYAMLBool(&doc); s != "" {
		t.Errorf("%s: the plain scalar %q is a boolean to Envoy's YAML loader (yaml-cpp reads YAML 1.1): quote it", id, s)
	}
	var v any
	if err := doc.Decode(&v); err != nil {
		t.Errorf("%s: %v", id, err)
		return
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Errorf("%s: %v", id, err)
		return
	}
	var b bootstrapv3.Bootstrap
	if err := (protojson.UnmarshalOptions{}).Unmarshal(raw, &b); err != nil {
		t.Errorf("%s: not an Envoy v3 bootstrap: %v\n%s", id, err, value)
		return
	}
	if err := validateDeep(b.ProtoReflect()); err != nil {
		t.Errorf("%s: Envoy's validation rules: %v\n%s", id, err, value)
	}
}

// oldYAMLBool returns a plain scalar that YAML 1.1 reads as a boolean
// (yes, no, on, off, y, n in any case), "" when there is none.
func oldYAMLBool(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Style == 0 {
		switch strings.ToLower(n.Value) {
		case "y", "yes", "n", "no", "on", "off":
			return n.Value
		}
	}
	for _, c := range n.Content {
		if s := oldYAMLBool(c); s != "" {
			return s
		}
	}
	return ""
}

type validator interface{ ValidateAll() error }

// validateDeep validates a message and, unpacked, every Any inside it.
func validateDeep(m protoreflect.Message) error {
	if v, ok := m.Interface().(validator); ok {
		if err := v.ValidateAll(); err != nil {
			return err
		}
	}
	if a, ok := m.Interface().(*anypb.Any); ok {
		inner, err := a.UnmarshalNew()
		if err != nil {
			return fmt.Errorf("%s: %v", a.GetTypeUrl(), err)
		}
		return validateDeep(inner.ProtoReflect())
	}
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
			return true
		}
		switch {
		case fd.IsList():
			for i := 0; i < v.List().Len() && err == nil; i++ {
				err = validateDeep(v.List().Get(i).Message())
			}
		case fd.IsMap():
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					err = validateDeep(mv.Message())
					return err == nil
				})
			}
		default:
			err = validateDeep(v.Message())
		}
		return err == nil
	})
	return err
}
