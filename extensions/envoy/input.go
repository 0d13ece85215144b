package envoy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/ecs"
)

// The sub-keys of x-network that this extension owns. The network
// extension owns the block and accepts these keys without reading them.
const (
	networkKey        = "x-network"
	ecsConnectKey     = "x-ecs_connect"
	serviceConnectKey = "ServiceConnect"
	envoyKey          = "Envoy"
	appMeshKey        = "x-appmesh"
)

// EcsConnect is compose-x's x-network.x-ecs_connect: the Service Connect
// configuration as CloudFormation properties, or built from a namespace of
// the top-level x-cloudmap and the service's named ports.
type EcsConnect struct {
	Properties      *ConnectProperties `json:"Properties,omitempty"`
	MacroParameters *MacroParameters   `json:"MacroParameters,omitempty"`
}

// ConnectProperties is AWS::ECS::Service ServiceConnectConfiguration as
// written in the template. Namespace may name a namespace of the top-level
// x-cloudmap, which composex resolves; any other value (a name or ARN of
// an existing namespace) is passed through.
type ConnectProperties struct {
	Enabled          *bool                               `json:"Enabled,omitempty"`
	Namespace        string                              `json:"Namespace,omitempty"`
	LogConfiguration *ecs.Service_LogConfiguration       `json:"LogConfiguration,omitempty"`
	Services         []ecs.Service_ServiceConnectService `json:"Services,omitempty"`
}

// MacroParameters is compose-x's short form.
type MacroParameters struct {
	CloudMap     string                 `json:"x-cloudmap"`
	ServicePorts map[string]ServicePort `json:"service_ports,omitempty"`
	// ServicesPorts is the spelling of service_ports that compose-x's own
	// files use (use-cases/warpstream.yaml); read as service_ports.
	ServicesPorts map[string]ServicePort `json:"services_ports,omitempty"`
}

// ServicePort is how clients reach one named port.
type ServicePort struct {
	DnsName             string `json:"DnsName,omitempty"`
	CloudMapServiceName string `json:"CloudMapServiceName,omitempty"`
	AppProtocol         string `json:"appProtocol,omitempty"`
}

// ServiceConnect is composex's plainer form, x-network.ServiceConnect:
//
//	ServiceConnect:
//	  Namespace: mysfits        # a namespace of the top-level x-cloudmap
//	  ClientOnly: true          # only call others (no Services)
//	  Services:                 # default: every TCP port of the service
//	    - PortName: tcp_80      # the ECS port name (compose ports[].name or tcp_<port>)
//	      DnsName: like         # default: the compose service name
//	      Port: 80              # port clients call; default: the container port
//	      DiscoveryName: like   # Cloud Map service name; default: the service name
//	      AppProtocol: http     # http, http2 or grpc; default: ports[].app_protocol
type ServiceConnect struct {
	Namespace  string          `json:"Namespace,omitempty"`
	ClientOnly bool            `json:"ClientOnly,omitempty"`
	Services   []ConnectTarget `json:"Services,omitempty"`
}

// ConnectTarget is one port offered through Service Connect.
type ConnectTarget struct {
	PortName      string `json:"PortName"`
	DnsName       string `json:"DnsName,omitempty"`
	Port          int    `json:"Port,omitempty"`
	DiscoveryName string `json:"DiscoveryName,omitempty"`
	AppProtocol   string `json:"AppProtocol,omitempty"`
}

// Settings is x-network.Envoy: an Envoy sidecar in front of the service.
//
//	Envoy:
//	  AppPort: 8080            # required: where the app listens behind Envoy
//	  Port: 80                 # the service port Envoy takes over; default: its first published port
//	  AdminPort: 9901          # admin interface, on 127.0.0.1 only
//	  StatsPort: 9902          # /stats/prometheus for the CloudWatch agent
//	  PrometheusMetrics: true  # scrape Envoy's stats with the family's CloudWatch agent
//	  Tracing: true            # send spans to the family's X-Ray collector when x-xray is on
//	  OverrideImage: ...       # another Envoy image
//	  Egress: true             # route calls to depends_on and links services through Envoy
//	  Upstreams:               # more upstreams, and per-upstream settings (see Upstream)
//	    api: {Timeout: 5, Retries: {NumRetries: 3, RetryOn: "5xx"}}
type Settings struct {
	Enabled           bool   `json:"-"`
	OverrideImage     string `json:"OverrideImage,omitempty"`
	Port              int    `json:"Port,omitempty"`
	AppPort           int    `json:"AppPort,omitempty"`
	AdminPort         int    `json:"AdminPort,omitempty"`
	StatsPort         int    `json:"StatsPort,omitempty"`
	PrometheusMetrics *bool  `json:"PrometheusMetrics,omitempty"`
	Tracing           *bool  `json:"Tracing,omitempty"`
	// Egress (default true) gives the app a local Envoy listener for each
	// HTTP service it depends_on or links to; Upstreams adds more and sets
	// each one's port, timeout and retries.
	Egress    *bool     `json:"Egress,omitempty"`
	Upstreams Upstreams `json:"Upstreams,omitempty"`
}

