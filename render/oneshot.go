package render

import (
	"maps"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"
)

// refuseOneShotServices refuses a wait for a service to complete
// (service_completed_successfully) across task families. Each family is an
// ECS service, and ECS starts a new task whenever one stops, even after a
// clean exit: a one-shot job (a migration, restart: "no") would run for
// ever and the waiting family would never see it complete. Within one
// family ECS runs it once, as a non-essential container the others wait
// for with SUCCESS.
func refuseOneShotServices(m *Model, ds *Diagnostics) {
	for _, f := range m.Families {
		for _, s := range f.Services {
			for _, dep := range slices.Sorted(maps.Keys(s.DependsOn)) {
				if s.DependsOn[dep].Condition != types.ServiceConditionCompletedSuccessfully || f.Container(dep) != nil {
					continue
				}
				if len(m.FamiliesOf(dep)) == 0 {
					continue // not rendered (profiles)
				}
				ds.Errorf(s.Name, ServicePath(s.Name, "depends_on", Key(dep), "condition"),
					"%s waits for %s to complete, but %s runs as its own ECS service, which ECS restarts for ever after a clean exit; put %s in the family of %s (deploy.labels.ecs.task.family: %s) so that it runs once, before %s starts, in each task",
					s.Name, dep, dep, dep, s.Name, f.Name, s.Name)
			}
		}
	}
}
