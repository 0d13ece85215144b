package render

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// maxLoadRounds bounds how often loadAll loads again past a problem: each
// round sets aside at least one more key, and a file with more broken
// services than this reports the first ones.
const maxLoadRounds = 20

// loadAll is Load that does not stop at the first service a load-time
// check refuses. compose-go stops at its first error (an interpolation, a
// key the compose schema refuses, an env_file that is missing), so one bad
// service would hide every other service's problems, which the README
// promises to report in one run. When every error of a load names a
// service, loadAll sets aside the service keys they name (services.web.
// environment, or the whole service for a bad name) and loads again, up to
// maxLoadRounds times; the project it returns then lacks those keys, and
// the diagnostics keep every load's errors, so nothing is written. Later
// rounds add only errors of services not already in error (what setting a
// key aside causes there is a consequence, not news) and no repeats.
func loadAll(ctx context.Context, opts LoadOptions) (*Input, Diagnostics) {
	var all Diagnostics
	for round := 1; ; round++ {
		in, ds := Load(ctx, opts)
		all = appendNew(all, ds)
		if in != nil || round == maxLoadRounds {
			return in, all
		}
		more := setAside(ds.Errors(), opts.skip)
		if len(more) == 0 {
			return nil, all
		}
		opts.skip = append(opts.skip, more...)
	}
}

// appendNew adds the diagnostics of a later load that are neither repeats
// nor errors of a service an earlier load already refused.
func appendNew(all, ds Diagnostics) Diagnostics {
	inError := map[string]bool{}
	seen := map[string]bool{}
	for _, d := range all {
		seen[diagKey(d)] = true
		if d.Severity == Error && d.Service != "" {
			inError[d.Service] = true
		}
	}
	for _, d := range ds {
		if seen[diagKey(d)] || d.Severity == Error && inError[d.Service] {
			continue
		}
		seen[diagKey(d)] = true
		all = append(all, d)
	}
	return all
}

func diagKey(d Diagnostic) string {
	return d.File + "\x00" + d.Path + "\x00" + d.Message
}

// setAside is the service keys to leave out of the next load: for each
// error, the key of its service it is under (services.web.environment), or
// the service itself when the error is about its name. An error that names
// no service (YAML syntax, an alias bomb, a top-level block) stops the
// rounds: nil.
func setAside(errs Diagnostics, done []string) []string {
	var out []string
	for _, d := range errs {
		parts := splitPath(d.Path)
		if d.Service == "" || len(parts) < 2 || parts[0] != "services" || parts[1] != d.Service {
			return nil
		}
		if len(parts) > 3 {
			parts = parts[:3]
		}
		p := joinPath(parts)
		if !slices.Contains(done, p) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// outsideSetAside drops the guard's findings under the keys set aside.
func outsideSetAside(ds Diagnostics, skip []string) Diagnostics {
	if len(skip) == 0 {
		return ds
	}
	var out Diagnostics
	for _, d := range ds {
		if !underAny(d.Path, skip) {
			out = append(out, d)
		}
	}
	return out
}

func underAny(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") {
			return true
		}
	}
	return false
}

// pruneConfigFiles removes the keys set aside from the files compose-go
// is about to load. The line map (Sources) keeps the files as written.
func pruneConfigFiles(details *types.ConfigDetails, skip []string) {
	if len(skip) == 0 {
		return
	}
	for i, f := range details.ConfigFiles {
		if len(f.Content) == 0 {
			continue
		}
		var doc yaml.Node
		if yaml.Unmarshal(f.Content, &doc) != nil || len(doc.Content) == 0 {
			continue
		}
		changed := false
		for _, p := range skip {
			changed = removePath(doc.Content[0], splitPath(p)) || changed
		}
		if !changed {
			continue
		}
		if out, err := yaml.Marshal(&doc); err == nil {
			details.ConfigFiles[i].Content = out
			details.ConfigFiles[i].Config = nil
		}
	}
}

// removePath deletes every entry at the key path (a duplicated key
// included) from a mapping tree.
func removePath(n *yaml.Node, keys []string) bool {
	if n.Kind != yaml.MappingNode || len(keys) == 0 {
		return false
	}
	removed := false
	for i := 0; i+1 < len(n.Content); {
		if n.Content[i].Value != keys[0] {
			i += 2
			continue
		}
		if len(keys) == 1 {
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
			removed = true
			continue
		}
		removed = removePath(n.Content[i+1], keys[1:]) || removed
		i += 2
	}
	return removed
}

// loaderDiagnostics is loaderDiagnostic for each error compose-go joined
// into one (its interpolation reports every bad value at once).
func loaderDiagnostics(err error, sources *Sources) []Diagnostic {
	var out []Diagnostic
	for _, e := range flattenJoined(err) {
		if ds := decodingDiagnostics(e.Error(), sources); ds != nil {
			out = append(out, ds...)
			continue
		}
		out = append(out, loaderDiagnostic(e, sources))
	}
	return out
}

// reDecoding is one problem of compose-go's decoding step (mapstructure):
// 'services[web].deploy.resources.limits.memory' invalid size: '-512M'.
var reDecoding = regexp.MustCompile(`(?m)^\s*\* ?'([^']+)' (.+)$|^'([^']+)' (.+)$`)

// decodingDiagnostics locates the problems of compose-go's decoding step,
// which it reports in one message, unlocated, with paths of its own form;
// nil when msg is not such a message.
func decodingDiagnostics(msg string, sources *Sources) []Diagnostic {
	if !strings.Contains(msg, "decoding failed due to the following error(s)") {
		return nil
	}
	var out []Diagnostic
	for _, m := range reDecoding.FindAllStringSubmatch(msg, -1) {
		raw, problem := m[1]+m[3], m[2]+m[4]
		parts := strings.FieldsFunc(raw, func(r rune) bool { return r == '.' || r == '[' || r == ']' })
		path := joinPath(parts)
		if strings.HasPrefix(problem, "invalid size") {
			problem += ": give a size of 0 or more with a unit (b, k, m, g), e.g. 512m"
		}
		d := Diagnostic{Severity: Error, Path: path, Service: serviceOfPath(path), Message: problem}
		if sources != nil {
			d.File, d.Line, d.Column = sources.Locate(path)
		}
		out = append(out, d)
	}
	return out
}

// flattenJoined lists the errors of errors.Join, nested joins included.
func flattenJoined(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flattenJoined(e)...)
	}
	return out
}
