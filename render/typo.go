package render

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"

	composeschema "github.com/compose-spec/compose-go/v2/schema"
)

// compose-go validates against the compose specification but reports only
// its first failure, and an unknown key as "(false schema)" or "additional
// properties 'replica' not allowed" at the parent. composeKeyTypos reads
// the files' own keys first and reports every unknown one at its line,
// with the nearest key the specification allows (the keys come from the
// schema compose-go embeds, so they follow the compose version in go.mod).

type composeKeySets struct {
	top, service, deploy []string
}

var (
	composeKeysOnce sync.Once
	composeKeys     composeKeySets
)

func specKeys() composeKeySets {
	composeKeysOnce.Do(func() {
		var spec struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Defs       map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"$defs"`
		}
		if err := json.Unmarshal([]byte(composeschema.Schema), &spec); err != nil {
			return // no suggestions rather than a wrong one; compose-go still validates
		}
		service := map[string]json.RawMessage{}
		for _, def := range []string{"service", "container_spec", "workload_spec"} {
			maps.Copy(service, spec.Defs[def].Properties)
		}
		composeKeys = composeKeySets{
			top:     slices.Sorted(maps.Keys(spec.Properties)),
			service: slices.Sorted(maps.Keys(service)),
			deploy:  slices.Sorted(maps.Keys(spec.Defs["deployment"].Properties)),
		}
	})
	return composeKeys
}

// composeKeyTypos reports the keys the compose specification does not
// allow at the top level, in a service and in its deploy, each at its own
// line. (A depends_on naming no service is compose-go's error, located with
// a suggestion by locateLoaderError: it may name a task family.)
func (s *Sources) composeKeyTypos() Diagnostics {
	var ds Diagnostics
	keys := specKeys()
	if len(keys.service) == 0 {
		return nil
	}
	unknown := func(service, path, k string, known []string, where string) {
		if strings.HasPrefix(k, "x-") || slices.Contains(known, k) {
			return
		}
		if near := closest(k, known); near != "" {
			ds.Errorf(service, path, "%q is not a compose key %s: did you mean %s?", k, where, near)
			return
		}
		ds.Errorf(service, path, "%q is not a compose key %s; allowed: %s", k, where, strings.Join(known, ", "))
	}
	for _, k := range s.Keys("") {
		unknown("", Key(k), k, keys.top, "at the top level")
		if k == "jobs" || k == "models" {
			// valid compose, but nothing of it reaches the template
			ds.Warnf("", k, "composex does not render the top-level %s; it is ignored", k)
		}
	}
	services := s.Keys("services")
	for _, name := range services {
		for _, k := range s.Keys(ServicePath(name)) {
			unknown(name, ServicePath(name, Key(k)), k, keys.service, "of a service")
		}
		for _, k := range s.Keys(ServicePath(name, "deploy")) {
			unknown(name, ServicePath(name, "deploy", Key(k)), k, keys.deploy, "under deploy")
		}
	}
	return s.Place(ds)
}

// sameAsTypos tells whether compose-go's error is the unknown key or the
// undefined dependency composeKeyTypos has already reported, better
// located: one message per problem.
func sameAsTypos(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "additional properties") || strings.Contains(msg, "false schema")
}
