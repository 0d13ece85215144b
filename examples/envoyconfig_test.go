package examples

import (
	"fmt"
	"testing"

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

// checkEnvoyBootstrap reads an Envoy bootstrap as Envoy would: JSON of
// the v3 Bootstrap, strictly (no unknown field, every @type known), and
// checks it and every typed configuration inside with Envoy's own
// validation rules (protoc-gen-validate).
func checkEnvoyBootstrap(t *testing.T, id, value string) {
	t.Helper()
	var b bootstrapv3.Bootstrap
	if err := (protojson.UnmarshalOptions{}).Unmarshal([]byte(value), &b); err != nil {
		t.Errorf("%s: not an Envoy v3 bootstrap: %v\n%s", id, err, value)
		return
	}
	if err := validateDeep(b.ProtoReflect()); err != nil {
		t.Errorf("%s: Envoy's validation rules: %v\n%s", id, err, value)
	}
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
