package render

import (
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/awslabs/goformation/v7/cloudformation/tags"
)

// Names of the parameters, condition and resources every template has.
const (
	ParamVpcId        = "VpcId"
	ParamSubnetIds    = "SubnetIds"
	ParamClusterName  = "ClusterName"
	CondCreateCluster = "CreateCluster"
	ResCluster        = "Cluster"
)

// Logical IDs of a family's core resources.
func (f *Family) LogGroupID() string       { return f.Logical + "LogGroup" }
func (f *Family) TaskRoleID() string       { return f.Logical + "TaskRole" }
func (f *Family) ExecutionRoleID() string  { return f.Logical + "ExecutionRole" }
func (f *Family) SecurityGroupID() string  { return f.Logical + "SecurityGroup" }
func (f *Family) TaskDefinitionID() string { return f.Logical + "TaskDefinition" }
func (f *Family) ServiceID() string        { return f.Logical + "Service" }

// ClusterRef is the cluster every service runs in: the one composex
// creates, or the one named by the ClusterName parameter.
func ClusterRef() string {
	return cloudformation.If(CondCreateCluster, cloudformation.Ref(ResCluster), cloudformation.Ref(ParamClusterName))
}

// ClusterNameVar may appear in model strings as ${EcsClusterName}: the name
// of the cluster the services run in, whether composex creates it or not.
const ClusterNameVar = "EcsClusterName"

// Sub wraps a string holding ${...} references in Fn::Sub and leaves plain
// strings alone, so that the model can carry ARNs as readable templates.
func Sub(s string) string {
	switch {
	case strings.Contains(s, "${"+ClusterNameVar+"}"):
		return cloudformation.SubVars(s, map[string]any{ClusterNameVar: ClusterRef()})
	case strings.Contains(s, "${"):
		return cloudformation.Sub(s)
	}
	return s
}

// EscapeSub makes user text safe inside Fn::Sub: ${ becomes ${! so that
// CloudFormation writes it literally.
func EscapeSub(s string) string { return strings.ReplaceAll(s, "${", "${!") }

// Emit turns the model into one CloudFormation template.
func Emit(m *Model) (*cloudformation.Template, Diagnostics) {
	var ds Diagnostics
	t := cloudformation.NewTemplate()
	t.Description = fmt.Sprintf("ECS on Fargate for the compose project %s, rendered by composex", m.Name)
	t.Parameters[ParamVpcId] = cloudformation.Parameter{Type: "AWS::EC2::VPC::Id", Description: str("VPC the services run in")}
	t.Parameters[ParamSubnetIds] = cloudformation.Parameter{Type: "List<AWS::EC2::Subnet::Id>", Description: str("Subnets of the VPC for the tasks' network interfaces")}
	clusterDesc := "Existing ECS cluster to run in; empty to create one"
	if m.ClusterNote != "" {
		clusterDesc += " (" + m.ClusterNote + ")"
	}
	t.Parameters[ParamClusterName] = cloudformation.Parameter{Type: "String", Default: m.ClusterName,
		Description: str(clusterDesc)}
	for _, name := range slices.Sorted(maps.Keys(m.Parameters)) {
		p := m.Parameters[name]
		cp := cloudformation.Parameter{Type: p.Type, Description: str(p.Description)}
		if p.Default != nil {
			cp.Default = *p.Default
		}
		if p.NoEcho {
			cp.NoEcho = boolp(true)
		}
		if p.MinLength > 0 {
			cp.MinLength = intp(p.MinLength)
		}
		t.Parameters[name] = cp
	}
	t.Conditions[CondCreateCluster] = cloudformation.Equals(cloudformation.Ref(ParamClusterName), "")
	t.Resources[ResCluster] = &ecs.Cluster{
		CapacityProviders:          []string{"FARGATE", "FARGATE_SPOT"},
		ClusterSettings:            []ecs.Cluster_ClusterSettings{{Name: str("containerInsights"), Value: str("enabled")}},
		Tags:                       []tags.Tag{{Key: "composex:project", Value: m.Name}},
		AWSCloudFormationCondition: CondCreateCluster,
	}
	for _, hook := range m.ClusterHooks {
		hook(t.Resources[ResCluster].(*ecs.Cluster))
	}
	add := func(id string, r cloudformation.Resource) {
		if _, dup := t.Resources[id]; dup {
			ds.Errorf("", "", "two resources would have the logical ID %s; rename one of the services or families", id)
			return
		}
		t.Resources[id] = r
	}
	for _, f := range m.Families {
		size, err := familySize(f)
		if err != nil {
			s := f.Services[0].Name
			ds.Errorf(s, ServicePath(s, "deploy.resources"), "family %s: %v", f.Name, err)
			continue
		}
		f.Size = size
		for _, check := range f.SizeChecks {
			ds.Add(check()...)
		}
		checkPolicyNames(f, &ds)
		CheckWindowsVolumes(f, &ds)
		encryptLogGroups(f)
		emitFamily(t, m, f, add)
		for _, id := range slices.Sorted(maps.Keys(f.Resources)) {
			add(id, f.Resources[id])
		}
	}
	for _, id := range slices.Sorted(maps.Keys(m.Resources)) {
		add(id, m.Resources[id])
	}
	familyOutputs(t, m)
	for id, o := range m.Outputs {
		t.Outputs[id] = o
	}
	for name, c := range m.Conditions {
		t.Conditions[name] = c
	}
	return t, ds
}

