package efs_test

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// db is a service mounting the volume data, with the volume's definition
// (extra keys under volumes.data) appended.
func db(volume string) string {
	return `services:
  db:
    image: public.ecr.aws/docker/library/postgres:16
    volumes: ["data:/var/lib/postgresql/data"]
volumes:
  data:
` + volume
}

func TestBadInput(t *testing.T) {
	const v = "volumes.data"
	tests := []struct {
		name, volume, path, msg string
	}{
		{"unknown driver", "    driver: rexray/ebs\n", v + ".driver",
			`"rexray/ebs" is not a volume driver a Fargate task has; allowed: local, efs, nfs (every named volume is Amazon EFS), or x-efs: false for task storage`},
		{"local driver bind", "    driver: local\n    driver_opts: {type: none, o: bind, device: /srv/data}\n", v + ".driver_opts.device",
			"device is an option of docker's local driver (a host directory or NFS export the host mounts); a Fargate task has no host: remove it, composex gives the volume Amazon EFS"},
		{"unknown option", "    driver_opts: {encrypted: \"true\"}\n", v + ".driver_opts.encrypted",
			"unknown driver option encrypted; allowed: backup_policy, lifecycle_policy, performance_mode, throughput_mode, provisioned_throughput, uid, gid, permissions"},
		{"backup policy", "    driver_opts: {backup_policy: yes}\n", v + ".driver_opts.backup_policy",
			`"yes" is not a valid backup_policy; allowed: ENABLED, DISABLED`},
		{"lifecycle policy", "    driver_opts: {lifecycle_policy: AFTER_2_DAYS}\n", v + ".driver_opts.lifecycle_policy",
			`"AFTER_2_DAYS" is not a valid lifecycle_policy; allowed: AFTER_1_DAY, AFTER_7_DAYS, AFTER_14_DAYS, AFTER_30_DAYS, AFTER_60_DAYS, AFTER_90_DAYS, AFTER_180_DAYS, AFTER_270_DAYS, AFTER_365_DAYS`},
		{"uid not a number", "    driver_opts: {uid: postgres}\n", v + ".driver_opts.uid",
			`"postgres" is not a valid uid; allowed: a POSIX ID from 0 to 4294967295`},
		{"permissions", "    driver_opts: {permissions: \"rwx\"}\n", v + ".driver_opts.permissions",
			`"rwx" is not a valid permissions; allowed: an octal mode like 755 or 0755`},
		{"root", "    driver_opts: {uid: \"0\", gid: \"0\"}\n", v,
			"volume data: uid 0 (root): EFS squashes root to uid 65534 unless the task role may elasticfilesystem:ClientRootAccess, which composex does not grant; give the uid the application writes as"},
		{"provisioned without throughput", "    driver_opts: {throughput_mode: provisioned}\n", v,
			"volume data: throughput mode provisioned needs the throughput (driver_opts.provisioned_throughput or x-efs.Properties.ProvisionedThroughputInMibps, in MiB/s)"},
		{"throughput without provisioned", "    driver_opts: {provisioned_throughput: \"8\"}\n", v,
			"volume data: a provisioned throughput is given but the throughput mode is bursting (the default); set the mode to provisioned"},
		{"elastic and maxIO", "    driver_opts: {throughput_mode: elastic, performance_mode: maxIO}\n", v,
			"volume data: elastic throughput works only with the generalPurpose performance mode, not maxIO"},
		{"archive without elastic", "    x-efs:\n      Properties:\n        LifecyclePolicies: [{TransitionToArchive: AFTER_90_DAYS}]\n", v + ".x-efs.Properties.LifecyclePolicies",
			"volume data: TransitionToArchive needs the elastic throughput mode"},
		{"not encrypted", "    x-efs: {Properties: {Encrypted: false}}\n", v + ".x-efs.Properties.Encrypted",
			"composex always encrypts the file system at rest; remove Encrypted: false"},
		{"no IAM", "    x-efs: {MacroParameters: {EnforceIamAuth: false}}\n", v + ".x-efs.MacroParameters.EnforceIamAuth",
			"composex always mounts EFS with IAM authorization and TLS through an access point; remove EnforceIamAuth: false"},
		{"unknown x-efs key", "    x-efs: {Property: {}}\n", v + ".x-efs",
			`x-efs: json: unknown field "Property"; allowed keys: Properties, AccessPoint, MacroParameters, Settings, Lookup`},
		{"disagreeing settings", "    driver_opts: {performance_mode: maxIO}\n    x-efs: {Properties: {PerformanceMode: generalPurpose}}\n", v + ".x-efs.Properties.PerformanceMode",
			"volume data: generalPurpose here but maxIO in driver_opts.performance_mode; keep one"},
		{"disagreeing users", "    driver_opts: {uid: \"999\"}\n    x-efs: {AccessPoint: {PosixUser: {Uid: 70, Gid: 70}}}\n", v + ".driver_opts.uid",
			"volume data: uid 999 here but 70 in x-efs.AccessPoint.PosixUser; keep one"},
		{"external opted out", "    external: true\n    name: fs-0123456789abcdef0\n    x-efs: false\n", v + ".x-efs",
			"an external volume is an existing file system: x-efs: false would leave it unused; remove one of them"},
		{"existing with properties", "    external: true\n    name: fs-0123456789abcdef0\n    x-efs: {Properties: {PerformanceMode: maxIO}}\n", v,
			"volume data is an existing file system: its properties (performance, throughput, backup, lifecycle) are set where it was created, not here"},
		{"creation info on /", "    x-efs:\n      AccessPoint:\n        RootDirectory:\n          Path: /\n          CreationInfo: {OwnerUid: 1, OwnerGid: 1, Permissions: \"0755\"}\n", v + ".x-efs.AccessPoint.RootDirectory.CreationInfo",
			"the root directory / always exists, so EFS never applies CreationInfo; give a Path below /"},
		{"misspelled x-efs", "    x-efss: {}\n", v + ".x-efss", "unknown extension x-efss (did you mean x-efs?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rendertest.ExpectRefused(t, db(tt.volume), nil, tt.path, tt.msg)
		})
	}
}

