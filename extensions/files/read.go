package files

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

// hostSystemPaths are host directories that no task can read: Fargate has
// no host to speak of.
var hostSystemPaths = []string{"/bin", "/boot", "/etc", "/lib", "/lib64", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/usr", "/var"}

// project is the project directory, symbolic links resolved.
func (x *extender) project() string {
	dir := x.in.Project.WorkingDir
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		return real
	}
	return dir
}

func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel)
}

// display shows a host path as the user wrote it: relative to the project.
func (x *extender) display(p string) string {
	if within(x.in.Project.WorkingDir, p) {
		rel, _ := filepath.Rel(x.in.Project.WorkingDir, p)
		if rel == "." {
			return "./"
		}
		return "./" + filepath.ToSlash(rel)
	}
	return p
}

// hostProblem says why a host path outside the project cannot be read.
func hostProblem(p string) string {
	switch {
	case filepath.Base(p) == "docker.sock":
		return "the Docker socket: a Fargate task has no Docker daemon to talk to"
	case p == "/dev" || strings.HasPrefix(p, "/dev/"):
		return "a host device: Fargate gives no access to host devices"
	}
	for _, sys := range hostSystemPaths {
		if p == sys || strings.HasPrefix(p, sys+"/") {
			return "a host system path: a Fargate task has no host to read it from"
		}
	}
	return ""
}

// locate checks that a host path is inside the project (links resolved)
// and returns its real path; ok false means it was refused.
func (x *extender) locate(service, keyPath, what, src string) (string, bool) {
	shown := x.display(src)
	if !within(x.in.Project.WorkingDir, src) {
		if why := hostProblem(src); why != "" {
			x.ds.Errorf(service, keyPath, "%s %s is %s", what, shown, why)
		} else {
			x.ds.Errorf(service, keyPath, "%s %s is outside the project directory %s: only the project's own files are delivered; copy it into the project or bake it into the image", what, shown, x.in.Project.WorkingDir)
		}
		return "", false
	}
	real, err := filepath.EvalSymlinks(src)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			x.ds.Errorf(service, keyPath, "%s %s does not exist in the project (docker would mount an empty directory); create it or drop the mount", what, shown)
		} else {
			x.ds.Errorf(service, keyPath, "%s %s cannot be read: %v", what, shown, err)
		}
		return "", false
	}
	proj := x.project()
	if !within(proj, real) {
		x.ds.Errorf(service, keyPath, "%s %s is a symbolic link to %s, outside the project directory %s: only the project's own files are delivered", what, shown, real, x.in.Project.WorkingDir)
		return "", false
	}
	return real, true
}

// readFile reads one regular file of at most MaxFileBytes.
func readFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	body, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxFileBytes {
		return nil, errTooLarge{st.Size()}
	}
	return body, nil
}

type errTooLarge struct{ size int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("is %d bytes; one file is stored in one SSM parameter, which holds %d bytes (%d bytes of file, base64-encoded): bake larger files into the image or put them on a named volume", e.size, AdvancedTierBytes, MaxFileBytes)
}

func isBuildContext(s *types.ServiceConfig, real string) (string, bool) {
	if s.Build == nil || s.Build.Context == "" || strings.Contains(s.Build.Context, "://") {
		return "", false
	}
	ctx := s.Build.Context
	if r, err := filepath.EvalSymlinks(ctx); err == nil {
		ctx = r
	}
	return ctx, real == ctx || within(ctx, real)
}

// bind delivers a bind mount: a file, or a small directory of files; a
// mount of the build context is a dev mount and dropped.
func (x *extender) bind(s *types.ServiceConfig, r render.FileRequest, base file) []file {
	target := path.Clean(r.Target)
	if real, err := filepath.EvalSymlinks(r.Source); err == nil {
		if ctx, ok := isBuildContext(s, real); ok {
			what := "the build context"
			if real != ctx {
				what = "a directory of the build context"
			}
			x.ds.Warnf(s.Name, r.Path, "bind mount of %s (%s) is a development mount: the image built from it already holds those files; dropped", x.display(r.Source), what)
			return nil
		}
	}
	real, ok := x.locate(s.Name, r.Path, "bind mount of", r.Source)
	if !ok {
		return nil
	}
	st, err := os.Stat(real)
	if err != nil {
		x.ds.Errorf(s.Name, r.Path, "bind mount of %s cannot be read: %v", x.display(r.Source), err)
		return nil
	}
	switch {
	case st.Mode().IsRegular():
		body, err := readFile(real)
		if err != nil {
			x.ds.Errorf(s.Name, r.Path, "bind mount of %s %v", x.display(r.Source), err)
			return nil
		}
		base.target, base.content, base.mode = target, body, uint32(st.Mode().Perm())
		return []file{base}
	case st.IsDir():
		return x.bindDir(s, r, base, real, target)
	}
	x.ds.Errorf(s.Name, r.Path, "bind mount of %s is neither a regular file nor a directory (%s); only files are delivered", x.display(r.Source), st.Mode().Type())
	return nil
}

