package render

import (
	"fmt"
	"sort"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	"github.com/compose-spec/compose-go/v2/types"
)

// Model is the project as ECS sees it: task families with their containers,
// roles and settings, before any CloudFormation is written. Extensions add
// to it; emit turns it into templates.
type Model struct {
	Name       string // project name
	Families   []*Family
	Parameters map[string]*Parameter
	// ClusterName is the default of the ClusterName parameter: empty means
	// composex creates the cluster.
	ClusterName string
	// ClusterNote is added to the ClusterName parameter's description (how
	// x-cluster chose its default); ClusterHooks set properties of the
	// cluster the template creates (x-cluster.Properties).
	ClusterNote  string
	ClusterHooks []func(*ecs.Cluster)
	// Resources are project-level resources that extensions add (topics,
	// namespaces, alarms that span families), by logical ID.
	Resources map[string]cloudformation.Resource
	Outputs   map[string]cloudformation.Output
	// Conditions are template conditions that extensions add, by name
	// (their values are condition functions: Fn::Equals, Fn::Not, ...).
	Conditions map[string]any
	// PersistentVolumes names the top-level compose volumes an extension
	// gave storage that outlives the task (extensions/efs); the others stay
	// task storage, which the core warns about.
	PersistentVolumes map[string]bool

	famIndex *familyIndex // FamiliesOf's table (familyindex.go)
	// Endpoints are the names and ports at which a compose service (a
	// network owner) is reached by the project's other tasks, as the
	// networking extensions publish them (see PublishEndpoint): the Envoy
	// egress clusters resolve exactly these.
	Endpoints map[string][]Endpoint
}

// Endpoint is one name and port by which clients reach a service.
type Endpoint struct {
	DnsName string // the name a client resolves
	Port    int    // the port a client calls
	// Via says who makes the name resolve: EndpointServiceConnect (a
	// client alias, resolved in every Service Connect client task) or
	// EndpointCloudMap (a Cloud Map DNS record in a private zone).
	Via string
}

// How an Endpoint's name resolves.
const (
	EndpointServiceConnect = "service-connect"
	EndpointCloudMap       = "cloudmap"
)

// PublishEndpoint records a name and port of a service, once.
func (m *Model) PublishEndpoint(service string, e Endpoint) {
	if m.Endpoints == nil {
		m.Endpoints = map[string][]Endpoint{}
	}
	for _, have := range m.Endpoints[service] {
		if have == e {
			return
		}
	}
	m.Endpoints[service] = append(m.Endpoints[service], e)
}

// Parameter is a template parameter; Default nil means it must be given.
type Parameter struct {
	Type        string
	Description string
	Default     *string
	// NoEcho hides the value in the console and API (a secret's value);
	// MinLength > 0 makes CloudFormation refuse an empty value.
	NoEcho    bool
	MinLength int
}

// Family is one ECS task definition and the ECS service that runs it.
type Family struct {
	Name     string // as written in compose (ecs.task.family or service name)
	Logical  string // PascalCase stem for logical IDs
	Services []*types.ServiceConfig
	// Containers in start order: dependencies first, then by name.
	Containers []*Container

	TaskRole      Role
	ExecutionRole Role

	LogRetentionDays int
	// LogKmsKeyArn is the existing KMS key that encrypts the family's log
	// groups (x-logging.KmsKeyId); CreateLogKmsKey asks for a key the stack
	// creates (x-logging.CreateKmsKey). Neither: CloudWatch Logs' own
	// encryption.
	LogKmsKeyArn     string
	CreateLogKmsKey  bool
	DesiredCount     int
	MinHealthyPct    int
	MaxPct           int
	Rollback         bool
	ExecuteCommand   bool
	AssignPublicIp   bool
	CpuArchitecture  string
	OSFamily         string
	CapacityProvider []CapacityProviderItem
	Volumes          []string // task volume names, sorted
	// EFSVolumes holds the Amazon EFS configuration of task volumes, by task
	// volume name (extensions/efs); a task volume without one is task
	// storage.
	EFSVolumes map[string]*EFSVolume
	// EphemeralStorageGiB is the task's Fargate ephemeral storage (21-200),
	// 0 for Fargate's default 20 GiB.
	EphemeralStorageGiB int
	// DependsOn lists other families whose services must exist before this
	// family's service is created (compose depends_on across families).
	DependsOn []string
	// ServiceConnect is set when the family's ECS service has Service
	// Connect on: ECS then adds its proxy to every task, outside the task
	// definition's containers, and the task size leaves room for it.
	ServiceConnect bool

	// CloudWatchAgent is non-nil when an extension needs the agent sidecar.
	CloudWatchAgent *CloudWatchAgent
	// Tracing is non-nil when the family collects traces (x-xray).
	Tracing *Tracing
	// Scaling is the family's auto scaling target, set by x-scaling and read
	// by x-alarms (step scaling, predefined alarms); nil: no scaling.
	Scaling *Scaling
	// LoadBalancerTargets are the container ports a load balancer of the
	// stack forwards to (x-elbv2).
	LoadBalancerTargets []LoadBalancerTarget

	// Size is the Fargate task size chosen at emit time.
	Size FargateSize
	// SizeChecks run at emit time once Size is set, for the checks that
	// depend on the final task size (a utilisation target the containers
	// can never reach; see MemoryCeiling).
	SizeChecks []func() Diagnostics

	// Resources are family-scoped resources added by extensions, by logical
	// ID; they stay in the family's stack when a project is split.
	Resources map[string]cloudformation.Resource
	// ServiceHooks, TaskHooks and SecurityGroupHooks let an extension set
	// properties of the ECS service, task definition or security group that
	// the core does not model (service registries, Service Connect, egress
	// rules); they run after the core set its own.
	ServiceHooks       []func(*ecs.Service)
	TaskHooks          []func(*ecs.TaskDefinition)
	SecurityGroupHooks []func(*ec2.SecurityGroup)
}

