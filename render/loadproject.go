package render

import (
	"errors"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/graph"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// The parts' models become the project part by part, concurrently:
// compose-go's ModelToProject (the decode into its structs, the profiles,
// the consistency checks) ran once on the merged model, serially, and was
// the largest serial step of a large render (1.1 s at 3000 services).
//
// ModelToProject's checks are per service, except those that look at
// another service: depends_on, network_mode service:X and a build's
// service:X context need X to exist (enabled, or disabled by its
// profile), and a dependency cycle spans services. So each part's model is
// given a stand-in for every service of another part that its services
// name there (an image, the real service's profiles, a build when it has
// one: what those checks read of it), the stand-ins are taken out of the
// part's project, the parts' projects are joined, and compose-go's cycle
// check (graph.CheckCycle) runs on the joined project. Whenever anything
// fails the file is loaded whole, so every error is the single load's.

// stubImage is the image of a stand-in; it never leaves the part's load.
const stubImage = "composex-stand-in"

// projectInParts turns the parts' models into the project: nil when a part
// fails or the joined project has a cycle.
func projectInParts(models []map[string]any, opts func() *loader.Options, details types.ConfigDetails) (*types.Project, error) {
	owner := map[string]int{}
	for i, m := range models {
		for name := range servicesOf(m) {
			owner[name] = i
		}
	}
	// Found from the real services first, then added: a part's stand-ins
	// are taken from other parts' services, never from their stand-ins.
	stubs := make([]map[string]bool, len(models))
	for i, m := range models {
		stubs[i] = map[string]bool{}
		for _, svc := range servicesOf(m) {
			for _, x := range namedServices(svc) {
				if j, ok := owner[x]; ok && j != i {
					stubs[i][x] = true
				}
			}
		}
	}
	for i, m := range models {
		for x := range stubs[i] {
			servicesOf(m)[x] = standIn(servicesOf(models[owner[x]])[x])
		}
	}
	projects := make([]*types.Project, len(models))
	errs := make([]error, len(models))
	var wg sync.WaitGroup
	for i := range models {
		wg.Add(1)
		go func() {
			defer wg.Done()
			projects[i], errs[i] = loader.ModelToProject(models[i], opts(), details)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	p := projects[0]
	for i, q := range projects {
		for name := range stubs[i] {
			delete(q.Services, name)
			delete(q.DisabledServices, name)
		}
		if i == 0 {
			continue
		}
		p.Services = join(p.Services, q.Services)
		p.DisabledServices = join(p.DisabledServices, q.DisabledServices)
		p.Networks = join(p.Networks, q.Networks)
		p.Volumes = join(p.Volumes, q.Volumes)
		p.Secrets = join(p.Secrets, q.Secrets)
		p.Configs = join(p.Configs, q.Configs)
		p.Models = join(p.Models, q.Models)
		p.Extensions = join(p.Extensions, q.Extensions)
	}
	if err := graph.CheckCycle(p); err != nil {
		return nil, err
	}
	return p, nil
}

// join adds to a what b has that a has not (the parts' top-level sections
// are the same, but for the default network, which normalisation adds
// only to the parts that use it).
func join[M ~map[string]V, V any](a, b M) M {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = M{}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			a[k] = v
		}
	}
	return a
}

func servicesOf(model map[string]any) map[string]any {
	s, _ := model["services"].(map[string]any)
	return s
}

// namedServices are the services a service's consistency checks look up,
// in its canonical model: its depends_on keys (normalisation has added
// those of links, volumes_from and network_mode), network_mode service:X,
// and its build's service:X contexts.
func namedServices(svc any) []string {
	m, _ := svc.(map[string]any)
	var out []string
	if deps, ok := m["depends_on"].(map[string]any); ok {
		for name := range deps {
			out = append(out, name)
		}
	}
	if mode, ok := m["network_mode"].(string); ok {
		if name, ok := strings.CutPrefix(mode, types.ServicePrefix); ok {
			out = append(out, name)
		}
	}
	if build, ok := m["build"].(map[string]any); ok {
		if contexts, ok := build["additional_contexts"].(map[string]any); ok {
			for _, c := range contexts {
				if s, ok := c.(string); ok {
					if name, ok := strings.CutPrefix(s, types.ServicePrefix); ok {
						out = append(out, name)
					}
				}
			}
		}
	}
	return out
}

// standIn is what the checks of another part read of a service: that it
// exists, whether its profiles enable it, whether it has a build.
func standIn(svc any) map[string]any {
	m, _ := svc.(map[string]any)
	out := map[string]any{"image": stubImage}
	if p, ok := m["profiles"]; ok {
		out["profiles"] = p
	}
	if _, ok := m["build"]; ok {
		out["build"] = map[string]any{"context": "."}
	}
	return out
}
