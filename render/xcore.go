package render

import (
	"fmt"
	"strings"
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
	// FireLens is read by extensions/firelens.
	FireLens any `json:"FireLens,omitempty"`
}

// XCluster is the top-level x-cluster block: an existing cluster to use.
type XCluster struct {
	Lookup *struct {
		ClusterName string `json:"ClusterName"`
	} `json:"Lookup,omitempty"`
	Use string `json:"Use,omitempty"`
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
	return x
}

// readXCluster decodes the top-level x-cluster block and returns the name
// of the existing cluster to use by default ("" to create one).
func readXCluster(raw any, ds *Diagnostics) string {
	if raw == nil {
		return ""
	}
	if name, ok := raw.(string); ok { // shorthand: x-cluster: my-cluster
		return name
	}
	var x XCluster
	if err := DecodeExtension(raw, &x); err != nil {
		ds.Errorf("", "x-cluster", "%v; allowed: Lookup: {ClusterName: NAME} or Use: NAME", err)
		return ""
	}
	switch {
	case x.Lookup != nil && x.Use != "":
		ds.Errorf("", "x-cluster", "give either Lookup or Use, not both")
	case x.Lookup != nil:
		if x.Lookup.ClusterName == "" {
			ds.Errorf("", "x-cluster.Lookup.ClusterName", "the name of an existing ECS cluster is required")
		}
		return x.Lookup.ClusterName
	case x.Use != "":
		return x.Use
	default:
		ds.Errorf("", "x-cluster", "name an existing cluster with Lookup: {ClusterName: NAME} or Use: NAME")
	}
	return ""
}

func intList(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