// Every problem of a file is reported in one run, each at its line.
func TestAllProblemsLocated(t *testing.T) {
	ds, res := rendertest.RenderFiles(t, `services:
  db:
    image: postgres:16
    volumes: ["a:/a", "b:/b"]
volumes:
  a:
    driver_opts: {backup_policy: sometimes}
  b:
    driver: convoy
`, nil)
	if res != nil {
		t.Fatal("rendered")
	}
	for _, path := range []string{"volumes.a.driver_opts.backup_policy", "volumes.b.driver"} {
		d := rendertest.Find(ds, render.Error, path)
		if d == nil {
			t.Fatalf("no error at %s:\n%s", path, ds.Error())
		}
		if d.Line == 0 {
			t.Errorf("%s: not located: %s", path, d)
		}
	}
}

// The mapping on a rendered template: what a volume becomes, per kind.
func TestVolumeKinds(t *testing.T) {
	r := rendertest.MustRender(t, `services:
  app:
    image: public.ecr.aws/docker/library/alpine:3.20
    user: "1000:1000"
    command: ["sleep", "infinity"]
    volumes:
      - data:/data
      - scratch:/scratch
      - /var/cache/app
      - type: tmpfs
        target: /run/app
  reader:
    image: public.ecr.aws/docker/library/alpine:3.20
    command: ["sleep", "infinity"]
    volumes: ["data:/data:ro"]
volumes:
  data:
    driver_opts: {performance_mode: maxIO, lifecycle_policy: AFTER_30_DAYS, backup_policy: DISABLED}
  scratch:
    x-efs: false
  unused: {}
`)
	fs := r.Get(t, "DataFileSystem", "AWS::EFS::FileSystem")
	if fs["PerformanceMode"] != "maxIO" || rendertest.Dig(fs, "BackupPolicy", "Status") != "DISABLED" ||
		rendertest.Dig(fs, "LifecyclePolicies", 0, "TransitionToIA") != "AFTER_30_DAYS" {
		t.Errorf("file system properties %v", fs)
	}
	for _, id := range []string{"ScratchFileSystem", "UnusedFileSystem", "UnusedAccessPoint"} {
		if _, ok := r.Resources[id]; ok {
			t.Errorf("%s created", id)
		}
	}
	if got := len(r.Of("AWS::EFS::MountTarget")); got != 6 {
		t.Errorf("%d mount targets, want 6", got)
	}
	ap := r.Get(t, "DataAccessPoint", "AWS::EFS::AccessPoint")
	if rendertest.Dig(ap, "PosixUser", "Uid") != "1000" || rendertest.Dig(ap, "RootDirectory", "Path") != "/data" ||
		rendertest.Dig(ap, "RootDirectory", "CreationInfo", "Permissions") != "0755" {
		t.Errorf("access point %v", ap)
	}
	td := r.Get(t, "AppTaskDefinition", "AWS::ECS::TaskDefinition")
	kinds := map[string]bool{}
	for _, v := range td["Volumes"].([]any) {
		v := v.(map[string]any)
		kinds[v["Name"].(string)] = v["EFSVolumeConfiguration"] != nil
	}
	if want := map[string]bool{"data": true, "scratch": false, "app-anonymous-2": false}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("task volumes (name: EFS) %v, want %v", kinds, want)
	}
	wantWarning := func(path, text string) {
		t.Helper()
		d := rendertest.Find(r.Diags, render.Warning, path)
		if d == nil || !strings.Contains(d.Message, text) {
			t.Errorf("no warning at %s containing %q:\n%s", path, text, r.Diags.Error())
		}
	}
	wantWarning("volumes.scratch", "on Fargate a named volume is task storage")
	wantWarning("volumes.unused", "no service mounts volume unused: no file system is created for it")
	wantWarning("services.app.volumes.3", "tmpfs mounts are not supported on Fargate")
	if d := rendertest.Find(r.Diags, render.Warning, "volumes.data"); d != nil {
		t.Errorf("data is persistent, yet: %s", d)
	}
}

