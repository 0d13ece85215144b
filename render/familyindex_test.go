package render

import (
	"slices"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// namesOfFamilies is the families' names, for messages.
func namesOfFamilies(fs []*Family) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

// TestFamiliesOfIndexAgreesWithScan: the table BuildModel takes answers
// what the scan of every family's services answers, for a service in one
// family, one in two (ecs.task.family lists), one sharing another's
// network (network_mode service:X), and a name that is no service.
func TestFamiliesOfIndexAgreesWithScan(t *testing.T) {
	m, _ := mustBuild(t, `services:
  web:
    image: nginx:1.27
    deploy:
      labels: {ecs.task.family: "front,both"}
  api:
    image: nginx:1.27
    deploy:
      labels: {ecs.task.family: "both"}
  side:
    image: busybox:1.37
    network_mode: service:api
    command: ["sleep", "infinity"]
  cache: {image: redis:7.4}
`)
	if !m.famIndex.current(m) {
		t.Fatal("BuildModel left no current family table")
	}
	for _, s := range []string{"web", "api", "side", "cache", "nosuch"} {
		got, want := m.FamiliesOf(s), m.familiesOfScan(s)
		if !slices.Equal(got, want) {
			t.Errorf("FamiliesOf(%s) = %v, the scan says %v", s, namesOfFamilies(got), namesOfFamilies(want))
		}
	}
	if got := namesOfFamilies(m.FamiliesOf("web")); !slices.Equal(got, []string{"both", "front"}) {
		t.Errorf("FamiliesOf(web) = %v, want [both front]", got)
	}
	if got := m.FamiliesOf("nosuch"); got != nil {
		t.Errorf("FamiliesOf(nosuch) = %v, want nil", namesOfFamilies(got))
	}
}

// TestFamiliesOfNeverStale: a caller may change what it is given, and a
// family list appended to or replaced after BuildModel is seen at once
// (the table is no longer current and the scan answers).
func TestFamiliesOfNeverStale(t *testing.T) {
	m, _ := mustBuild(t, `services:
  web: {image: nginx:1.27}
  api: {image: nginx:1.27}
`)
	got := m.FamiliesOf("web")
	got[0] = nil
	if fs := m.FamiliesOf("web"); len(fs) != 1 || fs[0] == nil || fs[0].Name != "web" {
		t.Fatalf("a caller's change to its answer leaked into the table: %v", fs)
	}

	extra := &Family{Name: "zextra", Services: []*types.ServiceConfig{{Name: "web"}}}
	m.Families = append(m.Families, extra)
	if fs := namesOfFamilies(m.FamiliesOf("web")); !slices.Equal(fs, []string{"web", "zextra"}) {
		t.Errorf("after appending a family, FamiliesOf(web) = %v, want [web zextra]", fs)
	}

	m.Families = []*Family{extra}
	if fs := namesOfFamilies(m.FamiliesOf("api")); len(fs) != 0 {
		t.Errorf("after replacing the families, FamiliesOf(api) = %v, want none", fs)
	}

	hand := &Model{Families: []*Family{{Name: "x", Services: []*types.ServiceConfig{{Name: "a"}}}}}
	if fs := namesOfFamilies(hand.FamiliesOf("a")); !slices.Equal(fs, []string{"x"}) {
		t.Errorf("a model built by hand: FamiliesOf(a) = %v, want [x]", fs)
	}
}
