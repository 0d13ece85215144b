package efs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

// XEfs is volumes.<name>.x-efs as compose-x writes it, plus AccessPoint,
// composex's own key for the POSIX user and root directory.
type XEfs struct {
	Properties      *FileSystemProps `json:"Properties,omitempty"`
	AccessPoint     *AccessPoint     `json:"AccessPoint,omitempty"`
	MacroParameters *struct {
		EnforceIamAuth *bool `json:"EnforceIamAuth,omitempty"`
	} `json:"MacroParameters,omitempty"`
	Settings *struct {
		Subnets any `json:"Subnets,omitempty"`
	} `json:"Settings,omitempty"`
	Lookup *struct {
		Tags    any    `json:"Tags,omitempty"`
		RoleArn string `json:"RoleArn,omitempty"`
	} `json:"Lookup,omitempty"`
}

// FileSystemProps are the AWS::EFS::FileSystem properties a user may set.
type FileSystemProps struct {
	Encrypted                    *bool                    `json:"Encrypted,omitempty"`
	KmsKeyId                     string                   `json:"KmsKeyId,omitempty"`
	PerformanceMode              string                   `json:"PerformanceMode,omitempty"`
	ThroughputMode               string                   `json:"ThroughputMode,omitempty"`
	ProvisionedThroughputInMibps *float64                 `json:"ProvisionedThroughputInMibps,omitempty"`
	BackupPolicy                 *struct{ Status string } `json:"BackupPolicy,omitempty"`
	LifecyclePolicies            []map[string]string      `json:"LifecyclePolicies,omitempty"`
	FileSystemTags               []struct {
		Key   string `json:"Key"`
		Value string `json:"Value"`
	} `json:"FileSystemTags,omitempty"`
}

// AccessPoint is x-efs.AccessPoint.
type AccessPoint struct {
	PosixUser *struct {
		Uid           *uint32  `json:"Uid"`
		Gid           *uint32  `json:"Gid"`
		SecondaryGids []uint32 `json:"SecondaryGids,omitempty"`
	} `json:"PosixUser,omitempty"`
	RootDirectory *struct {
		Path         string `json:"Path,omitempty"`
		CreationInfo *struct {
			OwnerUid    *uint32 `json:"OwnerUid"`
			OwnerGid    *uint32 `json:"OwnerGid"`
			Permissions string  `json:"Permissions"`
		} `json:"CreationInfo,omitempty"`
	} `json:"RootDirectory,omitempty"`
}

// Volume is what one top-level compose volume becomes.
type Volume struct {
	Name        string // as written under volumes:
	Logical     string // stem of its logical IDs
	TaskStorage bool   // x-efs: false: task storage, no file system

	// Existing is true for a file system made outside the stack (external:
	// true, or x-efs.Lookup); its ID is a parameter, whose default is
	// ExistingID when the compose file gives one.
	Existing   bool
	ExistingID string

	KmsKeyId        string
	PerformanceMode string
	ThroughputMode  string
	Provisioned     *float64
	Backup          string // ENABLED or DISABLED
	Lifecycle       []map[string]string
	Tags            [][2]string

	// The access point: every file operation runs as Uid:Gid, inside Path,
	// which EFS creates owned by OwnerUid:OwnerGid with Permissions.
	Uid, Gid            *uint32
	SecondaryGids       []uint32
	UserFrom            string // where Uid/Gid came from, for messages
	Path                string
	OwnerUid, OwnerGid  *uint32
	Permissions         string
	creationInfoWritten bool
}

// Options of docker's ECS integration for an EFS volume (driver_opts).
var fileSystemOpts = []string{"backup_policy", "lifecycle_policy", "performance_mode", "throughput_mode", "provisioned_throughput"}
var accessPointOpts = []string{"uid", "gid", "permissions"}

// Options of docker's local driver: they mount a host directory or an NFS
// export from the host, which a Fargate task does not have.
var localDriverOpts = []string{"type", "o", "device"}

// Drivers that mean "a volume": composex gives each Amazon EFS.
var drivers = []string{"local", "efs", "nfs"}

var (
	lifecycleValues  = []string{"AFTER_1_DAY", "AFTER_7_DAYS", "AFTER_14_DAYS", "AFTER_30_DAYS", "AFTER_60_DAYS", "AFTER_90_DAYS", "AFTER_180_DAYS", "AFTER_270_DAYS", "AFTER_365_DAYS"}
	performanceModes = []string{"generalPurpose", "maxIO"}
	throughputModes  = []string{"bursting", "provisioned", "elastic"}
	backupValues     = []string{"ENABLED", "DISABLED"}
	fileSystemID     = regexp.MustCompile(`^fs-[0-9a-f]{8,40}$`)
	octalMode        = regexp.MustCompile(`^0?[0-7]{3}$`)
)