// A volume only one family writes: the reader's role may not ClientWrite;
// both families are let in on NFS; a restricted egress gets 2049 to the
// mount targets.
func TestGrantsAndNetwork(t *testing.T) {
	r := rendertest.MustRender(t, `services:
  writer:
    image: public.ecr.aws/docker/library/alpine:3.20
    command: ["sleep", "infinity"]
    volumes: ["shared:/shared"]
    x-network:
      Egress:
        - IPv4: 10.0.0.0/8
          Ports: [443]
  reader:
    image: public.ecr.aws/docker/library/alpine:3.20
    command: ["sleep", "infinity"]
    volumes: ["shared:/shared:ro"]
volumes:
  shared:
    driver_opts: {uid: "1000", gid: "1000"}
`)
	actions := func(role string) []any {
		t.Helper()
		props := r.Get(t, role, "AWS::IAM::Role")
		for _, p := range props["Policies"].([]any) {
			if rendertest.Dig(p, "PolicyName") == "EfsVolumes" {
				return rendertest.Dig(p, "PolicyDocument", "Statement", 0, "Action").([]any)
			}
		}
		t.Fatalf("%s has no EfsVolumes policy", role)
		return nil
	}
	if got := actions("WriterTaskRole"); !reflect.DeepEqual(got, []any{"elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"}) {
		t.Errorf("writer actions %v", got)
	}
	if got := actions("ReaderTaskRole"); !reflect.DeepEqual(got, []any{"elasticfilesystem:ClientMount"}) {
		t.Errorf("reader actions %v", got)
	}
	var sources []string
	for _, ing := range r.Of("AWS::EC2::SecurityGroupIngress") {
		if rendertest.Dig(ing.Properties, "GroupId", "Fn::GetAtt", 0) == "SharedFileSystemSecurityGroup" {
			sources = append(sources, rendertest.Dig(ing.Properties, "SourceSecurityGroupId", "Fn::GetAtt", 0).(string))
		}
	}
	sort.Strings(sources)
	if !reflect.DeepEqual(sources, []string{"ReaderSecurityGroup", "WriterSecurityGroup"}) {
		t.Errorf("NFS sources %v", sources)
	}
	nfsOut := func(sg string) bool {
		for _, e := range asAny(r.Get(t, sg, "AWS::EC2::SecurityGroup")["SecurityGroupEgress"]) {
			if rendertest.Dig(e, "FromPort") == 2049 && rendertest.Dig(e, "DestinationSecurityGroupId", "Fn::GetAtt", 0) == "SharedFileSystemSecurityGroup" {
				return true
			}
		}
		return false
	}
	if !nfsOut("WriterSecurityGroup") {
		t.Errorf("writer's restricted egress has no NFS rule to the mount targets")
	}
	if _, restricted := r.Get(t, "ReaderSecurityGroup", "AWS::EC2::SecurityGroup")["SecurityGroupEgress"]; restricted {
		t.Errorf("reader's egress was open (the default) and is now restricted")
	}
}