// EFSVolume mounts an Amazon EFS file system through an access point, with
// IAM authorization and TLS: the only way composex mounts EFS. Both IDs may
// be intrinsics (a Ref of the created resource or of a parameter).
type EFSVolume struct {
	FileSystemId  string
	AccessPointId string
}

// CapacityProviderItem is one entry of x-ecs.CapacityProviderStrategy.
type CapacityProviderItem struct {
	CapacityProvider string `json:"CapacityProvider"`
	Base             *int   `json:"Base,omitempty"`
	Weight           *int   `json:"Weight,omitempty"`
}

// LoadBalancerTarget is a container port that a load balancer of the stack
// forwards to (x-elbv2). The reachability warning and load-balancer metrics
// (scaling on request count, alarms) read it.
type LoadBalancerTarget struct {
	Service       string // compose service
	Container     string // container name in the task definition
	ContainerPort int
	Protocol      string // tcp or udp
	TargetGroup   string // logical ID of the AWS::ElasticLoadBalancingV2::TargetGroup
	LoadBalancer  string // logical ID of the AWS::ElasticLoadBalancingV2::LoadBalancer
}

// Container is one container definition of a family.
type Container struct {
	Name    string
	Service string // compose service it comes from; empty for sidecars
	Sidecar bool

	ImageParam   string // template parameter holding the image
	Command      []string
	EntryPoint   []string
	Environment  map[string]string
	Secrets      []ContainerSecret
	Ports        []Port
	HealthCheck  *HealthCheck
	DependsOn    []ContainerDependency
	DockerLabels map[string]string
	Ulimits      []Ulimit
	CapAdd       []string
	CapDrop      []string
	User         string
	WorkingDir   string
	ReadOnly     bool
	StopTimeout  int // seconds, 0 = ECS default
	Init         bool
	Essential    bool
	// Cpu in CPU units (1024 = 1 vCPU); Memory and MemoryReservation in MiB.
	Cpu               int
	Memory            int
	MemoryReservation int
	MountPoints       []MountPoint

	// Files are the files compose puts into the container that the core
	// cannot deliver itself (bind mounts, configs, secrets as files); the
	// files extension delivers them and empties the list.
	Files []FileRequest

	// EnvironmentRefs marks the Environment keys whose value an extension
	// wrote with ${AWS::...} references (see SetEnvRef); they are emitted
	// through Fn::Sub. Every other value is literal text.
	EnvironmentRefs map[string]bool

	// LogDriver and LogOptions, when an extension sets LogDriver, replace
	// the default awslogs configuration (extensions/firelens: awsfirelens).
	// Option values may be intrinsics (cloudformation.Ref).
	LogDriver  string
	LogOptions map[string]string
	// FireLens makes the container the task's log router: its
	// firelensConfiguration (one container of a task at most).
	FireLens *FireLensConfig
}

// FireLensConfig is a log router's firelensConfiguration: Type fluentbit
// or fluentd, and the ECS agent's options (enable-ecs-log-metadata,
// config-file-type, config-file-value).
type FireLensConfig struct {
	Type    string
	Options map[string]string
}

// ContainerSecret is an ECS secret: an environment variable filled from
// Secrets Manager or SSM at start.
type ContainerSecret struct {
	Name      string
	ValueFrom string // may hold ${AWS::...} references
}

// Kinds of FileRequest.
const (
	FileBind   = "bind"
	FileConfig = "config"
	FileSecret = "secret"
)

