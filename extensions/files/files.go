// Package files delivers what compose puts into a container as files —
// compose configs, bind mounts of project files and small directories,
// and secrets at /run/secrets — on Fargate, where a task has no host
// directory to mount.
//
// Each file's content is stored by the stack (a configuration in an SSM
// parameter, a secret in Secrets Manager) and reaches a small init
// container of the family through its container Secrets, so that it is
// never in plain environment nor in a log. The init container writes the
// files into task volumes; the app containers mount those volumes and wait
// for the init container to exit with SUCCESS before they start.
//
// Layout: ECS mounts a task volume on a directory, never on a single file
// (a directory cannot be mounted over a file of the image). So each
// container gets one volume per top directory of its targets: a file
// /etc/nginx/nginx.conf makes a volume mounted at /etc/nginx that holds
// only the files composex writes there; the image's other files in that
// directory are hidden in that container, and a warning says so. A bind
// mount of a directory hides the image's directory under docker compose
// too, so it gets no warning; nor does /run/secrets, which images leave
// empty. Targets whose directory is a system directory (/etc, /usr, ...)
// are refused: hiding it would break the container.
package files

import (
	"cmp"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

const (
	// InitName is the init container of every family that gets files.
	InitName = "composex-files"
	// InitImage is pinned: busybox's sh, base64, chmod and chown are all
	// the init container uses. FilesInitImage moves every family at once.
	InitImage = "public.ecr.aws/docker/library/busybox:1.37.0"
	// ImageParam is the template parameter holding InitImage.
	ImageParam = "FilesInitImage"
	// InitRoot is where the init container mounts each volume
	// (InitRoot/<volume name>).
	InitRoot = "/composex"
	// InitCpu and InitMemory are the init container's share of the task
	// size (CPU units, MiB): it runs a shell for a moment.
	InitCpu    = 32
	InitMemory = 32

	// SSM parameter sizes: standard tier up to 4 KB, advanced up to 8 KB.
	StandardTierBytes = 4096
	AdvancedTierBytes = 8192
	// MaxFileBytes is the largest file one advanced parameter holds once
	// base64-encoded (binary-safe, newlines kept exactly).
	MaxFileBytes = AdvancedTierBytes / 4 * 3
	// MaxDirFiles and MaxDirBytes bound a bind-mounted directory: a few
	// configuration files, not a data set.
	MaxDirFiles = 20
	MaxDirBytes = 64 * 1024

	// SecretGenerateKey is the top-level secret's key that asks the stack
	// to generate the value (GenerateSecretString).
	SecretGenerateKey = "x-generate"

	defaultMode = 0o444 // compose's mode for configs and secrets
	secretsDir  = "/run/secrets"
)

// Extension implements render.Extension; its one x- key, x-generate, is
// written under a top-level secret.
type Extension struct{}

func (Extension) Name() string          { return "files" }
func (Extension) ServiceKeys() []string { return nil }
func (Extension) ProjectKeys() []string { return nil }

// Validate checks every secret's x-generate block.
func (Extension) Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(in.Project.Secrets)) {
		sec := in.Project.Secrets[name]
		readGenerate(name, sec, &ds)
		for _, k := range slices.Sorted(maps.Keys(sec.Extensions)) {
			// x-#value is where compose-go keeps an environment secret's
			// value: never shown.
			if k != SecretGenerateKey && k != "x-secrets" && k != types.SecretConfigXValue {
				ds.Warnf("", "secrets."+render.Key(name)+"."+k, "composex does not handle %s under a secret (it reads x-secrets and %s); it is ignored", k, SecretGenerateKey)
			}
		}
	}
	return ds
}

// file is one file to write into a container.
type file struct {
	container string
	target    string // absolute, clean
	content   []byte // configs and bind mounts: stored in SSM, base64
	valueFrom string // secrets: the Secrets Manager ARN (template)
	mode      uint32
	uid, gid  string
	readOnly  bool
	dirMount  string // the target of the bind-mounted directory it comes from
	path      string // key path, for messages
	service   string
}

// Extend delivers every container's files, family by family.
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds render.Diagnostics
	x := &extender{in: in, m: m, ds: &ds, secrets: map[string]string{}}
	for _, f := range m.Families {
		var all []file
		for _, c := range f.Containers {
			if len(c.Files) == 0 {
				continue
			}
			s := service(f, c.Service)
			var got []file
			for _, r := range c.Files {
				got = append(got, x.resolve(s, c, r)...)
			}
			c.Files = nil
			all = append(all, x.checkTargets(got)...)
		}
		if len(all) > 0 {
			x.deliver(f, all)
		}
	}
	checkSecretNames(m, &ds)
	return ds
}

type extender struct {
	in      *render.Input
	m       *render.Model
	ds      *render.Diagnostics
	secrets map[string]string // compose secret -> logical ID of the stack's secret
}

