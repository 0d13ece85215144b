// Package efs gives every top-level compose volume persistent storage:
// an encrypted Amazon EFS file system that a stack deletion keeps, a mount
// target in each subnet the tasks run in, an access point per volume, NFS
// allowed from exactly the families that mount it, and IAM authorization
// with TLS on every mount (compose-x's volumes.*.x-efs, and the driver_opts
// of docker's ECS integration). A volume may stay task storage with
// x-efs: false; an existing file system is given by ID (external: true with
// name: fs-..., or x-efs.Lookup) as a template parameter.
package efs

import (
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

const key = "x-efs"

// Extension implements render.Extension for named volumes and x-efs.
type Extension struct{}

func (Extension) Name() string { return key }

// ServiceKeys and ProjectKeys are empty: x-efs is written under volumes.<name>,
// where the schema registry's volume level lists it.
func (Extension) ServiceKeys() []string { return nil }
func (Extension) ProjectKeys() []string { return nil }

// Validate reads every top-level volume and reports every problem.
func (Extension) Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	readAll(in.Project, &ds)
	return ds
}

// readAll reads the project's top-level volumes, by name, and refuses two
// whose names give the same logical ID.
func readAll(p *types.Project, ds *render.Diagnostics) map[string]*Volume {
	out := map[string]*Volume{}
	byLogical := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(p.Volumes)) {
		v := p.Volumes[name]
		logical := render.LogicalName(name)
		if other, clash := byLogical[logical]; clash {
			ds.Errorf("", volumePath(name), "volumes %s and %s would have the same resource names (%s); rename one", other, name, logical)
		}
		byLogical[logical] = name
		for _, k := range slices.Sorted(maps.Keys(v.Extensions)) {
			switch {
			case k == key:
			case render.EditDistance(strings.ToLower(k), strings.ToLower(key)) <= 2:
				ds.Errorf("", volumePath(name, k), "unknown extension %s (did you mean %s?)", k, key)
			default:
				ds.Warnf("", volumePath(name, k), "composex does not handle %s on a volume; it is ignored", k)
			}
		}
		out[name] = readVolume(name, v, logical, ds)
	}
	return out
}

// Extend creates the storage of every volume that a family mounts.
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds render.Diagnostics
	var discard render.Diagnostics // reported by Validate
	p := in.Project
	vols := readAll(p, &discard)
	created := false
	for _, name := range slices.Sorted(maps.Keys(vols)) {
		vol := vols[name]
		if vol.TaskStorage {
			continue
		}
		uses := mountsOf(p, m, name)
		if len(uses) == 0 {
			ds.Warnf("", volumePath(name), "no service mounts volume %s: no file system is created for it", name)
			continue
		}
		if vol.Uid == nil {
			uid, gid, from, guessed := defaultUser(servicesMounting(p, name))
			vol.Uid, vol.Gid, vol.UserFrom = &uid, &gid, from
			if guessed {
				ds.Warnf("", volumePath(name), "volume %s: its access point writes as uid:gid %d:%d (composex's default: no service that mounts it gives a numeric user); if the image writes as another user and checks the owner of its files (as database images do), set driver_opts uid and gid", name, uid, gid)
			}
		}
		if !vol.creationInfoWritten {
			vol.OwnerUid, vol.OwnerGid = vol.Uid, vol.Gid
		}
		if vol.Permissions == "" {
			vol.Permissions = "0755"
		}
		if err := addVolume(m, vol, uses); err != nil {
			ds.Errorf("", volumePath(name), "%v", err)
			continue
		}
		if !vol.Existing {
			created = true
		}
		m.PersistentVolumes[name] = true
	}
	if created {
		addSubnetCountConditions(m)
	}
	return ds
}

// use is one family's mounts of a volume.
type use struct {
	family    *render.Family
	readWrite bool // some container of the family mounts it read-write
}

// mountsOf lists the families that mount a top-level volume, in model order.
func mountsOf(p *types.Project, m *render.Model, name string) []use {
	task := render.ResourceName(name)
	var out []use
	for _, f := range m.Families {
		u := use{family: f}
		found := false
		for _, s := range f.Services {
			for _, v := range s.Volumes {
				if v.Type != types.VolumeTypeVolume || v.Source != name {
					continue
				}
				found = true
				if !v.ReadOnly {
					u.readWrite = true
				}
			}
		}
		if found && slices.Contains(f.Volumes, task) {
			out = append(out, u)
		}
	}
	return out
}

// servicesMounting lists the services that mount a volume, by name.
func servicesMounting(p *types.Project, name string) []*types.ServiceConfig {
	var out []*types.ServiceConfig
	for _, n := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[n]
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeVolume && v.Source == name {
				out = append(out, &s)
				break
			}
		}
	}
	return out
}