// familySize sums what the containers ask for and picks the Fargate size.
func familySize(f *Family) (FargateSize, error) {
	cpu, mem := 0, 0
	for _, c := range f.Containers {
		cpu += c.Cpu
		if c.Memory > 0 {
			mem += c.Memory
		} else {
			mem += c.MemoryReservation
		}
	}
	if f.ServiceConnect {
		cpu += ServiceConnectProxyCpu
		mem += ServiceConnectProxyMemory
	}
	return ChooseFargateSizeFor(f.OSFamily, cpu, mem)
}

// What the task size reserves for the Service Connect proxy that ECS adds
// to each task: AWS recommends adding 256 CPU units and at least 64 MiB to
// the task (Amazon ECS Developer Guide, Service Connect, "Service Connect
// proxy"); the proxy uses what the containers leave unallocated.
const (
	ServiceConnectProxyCpu    = 256
	ServiceConnectProxyMemory = 64
)

func emitFamily(t *cloudformation.Template, m *Model, f *Family, add func(string, cloudformation.Resource)) {
	projectTag := tags.Tag{Key: "composex:project", Value: m.Name}
	familyTag := tags.Tag{Key: "composex:family", Value: f.Name}

	add(f.LogGroupID(), &logs.LogGroup{
		LogGroupName:    str(cloudformation.Sub("/ecs/${AWS::StackName}/" + ResourceName(f.Name))),
		RetentionInDays: intp(f.LogRetentionDays),
		KmsKeyId:        logKmsKey(f),
		Tags:            []tags.Tag{projectTag, familyTag},
	})

	exec := f.ExecutionRole
	exec.AddPolicy("WriteLogs", Statement{Sid: "WriteToFamilyLogGroup", Effect: "Allow",
		Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resource: []string{"${" + f.LogGroupID() + ".Arn}"}})
	if repos := ecrRepositories(m, f); len(repos) > 0 {
		exec.AddPolicy("PullImages",
			Statement{Sid: "EcrLogin", Effect: "Allow", Action: []string{"ecr:GetAuthorizationToken"}, Resource: []string{"*"}},
			Statement{Sid: "EcrPull", Effect: "Allow", Action: []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}, Resource: repos})
	}
	execRole := roleResource(exec, fmt.Sprintf("Lets ECS start the tasks of %s: pull images, write logs, read secrets", f.Name))
	execRole.AssumeRolePolicyDocument = executionTrustPolicy()
	add(f.ExecutionRoleID(), execRole)

	task := f.TaskRole
	if f.ExecuteCommand {
		task.AddPolicy("ExecuteCommand", Statement{Sid: "SessionManagerChannels", Effect: "Allow",
			Action:   []string{"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"},
			Resource: []string{"*"}})
	}
	add(f.TaskRoleID(), roleResource(task, fmt.Sprintf("Role of the containers of %s", f.Name)))

	sg := &ec2.SecurityGroup{
		GroupDescription: fmt.Sprintf("composex %s: tasks of %s", m.Name, f.Name),
		VpcId:            str(cloudformation.Ref(ParamVpcId)),
		Tags:             []tags.Tag{{Key: "Name", Value: cloudformation.Sub("${AWS::StackName}-" + ResourceName(f.Name))}, projectTag, familyTag},
	}
	for _, hook := range f.SecurityGroupHooks {
		hook(sg)
	}
	add(f.SecurityGroupID(), sg)

	td := &ecs.TaskDefinition{
		Family:                  str(cloudformation.Sub("${AWS::StackName}-" + ResourceName(f.Name))),
		Cpu:                     str(strconv.Itoa(f.Size.Cpu)),
		Memory:                  str(strconv.Itoa(f.Size.Memory)),
		NetworkMode:             str("awsvpc"),
		RequiresCompatibilities: []string{"FARGATE"},
		ExecutionRoleArn:        cloudformation.GetAttPtr(f.ExecutionRoleID(), "Arn"),
		TaskRoleArn:             cloudformation.GetAttPtr(f.TaskRoleID(), "Arn"),
		RuntimePlatform: &ecs.TaskDefinition_RuntimePlatform{
			CpuArchitecture:       str(orDefault(f.CpuArchitecture, "X86_64")),
			OperatingSystemFamily: str(orDefault(f.OSFamily, "LINUX")),
		},
		Tags: []tags.Tag{projectTag, familyTag},
	}
	for _, v := range f.Volumes {
		td.Volumes = append(td.Volumes, taskVolume(f, v))
	}
	if f.EphemeralStorageGiB > 0 {
		td.EphemeralStorage = &ecs.TaskDefinition_EphemeralStorage{SizeInGiB: intp(f.EphemeralStorageGiB)}
	}
	limits := f.MemoryLimits()
	for _, c := range f.Containers {
		cd := containerDefinition(f, c)
		if c.Memory == 0 && limits[c.Name] > 0 {
			cd.Memory = intp(limits[c.Name])
			if c.MemoryReservation >= limits[c.Name] {
				cd.MemoryReservation = nil // ECS wants a limit above the reservation; equal is the limit alone
			}
		}
		td.ContainerDefinitions = append(td.ContainerDefinitions, cd)
	}
	for _, hook := range f.TaskHooks {
		hook(td)
	}
	add(f.TaskDefinitionID(), td)

	svc := &ecs.Service{
		Cluster:        str(ClusterRef()),
		TaskDefinition: str(cloudformation.Ref(f.TaskDefinitionID())),
		DesiredCount:   intp(f.DesiredCount),
		DeploymentConfiguration: &ecs.Service_DeploymentConfiguration{
			MinimumHealthyPercent:    intp(f.MinHealthyPct),
			MaximumPercent:           intp(f.MaxPct),
			DeploymentCircuitBreaker: &ecs.Service_DeploymentCircuitBreaker{Enable: true, Rollback: f.Rollback},
		},
		NetworkConfiguration: &ecs.Service_NetworkConfiguration{AwsvpcConfiguration: &ecs.Service_AwsVpcConfiguration{
			AssignPublicIp: str(map[bool]string{true: "ENABLED", false: "DISABLED"}[f.AssignPublicIp]),
			SecurityGroups: []string{cloudformation.GetAtt(f.SecurityGroupID(), "GroupId")},
			Subnets:        []string{cloudformation.Ref(ParamSubnetIds)},
		}},
		PropagateTags:        str("SERVICE"),
		EnableECSManagedTags: boolp(true),
		Tags:                 append([]tags.Tag{projectTag, familyTag}, serviceTags(f)...),
	}
	if f.ExecuteCommand {
		svc.EnableExecuteCommand = boolp(true)
	}
	if len(f.CapacityProvider) > 0 {
		for _, cp := range f.CapacityProvider {
			svc.CapacityProviderStrategy = append(svc.CapacityProviderStrategy, ecs.Service_CapacityProviderStrategyItem{
				CapacityProvider: str(cp.CapacityProvider), Base: cp.Base, Weight: cp.Weight})
		}
	} else {
		svc.LaunchType = str("FARGATE")
	}
	for _, d := range f.DependsOn {
		if other := m.Family(d); other != nil {
			svc.AWSCloudFormationDependsOn = append(svc.AWSCloudFormationDependsOn, other.ServiceID())
		}
	}
	for _, hook := range f.ServiceHooks {
		hook(svc)
	}
	add(f.ServiceID(), svc)
}

