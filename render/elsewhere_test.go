package render

import "testing"

// TestElsewhere: after an earlier step refused the input, a later step's
// errors are kept only where they are about another service or another
// top-level block; an error located only at the block's first key
// (x-elbv2) is the same block's problem again (the corpus's stray-quote
// OIDC key was reported twice, once at its key and once at x-elbv2).
func TestElsewhere(t *testing.T) {
	earlier := Diagnostics{
		{Severity: Error, Service: "web", Path: "services.web.ports.0", Message: "bad port"},
		{Severity: Error, Path: "x-elbv2.lbA.Listeners.1", Message: "unknown key"},
	}
	for _, tc := range []struct {
		name string
		d    Diagnostic
		kept bool
	}{
		{"same service", Diagnostic{Severity: Error, Service: "web", Path: "services.web.x-scaling", Message: "x"}, false},
		{"another service", Diagnostic{Severity: Error, Service: "api", Path: "services.api.x-scaling", Message: "x"}, true},
		{"same block", Diagnostic{Severity: Error, Path: "x-elbv2.lbA.Listeners.0", Message: "x"}, false},
		{"same block's first key", Diagnostic{Severity: Error, Path: "x-elbv2", Message: "unknown key"}, false},
		{"another block", Diagnostic{Severity: Error, Path: "x-elbv2.lbB", Message: "x"}, true},
		{"another extension's first key", Diagnostic{Severity: Error, Path: "x-alarms", Message: "x"}, true},
		{"a warning", Diagnostic{Severity: Warning, Service: "api", Path: "services.api", Message: "x"}, false},
		{"already reported", Diagnostic{Severity: Error, Path: "x-elbv2.lbA.Listeners.1", Message: "unknown key"}, false},
	} {
		got := elsewhere(earlier, Diagnostics{tc.d})
		if (len(got) == 1) != tc.kept {
			t.Errorf("%s: kept %v, want %v", tc.name, len(got) == 1, tc.kept)
		}
	}
}
