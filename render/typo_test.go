package render

import "testing"

// TestMisspelledExtensionIsAnError: a typo in an extension's key would
// silently render nothing (compose-x's failure); a key two edits from one
// composex reads is refused with a suggestion, others are reported ignored.
func TestMisspelledExtensionIsAnError(t *testing.T) {
	ext := fakeExtension{service: []string{"x-scaling", "x-xray"}, project: []string{"x-sns"}}
	in := mustLoad(t, `
services:
  web:
    image: nginx
    x-scalling:
      Range: "1-3"
    x-Xray: true
    x-ecr: {}
    x-team-notes: hello
x-sn:
  a: {}
x-dns: {}
x-common: &common
  a: b
`)
	ds := Validate(in, []Extension{ext})
	wantError(t, ds, "web", "services.web.x-scalling", "unknown extension x-scalling (did you mean x-scaling?)")
	wantError(t, ds, "web", "services.web.x-Xray", "did you mean x-xray?")
	wantWarning(t, ds, "web", "services.web.x-ecr", "compose-x or ECS-plugin extension that composex does not implement")
	wantWarning(t, ds, "web", "services.web.x-team-notes", "composex does not handle x-team-notes; it is ignored")
	wantError(t, ds, "", "x-sn", "unknown extension x-sn (did you mean x-sns?)")
	wantWarning(t, ds, "", "x-dns", "compose-x module that composex does not implement")
	wantNoDiagAt(t, ds, "x-common")
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"x-sns", "x-sn", 1}, {"x-scalling", "x-scaling", 1}, {"x-ecr", "x-ecs", 1}, {"kitten", "sitting", 3}, {"abc", "", 3}} {
		if got := EditDistance(c.a, c.b); got != c.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