// taskVolume is a task definition volume: task storage, or EFS mounted
// through its access point with IAM authorization, which the ECS agent
// accepts only with transit encryption on.
func taskVolume(f *Family, name string) ecs.TaskDefinition_Volume {
	v := ecs.TaskDefinition_Volume{Name: str(name)}
	if e := f.EFSVolumes[name]; e != nil {
		v.EFSVolumeConfiguration = &ecs.TaskDefinition_EFSVolumeConfiguration{
			FilesystemId:      e.FileSystemId,
			TransitEncryption: str("ENABLED"),
			AuthorizationConfig: &ecs.TaskDefinition_AuthorizationConfig{
				AccessPointId: str(e.AccessPointId),
				IAM:           str("ENABLED"),
			},
		}
	}
	return v
}

// serviceTags turns deploy labels that are not composex settings into tags
// of the ECS service, as compose-x does.
func serviceTags(f *Family) []tags.Tag {
	seen := map[string]string{}
	for _, s := range f.Services {
		if s.Deploy == nil {
			continue
		}
		for k, v := range s.Deploy.Labels {
			if strings.HasPrefix(k, "ecs.") || strings.HasPrefix(k, "aws:") {
				continue
			}
			seen[k] = v
		}
	}
	var out []tags.Tag
	for _, k := range slices.Sorted(maps.Keys(seen)) {
		out = append(out, tags.Tag{Key: k, Value: seen[k]})
	}
	return out
}