func volumePath(name string, rest ...string) string {
	return strings.Join(append([]string{"volumes", render.Key(name)}, rest...), ".")
}

// readVolume decodes and checks one top-level volume. Every problem is
// reported; the result is meaningful only when none was.
func readVolume(name string, v types.VolumeConfig, logical string, ds *render.Diagnostics) *Volume {
	vol := &Volume{Name: name, Logical: logical}
	x := readXEfs(name, v.Extensions["x-efs"], vol, ds)

	switch {
	case v.Driver == "" || slices.Contains(drivers, v.Driver):
	default:
		ds.Errorf("", volumePath(name, "driver"), "%q is not a volume driver a Fargate task has; allowed: %s (every named volume is Amazon EFS), or x-efs: false for task storage", v.Driver, strings.Join(drivers, ", "))
	}
	if vol.TaskStorage {
		if v.External {
			ds.Errorf("", volumePath(name, "x-efs"), "an external volume is an existing file system: x-efs: false would leave it unused; remove one of them")
		}
		return vol // driver and driver_opts ignored: the core says so
	}

	// driver_opts, as docker's ECS integration reads them.
	opts := map[string]string{}
	for _, k := range sortedKeys(v.DriverOpts) {
		val := strings.TrimSpace(v.DriverOpts[k])
		path := volumePath(name, "driver_opts", render.Key(k))
		switch {
		case slices.Contains(localDriverOpts, k):
			ds.Errorf("", path, "%s is an option of docker's local driver (a host directory or NFS export the host mounts); a Fargate task has no host: remove it, composex gives the volume Amazon EFS", k)
			continue
		case !slices.Contains(fileSystemOpts, k) && !slices.Contains(accessPointOpts, k):
			ds.Errorf("", path, "unknown driver option %s; allowed: %s", k, strings.Join(append(append([]string(nil), fileSystemOpts...), accessPointOpts...), ", "))
			continue
		}
		opts[k] = val
		checkOpt(k, val, path, ds)
	}

	// Merge driver_opts and x-efs: the same setting written twice must agree.
	xp := FileSystemProps{}
	if x != nil && x.Properties != nil {
		xp = *x.Properties
	}
	propPath := func(k string) string { return volumePath(name, "x-efs", "Properties", k) }
	vol.KmsKeyId = xp.KmsKeyId
	vol.PerformanceMode = agree(name, opts, "performance_mode", xp.PerformanceMode, propPath("PerformanceMode"), ds)
	vol.ThroughputMode = agree(name, opts, "throughput_mode", xp.ThroughputMode, propPath("ThroughputMode"), ds)
	if xp.BackupPolicy != nil {
		vol.Backup = xp.BackupPolicy.Status
	}
	vol.Backup = agree(name, opts, "backup_policy", vol.Backup, propPath("BackupPolicy"), ds)
	vol.Provisioned = xp.ProvisionedThroughputInMibps
	if s, ok := opts["provisioned_throughput"]; ok {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			if vol.Provisioned != nil && *vol.Provisioned != f {
				ds.Errorf("", propPath("ProvisionedThroughputInMibps"), "volume %s: %v here but %s in driver_opts.provisioned_throughput; keep one", name, *vol.Provisioned, s)
			}
			vol.Provisioned = &f
		}
	}
	vol.Lifecycle = xp.LifecyclePolicies
	if s, ok := opts["lifecycle_policy"]; ok {
		if len(vol.Lifecycle) > 0 {
			ds.Errorf("", volumePath(name, "driver_opts", "lifecycle_policy"), "volume %s: lifecycle given in both driver_opts.lifecycle_policy and x-efs.Properties.LifecyclePolicies; keep one", name)
		}
		vol.Lifecycle = []map[string]string{{"TransitionToIA": s}}
	}
	for _, tag := range xp.FileSystemTags {
		vol.Tags = append(vol.Tags, [2]string{tag.Key, tag.Value})
	}
	if vol.Backup == "" {
		vol.Backup = "ENABLED" // nothing lost: daily backups unless asked otherwise
	}

	// Rules between settings that a schema cannot state.
	switch {
	case vol.ThroughputMode == "provisioned" && vol.Provisioned == nil:
		ds.Errorf("", volumePath(name), "volume %s: throughput mode provisioned needs the throughput (driver_opts.provisioned_throughput or x-efs.Properties.ProvisionedThroughputInMibps, in MiB/s)", name)
	case vol.ThroughputMode != "provisioned" && vol.Provisioned != nil:
		ds.Errorf("", volumePath(name), "volume %s: a provisioned throughput is given but the throughput mode is %s; set the mode to provisioned", name, orDefault(vol.ThroughputMode, "bursting (the default)"))
	}
	if vol.ThroughputMode == "elastic" && vol.PerformanceMode == "maxIO" {
		ds.Errorf("", volumePath(name), "volume %s: elastic throughput works only with the generalPurpose performance mode, not maxIO", name)
	}
	for _, lp := range vol.Lifecycle {
		if lp["TransitionToArchive"] != "" && vol.ThroughputMode != "elastic" {
			ds.Errorf("", propPath("LifecyclePolicies"), "volume %s: TransitionToArchive needs the elastic throughput mode", name)
		}
	}

	// An existing file system: docker's external volume, or compose-x's Lookup.
	if v.External {
		vol.Existing = true
		id := v.Name
		if fileSystemID.MatchString(id) {
			vol.ExistingID = id
		}
	}
	if x != nil && x.Lookup != nil {
		vol.Existing = true
		ds.Warnf("", volumePath(name, "x-efs", "Lookup"), "compose-x finds the file system by tags at deploy time; composex renders offline: give its ID in the template parameter %s", logical+"FileSystemId")
	} else if v.External && vol.ExistingID == "" {
		ds.Warnf("", volumePath(name, "external"), "external volume %s: %q is not an EFS file system ID (fs-...); give the ID in the template parameter %s", name, v.Name, logical+"FileSystemId")
	}
	if vol.Existing {
		written := len(opts) > 0 && hasAny(opts, fileSystemOpts)
		if written || (x != nil && x.Properties != nil) {
			ds.Errorf("", volumePath(name), "volume %s is an existing file system: its properties (performance, throughput, backup, lifecycle) are set where it was created, not here", name)
		}
	}

	// The access point.
	if x != nil && x.AccessPoint != nil {
		ap := x.AccessPoint
		if ap.PosixUser != nil {
			vol.Uid, vol.Gid, vol.SecondaryGids = ap.PosixUser.Uid, ap.PosixUser.Gid, ap.PosixUser.SecondaryGids
			vol.UserFrom = "x-efs.AccessPoint.PosixUser"
		}
		if rd := ap.RootDirectory; rd != nil {
			vol.Path = rd.Path
			if ci := rd.CreationInfo; ci != nil {
				vol.OwnerUid, vol.OwnerGid, vol.Permissions = ci.OwnerUid, ci.OwnerGid, ci.Permissions
				vol.creationInfoWritten = true
				if rd.Path == "/" {
					ds.Errorf("", volumePath(name, "x-efs", "AccessPoint", "RootDirectory", "CreationInfo"), "the root directory / always exists, so EFS never applies CreationInfo; give a Path below /")
				}
			}
		}
	}
	for _, k := range []string{"uid", "gid"} {
		s, ok := opts[k]
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			continue // reported by checkOpt
		}
		id := uint32(n)
		target := &vol.Uid
		if k == "gid" {
			target = &vol.Gid
		}
		if *target != nil && **target != id && vol.UserFrom != "" {
			ds.Errorf("", volumePath(name, "driver_opts", k), "volume %s: %s %d here but %d in %s; keep one", name, k, id, **target, vol.UserFrom)
		}
		*target = &id
	}
	if vol.UserFrom == "" && (vol.Uid != nil || vol.Gid != nil) {
		vol.UserFrom = "driver_opts"
		if vol.Uid == nil {
			ds.Errorf("", volumePath(name, "driver_opts"), "volume %s: gid without uid; give both", name)
		} else if vol.Gid == nil {
			vol.Gid = vol.Uid
		}
	}
	if s, ok := opts["permissions"]; ok {
		if vol.Permissions != "" && vol.Permissions != s {
			ds.Errorf("", volumePath(name, "driver_opts", "permissions"), "volume %s: permissions %s here but %s in x-efs.AccessPoint.RootDirectory.CreationInfo; keep one", name, s, vol.Permissions)
		}
		vol.Permissions = s
	}
	if vol.Uid != nil && *vol.Uid == 0 {
		ds.Errorf("", volumePath(name), "volume %s: uid 0 (root): EFS squashes root to uid 65534 unless the task role may elasticfilesystem:ClientRootAccess, which composex does not grant; give the uid the application writes as", name)
	}
	if vol.Path == "" {
		vol.Path = "/" + render.ResourceName(name)
	}
	return vol
}

