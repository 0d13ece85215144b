package render

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// compose-x resolves x-<module>::<name>[::<attribute>] in a service's
// environment to the resource it created (x-s3::bucket::BucketName). The
// resources composex would resolve are not created by it, so such text
// would reach the container literally: it is refused, by name.
var reComposeXRef = regexp.MustCompile(`\bx-([a-z0-9_]+)::([A-Za-z0-9_.-]+)(?:::([A-Za-z0-9_.:-]+))?`)

// checkComposeXReferences reports every compose-x resource reference in
// the services' environment, command and entrypoint.
func checkComposeXReferences(p *types.Project, ds *Diagnostics) {
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
			if v := s.Environment[k]; v != nil {
				composeXRefs(name, ServicePath(name, "environment", Key(k)), *v, ds)
			}
		}
		for i, arg := range s.Command {
			composeXRefs(name, ServicePath(name, "command", itoa(i)), arg, ds)
		}
		for i, arg := range s.Entrypoint {
			composeXRefs(name, ServicePath(name, "entrypoint", itoa(i)), arg, ds)
		}
	}
}

func composeXRefs(service, path, value string, ds *Diagnostics) {
	for _, m := range reComposeXRef.FindAllStringSubmatch(value, -1) {
		module := "x-" + m[1]
		if module == "x-aws" {
			ds.Errorf(service, path, "%s is a compose-x reference to an AWS pseudo parameter, which composex does not resolve (the container would get this text); write the value itself", m[0])
			continue
		}
		why := fmt.Sprintf("composex does not create %s resources", module)
		if advice := composexModuleAdvice[module]; advice != "" {
			why += " (" + advice + ")"
		}
		if !composexModules[module] {
			why = fmt.Sprintf("composex resolves no %s reference", module)
		}
		what := "the " + module + " resource " + fmt.Sprintf("%q", m[2])
		if m[3] != "" {
			what += "'s " + strings.TrimPrefix(m[3], ":")
		}
		ds.Errorf(service, path, "%s refers to %s, and %s: the container would get this text; give the value itself", m[0], what, why)
	}
}