// ecrRepositories lists the ECR repositories the family's images come from,
// so that the execution role may pull exactly those. A service without a
// default image gets its pushed image at deploy time, from the account's
// own registry.
func ecrRepositories(m *Model, f *Family) []string {
	set := map[string]bool{}
	for _, c := range f.Containers {
		p := m.Parameters[c.ImageParam]
		if p == nil {
			continue
		}
		if p.Default == nil {
			set[pushedRepositoryArn(c.ImageParam)] = true
			continue
		}
		if arn, ok := ecrRepositoryArn(*p.Default); ok {
			set[arn] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// pushedRepositoryArn is the ARN of the ECR repository of an image given
// only at deploy time (a build: service without image:), read from the
// parameter's value ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO[:TAG|@DIGEST]
// with Fn::Split and Fn::Select: the execution role may pull that
// repository, never repository/* of the account.
func pushedRepositoryArn(param string) string {
	image := cloudformation.Ref(param)
	noDigest := cloudformation.Select(0, cloudformation.Split("@", image))
	path := cloudformation.Select(1, cloudformation.Split(".amazonaws.com/", noDigest))
	return cloudformation.SubVars("arn:${AWS::Partition}:ecr:${Region}:${Account}:repository/${Repository}", map[string]any{
		"Account":    cloudformation.Select(0, cloudformation.Split(".", image)),
		"Region":     cloudformation.Select(3, cloudformation.Split(".", image)),
		"Repository": cloudformation.Select(0, cloudformation.Split(":", path)),
	})
}

// The parts of an ECR image reference, as ECR defines them: a 12-digit
// account, a region, and a repository name of lowercase path components.
// Anything else (a *, a ?, a ${...}) never reaches the policy ARN, which is
// written inside Fn::Sub: user text must not widen the grant or become a
// live reference.
var (
	ecrAccount    = regexp.MustCompile(`^[0-9]{12}$`)
	ecrRegion     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	ecrRepository = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
)

// ecrRepositoryArn reads ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO[:TAG|@DIGEST].
// An image on an ECR host whose account, region or repository is not what
// ECR allows gets no grant (the pull would fail anyway; the image check at
// build reports it).
func ecrRepositoryArn(image string) (string, bool) {
	host, rest, ok := strings.Cut(image, "/")
	if !ok {
		return "", false
	}
	parts := strings.Split(host, ".")
	if len(parts) < 6 || parts[1] != "dkr" || parts[2] != "ecr" || !strings.HasPrefix(parts[4], "amazonaws") {
		return "", false
	}
	repo := rest
	if i := strings.IndexAny(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i >= 0 {
		repo = repo[:i]
	}
	if !ecrAccount.MatchString(parts[0]) || !ecrRegion.MatchString(parts[3]) || !ecrRepository.MatchString(repo) {
		return "", false
	}
	return fmt.Sprintf("arn:${AWS::Partition}:ecr:%s:%s:repository/%s", parts[3], parts[0], repo), true
}

// invalidECRImage says what is wrong with an image on an ECR host that
// ecrRepositoryArn cannot grant, or "" when the image is not on ECR or is
// valid.
func invalidECRImage(image string) string {
	host, _, ok := strings.Cut(image, "/")
	if !ok || !strings.Contains(host, ".dkr.ecr.") {
		return ""
	}
	if _, ok := ecrRepositoryArn(image); ok {
		return ""
	}
	return "an ECR image must be ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY[:TAG] with a 12-digit account and a repository of lowercase letters, digits and . _ - / (no wildcards, no ${...}): composex grants the pull on exactly that repository"
}

func containerDefinition(f *Family, c *Container) ecs.TaskDefinition_ContainerDefinition {
	cd := ecs.TaskDefinition_ContainerDefinition{
		Name:       c.Name,
		Image:      cloudformation.Ref(c.ImageParam),
		Essential:  boolp(c.Essential),
		Command:    c.Command,
		EntryPoint: c.EntryPoint,
		LogConfiguration: &ecs.TaskDefinition_LogConfiguration{LogDriver: "awslogs", Options: map[string]string{
			"awslogs-group":         cloudformation.Ref(f.LogGroupID()),
			"awslogs-region":        cloudformation.Ref("AWS::Region"),
			"awslogs-stream-prefix": ResourceName(c.Name),
		}},
	}
	if c.LogDriver != "" {
		cd.LogConfiguration = &ecs.TaskDefinition_LogConfiguration{LogDriver: c.LogDriver, Options: c.LogOptions}
	}
	if c.FireLens != nil {
		cd.FirelensConfiguration = &ecs.TaskDefinition_FirelensConfiguration{Type: str(c.FireLens.Type), Options: c.FireLens.Options}
	}
	for _, k := range slices.Sorted(maps.Keys(c.Environment)) {
		v := c.Environment[k]
		if c.EnvironmentRefs[k] {
			v = Sub(v)
		}
		cd.Environment = append(cd.Environment, ecs.TaskDefinition_KeyValuePair{Name: str(k), Value: str(v)})
	}
	secrets := append([]ContainerSecret(nil), c.Secrets...)
	sort.SliceStable(secrets, func(i, j int) bool { return secrets[i].Name < secrets[j].Name })
	for _, s := range secrets {
		cd.Secrets = append(cd.Secrets, ecs.TaskDefinition_Secret{Name: s.Name, ValueFrom: Sub(s.ValueFrom)})
	}
	for _, p := range c.Ports {
		pm := ecs.TaskDefinition_PortMapping{ContainerPort: intp(p.ContainerPort), Protocol: str(p.Protocol), Name: str(p.Name)}
		if p.AppProtocol != "" {
			pm.AppProtocol = str(p.AppProtocol)
		}
		cd.PortMappings = append(cd.PortMappings, pm)
	}
	if h := c.HealthCheck; h != nil {
		cd.HealthCheck = &ecs.TaskDefinition_HealthCheck{Command: h.Command, Interval: intp(h.Interval), Timeout: intp(h.Timeout),
			Retries: intp(h.Retries), StartPeriod: intp(h.StartPeriod)}
	}
	for _, d := range c.DependsOn {
		cd.DependsOnProp = append(cd.DependsOnProp, ecs.TaskDefinition_ContainerDependency{ContainerName: str(d.Container), Condition: str(d.Condition)})
	}
	if len(c.DockerLabels) > 0 {
		cd.DockerLabels = c.DockerLabels
	}
	for _, u := range c.Ulimits {
		cd.Ulimits = append(cd.Ulimits, ecs.TaskDefinition_Ulimit{Name: u.Name, SoftLimit: u.Soft, HardLimit: u.Hard})
	}
	if len(c.CapAdd) > 0 || len(c.CapDrop) > 0 || c.Init || f.ExecuteCommand {
		lp := &ecs.TaskDefinition_LinuxParameters{}
		if len(c.CapAdd) > 0 || len(c.CapDrop) > 0 {
			lp.Capabilities = &ecs.TaskDefinition_KernelCapabilities{Add: c.CapAdd, Drop: c.CapDrop}
		}
		if c.Init || f.ExecuteCommand {
			// ECS Exec needs an init process to reap the sessions it starts.
			lp.InitProcessEnabled = boolp(true)
		}
		cd.LinuxParameters = lp
	}
	if c.User != "" {
		cd.User = str(c.User)
	}
	if c.WorkingDir != "" {
		cd.WorkingDirectory = str(c.WorkingDir)
	}
	if c.ReadOnly {
		cd.ReadonlyRootFilesystem = boolp(true)
	}
	if c.StopTimeout > 0 {
		cd.StopTimeout = intp(c.StopTimeout)
	}
	if c.Cpu > 0 {
		cd.Cpu = intp(c.Cpu)
	}
	if c.Memory > 0 {
		cd.Memory = intp(c.Memory)
	}
	if c.MemoryReservation > 0 {
		cd.MemoryReservation = intp(c.MemoryReservation)
	}
	for _, mp := range c.MountPoints {
		cd.MountPoints = append(cd.MountPoints, ecs.TaskDefinition_MountPoint{SourceVolume: str(mp.Volume), ContainerPath: str(mp.Path), ReadOnly: boolp(mp.ReadOnly)})
	}
	return cd
}

// executionTrustPolicy lets ECS assume the task execution role, with no
// condition: the ECS Developer Guide's "Amazon ECS task execution IAM role"
// (docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html,
// read 2026-12-01) documents this role's trust policy without any, and
// does not document aws:SourceArn or aws:SourceAccount as present when ECS
// assumes it to pull images and fetch secrets. A condition on a key that is
// absent fails the AssumeRole, and then no task of the family starts.
func executionTrustPolicy() map[string]any {
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "ecs-tasks.amazonaws.com"},
			"Action":    "sts:AssumeRole",
		}},
	}
}