// bindDir delivers every regular file of a directory, within MaxDirFiles
// and MaxDirBytes; a link must stay inside the project.
func (x *extender) bindDir(s *types.ServiceConfig, r render.FileRequest, base file, dir, target string) []file {
	shown := x.display(r.Source)
	type found struct {
		rel  string
		real string
		mode uint32
	}
	var list []found
	var total int64
	count := 0
	bad := ""
	entries := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// Bounded: a tree far beyond the limit is refused without reading
		// all of it.
		if entries++; entries > MaxDirFiles*10 {
			count = MaxDirFiles*10 + 1
			return fs.SkipAll
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		real := p
		if d.Type()&fs.ModeSymlink != 0 {
			r, err := filepath.EvalSymlinks(p)
			if err != nil || !within(x.project(), r) {
				bad = fmt.Sprintf("holds %s, a symbolic link that leads outside the project directory %s; only the project's own files are delivered", filepath.ToSlash(rel), x.in.Project.WorkingDir)
				return fs.SkipAll
			}
			real = r
		}
		st, err := os.Stat(real)
		if err != nil {
			return err
		}
		if st.IsDir() {
			bad = fmt.Sprintf("holds %s, a symbolic link to a directory; link files, not directories", filepath.ToSlash(rel))
			return fs.SkipAll
		}
		if !st.Mode().IsRegular() {
			bad = fmt.Sprintf("holds %s, which is not a regular file (%s); only files are delivered", filepath.ToSlash(rel), st.Mode().Type())
			return fs.SkipAll
		}
		count++
		total += st.Size()
		list = append(list, found{rel: filepath.ToSlash(rel), real: real, mode: uint32(st.Mode().Perm())})
		return nil
	})
	switch {
	case err != nil:
		x.ds.Errorf(s.Name, r.Path, "bind mount of %s cannot be read: %v", shown, err)
		return nil
	case bad != "":
		x.ds.Errorf(s.Name, r.Path, "bind mount of %s %s", shown, bad)
		return nil
	case count > MaxDirFiles || total > MaxDirBytes:
		more := ""
		if entries > MaxDirFiles*10 {
			more = " or more"
		}
		x.ds.Errorf(s.Name, r.Path, "bind mount of %s holds %d files%s, %d bytes: a directory is delivered as files up to %d files and %d bytes; bake it into the image (COPY in the Dockerfile), or put it on a named volume", shown, count, more, total, MaxDirFiles, MaxDirBytes)
		return nil
	}
	var out []file
	for _, fd := range list {
		body, err := readFile(fd.real)
		if err != nil {
			x.ds.Errorf(s.Name, r.Path, "bind mount of %s: %s %v", shown, fd.rel, err)
			continue
		}
		fl := base
		fl.target, fl.content, fl.mode, fl.dirMount = path.Join(target, fd.rel), body, fd.mode, target
		out = append(out, fl)
	}
	if len(list) == 0 {
		x.ds.Warnf(s.Name, r.Path, "bind mount of %s is an empty directory; nothing is delivered", shown)
	}
	return out
}

// config delivers a compose config from file:, content: or environment:.
func (x *extender) config(s *types.ServiceConfig, r render.FileRequest, base file) []file {
	cfg, ok := x.in.Project.Configs[r.Source]
	if !ok {
		return nil // compose refuses an undeclared config
	}
	base.target = render.ConfigPath(r.Source, r.Target)
	top := "configs." + render.Key(r.Source)
	switch {
	case bool(cfg.External):
		x.ds.Errorf(s.Name, r.Path, "config %q is external (it lives in a swarm): composex cannot read it; give it file: or content:", r.Source)
		return nil
	case cfg.File != "":
		real, ok := x.locate("", top+".file", "config "+r.Source+": file", cfg.File)
		if !ok {
			return nil
		}
		body, err := readFile(real)
		if err != nil {
			x.ds.Errorf("", top+".file", "config %s: file %s %v", r.Source, x.display(cfg.File), err)
			return nil
		}
		base.content = body
	case cfg.Environment != "":
		if _, set := x.in.Project.Environment[cfg.Environment]; !set {
			x.ds.Errorf("", top+".environment", "config %s: the variable %s is not set", r.Source, cfg.Environment)
			return nil
		}
		base.content = []byte(cfg.Content)
	default:
		base.content = []byte(cfg.Content)
	}
	if len(base.content) > MaxFileBytes {
		x.ds.Errorf(s.Name, r.Path, "config %s %v", r.Source, errTooLarge{int64(len(base.content))})
		return nil
	}
	return []file{base}
}
