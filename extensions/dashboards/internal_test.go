package dashboards

import (
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation"

	"github.com/composex/composex/render"
)

// Model values become Fn::Sub text: literals escaped, Ref and GetAtt
// inline, the cluster and any other intrinsic as variables.
func TestValue(t *testing.T) {
	b := &builder{vars: map[string]any{}}
	for _, c := range []struct{ in, want string }{
		{"/orders/${AWS::AccountId}", "/orders/${!AWS::AccountId}"},
		{cloudformation.Ref("ApiLogGroup"), "${ApiLogGroup}"},
		{cloudformation.GetAtt("ApiService", "Name"), "${ApiService.Name}"},
		{render.ClusterRef(), "${EcsClusterName}"},
		{cloudformation.Join("-", []string{"a", "b"}), "${Value2}"},
	} {
		if got := b.value(c.in); got != c.want {
			t.Errorf("value(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if b.vars["Value2"] != cloudformation.Join("-", []string{"a", "b"}) || b.vars[render.ClusterNameVar] != render.ClusterRef() {
		t.Errorf("variables %v", b.vars)
	}
	if got := asciiJSON(`{"t":"café ☕"}`); got != `{"t":"caf\u00e9 \u2615"}` {
		t.Errorf("asciiJSON: %s", got)
	}
}