func service(f *render.Family, name string) *types.ServiceConfig {
	for _, s := range f.Services {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// resolve turns one request into the files it delivers (none when it is
// refused or dropped).
func (x *extender) resolve(s *types.ServiceConfig, c *render.Container, r render.FileRequest) []file {
	mode := uint32(defaultMode)
	if r.Mode != nil {
		mode = *r.Mode
	}
	if mode > 0o7777 {
		x.ds.Errorf(s.Name, r.Path+".mode", "%#o is not a file mode (0 to 07777)", mode)
		return nil
	}
	for _, id := range []struct{ key, v string }{{"uid", r.UID}, {"gid", r.GID}} {
		if id.v != "" && strings.Trim(id.v, "0123456789") != "" {
			x.ds.Errorf(s.Name, r.Path+"."+id.key, "%q is not a numeric %s; the init container sets owners by number", id.v, id.key)
			return nil
		}
	}
	base := file{container: c.Name, mode: mode, uid: r.UID, gid: r.GID, readOnly: r.ReadOnly, path: r.Path, service: s.Name}
	switch r.Kind {
	case render.FileBind:
		return x.bind(s, r, base)
	case render.FileConfig:
		return x.config(s, r, base)
	case render.FileSecret:
		return x.secret(s, r, base)
	}
	return nil
}

// checkTargets refuses two files at one path, and targets that cannot be
// a file's path.
func (x *extender) checkTargets(fs []file) []file {
	seen := map[string]string{}
	var out []file
	for _, fl := range fs {
		if prev, dup := seen[fl.target]; dup {
			x.ds.Errorf(fl.service, fl.path, "%s is also the target of %s; a path holds one file", fl.target, prev)
			continue
		}
		seen[fl.target] = fl.path
		out = append(out, fl)
	}
	return out
}

// systemDirs are directories that a volume must never hide.
var systemDirs = []string{"/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc", "/root", "/run",
	"/sbin", "/sys", "/usr", "/usr/bin", "/usr/lib", "/usr/lib64", "/usr/local", "/usr/local/bin", "/usr/local/lib",
	"/usr/sbin", "/usr/share", "/var", "/var/lib"}

// volume is one task volume of a container and the files it holds.
type volume struct {
	name      string
	container string
	root      string // where the app container mounts it
	files     []file
}

// layout groups a container's files by top directory: one volume per
// directory that is not inside another target directory.
func layout(fs []file) map[string][]file {
	dirs := map[string]bool{}
	for _, fl := range fs {
		d := path.Dir(fl.target)
		if fl.dirMount != "" {
			d = fl.dirMount
		}
		dirs[d] = true
	}
	roots := map[string][]file{}
	for _, fl := range fs {
		d := path.Dir(fl.target)
		if fl.dirMount != "" {
			d = fl.dirMount
		}
		root := d
		for other := range dirs {
			if (other == "/" || strings.HasPrefix(root, other+"/")) && len(other) < len(root) {
				root = other
			}
		}
		roots[root] = append(roots[root], fl)
	}
	return roots
}

// deliver lays out the family's files in volumes, stores their content,
// adds the init container and mounts the volumes in the apps.
func (x *extender) deliver(f *render.Family, all []file) {
	byContainer := map[string][]file{}
	for _, fl := range all {
		byContainer[fl.container] = append(byContainer[fl.container], fl)
	}
	var vols []*volume
	for _, name := range slices.Sorted(maps.Keys(byContainer)) {
		c := f.Container(name)
		roots := layout(byContainer[name])
		for i, root := range slices.Sorted(maps.Keys(roots)) {
			fs := roots[root]
			slices.SortFunc(fs, func(a, b file) int { return cmp.Compare(a.target, b.target) })
			first := fs[0]
			if slices.Contains(systemDirs, root) {
				x.ds.Errorf(first.service, first.path, "%s would be written into a volume mounted at %s, hiding the image's %s in this container (ECS mounts volumes on directories, not on single files); give the file a target in a directory of its own", first.target, root, root)
				continue
			}
			if clash := mountedAt(c, root); clash != "" {
				x.ds.Errorf(first.service, first.path, "%s would be written into a volume mounted at %s, where the container already mounts the volume %s; give the file a target in another directory", first.target, root, clash)
				continue
			}
			if first.dirMount == "" && root != secretsDir {
				x.ds.Warnf(first.service, first.path, "%s is written into a task volume mounted at %s (ECS mounts volumes on directories, not on single files): the image's own files in %s are hidden in this container; if the app needs them, give the file a target in a directory of its own", describeTargets(fs), root, root)
			}
			vols = append(vols, &volume{name: render.ResourceName("files-"+name) + "-" + fmt.Sprint(i), container: name, root: root, files: fs})
		}
	}
	if len(vols) == 0 {
		return
	}
	if strings.HasPrefix(f.OSFamily, "WINDOWS") {
		first := vols[0].files[0]
		x.ds.Errorf(first.service, first.path, "family %s runs on %s: files are written by a Linux init container; bake them into the Windows image", f.Name, f.OSFamily)
		return
	}
	if err := x.m.SidecarImage(ImageParam, InitImage, "files init"); err != nil {
		s := f.Services[0].Name
		x.ds.Errorf(s, render.ServicePath(s), "%v", err)
		return
	}
	init := &render.Container{
		Name:       InitName,
		ImageParam: ImageParam,
		EntryPoint: []string{"sh", "-c"},
		Essential:  false,
		ReadOnly:   true, // it writes only into the volumes
		Cpu:        InitCpu,
		Memory:     InitMemory,
	}
	var entries []entry
	var ssmArns, secretArns []string
	n := 0
	for _, v := range vols {
		f.Volumes = append(f.Volumes, v.name)
		init.MountPoints = append(init.MountPoints, render.MountPoint{Volume: v.name, Path: InitRoot + "/" + v.name})
		readOnly := true
		for _, fl := range v.files {
			readOnly = readOnly && fl.readOnly
			env := fmt.Sprintf("COMPOSEX_FILE_%d", n)
			n++
			rel := strings.TrimPrefix(fl.target, v.root+"/")
			e := entry{env: env, dest: InitRoot + "/" + v.name + "/" + rel, mode: fl.mode, uid: fl.uid, gid: fl.gid}
			if fl.valueFrom != "" {
				init.Secrets = append(init.Secrets, render.ContainerSecret{Name: env, ValueFrom: fl.valueFrom})
				if !slices.Contains(secretArns, fl.valueFrom) {
					secretArns = append(secretArns, fl.valueFrom)
				}
			} else {
				arn, ok := x.parameter(f, fl, n-1)
				if !ok {
					continue
				}
				e.base64 = true
				init.Secrets = append(init.Secrets, render.ContainerSecret{Name: env, ValueFrom: arn})
				ssmArns = append(ssmArns, arn)
			}
			entries = append(entries, e)
		}
		c := f.Container(v.container)
		c.MountPoints = append(c.MountPoints, render.MountPoint{Volume: v.name, Path: v.root, ReadOnly: readOnly})
		c.DependOn(InitName, "SUCCESS")
	}
	slices.Sort(f.Volumes)
	init.Command = []string{Script(entries)}
	if err := f.AddSidecar(init); err != nil {
		s := f.Services[0].Name
		x.ds.Errorf(s, render.ServicePath(s), "%v", err)
		return
	}
	if len(ssmArns) > 0 {
		f.ExecutionRole.AddPolicy("ReadFiles", render.Statement{Sid: "FilesFromSsm", Effect: "Allow",
			Action: []string{"ssm:GetParameters"}, Resource: ssmArns})
	}
	var stackSecrets []string
	for _, a := range secretArns {
		if isStackSecret(a) {
			stackSecrets = append(stackSecrets, a)
		}
	}
	if len(stackSecrets) > 0 {
		// Secrets with x-secrets are granted by the core already.
		f.ExecutionRole.AddPolicy("ReadFiles", render.Statement{Sid: "SecretsOfTheStack", Effect: "Allow",
			Action: []string{"secretsmanager:GetSecretValue"}, Resource: stackSecrets})
	}
	f.Reorder()
}

func describeTargets(fs []file) string {
	if len(fs) == 1 {
		return fs[0].target
	}
	names := make([]string, len(fs))
	for i, fl := range fs {
		names[i] = fl.target
	}
	return strings.Join(names, ", ")
}

func mountedAt(c *render.Container, p string) string {
	for _, mp := range c.MountPoints {
		if path.Clean(mp.Path) == p {
			return mp.Volume
		}
	}
	return ""
}

// checkSecretNames refuses a container whose secret variable is also a
// plain variable, whoever set it (the user or an extension): ECS refuses
// a task definition that sets a name twice.
func checkSecretNames(m *render.Model, ds *render.Diagnostics) {
	for _, f := range m.Families {
		for _, c := range f.Containers {
			for _, sec := range c.Secrets {
				if _, clash := c.Environment[sec.Name]; clash && c.Service != "" && !userSet(f, c, sec.Name) {
					ds.Errorf(c.Service, render.ServicePath(c.Service, "secrets"), "the secret variable %s is also a variable composex sets in %s; give the secret another target", sec.Name, c.Name)
				}
			}
		}
	}
}

// userSet says whether the compose file sets the variable itself (the
// core reports that clash already).
func userSet(f *render.Family, c *render.Container, name string) bool {
	s := service(f, c.Service)
	if s == nil {
		return false
	}
	_, ok := s.Environment[name]
	return ok
}
