// Package network reads x-network and the top-level x-cloudmap: who may
// reach a family's tasks (security group rules), whether they get a public
// IP, where their traffic may go, and how others find them (Cloud Map).
package network

import (
	"encoding/json"
)

// XNetwork is the service-level x-network block.
type XNetwork struct {
	AssignPublicIp bool         `json:"AssignPublicIp,omitempty"`
	Ingress        *Ingress     `json:"Ingress,omitempty"`
	Egress         []EgressRule `json:"Egress,omitempty"`
	CloudMap       *CloudMapRef `json:"x-cloudmap,omitempty"`
	UseCloudmap    *bool        `json:"UseCloudmap,omitempty"`
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
// {namespace: {Port, Name}}.
type CloudMapRef struct {
	Namespace string
	Port      int
	Name      string
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
	if len(m) != 1 {
		return errOneNamespace
	}
	for ns, v := range m {
		c.Namespace, c.Port, c.Name = ns, v.Port, v.Name
	}
	return nil
}

type constError string

func (e constError) Error() string { return string(e) }

const errOneNamespace = constError("x-cloudmap names exactly one namespace: a task registers in one")

// XCloudMapNamespace is one namespace of the top-level x-cloudmap.
type XCloudMapNamespace struct {
	// ZoneName creates a private DNS namespace of that name in the VPC.
	ZoneName string `json:"ZoneName,omitempty"`
	// NamespaceId uses an existing namespace.
	NamespaceId string `json:"NamespaceId,omitempty"`
	Description string `json:"Description,omitempty"`
}
