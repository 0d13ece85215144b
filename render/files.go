package render

import (
	"path"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// SecretPath is where compose puts a secret in the container: the target
// when it is absolute, else /run/secrets/<target or source>.
func SecretPath(source, target string) string {
	switch {
	case strings.HasPrefix(target, "/"):
		return path.Clean(target)
	case target == "":
		return "/run/secrets/" + source
	}
	return path.Clean("/run/secrets/" + target)
}

// ConfigPath is where compose puts a config: the target, or /<source>
// when none is given (a relative target is taken from the root).
func ConfigPath(source, target string) string {
	if target == "" {
		target = source
	}
	return path.Clean("/" + target)
}

// attachConfigs records the service's configs as files to deliver; the
// files extension stores their content and writes them at start.
func attachConfigs(s types.ServiceConfig, c *Container) {
	for i, ref := range s.Configs {
		req := FileRequest{Kind: FileConfig, Source: ref.Source, Target: ref.Target, UID: ref.UID, GID: ref.GID,
			Path: ServicePath(s.Name, "configs", itoa(i)), ReadOnly: true}
		if ref.Mode != nil {
			mode := uint32(*ref.Mode)
			req.Mode = &mode
		}
		c.Files = append(c.Files, req)
	}
}

// undeliveredFiles refuses the files that no extension delivered: without
// the files extension a bind mount or config would silently be missing.
func undeliveredFiles(m *Model) Diagnostics {
	var ds Diagnostics
	for _, f := range m.Families {
		for _, c := range f.Containers {
			for _, r := range c.Files {
				switch {
				case r.Kind == FileSecret && r.ValueFrom != "":
					// still an environment variable, as compose-x gives it
				case r.Kind == FileBind:
					ds.Errorf(c.Service, r.Path, "bind mount of %s: a Fargate task has no host directory to mount; use a named volume or put the files in the image", r.Source)
				case r.Kind == FileSecret:
					ds.Errorf(c.Service, r.Path, "secret %q has no x-secrets: Fargate cannot mount a file or environment secret; name the Secrets Manager secret with secrets.%s.x-secrets.Name", r.Source, r.Source)
				default:
					ds.Errorf(c.Service, r.Path, "config %q: Fargate cannot mount compose configs; bake the file into the image", r.Source)
				}
			}
		}
	}
	return ds
}
