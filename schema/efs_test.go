package schema_test

import (
	"strings"
	"testing"

	"github.com/composex/composex/render"
	"github.com/composex/composex/schema"
)

// The schema of volumes.*.x-efs accepts what extensions/efs reads, and
// refuses, at the key and line, what it refuses.

const efsVolume = "services:\n  db:\n    image: postgres:16\n    volumes: [\"data:/data\"]\nvolumes:\n  data:\n"

var efsGood = map[string]string{
	"task storage": efsVolume + "    x-efs: false\n",
	"compose-x macro": efsVolume + `    x-efs:
      MacroParameters: {EnforceIamAuth: true}
      Settings: {Subnets: [StorageSubnets]}
`,
	"lookup": efsVolume + "    x-efs:\n      Lookup: {Tags: [{Name: shared}], RoleArn: arn:aws:iam::123456789012:role/lookup}\n",
	"everything": efsVolume + `    x-efs:
      Properties:
        Encrypted: true
        KmsKeyId: arn:aws:kms:eu-west-1:123456789012:key/0123abcd-0123-4567-89ab-0123456789ab
        PerformanceMode: generalPurpose
        ThroughputMode: elastic
        BackupPolicy: {Status: DISABLED}
        LifecyclePolicies:
          - TransitionToIA: AFTER_30_DAYS
          - TransitionToArchive: AFTER_90_DAYS
          - TransitionToPrimaryStorageClass: AFTER_1_ACCESS
        FileSystemTags: [{Key: team, Value: data}]
      AccessPoint:
        PosixUser: {Uid: 999, Gid: 999, SecondaryGids: [1000]}
        RootDirectory:
          Path: /pg/data
          CreationInfo: {OwnerUid: 999, OwnerGid: 999, Permissions: "0700"}
`,
}

func TestEfsSchemaAccepts(t *testing.T) {
	for name, body := range efsGood {
		t.Run(name, func(t *testing.T) {
			if ds := schema.Validate(loadYAML(t, body)); len(ds) > 0 {
				t.Errorf("refused:\n%s", dump(ds))
			}
		})
	}
}

var efsBad = []badCase{
	{"true", efsVolume + "    x-efs: true\n", "volumes.data.x-efs", 7, "x-efs is an object, or false to keep the volume as task storage"},
	{"not encrypted", efsVolume + "    x-efs: {Properties: {Encrypted: false}}\n", "volumes.data.x-efs.Properties.Encrypted", 7, "composex always encrypts the file system at rest"},
	{"unknown key", efsVolume + "    x-efs:\n      Propertie: {}\n", "volumes.data.x-efs.Propertie", 8, `unknown key "Propertie"`},
	{"performance mode", efsVolume + "    x-efs:\n      Properties: {PerformanceMode: fast}\n", "volumes.data.x-efs.Properties.PerformanceMode", 8, `"fast" is not allowed`},
	{"lifecycle", efsVolume + "    x-efs:\n      Properties:\n        LifecyclePolicies: [{TransitionToIA: AFTER_2_DAYS}]\n", "volumes.data.x-efs.Properties.LifecyclePolicies.0.TransitionToIA", 9, `"AFTER_2_DAYS" is not allowed`},
	{"negative uid", efsVolume + "    x-efs:\n      AccessPoint:\n        PosixUser: {Uid: -1, Gid: 0}\n", "volumes.data.x-efs.AccessPoint.PosixUser.Uid", 9, "-1"},
	{"uid without gid", efsVolume + "    x-efs:\n      AccessPoint:\n        PosixUser: {Uid: 999}\n", "volumes.data.x-efs.AccessPoint.PosixUser", 9, "Gid"},
	{"permissions", efsVolume + "    x-efs:\n      AccessPoint:\n        RootDirectory:\n          CreationInfo: {OwnerUid: 1, OwnerGid: 1, Permissions: \"0999\"}\n", "volumes.data.x-efs.AccessPoint.RootDirectory.CreationInfo.Permissions", 10, "an octal mode of three digits"},
	{"relative path", efsVolume + "    x-efs:\n      AccessPoint:\n        RootDirectory: {Path: data}\n", "volumes.data.x-efs.AccessPoint.RootDirectory.Path", 9, "an absolute path"},
	{"no IAM", efsVolume + "    x-efs:\n      MacroParameters: {EnforceIamAuth: false}\n", "volumes.data.x-efs.MacroParameters.EnforceIamAuth", 8, "composex always mounts EFS with IAM authorization and TLS"},
}

func TestEfsSchemaRefuses(t *testing.T) {
	for _, c := range efsBad {
		t.Run(c.name, func(t *testing.T) {
			ds := schema.Validate(loadYAML(t, c.yaml))
			for _, d := range ds {
				if d.Path == c.path && d.Line == c.line && strings.Contains(d.Message, c.msg) {
					if d.Severity != render.Error {
						t.Errorf("severity %v, want error", d.Severity)
					}
					return
				}
			}
			t.Errorf("want error at %s line %d containing %q; got:\n%s", c.path, c.line, c.msg, dump(ds))
		})
	}
}