// An existing file system: parameters, an access point on it, no file
// system or mount target, NFS ingress only when its group is given.
func TestExistingFileSystem(t *testing.T) {
	r := rendertest.MustRender(t, db(`    external: true
    name: fs-0123456789abcdef0
`))
	if len(r.Of("AWS::EFS::FileSystem"))+len(r.Of("AWS::EFS::MountTarget")) != 0 {
		t.Fatalf("created storage for an existing file system")
	}
	ap := r.Get(t, "DataAccessPoint", "AWS::EFS::AccessPoint")
	if !reflect.DeepEqual(ap["FileSystemId"], map[string]any{"Ref": "DataFileSystemId"}) {
		t.Errorf("access point file system %v", ap["FileSystemId"])
	}
	ing := r.Resources["DbDataNfsIngress"]
	if ing.Type != "AWS::EC2::SecurityGroupIngress" || !reflect.DeepEqual(ing.Properties["GroupId"], map[string]any{"Ref": "DataMountTargetSecurityGroupId"}) {
		t.Errorf("ingress %+v", ing)
	}

	// compose-x's Lookup: the ID is a parameter without default, with a warning.
	r = rendertest.MustRender(t, db("    x-efs:\n      Lookup: {Tags: [{Name: shared}]}\n"))
	d := rendertest.Find(r.Diags, render.Warning, "volumes.data.x-efs.Lookup")
	if d == nil || !strings.Contains(d.Message, "give its ID in the template parameter DataFileSystemId") {
		t.Errorf("no Lookup warning:\n%s", r.Diags.Error())
	}
}

// compose-x's own volume use cases render.
func TestComposeXUseCases(t *testing.T) {
	r := rendertest.MustRender(t, `services:
  app:
    image: public.ecr.aws/docker/library/alpine:3.20
    command: ["sleep", "infinity"]
    volumes: ["shared-images:/images"]
volumes:
  shared-images:
    driver_opts:
      backup_policy: ENABLED
      lifecycle_policy: AFTER_14_DAYS
      performance_mode: maxIO
      throughput_mode: provisioned
      provisioned_throughput: 1
`)
	fs := r.Get(t, "SharedImagesFileSystem", "AWS::EFS::FileSystem")
	if fs["ThroughputMode"] != "provisioned" || fs["ProvisionedThroughputInMibps"] != 1 {
		t.Errorf("file system %v", fs)
	}
}

func asAny(v any) []any {
	l, _ := v.([]any)
	return l
}