// trustPolicy lets only ECS tasks of this account assume the task role.
// aws:SourceAccount and aws:SourceArn (arn:...:ecs:REGION:ACCOUNT:*) are
// the conditions the ECS Developer Guide's "Amazon ECS task IAM role"
// (docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html,
// read 2026-12-01) documents for the task role's trust policy, against
// the confused deputy.
func trustPolicy() map[string]any {
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "ecs-tasks.amazonaws.com"},
			"Action":    "sts:AssumeRole",
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": cloudformation.Ref("AWS::AccountId")},
				"ArnLike":      map[string]any{"aws:SourceArn": cloudformation.Sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:*")},
			},
		}},
	}
}

func roleResource(r Role, description string) *iam.Role {
	role := &iam.Role{AssumeRolePolicyDocument: trustPolicy(), Description: str(description)}
	for _, p := range r.Policies {
		doc := p.Document
		if doc == nil {
			doc = policyDocument(p.Statements)
		}
		role.Policies = append(role.Policies, iam.Role_Policy{PolicyName: p.Name, PolicyDocument: doc})
	}
	for _, a := range r.ManagedPolicyArns {
		role.ManagedPolicyArns = append(role.ManagedPolicyArns, Sub(a))
	}
	if r.PermissionsBoundary != "" {
		role.PermissionsBoundary = str(Sub(r.PermissionsBoundary))
	}
	return role
}

