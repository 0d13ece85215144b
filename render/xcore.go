package render

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	"github.com/awslabs/goformation/v7/cloudformation/tags"
)

// The x- blocks that the core reads itself, because they shape the task
// definition, the service and the cluster rather than add to them.

// XEcs is the service-level x-ecs block.
type XEcs struct {
	EnableExecuteCommand     *bool                  `json:"EnableExecuteCommand,omitempty"`
	CpuArchitecture          string                 `json:"CpuArchitecture,omitempty"`
	OperatingSystemFamily    string                 `json:"OperatingSystemFamily,omitempty"`
	CapacityProviderStrategy []CapacityProviderItem `json:"CapacityProviderStrategy,omitempty"`
}

// XLogging is the service-level x-logging block.
type XLogging struct {
	// MetricFilters and SavedQueries are read by extensions/logmetrics.
	MetricFilters any   `json:"MetricFilters,omitempty"`
	SavedQueries  *bool `json:"SavedQueries,omitempty"`

	RetentionInDays *int `json:"RetentionInDays,omitempty"`
	// KmsKeyId and CreateKmsKey encrypt the family's log groups with a
	// customer managed key (render/logkms.go).
	KmsKeyId     string `json:"KmsKeyId,omitempty"`
	CreateKmsKey *bool  `json:"CreateKmsKey,omitempty"`
	// FireLens is read by extensions/firelens.
	FireLens any `json:"FireLens,omitempty"`
}

// XCluster is the top-level x-cluster block: an existing cluster to use
// (Use, or compose-x's Lookup: a name or {ClusterName, RoleArn}), or the
// properties of the cluster the template creates (compose-x's Properties,
// MacroParameters).
type XCluster struct {
	Lookup          any            `json:"Lookup,omitempty"`
	Use             string         `json:"Use,omitempty"`
	Properties      any            `json:"Properties,omitempty"`
	MacroParameters map[string]any `json:"MacroParameters,omitempty"`
}

// clusterLookup is the mapping form of x-cluster.Lookup.
type clusterLookup struct {
	ClusterName string `json:"ClusterName"`
	// RoleArn is the role compose-x assumes to find the cluster in another
	// account; offline it has no meaning.
	RoleArn string `json:"RoleArn,omitempty"`
}

// ClusterProperties are the AWS::ECS::Cluster properties compose-x files
// give the cluster the template creates; any other key is refused by name.
type ClusterProperties struct {
	CapacityProviders               []string                                   `json:"CapacityProviders,omitempty"`
	ClusterName                     *string                                    `json:"ClusterName,omitempty"`
	ClusterSettings                 []ecs.Cluster_ClusterSettings              `json:"ClusterSettings,omitempty"`
	Configuration                   *ecs.Cluster_ClusterConfiguration          `json:"Configuration,omitempty"`
	DefaultCapacityProviderStrategy []ecs.Cluster_CapacityProviderStrategyItem `json:"DefaultCapacityProviderStrategy,omitempty"`
	ServiceConnectDefaults          *ecs.Cluster_ServiceConnectDefaults        `json:"ServiceConnectDefaults,omitempty"`
	Tags                            []tags.Tag                                 `json:"Tags,omitempty"`
}

// XSecret is the x-secrets block of a top-level compose secret.
type XSecret struct {
	Name     string       `json:"Name"`
	JsonKeys []XSecretKey `json:"JsonKeys,omitempty"`
	LinksTo  []string     `json:"LinksTo,omitempty"`
	KmsKeyId string       `json:"KmsKeyId,omitempty"`
	Lookup   any          `json:"Lookup,omitempty"`
	// VarName is, in compose-x, a variable set to the secret's ARN;
	// composex reads it only to say it does not set it.
	VarName string `json:"VarName,omitempty"`
}

// XSecretKey selects one key of a JSON secret as its own variable.
type XSecretKey struct {
	SecretKey string `json:"SecretKey"`
	VarName   string `json:"VarName,omitempty"`
	Transform string `json:"Transform,omitempty"`
}

// CoreServiceKeys and CoreProjectKeys are the x- keys read by the core.
var (
	CoreServiceKeys = []string{"x-ecs", "x-logging"}
	CoreProjectKeys = []string{"x-cluster"}
)