// FileRequest is one file (or directory of files) that compose puts at a
// path of the container: a bind mount, a config or a secret.
type FileRequest struct {
	Kind string
	// Source is the host path of a bind mount as compose resolved it
	// (absolute), or the name of the top-level config or secret.
	Source   string
	Target   string // path in the container as written; "" for compose's default
	ReadOnly bool
	UID, GID string
	Mode     *uint32 // nil: compose's default
	// ValueFrom is the Secrets Manager ARN of a secret with x-secrets,
	// which the core already grants to the execution role.
	ValueFrom string
	Path      string // key path of the entry, for messages
}

// Port is a port the container listens on (awsvpc: the task is reached on
// the container port itself).
type Port struct {
	ContainerPort int
	Protocol      string // tcp or udp
	Name          string
	AppProtocol   string // http, http2, grpc or empty
}

// HealthCheck is an ECS container health check, in whole seconds.
type HealthCheck struct {
	Command     []string
	Interval    int
	Timeout     int
	Retries     int
	StartPeriod int
}

// ContainerDependency is an ECS container start dependency.
type ContainerDependency struct {
	Container string
	Condition string // START, COMPLETE, SUCCESS, HEALTHY
}

// Ulimit is a Linux resource limit.
type Ulimit struct {
	Name       string
	Soft, Hard int
}

// MountPoint mounts a task volume in a container.
type MountPoint struct {
	Volume   string
	Path     string
	ReadOnly bool
}

// Role is an IAM role of a family: what it may do and nothing more.
type Role struct {
	Policies            []Policy
	ManagedPolicyArns   []string
	PermissionsBoundary string
}

// Policy is an inline IAM policy: statements composex writes, or a
// document the user wrote (x-iam), passed through as written.
type Policy struct {
	Name       string
	Statements []Statement
	Document   map[string]any
	// Service and Path locate a policy the user wrote (x-iam), so that a
	// name clash with composex's own policies can be reported there.
	Service, Path string
}

// Statement is one IAM policy statement. Resource strings may hold
// ${AWS::Partition}-style references; emit wraps those in Fn::Sub.
type Statement struct {
	Sid       string
	Effect    string
	Action    []string
	Resource  []string
	Condition map[string]any
}

// AddPolicy adds statements to the role under a policy name, appending to
// an existing policy of that name.
func (r *Role) AddPolicy(name string, st ...Statement) {
	for i := range r.Policies {
		// A user's document is never extended: composex's statements
		// would vanish behind it. The name clash is reported at emit.
		if r.Policies[i].Name == name && r.Policies[i].Document == nil {
			r.Policies[i].Statements = append(r.Policies[i].Statements, st...)
			return
		}
	}
	r.Policies = append(r.Policies, Policy{Name: name, Statements: st})
}

// AddManagedPolicy attaches a managed policy once.
func (r *Role) AddManagedPolicy(arn string) {
	for _, a := range r.ManagedPolicyArns {
		if a == arn {
			return
		}
	}
	r.ManagedPolicyArns = append(r.ManagedPolicyArns, arn)
}

// Container returns the family's container of that name, or nil.
func (f *Family) Container(name string) *Container {
	for _, c := range f.Containers {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// AppContainers returns the containers that come from compose services.
func (f *Family) AppContainers() []*Container {
	var out []*Container
	for _, c := range f.Containers {
		if !c.Sidecar {
			out = append(out, c)
		}
	}
	return out
}

// AddResource adds a family-scoped resource; its logical ID must be new.
func (f *Family) AddResource(id string, r cloudformation.Resource) error {
	if _, dup := f.Resources[id]; dup {
		return fmt.Errorf("family %s: resource %s defined twice", f.Name, id)
	}
	f.Resources[id] = r
	return nil
}

// AddResource adds a project-level resource; its logical ID must be new.
func (m *Model) AddResource(id string, r cloudformation.Resource) error {
	if _, dup := m.Resources[id]; dup {
		return fmt.Errorf("resource %s defined twice", id)
	}
	m.Resources[id] = r
	return nil
}

// AddParameter declares a template parameter once; a second declaration
// with another type or default is a programming error reported as such.
func (m *Model) AddParameter(name string, p Parameter) error {
	if old, ok := m.Parameters[name]; ok {
		if old.Type != p.Type || (old.Default == nil) != (p.Default == nil) ||
			(old.Default != nil && *old.Default != *p.Default) {
			return fmt.Errorf("parameter %s declared twice with different settings", name)
		}
		return nil
	}
	m.Parameters[name] = &p
	return nil
}

// Family returns the family of that name, or nil.
func (m *Model) Family(name string) *Family {
	i := sort.Search(len(m.Families), func(i int) bool { return m.Families[i].Name >= name })
	if i < len(m.Families) && m.Families[i].Name == name {
		return m.Families[i]
	}
	return nil
}

// FamiliesOf returns the families a compose service runs in.
func (m *Model) FamiliesOf(service string) []*Family {
	return m.familiesOfIndexed(service) // familyindex.go
}