// readXEfs decodes x-efs (already checked by its JSON Schema when composex
// runs; decoded strictly here too so that no input can panic).
func readXEfs(name string, raw any, vol *Volume, ds *render.Diagnostics) *XEfs {
	path := volumePath(name, "x-efs")
	switch t := raw.(type) {
	case nil:
		return nil
	case bool:
		if t {
			return nil // true: the default, a file system
		}
		vol.TaskStorage = true
		return nil
	}
	data, err := json.Marshal(raw)
	if err != nil {
		ds.Errorf("", path, "cannot read x-efs: %v", err)
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var x XEfs
	if err := dec.Decode(&x); err != nil {
		ds.Errorf("", path, "x-efs: %v; allowed keys: Properties, AccessPoint, MacroParameters, Settings, Lookup", err)
		return nil
	}
	if p := x.Properties; p != nil {
		if p.Encrypted != nil && !*p.Encrypted {
			ds.Errorf("", path+".Properties.Encrypted", "composex always encrypts the file system at rest; remove Encrypted: false")
		}
		if p.PerformanceMode != "" && !slices.Contains(performanceModes, p.PerformanceMode) {
			ds.Errorf("", path+".Properties.PerformanceMode", "%q is not a performance mode; allowed: %s", p.PerformanceMode, strings.Join(performanceModes, ", "))
		}
		if p.ThroughputMode != "" && !slices.Contains(throughputModes, p.ThroughputMode) {
			ds.Errorf("", path+".Properties.ThroughputMode", "%q is not a throughput mode; allowed: %s", p.ThroughputMode, strings.Join(throughputModes, ", "))
		}
		if p.ProvisionedThroughputInMibps != nil && *p.ProvisionedThroughputInMibps <= 0 {
			ds.Errorf("", path+".Properties.ProvisionedThroughputInMibps", "%v: the throughput must be above 0 MiB/s", *p.ProvisionedThroughputInMibps)
		}
		if p.BackupPolicy != nil && !slices.Contains(backupValues, p.BackupPolicy.Status) {
			ds.Errorf("", path+".Properties.BackupPolicy.Status", "%q is not a backup status; allowed: %s", p.BackupPolicy.Status, strings.Join(backupValues, ", "))
		}
	}
	if m := x.MacroParameters; m != nil && m.EnforceIamAuth != nil && !*m.EnforceIamAuth {
		ds.Errorf("", path+".MacroParameters.EnforceIamAuth", "composex always mounts EFS with IAM authorization and TLS through an access point; remove EnforceIamAuth: false")
	}
	if s := x.Settings; s != nil && s.Subnets != nil {
		ds.Warnf("", path+".Settings.Subnets", "ignored: composex puts a mount target in each subnet of the SubnetIds parameter, where the tasks run")
	}
	if ap := x.AccessPoint; ap != nil {
		if u := ap.PosixUser; u != nil && (u.Uid == nil || u.Gid == nil) {
			ds.Errorf("", path+".AccessPoint.PosixUser", "give both Uid and Gid")
		}
		if rd := ap.RootDirectory; rd != nil && rd.CreationInfo != nil {
			ci := rd.CreationInfo
			if ci.OwnerUid == nil || ci.OwnerGid == nil || !octalMode.MatchString(ci.Permissions) {
				ds.Errorf("", path+".AccessPoint.RootDirectory.CreationInfo", "give OwnerUid, OwnerGid and Permissions (an octal mode like 0755)")
			}
		}
	}
	return &x
}

// checkOpt checks the value of one docker ECS driver option.
func checkOpt(k, v, path string, ds *render.Diagnostics) {
	bad := func(allowed string) { ds.Errorf("", path, "%q is not a valid %s; allowed: %s", v, k, allowed) }
	switch k {
	case "backup_policy":
		if !slices.Contains(backupValues, v) {
			bad(strings.Join(backupValues, ", "))
		}
	case "lifecycle_policy":
		if !slices.Contains(lifecycleValues, v) {
			bad(strings.Join(lifecycleValues, ", "))
		}
	case "performance_mode":
		if !slices.Contains(performanceModes, v) {
			bad(strings.Join(performanceModes, ", "))
		}
	case "throughput_mode":
		if !slices.Contains(throughputModes, v) {
			bad(strings.Join(throughputModes, ", "))
		}
	case "provisioned_throughput":
		if f, err := strconv.ParseFloat(v, 64); err != nil || f <= 0 {
			bad("a throughput in MiB/s above 0")
		}
	case "uid", "gid":
		if _, err := strconv.ParseUint(v, 10, 32); err != nil {
			bad("a POSIX ID from 0 to 4294967295")
		}
	case "permissions":
		if !octalMode.MatchString(v) {
			bad("an octal mode like 755 or 0755")
		}
	}
}

// agree returns the value of a setting given in driver_opts and/or x-efs,
// and reports the two when they differ.
func agree(name string, opts map[string]string, opt, x, xPath string, ds *render.Diagnostics) string {
	o, ok := opts[opt]
	switch {
	case !ok:
		return x
	case x == "":
		return o
	case o != x:
		ds.Errorf("", xPath, "volume %s: %s here but %s in driver_opts.%s; keep one", name, x, o, opt)
	}
	return x
}

func hasAny(m map[string]string, keys []string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// String describes the access point's user for messages.
func (v *Volume) user() string {
	if v.Uid == nil || v.Gid == nil {
		return "?"
	}
	return fmt.Sprintf("%d:%d", *v.Uid, *v.Gid)
}