// Upstreams is x-network.Envoy.Upstreams: a list of service names, or a
// mapping of service name to its settings (null or {} for the defaults).
type Upstreams map[string]*Upstream

// UnmarshalJSON accepts the list and the mapping forms.
func (u *Upstreams) UnmarshalJSON(b []byte) error {
	var names []string
	if err := json.Unmarshal(b, &names); err == nil {
		*u = Upstreams{}
		for _, n := range names {
			(*u)[n] = nil
		}
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("Upstreams is a list of service names or a mapping of service name to settings")
	}
	*u = Upstreams{}
	for n, v := range raw {
		if string(v) == "null" {
			(*u)[n] = nil
			continue
		}
		up := &Upstream{}
		if err := strictDecode(v, up); err != nil {
			return fmt.Errorf("Upstreams.%s: %v", n, err)
		}
		(*u)[n] = up
	}
	return nil
}

// Upstream is how the app reaches one upstream through Envoy.
//
//	Port: 8080          # which of the upstream's published ports; default: its first published port
//	LocalPort: 15001    # the loopback port the app calls; default: 15001, 15002, ... by upstream name
//	Timeout: 15         # seconds for the whole request, retries included (0: none); default 15
//	Retries:
//	  NumRetries: 2     # default 2 (0: no retries)
//	  RetryOn: connect-failure,refused-stream,reset-before-request   # Envoy's x-envoy-retry-on values
//	  PerTryTimeout: 5  # seconds per attempt; default: the request's Timeout
type Upstream struct {
	Port      int      `json:"Port,omitempty"`
	LocalPort int      `json:"LocalPort,omitempty"`
	Timeout   *float64 `json:"Timeout,omitempty"`
	Retries   *Retries `json:"Retries,omitempty"`
}

// Retries is an upstream's retry policy (Envoy's route retry_policy).
type Retries struct {
	NumRetries    *int     `json:"NumRetries,omitempty"`
	RetryOn       string   `json:"RetryOn,omitempty"`
	PerTryTimeout *float64 `json:"PerTryTimeout,omitempty"`
}

// UnmarshalJSON accepts true/false or the strict settings object.
func (s *Settings) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &s.Enabled); err == nil {
		return nil
	}
	type plain Settings
	var v plain
	if err := strictDecode(b, &v); err != nil {
		return err
	}
	*s = Settings(v)
	s.Enabled = true
	return nil
}

// block is what this extension reads of one service's x-network.
type block struct {
	EcsConnect     *EcsConnect
	ServiceConnect *ServiceConnect
	Envoy          *Settings
}

// decodeBlock picks this extension's keys out of x-network and decodes
// each strictly; the other keys belong to the network extension.
func decodeBlock(raw any) (*block, map[string]error) {
	data, err := json.Marshal(raw)
	if err != nil {
		return nil, map[string]error{"": err}
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return nil, nil // not a mapping: the network extension reports it
	}
	b := &block{}
	errs := map[string]error{}
	if v, ok := keys[ecsConnectKey]; ok {
		b.EcsConnect = &EcsConnect{}
		if err := strictDecode(v, b.EcsConnect); err != nil {
			errs[ecsConnectKey], b.EcsConnect = err, nil
		}
	}
	if v, ok := keys[serviceConnectKey]; ok {
		b.ServiceConnect = &ServiceConnect{}
		if err := strictDecode(v, b.ServiceConnect); err != nil {
			errs[serviceConnectKey], b.ServiceConnect = err, nil
		}
	}
	if v, ok := keys[envoyKey]; ok {
		b.Envoy = &Settings{}
		if err := strictDecode(v, b.Envoy); err != nil {
			errs[envoyKey], b.Envoy = err, nil
		}
	}
	return b, errs
}

func strictDecode(b []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if strings.HasPrefix(msg, "unknown field ") {
			return fmt.Errorf("unknown key %s", strings.TrimPrefix(msg, "unknown field "))
		}
		return fmt.Errorf("%s", msg)
	}
	return nil
}

// ports is service_ports, or compose-x's services_ports when only that is
// given (envoy's Validate refuses both together).
func (mp *MacroParameters) ports() map[string]ServicePort {
	if len(mp.ServicePorts) == 0 {
		return mp.ServicesPorts
	}
	return mp.ServicePorts
}
