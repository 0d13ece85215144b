package efs

import (
	"fmt"
	"strconv"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	"github.com/awslabs/goformation/v7/cloudformation/efs"
	"github.com/awslabs/goformation/v7/cloudformation/policies"
	"github.com/awslabs/goformation/v7/cloudformation/tags"

	"github.com/composex/composex/render"
)

// EFS allows one mount target per Availability Zone of a file system, and a
// task mounts through the mount target of its own zone. composex puts one
// in each subnet of SubnetIds, where the tasks run; SubnetIds is a list of
// unknown length, so there is a mount target for each of its first
// maxMountTargets entries, the second onwards under a condition that the
// list is that long. No Region has more than six zones, so six covers a
// list with one subnet per zone: the EFS rule, which SubnetIds must follow
// when a named volume creates a file system (two subnets of one zone fail
// the second mount target).
const maxMountTargets = 6

const nfsPort = 2049

// AtLeastSubnets is the name of the condition that SubnetIds holds at least
// n subnets (n >= 2).
func AtLeastSubnets(n int) string { return fmt.Sprintf("SubnetIdsAtLeast%d", n) }

// addSubnetCountConditions adds the conditions of the conditional mount
// targets. CloudFormation cannot count a list, but it can select from a
// padded copy: the list joined, followed by maxMountTargets empty entries,
// split again. Entry n-1 of that is a subnet exactly when the list has n.
func addSubnetCountConditions(m *render.Model) {
	padded := []any{map[string]any{"Fn::Join": []any{",", map[string]any{"Ref": render.ParamSubnetIds}}}}
	for i := 0; i < maxMountTargets; i++ {
		padded = append(padded, "")
	}
	list := map[string]any{"Fn::Split": []any{",", map[string]any{"Fn::Join": []any{",", padded}}}}
	for n := 2; n <= maxMountTargets; n++ {
		m.Conditions[AtLeastSubnets(n)] = map[string]any{"Fn::Not": []any{map[string]any{
			"Fn::Equals": []any{map[string]any{"Fn::Select": []any{n - 1, list}}, ""}}}}
	}
}

// Logical IDs and parameter names of a volume's resources.
func (v *Volume) FileSystemID() string            { return v.Logical + "FileSystem" }
func (v *Volume) SecurityGroupID() string         { return v.Logical + "FileSystemSecurityGroup" }
func (v *Volume) AccessPointID() string           { return v.Logical + "AccessPoint" }
func (v *Volume) MountTargetID(n int) string      { return v.Logical + "MountTarget" + strconv.Itoa(n) }
func (v *Volume) FileSystemParam() string         { return v.Logical + "FileSystemId" }
func (v *Volume) MountTargetGroupParam() string   { return v.Logical + "MountTargetSecurityGroupId" }
func (v *Volume) HasMountTargetGroupCond() string { return "Has" + v.MountTargetGroupParam() }

// MountTargetsTag is the tag by which an ECS service that mounts a created
// file system waits for its mount targets (see waitForMountTargets).
func MountTargetsTag(volume string) string {
	return "composex:efs-mount-targets:" + render.ResourceName(volume)
}

