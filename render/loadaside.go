package render

import (
	"errors"
	"strings"

	interp "github.com/compose-spec/compose-go/v2/interpolation"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// The x- blocks of a project loaded in parts are set aside before the
// parts load: compose-go gives an x- key no meaning (it interpolates the
// value and hands it over in Extensions), yet walks every node under it in
// each of its passes (casts, canonical forms, defaults, path resolution,
// validation), each pass matching the node's path against its patterns.
// In a composex project the x- blocks are often half of the nodes. So
// composex interpolates them itself, with the interpolation compose-go
// would use (its package, the loader's options, the part's environment),
// and puts them back into the loaded project where compose-go would have
// put them. TestLoadInPartsIsTheWholeLoad holds the result equal to the
// whole load for every example, hostile file and compose-x corpus file.
//
// Kept in the file are the x- keys compose-go does read: the aliases it
// promotes to an attribute (x-develop), and every x- key of a service that
// extends another or is extended, since extends merges them.

// composeGoAliases are the service-level x- keys compose-go promotes to an
// attribute (its loader's extensionAliases).
var composeGoAliases = map[string]bool{"x-develop": true}

// asideExtensions are the x- blocks taken out of a decoded file: the
// top-level ones, and each service's.
type asideExtensions struct {
	top      map[string]any
	services map[string]map[string]any
}

// setAsideExtensions takes the x- blocks out of doc (the file's decoded
// mapping) and its services. nil when there is nothing to take, or when a
// block holds a mapping with a key that is not a string (compose-go
// refuses or converts those; the file then loads whole).
func setAsideExtensions(doc map[string]any, services map[string]any) *asideExtensions {
	a := &asideExtensions{top: map[string]any{}, services: map[string]map[string]any{}}
	extending := map[string]bool{}
	for name, svc := range services {
		if m, ok := svc.(map[string]any); ok {
			if _, ok := m["extends"]; ok {
				extending[name] = true
				if base := extendsInFile(m); base != "" {
					extending[base] = true
				}
			}
		}
	}
	for k, v := range doc {
		if strings.HasPrefix(k, "x-") {
			if !stringKeysOnly(v) {
				return nil
			}
			a.top[k] = v
		}
	}
	for k := range a.top {
		delete(doc, k)
	}
	for name, svc := range services {
		m, ok := svc.(map[string]any)
		if !ok || extending[name] {
			continue
		}
		var blocks map[string]any
		for k, v := range m {
			if !strings.HasPrefix(k, "x-") || composeGoAliases[k] {
				continue
			}
			if !stringKeysOnly(v) {
				return nil
			}
			if blocks == nil {
				blocks = map[string]any{}
			}
			blocks[k] = v
		}
		if blocks == nil {
			continue
		}
		for k := range blocks {
			delete(m, k)
		}
		a.services[name] = blocks
	}
	if len(a.top) == 0 && len(a.services) == 0 {
		return nil
	}
	return a
}

// stringKeysOnly reports whether every mapping in v is keyed by strings,
// as a decode of YAML whose keys are all strings gives.
func stringKeysOnly(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			if !stringKeysOnly(e) {
				return false
			}
		}
	case []any:
		for _, e := range v {
			if !stringKeysOnly(e) {
				return false
			}
		}
	case map[any]any:
		return false
	}
	return true
}

// interpolate interpolates the blocks as compose-go's load would have: with
// its interpolation options (o, from loader.ToOptions) and at their paths in
// the file, so that a cast compose-go would apply there applies here.
func (a *asideExtensions) interpolate(o *loader.Options) error {
	if o.Interpolate == nil || o.SkipInterpolation {
		return nil
	}
	doc := make(map[string]any, len(a.top)+1)
	for k, v := range a.top {
		doc[k] = v
	}
	if len(a.services) > 0 {
		svcs := make(map[string]any, len(a.services))
		for name, blocks := range a.services {
			svcs[name] = blocks
		}
		doc["services"] = svcs
	}
	opts := *o.Interpolate
	// In practice no cast: compose-go's patterns name compose attributes.
	opts.TypeCastMapping, _ = castsUsed(opts.TypeCastMapping, doc)
	out, err := interp.Interpolate(doc, opts)
	if err != nil {
		return err
	}
	for k := range a.top {
		a.top[k] = out[k]
	}
	if svcs, ok := out["services"].(map[string]any); ok {
		for name := range a.services {
			blocks, ok := svcs[name].(map[string]any)
			if !ok {
				return errAsideLost
			}
			a.services[name] = blocks
		}
	}
	return nil
}

// errAsideLost: the interpolated blocks did not come back whole (it does
// not happen; the file then loads whole).
var errAsideLost = errors.New("x- blocks lost in interpolation")

// restore puts the blocks into the loaded project: the top-level ones into
// its Extensions, a service's into that service's, whether the service is
// enabled or disabled by a profile. false when a service is missing.
func (a *asideExtensions) restore(p *types.Project) bool {
	if len(a.top) > 0 {
		if p.Extensions == nil {
			p.Extensions = types.Extensions{}
		}
		for k, v := range a.top {
			p.Extensions[k] = v
		}
	}
	for name, blocks := range a.services {
		in := p.Services
		svc, ok := in[name]
		if !ok {
			in = p.DisabledServices
			if svc, ok = in[name]; !ok {
				return false
			}
		}
		if svc.Extensions == nil {
			svc.Extensions = types.Extensions{}
		}
		for k, v := range blocks {
			svc.Extensions[k] = v
		}
		in[name] = svc
	}
	return true
}
