// Package network reads x-network and the top-level x-cloudmap: who may
// reach a family's tasks (security group rules), whether they get a public
// IP, where their traffic may go, and how others find them (Cloud Map).
package network

import (
	"encoding/json"
	"maps"
	"slices"
)

// XNetwork is the service-level x-network block.
type XNetwork struct {
	AssignPublicIp bool         `json:"AssignPublicIp,omitempty"`
	Ingress        *Ingress     `json:"Ingress,omitempty"`
	Egress         []EgressRule `json:"Egress,omitempty"`
	CloudMap       *CloudMapRef `json:"x-cloudmap,omitempty"`
	UseCloudmap    *bool        `json:"UseCloudmap,omitempty"`
	// LbType and UseCloudmapV0 are compose-x 0.x spellings (lb_type,
	// use_cloudmap) that compose-x 1.x files still carry: lb_type has no
	// effect (load balancers are x-elbv2), use_cloudmap is read as
	// UseCloudmap; both are warned about.
	LbType        any   `json:"lb_type,omitempty"`
	UseCloudmapV0 *bool `json:"use_cloudmap,omitempty"`
	// Keys the envoy extension owns (Service Connect, Envoy); accepted here so that
	// one strict decode of the block works, checked by their extensions.
	EcsConnect     any `json:"x-ecs_connect,omitempty"`
	ServiceConnect any `json:"ServiceConnect,omitempty"`
	Envoy          any `json:"Envoy,omitempty"`
}

// Ingress lists who may reach the service.
type Ingress struct {
	Myself     bool         `json:"Myself,omitempty"`
	ExtSources []ExtSource  `json:"ExtSources,omitempty"`
	AwsSources []AwsSource  `json:"AwsSources,omitempty"`
	Services   []ServiceRef `json:"Services,omitempty"`
}

// ExtSource is a CIDR range outside AWS's security groups.
type ExtSource struct {
	IPv4        string `json:"IPv4,omitempty"`
	IPv6        string `json:"IPv6,omitempty"`
	Name        string `json:"Name,omitempty"`
	Description string `json:"Description,omitempty"`
	Ports       []int  `json:"Ports,omitempty"`
}

// AwsSource is a security group or managed prefix list.
type AwsSource struct {
	Type         string `json:"Type"`
	Id           string `json:"Id,omitempty"`
	AccountOwner string `json:"AccountOwner,omitempty"`
	Lookup       any    `json:"Lookup,omitempty"`
	Ports        []int  `json:"Ports,omitempty"`
}

// ServiceRef names another compose service allowed in.
type ServiceRef struct {
	Name  string `json:"Name"`
	Ports []int  `json:"Ports,omitempty"`
	// DependsOn creates this service's ECS service after Name's.
	DependsOn bool `json:"DependsOn,omitempty"`
}

// EgressRule is one destination the family may reach when Egress is set.
type EgressRule struct {
	IPv4        string `json:"IPv4,omitempty"`
	IPv6        string `json:"IPv6,omitempty"`
	PrefixList  string `json:"PrefixList,omitempty"`
	Ports       []int  `json:"Ports,omitempty"`
	Protocol    string `json:"Protocol,omitempty"` // tcp (default), udp, all
	Description string `json:"Description,omitempty"`
}

// CloudMapRef is x-network.x-cloudmap: a namespace name, or
// {namespace: {Port, Name}}. compose-x files may name several namespaces;
// an ECS service has one service registry, so the first by name is used
// and Ignored lists the others (reported by read).
type CloudMapRef struct {
	Namespace string
	Port      int
	Name      string
	Ignored   []string
}

// UnmarshalJSON accepts both forms.
func (c *CloudMapRef) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &c.Namespace); err == nil {
		return nil
	}
	var m map[string]struct {
		Port int    `json:"Port"`
		Name string `json:"Name,omitempty"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if len(m) == 0 {
		return errOneNamespace
	}
	names := slices.Sorted(maps.Keys(m))
	v := m[names[0]]
	c.Namespace, c.Port, c.Name, c.Ignored = names[0], v.Port, v.Name, names[1:]
	return nil
}

type constError string

func (e constError) Error() string { return string(e) }

const errOneNamespace = constError("x-cloudmap names no namespace: give the name of one")

// XCloudMapNamespace is one namespace of the top-level x-cloudmap.
type XCloudMapNamespace struct {
	// ZoneName creates a private DNS namespace of that name in the VPC.
	ZoneName string `json:"ZoneName,omitempty"`
	// Name is compose-x's other spelling of ZoneName.
	Name string `json:"Name,omitempty"`
	// Lookup (true or a mapping) uses an existing namespace of that
	// ZoneName: composex renders offline, so its ID becomes a template
	// parameter (LookupParam).
	Lookup any `json:"Lookup,omitempty"`

	// NamespaceId uses an existing namespace.
	NamespaceId string `json:"NamespaceId,omitempty"`
	Description string `json:"Description,omitempty"`
}