func policyDocument(sts []Statement) map[string]any {
	list := make([]any, 0, len(sts))
	for _, st := range sts {
		m := map[string]any{"Effect": st.Effect, "Action": st.Action}
		if st.Sid != "" {
			m["Sid"] = st.Sid
		}
		res := make([]string, len(st.Resource))
		for i, r := range st.Resource {
			res[i] = Sub(r)
		}
		m["Resource"] = res
		if len(st.Condition) > 0 {
			m["Condition"] = st.Condition
		}
		list = append(list, m)
	}
	return map[string]any{"Version": "2012-10-17", "Statement": list}
}

func str(s string) *string { return &s }
func intp(i int) *int      { return &i }
func boolp(b bool) *bool   { return &b }

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// checkPolicyNames refuses a policy the user wrote (x-iam) whose name is
// that of a policy composex writes on the same role (ReadSecrets,
// CloudWatchAgentPrometheus, ExecuteCommand, ...): IAM keeps one inline
// policy per name, so one of the two would replace the other.
func checkPolicyNames(f *Family, ds *Diagnostics) {
	for _, r := range []struct {
		role    *Role
		what    string
		emitted []string
	}{
		{&f.TaskRole, "task role", []string{"ExecuteCommand"}},
		{&f.ExecutionRole, "execution role", []string{"WriteLogs", "PullImages"}},
	} {
		for i, p := range r.role.Policies {
			if p.Service == "" {
				continue
			}
			clash := slices.Contains(r.emitted, p.Name)
			for j, o := range r.role.Policies {
				if j != i && o.Name == p.Name && o.Service == "" {
					clash = true
				}
			}
			if clash {
				ds.Errorf(p.Service, p.Path, "policy %s of x-iam has the name of a policy composex writes on the %s of family %s; rename it (IAM keeps one inline policy per name, so one would replace the other)", p.Name, r.what, f.Name)
			}
		}
	}
}