var (
	cpuArchitectures = []string{"ARM64", "X86_64"}
	osFamilies       = []string{"LINUX", "WINDOWS_SERVER_2019_CORE", "WINDOWS_SERVER_2019_FULL",
		"WINDOWS_SERVER_2022_CORE", "WINDOWS_SERVER_2022_FULL"}
	fargateProviders = []string{"FARGATE", "FARGATE_SPOT"}
	// logRetentions are the values CloudWatch Logs accepts for RetentionInDays.
	logRetentions = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

const defaultLogRetention = 30

// SnapRetention returns the allowed retention closest to days (the longer
// one on a tie, so that logs are never kept shorter than asked).
func SnapRetention(days int) int {
	best := logRetentions[0]
	for _, r := range logRetentions {
		if abs(r-days) < abs(best-days) || (abs(r-days) == abs(best-days) && r > best) {
			best = r
		}
	}
	return best
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func oneOf(v string, allowed []string) bool {
	for _, a := range allowed {
		if a == v {
			return true
		}
	}
	return false
}

func allowedList(allowed []string) string { return strings.Join(allowed, ", ") }

// readXEcs decodes and checks a service's x-ecs block.
func readXEcs(service string, raw any, ds *Diagnostics) XEcs {
	var x XEcs
	if raw == nil {
		return x
	}
	path := ServicePath(service, "x-ecs")
	if err := DecodeExtension(raw, &x); err != nil {
		ds.Errorf(service, path, "%v", err)
		return XEcs{}
	}
	if x.CpuArchitecture != "" && !oneOf(x.CpuArchitecture, cpuArchitectures) {
		ds.Errorf(service, path+".CpuArchitecture", "%q is not a CPU architecture Fargate offers; allowed: %s", x.CpuArchitecture, allowedList(cpuArchitectures))
	}
	if x.OperatingSystemFamily != "" && !oneOf(x.OperatingSystemFamily, osFamilies) {
		ds.Errorf(service, path+".OperatingSystemFamily", "%q is not an operating system family Fargate offers; allowed: %s", x.OperatingSystemFamily, allowedList(osFamilies))
	}
	for i, cp := range x.CapacityProviderStrategy {
		p := fmt.Sprintf("%s.CapacityProviderStrategy.%d", path, i)
		if !oneOf(cp.CapacityProvider, fargateProviders) {
			ds.Errorf(service, p+".CapacityProvider", "%q is not a Fargate capacity provider; allowed: %s", cp.CapacityProvider, allowedList(fargateProviders))
		}
		if cp.Base != nil && (*cp.Base < 0 || *cp.Base > 100000) {
			ds.Errorf(service, p+".Base", "%d is out of range; allowed: 0 to 100000", *cp.Base)
		}
		if cp.Weight != nil && (*cp.Weight < 0 || *cp.Weight > 1000) {
			ds.Errorf(service, p+".Weight", "%d is out of range; allowed: 0 to 1000", *cp.Weight)
		}
	}
	return x
}

// readXLogging decodes a service's x-logging block.
func readXLogging(service string, raw any, ds *Diagnostics) XLogging {
	var x XLogging
	if raw == nil {
		return x
	}
	path := ServicePath(service, "x-logging")
	if err := DecodeExtension(raw, &x); err != nil {
		ds.Errorf(service, path, "%v", err)
		return XLogging{}
	}
	if x.RetentionInDays != nil {
		d := *x.RetentionInDays
		if d < 1 {
			ds.Errorf(service, path+".RetentionInDays", "%d is not a retention; give a number of days from 1 to 3653", d)
		} else if s := SnapRetention(d); s != d {
			ds.Warnf(service, path+".RetentionInDays", "CloudWatch Logs does not keep logs for %d days; using %d (allowed: %s)", d, s, intList(logRetentions))
		}
	}
	checkLogKmsKey(service, path, x, ds)
	return x
}

// readXCluster decodes the top-level x-cluster block into the model: the
// default of the ClusterName parameter ("" to create a cluster), what that
// parameter's description says, and the properties of a created cluster.
func readXCluster(raw any, m *Model, ds *Diagnostics) {
	if raw == nil {
		return
	}
	if name, ok := raw.(string); ok { // shorthand: x-cluster: my-cluster
		m.ClusterName = name
		return
	}
	var x XCluster
	if err := DecodeExtension(raw, &x); err != nil {
		ds.Errorf("", "x-cluster", "%v; allowed: Use: NAME, Lookup: NAME (or {ClusterName: NAME}), Properties (of the cluster the template creates)", err)
		return
	}
	var lookup clusterLookup
	switch v := x.Lookup.(type) {
	case nil:
	case string:
		lookup.ClusterName = v
	default:
		if err := DecodeExtension(v, &lookup); err != nil {
			ds.Errorf("", "x-cluster.Lookup", "%v; allowed: ClusterName, RoleArn", err)
			return
		}
	}
	switch {
	case x.Lookup != nil && x.Use != "":
		ds.Errorf("", "x-cluster", "give either Lookup or Use, not both")
	case (x.Lookup != nil || x.Use != "") && (x.Properties != nil || x.MacroParameters != nil):
		ds.Errorf("", "x-cluster.Properties", "Properties and MacroParameters describe the cluster the template creates; with Lookup or Use the services run in an existing one: give one or the other")
	case x.Lookup != nil:
		if lookup.ClusterName == "" {
			ds.Errorf("", "x-cluster.Lookup.ClusterName", "the name of an existing ECS cluster is required")
			return
		}
		if lookup.RoleArn != "" {
			ds.Warnf("", "x-cluster.Lookup.RoleArn", "compose-x assumes this role to look the cluster up in another account; composex renders offline and ignores it: the services run in the cluster %s of the account the stack is deployed in", lookup.ClusterName)
		}
		m.ClusterName = lookup.ClusterName
		m.ClusterNote = "x-cluster.Lookup names " + lookup.ClusterName + ", which compose-x looks up with an AWS call; composex renders offline and takes the name as given"
	case x.Use != "":
		m.ClusterName = x.Use
	case x.Properties != nil || x.MacroParameters != nil:
		clusterProperties(x, m, ds)
	default:
		ds.Errorf("", "x-cluster", "name an existing cluster with Use: NAME or Lookup: NAME, or describe the cluster to create with Properties")
	}
}

// clusterProperties applies compose-x's x-cluster.Properties to the
// cluster the template creates (when the ClusterName parameter is empty).
func clusterProperties(x XCluster, m *Model, ds *Diagnostics) {
	for _, k := range slices.Sorted(maps.Keys(x.MacroParameters)) {
		ds.Warnf("", "x-cluster.MacroParameters."+Key(k), "compose-x creates ECS Exec logging resources from this; composex does not, so it is ignored (ECS Exec sessions log as the cluster's default configuration says; give Properties.Configuration.ExecuteCommandConfiguration to set it)")
	}
	if x.Properties == nil {
		return
	}
	p := &ClusterProperties{}
	if err := DecodeExtension(x.Properties, p); err != nil {
		ds.Errorf("", "x-cluster.Properties", "%v; allowed (AWS::ECS::Cluster properties): CapacityProviders, ClusterName, ClusterSettings, Configuration, DefaultCapacityProviderStrategy, ServiceConnectDefaults, Tags", err)
		return
	}
	ok := true
	for i, cp := range p.CapacityProviders {
		if !oneOf(cp, fargateProviders) {
			ds.Errorf("", "x-cluster.Properties.CapacityProviders."+itoa(i), "%q is not a Fargate capacity provider; allowed: FARGATE, FARGATE_SPOT (composex runs services on Fargate only)", cp)
			ok = false
		}
	}
	providers := p.CapacityProviders
	if len(providers) == 0 {
		providers = fargateProviders
	}
	for i, st := range p.DefaultCapacityProviderStrategy {
		if st.CapacityProvider == nil || !oneOf(*st.CapacityProvider, providers) {
			got := ""
			if st.CapacityProvider != nil {
				got = *st.CapacityProvider
			}
			ds.Errorf("", "x-cluster.Properties.DefaultCapacityProviderStrategy."+itoa(i)+".CapacityProvider", "%q is not a capacity provider of the cluster; allowed: %s", got, allowedList(providers))
			ok = false
		}
	}
	if p.ClusterName != nil && !reClusterName().MatchString(*p.ClusterName) {
		ds.Errorf("", "x-cluster.Properties.ClusterName", "%q is not an ECS cluster name (1 to 255 letters, digits, - and _)", *p.ClusterName)
		ok = false
	}
	if !ok {
		return
	}
	m.ClusterHooks = append(m.ClusterHooks, func(c *ecs.Cluster) {
		if len(p.CapacityProviders) > 0 {
			c.CapacityProviders = p.CapacityProviders
		}
		if p.ClusterName != nil {
			c.ClusterName = p.ClusterName
		}
		if len(p.ClusterSettings) > 0 {
			c.ClusterSettings = p.ClusterSettings
		}
		c.Configuration = p.Configuration
		c.DefaultCapacityProviderStrategy = p.DefaultCapacityProviderStrategy
		c.ServiceConnectDefaults = p.ServiceConnectDefaults
		c.Tags = append(c.Tags, p.Tags...)
	})
}

// Compiled at first use: a counted repetition of hundreds compiles to a
// program that large, which every process used to build at start.
var reClusterName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`) })

func intList(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
