package render

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// maxReferencedFileBytes bounds a file a compose file names for composex to
// read (env_file, label_file): they hold a few variables, and a larger one
// is a mistake or an attack.
const maxReferencedFileBytes = 1 << 20

// CheckProjectFile is the one rule for every file a compose file names: it
// must be inside the project directory once symlinks are followed (unless
// allowOutside), a regular file (never a FIFO, a device or a directory),
// and at most limit bytes. It returns the resolved path.
func CheckProjectFile(projectDir, path string, allowOutside bool, limit int64) (string, error) {
	abs := path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(projectDir, path)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s does not exist", path)
		}
		return "", fmt.Errorf("%s: %v", path, err)
	}
	if !allowOutside {
		root, err := filepath.EvalSymlinks(projectDir)
		if err != nil {
			root = projectDir
		}
		rel, err := filepath.Rel(root, real)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			shown := real
			if real != abs {
				shown = fmt.Sprintf("%s (through a symlink)", real)
			}
			return "", fmt.Errorf("%s is outside the project directory %s: it resolves to %s; composex reads only files inside the project (give --allow-outside-project to read it anyway)", path, projectDir, shown)
		}
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("%s: %v", path, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file (%s): composex reads only regular files", path, describeMode(fi.Mode()))
	}
	if fi.Size() > limit {
		return "", fmt.Errorf("%s is %d bytes: the limit is %d bytes", path, fi.Size(), limit)
	}
	return real, nil
}

func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}

// checkReferencedFiles applies CheckProjectFile to every env_file and
// label_file before compose-go reads them (the loader is asked not to), so
// that a compose file in a pull request cannot make composex read
// /dev/zero, a FIFO, or a file outside the project into a template.
func checkReferencedFiles(p *types.Project, sources *Sources, allowOutside bool) Diagnostics {
	var ds Diagnostics
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		specs := []types.ContainerSpec{s.ContainerSpec}
		for _, h := range s.PreStart {
			specs = append(specs, h.ContainerSpec)
		}
		for _, spec := range specs {
			for _, ef := range spec.EnvFiles {
				if _, err := CheckProjectFile(p.WorkingDir, ef.Path, allowOutside, maxReferencedFileBytes); err != nil {
					if !bool(ef.Required) && strings.HasSuffix(err.Error(), " does not exist") {
						continue // required: false: compose skips a missing file
					}
					ds.Add(located(sources, name, ServicePath(name, "env_file"), "env_file "+err.Error()))
				}
			}
			for _, lf := range spec.LabelFiles {
				if _, err := CheckProjectFile(p.WorkingDir, lf, allowOutside, maxReferencedFileBytes); err != nil {
					ds.Add(located(sources, name, ServicePath(name, "label_file"), "label_file "+err.Error()))
				}
			}
		}
	}
	return ds
}

// located is an error at a key path, placed in the file that wrote it.
func located(sources *Sources, service, path, msg string) Diagnostic {
	d := Diagnostic{Severity: Error, Service: service, Path: path, Message: msg}
	d.File, d.Line, d.Column = sources.Locate(path)
	return d
}

// maxPortsPerService bounds the ports one service declares (compose expands
// a range such as 1-65535 into one entry per port). ECS keeps a task
// definition under 64 KiB, and Service Connect, security groups and load
// balancers take one entry per port: beyond a hundred nothing can work.
const maxPortsPerService = 100

// checkPortCounts refuses a service whose ports (after compose expanded
// ranges) pass maxPortsPerService, before any of them is mapped.
func checkPortCounts(p *types.Project, sources *Sources) Diagnostics {
	var ds Diagnostics
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		if n := len(s.Ports); n > maxPortsPerService {
			ds.Add(located(sources, name, ServicePath(name, "ports"), fmt.Sprintf("%d ports (ranges count one per port): the limit is %d a service; a task definition must stay under 64 KiB, and every port becomes a mapping, a security group rule and a Service Connect entry", n, maxPortsPerService)))
		}
		if n := len(s.Expose); n > maxPortsPerService {
			ds.Add(located(sources, name, ServicePath(name, "expose"), fmt.Sprintf("%d exposed ports: the limit is %d a service", n, maxPortsPerService)))
		}
	}
	return ds
}
