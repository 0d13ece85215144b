package render

import "testing"

// failingExtension refuses every project when it extends the model, as an
// extension does for a conflict it can see only then.
type failingExtension struct{ fakeExtension }

func (failingExtension) Extend(in *Input, m *Model) Diagnostics {
	var ds Diagnostics
	ds.Errorf("web", "services.web.x-fake", "refused at extend time")
	return ds
}

// TestOneRunReportsEveryPhase: a misspelled x- key, a key Fargate refuses
// and a task past Fargate's sizes are reported together, whether the run
// stops at a schema error, at validation or at an extension.
func TestOneRunReportsEveryPhase(t *testing.T) {
	src := `services:
  web:
    image: nginx:1.27
    privileged: true
    x-scalling: {}
    deploy:
      resources:
        limits: {memory: 200G}
`
	schemaError := func(in *Input) Diagnostics {
		var ds Diagnostics
		ds.Errorf("web", "services.web.x-scaling.Range", "expected a string")
		return ds
	}
	for _, c := range []struct {
		name string
		opts Options
		want []string // paths with an error
	}{
		{"schema", Options{Validators: []Validator{schemaError}, Extensions: []Extension{fakeExtension{service: []string{"x-scaling"}}}},
			[]string{"services.web.x-scaling.Range", "services.web.x-scalling", "services.web.privileged", "services.web.deploy.resources"}},
		{"validate", Options{Extensions: []Extension{fakeExtension{service: []string{"x-scaling"}}}},
			[]string{"services.web.x-scalling", "services.web.privileged", "services.web.deploy.resources"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, ds := renderYAML(t, src, c.opts)
			if out != nil {
				t.Fatal("output despite errors")
			}
			for _, p := range c.want {
				if _, ok := findDiag(ds, Error, "web", p, ""); !ok {
					t.Errorf("no error at %s in\n%s", p, dump(ds))
				}
			}
			wantError(t, ds, "web", "services.web.deploy.resources", "the largest Fargate task has 120 GiB")
		})
	}
	// An extension's error at extend time comes with the template step's.
	out, ds := renderYAML(t, "services:\n  web:\n    image: nginx:1.27\n    x-fake: {}\n    deploy:\n      resources:\n        limits: {memory: 200G}\n",
		Options{Extensions: []Extension{failingExtension{fakeExtension{service: []string{"x-fake"}}}}})
	if out != nil {
		t.Fatal("output despite errors")
	}
	wantError(t, ds, "web", "services.web.x-fake", "refused at extend time")
	wantError(t, ds, "web", "services.web.deploy.resources", "the largest Fargate task has 120 GiB")
}

// TestSalvageSwallowsPanics: a check run on input known to be wrong that
// trips over it reports nothing, and the run keeps what it had.
func TestSalvageSwallowsPanics(t *testing.T) {
	var m map[string]int
	if ds := salvage(func() Diagnostics { m["x"] = 1; return nil }); ds != nil {
		t.Errorf("got %v", ds)
	}
}
