package render

import (
	"github.com/compose-spec/compose-go/v2/types"
)

// attachVolumes turns a service's volumes into task volumes and mount
// points. On Fargate a named volume is task storage: shared by the
// containers of one task and gone when the task stops.
func attachVolumes(s types.ServiceConfig, c *Container, f *Family, volumes map[string]bool, ds *Diagnostics) {
	for i, v := range s.Volumes {
		path := ServicePath(s.Name, "volumes", itoa(i))
		switch v.Type {
		case types.VolumeTypeBind:
			// A task has no host directory: the files extension delivers
			// the files (or drops a dev mount, or refuses), see render/files.go.
			c.Files = append(c.Files, FileRequest{Kind: FileBind, Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly, Path: path})
			continue
		case types.VolumeTypeTmpfs:
			ds.Warnf(s.Name, path, "tmpfs mounts are not supported on Fargate; %s stays on the container's own storage", v.Target)
			continue
		case types.VolumeTypeVolume:
		default:
			ds.Errorf(s.Name, path, "volumes of type %q are not supported on Fargate; allowed: named volumes", v.Type)
			continue
		}
		name := v.Source
		if name == "" {
			name = s.Name + "-anonymous-" + itoa(i)
		}
		taskVolume := ResourceName(name)
		c.MountPoints = append(c.MountPoints, MountPoint{Volume: taskVolume, Path: v.Target, ReadOnly: v.ReadOnly})
		if !volumes[taskVolume] {
			volumes[taskVolume] = true
			f.Volumes = append(f.Volumes, taskVolume)
		}
	}
}
