package elbv2

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	elb "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
)

// XLoadBalancer is one entry of the top-level x-elbv2: a load balancer,
// its listeners and the target groups they forward to (compose-x syntax).
type XLoadBalancer struct {
	Properties      *Properties            `json:"Properties,omitempty"`
	MacroParameters *Settings              `json:"MacroParameters,omitempty"`
	Settings        *Settings              `json:"Settings,omitempty"`
	Listeners       Listeners              `json:"Listeners,omitempty"`
	Services        map[string]ServiceTG   `json:"Services,omitempty"`
	TargetGroups    map[string]TargetGroup `json:"TargetGroups,omitempty"`
	DnsAliases      []any                  `json:"DnsAliases,omitempty"`
	Lookup          *Lookup                `json:"Lookup,omitempty"`
}

// Properties are the CloudFormation properties compose-x takes as written.
type Properties struct {
	Scheme                 string    `json:"Scheme,omitempty"`
	Type                   string    `json:"Type,omitempty"`
	LoadBalancerAttributes KeyValues `json:"LoadBalancerAttributes,omitempty"`
	Tags                   KeyValues `json:"Tags,omitempty"`
}

// Settings holds compose-x's attribute shortcuts, its ingress of the load
// balancer and its placement settings; compose-x reads them under
// MacroParameters and, in its own test files, under Settings.
type Settings struct {
	TimeoutSeconds          *int     `json:"timeout_seconds,omitempty"`
	DesyncMitigationMode    string   `json:"desync_mitigation_mode,omitempty"`
	DropInvalidHeaderFields *bool    `json:"drop_invalid_header_fields,omitempty"`
	HTTP2                   *bool    `json:"http2,omitempty"`
	CrossZone               *bool    `json:"cross_zone,omitempty"`
	Ingress                 *Ingress `json:"Ingress,omitempty"`
	S3Logs                  string   `json:"S3Logs,omitempty"`
	Subnets                 string   `json:"Subnets,omitempty"`
	NoAllocateEips          *bool    `json:"NoAllocateEips,omitempty"`
	RetainEips              *bool    `json:"RetainEips,omitempty"`
}

// Ingress is who may reach the load balancer's listeners.
type Ingress struct {
	ExtSources []ExtSource `json:"ExtSources,omitempty"`
	AwsSources []AwsSource `json:"AwsSources,omitempty"`
}

// ExtSource is a CIDR range allowed in.
type ExtSource struct {
	Name        string `json:"Name,omitempty"`
	Description string `json:"Description,omitempty"`
	IPv4        string `json:"IPv4,omitempty"`
	IPv6        string `json:"IPv6,omitempty"`
	Ports       []int  `json:"Ports,omitempty"`
}

// AwsSource is a security group or prefix list allowed in.
type AwsSource struct {
	Type   string         `json:"Type"`
	Id     string         `json:"Id,omitempty"`
	Lookup map[string]any `json:"Lookup,omitempty"`
	Ports  []int          `json:"Ports,omitempty"`
}

// KeyValue is a CloudFormation Key/Value pair (attributes, tags).
type KeyValue struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// KeyValues accepts CloudFormation's list of {Key, Value} and compose-x's
// shorter mapping; the mapping form comes out sorted by key.
type KeyValues []KeyValue

func (kv *KeyValues) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			*kv = append(*kv, KeyValue{Key: k, Value: scalar(m[k])})
		}
		return nil
	}
	var list []KeyValue
	if err := strictDecode(b, &list); err != nil {
		return err
	}
	*kv = list
	return nil
}

// scalar writes a YAML scalar as the string CloudFormation wants.
func scalar(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// Listener is one listener of the load balancer.
type Listener struct {
	Port           *int            `json:"Port,omitempty"`
	Protocol       string          `json:"Protocol,omitempty"`
	SslPolicy      string          `json:"SslPolicy,omitempty"`
	Certificates   []Certificate   `json:"Certificates,omitempty"`
	DefaultActions []DefaultAction `json:"DefaultActions,omitempty"`
	Targets        []Target        `json:"Targets,omitempty"`
	// Tags identify an existing listener in Lookup.Listeners.
	Tags map[string]string `json:"Tags,omitempty"`

	// key is the listener's element in the key path: its index in the
	// list form, its port in the mapping form.
	key string
}

// Listeners accepts the list form and compose-x's mapping keyed by port
// (ports as quoted keys: compose-go refuses integer keys in x- blocks).
type Listeners []Listener

func (ls *Listeners) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		type keyed struct {
			port int
			key  string
		}
		var keys []keyed
		for k := range m {
			p, err := strconv.Atoi(k)
			if err != nil {
				return fmt.Errorf("Listeners: key %q is not a port number", k)
			}
			keys = append(keys, keyed{p, k})
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i].port < keys[j].port })
		for _, k := range keys {
			var l Listener
			if err := strictDecode(m[k.key], &l); err != nil {
				return fmt.Errorf("Listeners.%s: %v", k.key, err)
			}
			port := k.port
			l.Port, l.key = &port, k.key
			*ls = append(*ls, l)
		}
		return nil
	}
	var list []Listener
	if err := strictDecode(b, &list); err != nil {
		return err
	}
	for i := range list {
		list[i].key = strconv.Itoa(i)
	}
	*ls = list
	return nil
}