// addVolume adds a volume's file system (or the parameter of an existing
// one), its access point, and each mounting family's EFS task volume, NFS
// rules and IAM grant.
func addVolume(m *render.Model, v *Volume, uses []use) error {
	projectTag := tags.Tag{Key: "composex:project", Value: m.Name}
	volumeTag := tags.Tag{Key: "composex:volume", Value: v.Name}
	name := cloudformation.Sub("${AWS::StackName}-" + render.ResourceName(v.Name))

	var fsID, fsVar string
	if v.Existing {
		p := render.Parameter{Type: "String", Description: fmt.Sprintf("ID of the existing EFS file system of volume %s (fs-...)", v.Name)}
		if v.ExistingID != "" {
			id := v.ExistingID
			p.Default = &id
		}
		if err := m.AddParameter(v.FileSystemParam(), p); err != nil {
			return err
		}
		empty := ""
		if err := m.AddParameter(v.MountTargetGroupParam(), render.Parameter{Type: "String", Default: &empty,
			Description: fmt.Sprintf("Security group of the mount targets of the file system of volume %s: composex lets the tasks that mount it in on NFS (TCP 2049); empty: you allow it yourself", v.Name)}); err != nil {
			return err
		}
		m.Conditions[v.HasMountTargetGroupCond()] = map[string]any{"Fn::Not": []any{map[string]any{
			"Fn::Equals": []any{map[string]any{"Ref": v.MountTargetGroupParam()}, ""}}}}
		fsID, fsVar = cloudformation.Ref(v.FileSystemParam()), "${"+v.FileSystemParam()+"}"
	} else {
		if err := addFileSystem(m, v, name, projectTag, volumeTag); err != nil {
			return err
		}
		fsID, fsVar = cloudformation.Ref(v.FileSystemID()), "${"+v.FileSystemID()+"}"
	}

	ap := &efs.AccessPoint{
		FileSystemId:  fsID,
		PosixUser:     &efs.AccessPoint_PosixUser{Uid: u32(*v.Uid), Gid: u32(*v.Gid)},
		RootDirectory: &efs.AccessPoint_RootDirectory{Path: cloudformation.String(v.Path)},
		AccessPointTags: []efs.AccessPoint_AccessPointTag{
			{Key: cloudformation.String("Name"), Value: cloudformation.String(name)},
			{Key: cloudformation.String(projectTag.Key), Value: cloudformation.String(projectTag.Value)},
			{Key: cloudformation.String(volumeTag.Key), Value: cloudformation.String(volumeTag.Value)},
		},
	}
	for _, g := range v.SecondaryGids {
		ap.PosixUser.SecondaryGids = append(ap.PosixUser.SecondaryGids, u32(g))
	}
	if v.Path != "/" {
		ap.RootDirectory.CreationInfo = &efs.AccessPoint_CreationInfo{OwnerUid: u32(*v.OwnerUid), OwnerGid: u32(*v.OwnerGid), Permissions: v.Permissions}
	}
	if err := m.AddResource(v.AccessPointID(), ap); err != nil {
		return err
	}

	const arn = "arn:${AWS::Partition}:elasticfilesystem:${AWS::Region}:${AWS::AccountId}:"
	fsArn := arn + "file-system/" + fsVar
	apArn := arn + "access-point/${" + v.AccessPointID() + "}"
	task := render.ResourceName(v.Name)
	for _, u := range uses {
		f := u.family
		f.EFSVolumes[task] = &render.EFSVolume{FileSystemId: fsID, AccessPointId: cloudformation.Ref(v.AccessPointID())}
		actions := []string{"elasticfilesystem:ClientMount"}
		if u.readWrite {
			actions = append(actions, "elasticfilesystem:ClientWrite")
		}
		f.TaskRole.AddPolicy("EfsVolumes", render.Statement{
			Sid: "Mount" + v.Logical, Effect: "Allow", Action: actions, Resource: []string{fsArn},
			Condition: map[string]any{"StringEquals": map[string]any{"elasticfilesystem:AccessPointArn": cloudformation.Sub(apArn)}},
		})
		ingress := &ec2.SecurityGroupIngress{
			IpProtocol:            "tcp",
			FromPort:              cloudformation.Int(nfsPort),
			ToPort:                cloudformation.Int(nfsPort),
			SourceSecurityGroupId: cloudformation.GetAttPtr(f.SecurityGroupID(), "GroupId"),
			Description:           cloudformation.String(fmt.Sprintf("NFS from the tasks of %s (volume %s)", f.Name, v.Name)),
		}
		if v.Existing {
			ingress.GroupId = cloudformation.RefPtr(v.MountTargetGroupParam())
			ingress.AWSCloudFormationCondition = v.HasMountTargetGroupCond()
		} else {
			ingress.GroupId = cloudformation.GetAttPtr(v.SecurityGroupID(), "GroupId")
			waitForMountTargets(f, v)
			allowEgress(f, v)
		}
		if err := f.AddResource(f.Logical+v.Logical+"NfsIngress", ingress); err != nil {
			return err
		}
	}
	return nil
}