// templateMetadata tells a reviewer where the template comes from: the
// composex build (the module version, "(devel)" for a plain go build) and
// the compose files, relative to the project directory so that the
// output does not depend on where the project was checked out.
func templateMetadata(in *Input) map[string]any {
	version := "(devel)"
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		version = info.Main.Version
	}
	var files []string
	for _, f := range in.Sources.fileNames() {
		rel, err := filepath.Rel(in.Project.WorkingDir, f)
		if !filepath.IsAbs(f) || err != nil || strings.HasPrefix(rel, "..") {
			rel = filepath.Base(f)
		}
		files = append(files, filepath.ToSlash(rel))
	}
	return map[string]any{"composex": map[string]any{"Version": version, "ComposeFiles": files}}
}

// maxFamilyOutputs bounds the projects that get two outputs per family:
// CloudFormation allows 200 outputs per template, and a large project's
// root keeps them all.
const maxFamilyOutputs = 40

// familyOutputs are what a user looks up after a deploy: the cluster, and
// each family's ECS service and log group.
func familyOutputs(t *cloudformation.Template, m *Model) {
	t.Outputs["ClusterName"] = cloudformation.Output{Description: str("ECS cluster the services run in"), Value: ClusterRef()}
	if len(m.Families) > maxFamilyOutputs {
		return
	}
	for _, f := range m.Families {
		t.Outputs[f.Logical+"ServiceName"] = cloudformation.Output{Description: str("ECS service of " + f.Name), Value: cloudformation.GetAtt(f.ServiceID(), "Name")}
		t.Outputs[f.Logical+"LogGroupName"] = cloudformation.Output{Description: str("CloudWatch log group of " + f.Name), Value: cloudformation.Ref(f.LogGroupID())}
	}
}

// fileNames are the compose files read, in order (<stdin> for standard input).
func (s *Sources) fileNames() []string {
	if s == nil {
		return nil
	}
	out := make([]string, 0, len(s.files))
	for _, f := range s.files {
		out = append(out, f.name)
	}
	return out
}
