package render

import (
	"strings"
	"testing"
)

// A compose service may be named with up to 255 characters (ECS's container
// name limit). Its logical IDs (stem plus suffix) and AWS names (stack name
// plus stem) must still fit CloudFormation's 255 and ECS's 255: long stems
// are hash-shortened, stably, and two long names that share their start
// stay distinct.
func TestLongServiceNames(t *testing.T) {
	a := strings.Repeat("a", 240) + "-one"
	b := strings.Repeat("a", 240) + "-two"
	src := "services:\n  " + a + ":\n    image: nginx:1.27\n  " + b + ":\n    image: nginx:1.27\n"
	out, _ := mustRender(t, src, Options{})
	doc := template(t, out)
	resources := doc["Resources"].(map[string]any)
	for id := range resources {
		if len(id) > 255 {
			t.Errorf("logical ID of %d characters: %s", len(id), id)
		}
	}
	if LogicalName(a) == LogicalName(b) || ResourceName(a) == ResourceName(b) {
		t.Errorf("two long names share a stem: %s, %s", LogicalName(a), ResourceName(a))
	}
	if LogicalName(a) != LogicalName(a) || len(LogicalName(a)) != maxLogicalStem || len(ResourceName(a)) != maxResourceStem {
		t.Errorf("stems %q (%d) and %q (%d)", LogicalName(a), len(LogicalName(a)), ResourceName(a), len(ResourceName(a)))
	}
	// The task family is <stack>-<stem>: with the longest stack name (128)
	// it still fits ECS's 255.
	if n := 128 + 1 + len(ResourceName(a)); n > 255 {
		t.Errorf("task family of %d characters", n)
	}
	// Short names are unchanged.
	if LogicalName("web-app") != "WebApp" || ResourceName("my_app.v2") != "my-app-v2" {
		t.Error("short names changed")
	}
}