// Certificate is a listener certificate: an ACM ARN, or the name of an
// x-acm certificate, which becomes a template parameter (composex does
// not create certificates).
type Certificate struct {
	CertificateArn string `json:"CertificateArn,omitempty"`
	Acm            string `json:"x-acm,omitempty"`
}

// DefaultAction is compose-x's shorthand for a listener's default action.
type DefaultAction struct {
	Redirect string `json:"Redirect"`
}

// Target sends a listener's requests to a target group, under conditions
// (access, Conditions) and after authentication.
type Target struct {
	Name                      string                                      `json:"name"`
	Access                    string                                      `json:"access,omitempty"`
	Conditions                []elb.ListenerRule_RuleCondition            `json:"Conditions,omitempty"`
	AuthenticateCognitoConfig *elb.ListenerRule_AuthenticateCognitoConfig `json:"AuthenticateCognitoConfig,omitempty"`
	AuthenticateOidcConfig    *elb.ListenerRule_AuthenticateOidcConfig    `json:"AuthenticateOidcConfig,omitempty"`
	CreateCognitoClient       map[string]any                              `json:"CreateCognitoClient,omitempty"`
}

// ServiceTG is an entry of Services: the target group of one container
// port of a family, keyed family:container[:port].
type ServiceTG struct {
	Port                  *int      `json:"port,omitempty"`
	Protocol              string    `json:"protocol,omitempty"`
	HealthCheck           any       `json:"healthcheck,omitempty"`
	TargetGroupAttributes KeyValues `json:"TargetGroupAttributes,omitempty"`
}

// TargetGroup is an entry of TargetGroups: a named target group that one
// or more family:container pairs register in.
type TargetGroup struct {
	Port                  *int      `json:"Port,omitempty"`
	Protocol              string    `json:"Protocol,omitempty"`
	HealthCheck           any       `json:"HealthCheck,omitempty"`
	TargetGroupAttributes KeyValues `json:"TargetGroupAttributes,omitempty"`
	Services              []Member  `json:"Services"`
}

// Member is a family:container that registers in a target group, on a port.
type Member struct {
	Name string `json:"Name"`
	Port int    `json:"Port"`
}

// HealthCheck is the target group health check in CloudFormation's terms.
type HealthCheck struct {
	HealthCheckEnabled         *bool    `json:"HealthCheckEnabled,omitempty"`
	HealthCheckIntervalSeconds *int     `json:"HealthCheckIntervalSeconds,omitempty"`
	HealthCheckPath            string   `json:"HealthCheckPath,omitempty"`
	HealthCheckPort            any      `json:"HealthCheckPort,omitempty"`
	HealthCheckProtocol        string   `json:"HealthCheckProtocol,omitempty"`
	HealthCheckTimeoutSeconds  *int     `json:"HealthCheckTimeoutSeconds,omitempty"`
	HealthyThresholdCount      *int     `json:"HealthyThresholdCount,omitempty"`
	UnhealthyThresholdCount    *int     `json:"UnhealthyThresholdCount,omitempty"`
	Matcher                    *Matcher `json:"Matcher,omitempty"`
}

// Matcher is the HTTP codes (or gRPC codes) a healthy target answers.
type Matcher struct {
	HttpCode string `json:"HttpCode,omitempty"`
	GrpcCode string `json:"GrpcCode,omitempty"`
}

// Lookup names an existing load balancer (and listeners) to attach to;
// composex renders offline, so each becomes a template parameter.
type Lookup struct {
	LoadBalancer map[string]any `json:"loadbalancer,omitempty"`
	Listeners    Listeners      `json:"Listeners,omitempty"`
	RoleArn      string         `json:"RoleArn,omitempty"`
}

func strictDecode(b []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}
