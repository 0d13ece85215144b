package render

import "testing"

// Amounts ECS would refuse at deploy, or that used to be dropped without a
// word (negative CPU and memory left the container unsized), are errors
// at their key.
func TestAmountsECSRefuses(t *testing.T) {
	tests := []struct {
		name, keys, path, msg string
	}{
		{"negative cpus", "    cpus: -1\n", "services.web.cpus", "-1 is not an amount of vCPUs: give a number above 0"},
		{"negative limit", "    deploy:\n      resources:\n        limits:\n          cpus: \"-0.5\"\n", "services.web.deploy.resources.limits.cpus", "-0.5 is not an amount of vCPUs: give a number above 0"},
		{"negative reservation", "    deploy:\n      resources:\n        reservations:\n          cpus: \"-2\"\n", "services.web.deploy.resources.reservations.cpus", "-2 is not an amount of vCPUs: give a number above 0"},
		{"replicas beyond the quota", "    deploy:\n      replicas: 100000\n", "services.web.deploy.replicas", "100000 tasks: an ECS service runs 0 to 5000 tasks (its quota of tasks per service)"},
		{"scale beyond the quota", "    scale: 5001\n", "services.web.scale", "5001 tasks: an ECS service runs 0 to 5000 tasks (its quota of tasks per service)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := buildYAML(t, svc(tt.keys))
			d := wantError(t, ds, "web", tt.path, tt.msg)
			if d.Line == 0 {
				t.Errorf("no line: %s", d)
			}
		})
	}
	// The quota itself is fine.
	m, _ := mustBuild(t, svc("    deploy:\n      replicas: 5000\n"))
	if got := m.Families[0].DesiredCount; got != 5000 {
		t.Errorf("replicas 5000: DesiredCount %d", got)
	}
}
