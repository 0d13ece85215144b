package render

import (
	"reflect"
	"testing"
)

func TestEphemeralStorageLabel(t *testing.T) {
	const path = "services.web.deploy.labels.[ecs.ephemeral.storage]"
	tests := []struct {
		value string
		gib   int
		sev   Severity // with msg; no msg: no diagnostic
		msg   string
	}{
		{"21", 21, Warning, ""},
		{"65", 65, Warning, ""},
		{"128GB", 128, Warning, ""},
		{"100GiB", 100, Warning, ""},
		{"50g", 50, Warning, ""},
		{"200", 200, Warning, ""},
		{"20", 0, Warning, `"20" is ignored: every Fargate task has 20 GiB of ephemeral storage; ask for 21 to 200 GiB for more`},
		{"201", 200, Warning, `"201" is more than Fargate's maximum of 200 GiB of ephemeral storage (allowed: 21 to 200): the task gets 200 GiB, as compose-x gives it; for more, mount a named volume (Amazon EFS)`},
		{"12128GB", 200, Warning, `"12128GB" is more than Fargate's maximum of 200 GiB of ephemeral storage (allowed: 21 to 200): the task gets 200 GiB`},
		{"99999999999999999999999", 200, Warning, `"99999999999999999999999" is more than Fargate's maximum of 200 GiB`},
		{"0", 0, Error, `"0" is not a size in GiB; allowed: a whole number from 21 to 200, optionally followed by GB or GiB`},
		{"lots", 0, Error, `"lots" is not a size in GiB`},
		{"1.5TB", 0, Error, `"1.5TB" is not a size in GiB`},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			m, ds := buildYAML(t, "services:\n  web:\n    image: nginx\n    deploy: {labels: {ecs.ephemeral.storage: \""+tt.value+"\"}}\n")
			if tt.msg == "" {
				if len(ds) != 0 {
					t.Fatalf("unexpected diagnostics:\n%s", dump(ds))
				}
			} else if d := wantDiag(t, ds, tt.sev, "web", path, tt.msg); d.Line == 0 {
				t.Errorf("not located: %s", d)
			}
			if tt.msg == "" || tt.sev != Error {
				if got := family(t, m, "web").EphemeralStorageGiB; got != tt.gib {
					t.Fatalf("EphemeralStorageGiB %d, want %d", got, tt.gib)
				}
			}
		})
	}
}

// The task's storage is the largest any service of the family asks for, and
// it reaches the task definition; a family that asks nothing gets no
// EphemeralStorage (Fargate's 20 GiB).
func TestEphemeralStorageInTemplate(t *testing.T) {
	out, _ := mustRender(t, `services:
  a:
    image: nginx
    deploy: {labels: {ecs.task.family: app, ecs.ephemeral.storage: "40"}}
  b:
    image: nginx
    deploy: {labels: {ecs.task.family: app, ecs.ephemeral.storage: "120GB"}}
  c:
    image: nginx
`, Options{})
	doc := template(t, out)
	td := resource(t, doc, "AppTaskDefinition", "AWS::ECS::TaskDefinition")
	if want := map[string]any{"SizeInGiB": 120}; !reflect.DeepEqual(td["EphemeralStorage"], want) {
		t.Fatalf("EphemeralStorage %#v, want %v", td["EphemeralStorage"], want)
	}
	if got, ok := resource(t, doc, "CTaskDefinition", "AWS::ECS::TaskDefinition")["EphemeralStorage"]; ok {
		t.Fatalf("c asks for nothing but has EphemeralStorage %v", got)
	}
}