// addFileSystem adds the encrypted file system, kept when the stack is
// deleted or the resource replaced, its security group and its mount
// targets.
func addFileSystem(m *render.Model, v *Volume, name string, projectTag, volumeTag tags.Tag) error {
	fs := &efs.FileSystem{
		Encrypted:    cloudformation.Bool(true),
		BackupPolicy: &efs.FileSystem_BackupPolicy{Status: v.Backup},
		FileSystemTags: []efs.FileSystem_ElasticFileSystemTag{
			{Key: "Name", Value: name}, {Key: projectTag.Key, Value: projectTag.Value}, {Key: volumeTag.Key, Value: volumeTag.Value},
		},
		FileSystemPolicy:                     fileSystemPolicy(),
		AWSCloudFormationDeletionPolicy:      policies.DeletionPolicy("Retain"),
		AWSCloudFormationUpdateReplacePolicy: policies.UpdateReplacePolicy("Retain"),
	}
	for _, t := range v.Tags {
		fs.FileSystemTags = append(fs.FileSystemTags, efs.FileSystem_ElasticFileSystemTag{Key: t[0], Value: t[1]})
	}
	if v.KmsKeyId != "" {
		fs.KmsKeyId = cloudformation.String(v.KmsKeyId)
	}
	if v.PerformanceMode != "" {
		fs.PerformanceMode = cloudformation.String(v.PerformanceMode)
	}
	if v.ThroughputMode != "" {
		fs.ThroughputMode = cloudformation.String(v.ThroughputMode)
	}
	if v.Provisioned != nil {
		fs.ProvisionedThroughputInMibps = cloudformation.Float64(*v.Provisioned)
	}
	for _, lp := range v.Lifecycle {
		p := efs.FileSystem_LifecyclePolicy{}
		if s := lp["TransitionToIA"]; s != "" {
			p.TransitionToIA = cloudformation.String(s)
		}
		if s := lp["TransitionToArchive"]; s != "" {
			p.TransitionToArchive = cloudformation.String(s)
		}
		if s := lp["TransitionToPrimaryStorageClass"]; s != "" {
			p.TransitionToPrimaryStorageClass = cloudformation.String(s)
		}
		fs.LifecyclePolicies = append(fs.LifecyclePolicies, p)
	}
	if err := m.AddResource(v.FileSystemID(), fs); err != nil {
		return err
	}
	sg := &ec2.SecurityGroup{
		GroupDescription: fmt.Sprintf("composex %s: mount targets of the EFS file system of volume %s", m.Name, render.ResourceName(v.Name)),
		VpcId:            cloudformation.String(cloudformation.Ref(render.ParamVpcId)),
		// Not the volume's name alone: a family of that name tags its group so.
		Tags: []tags.Tag{{Key: "Name", Value: cloudformation.Sub("${AWS::StackName}-efs-" + render.ResourceName(v.Name))}, projectTag, volumeTag},
	}
	if err := m.AddResource(v.SecurityGroupID(), sg); err != nil {
		return err
	}
	for n := 1; n <= maxMountTargets; n++ {
		mt := &efs.MountTarget{
			FileSystemId:   cloudformation.Ref(v.FileSystemID()),
			SubnetId:       cloudformation.Select(n-1, cloudformation.Ref(render.ParamSubnetIds)),
			SecurityGroups: []string{cloudformation.GetAtt(v.SecurityGroupID(), "GroupId")},
		}
		if n > 1 {
			mt.AWSCloudFormationCondition = AtLeastSubnets(n)
		}
		if err := m.AddResource(v.MountTargetID(n), mt); err != nil {
			return err
		}
	}
	return nil
}

// fileSystemPolicy refuses every mount without TLS and every mount that
// does not go through an access point. With a policy in place, EFS no
// longer lets any client that reaches the network in: a mount needs an
// identity policy that allows it (the task roles' ClientMount on this file
// system through its access point).
func fileSystemPolicy() map[string]any {
	client := []any{"elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"}
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid": "DenyWithoutTls", "Effect": "Deny", "Principal": map[string]any{"AWS": "*"}, "Action": client,
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			},
			map[string]any{
				"Sid": "DenyOutsideAccessPoints", "Effect": "Deny", "Principal": map[string]any{"AWS": "*"}, "Action": client,
				"Condition": map[string]any{"Null": map[string]any{"elasticfilesystem:AccessPointArn": "true"}},
			},
		},
	}
}

// waitForMountTargets makes the family's ECS service wait for the mount
// targets: a task started before the mount target of its zone is
// available fails to mount, and enough failures roll the deployment back.
// DependsOn cannot name a conditional mount target (it would not exist when
// the condition is false), but a property can reference it inside Fn::If:
// the service carries a tag listing the mount targets it uses.
func waitForMountTargets(f *render.Family, v *Volume) {
	parts := []string{cloudformation.Ref(v.MountTargetID(1))}
	for n := 2; n <= maxMountTargets; n++ {
		parts = append(parts, cloudformation.If(AtLeastSubnets(n), cloudformation.Join("", []string{" ", cloudformation.Ref(v.MountTargetID(n))}), ""))
	}
	tag := tags.Tag{Key: MountTargetsTag(v.Name), Value: cloudformation.Join("", parts)}
	f.ServiceHooks = append(f.ServiceHooks, func(svc *ecs.Service) { svc.Tags = append(svc.Tags, tag) })
}

// allowEgress lets the family's tasks out to the mount targets when an
// extension restricted the security group's egress (x-network); the
// default egress allows everything already.
func allowEgress(f *render.Family, v *Volume) {
	f.SecurityGroupHooks = append(f.SecurityGroupHooks, func(sg *ec2.SecurityGroup) {
		if len(sg.SecurityGroupEgress) == 0 {
			return
		}
		sg.SecurityGroupEgress = append(sg.SecurityGroupEgress, ec2.SecurityGroup_Egress{
			IpProtocol:                 "tcp",
			FromPort:                   cloudformation.Int(nfsPort),
			ToPort:                     cloudformation.Int(nfsPort),
			DestinationSecurityGroupId: cloudformation.GetAttPtr(v.SecurityGroupID(), "GroupId"),
			Description:                cloudformation.String("NFS to the EFS mount targets of volume " + v.Name),
		})
	})
}

func u32(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
