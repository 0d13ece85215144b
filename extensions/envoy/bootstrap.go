package envoy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"time"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tracev3 "github.com/envoyproxy/go-control-plane/envoy/config/trace/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	getaddrinfov3 "github.com/envoyproxy/go-control-plane/envoy/extensions/network/dns_resolver/getaddrinfo/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	"gopkg.in/yaml.v3"

	"github.com/composex/composex/render"
)

// Names inside the bootstrap.
const (
	appCluster     = "app"
	adminCluster   = "envoy_admin"
	ingressName    = "ingress"
	statsName      = "prometheus_stats"
	statsPath      = "/stats/prometheus"
	localhost      = "127.0.0.1"
	anyAddress     = "0.0.0.0"
	xrayTracerName = "envoy.tracers.xray"
	// statsSummaries is the admin URL the stats route rewrites the agent's
	// /stats/prometheus to: the Prometheus format, histograms printed as
	// summaries (the form Envoy's own admin tests exercise).
	statsSummaries  = "/stats?format=prometheus&histogram_buckets=summary"
	dnsResolverName = "envoy.network.dns_resolver.getaddrinfo"
	httpOptionsName = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
)

// bootstrapSpec is what the Envoy of one family does.
type bootstrapSpec struct {
	Family      string
	ListenPort  int // the service's port, on all interfaces; 0: no ingress
	AppPort     int // the app, on localhost
	AppHTTP2    bool
	AdminPort   int    // localhost only
	StatsPort   int    // 0: no stats listener
	XRayAddress string // "host:port" of the X-Ray collector; "": no tracing
	Egress      []egressSpec
}

// accessLogFields is the JSON access log Envoy writes to stdout (awslogs
// picks it up); one object per request, keys in this order of meaning.
var accessLogFields = map[string]string{
	"start_time":                "%START_TIME%",
	"method":                    "%REQ(:METHOD)%",
	"path":                      "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
	"protocol":                  "%PROTOCOL%",
	"authority":                 "%REQ(:AUTHORITY)%",
	"response_code":             "%RESPONSE_CODE%",
	"response_flags":            "%RESPONSE_FLAGS%",
	"bytes_received":            "%BYTES_RECEIVED%",
	"bytes_sent":                "%BYTES_SENT%",
	"duration_ms":               "%DURATION%",
	"upstream_service_time":     "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
	"upstream_host":             "%UPSTREAM_HOST%",
	"downstream_remote_address": "%DOWNSTREAM_REMOTE_ADDRESS%",
	"x_forwarded_for":           "%REQ(X-FORWARDED-FOR)%",
	"user_agent":                "%REQ(USER-AGENT)%",
	"request_id":                "%REQ(X-REQUEST-ID)%",
	"trace_id":                  "%REQ(X-AMZN-TRACE-ID)%",
}

// buildBootstrap builds the typed Envoy bootstrap and checks it with the
// API's own validation rules, typed configs included.
func buildBootstrap(sp bootstrapSpec) (*bootstrapv3.Bootstrap, error) {
	var listeners []*listenerv3.Listener
	var clusters []*clusterv3.Cluster
	if sp.ListenPort != 0 { // 0: an Envoy for the app's calls only
		ingress, err := ingressListener(sp)
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, ingress)
		app := staticCluster(appCluster, localhost, sp.AppPort)
		if sp.AppHTTP2 {
			opts, err := http2Options()
			if err != nil {
				return nil, err
			}
			app.TypedExtensionProtocolOptions = map[string]*anypb.Any{httpOptionsName: opts}
		}
		clusters = append(clusters, app)
	}
	for _, e := range sp.Egress {
		l, err := egressListener(sp, e)
		if err != nil {
			return nil, err
		}
		c, err := egressCluster(e)
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		clusters = append(clusters, c)
	}
	if sp.StatsPort != 0 {
		stats, err := statsListener(sp)
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, stats)
		clusters = append(clusters, staticCluster(adminCluster, localhost, sp.AdminPort))
	}
	b := &bootstrapv3.Bootstrap{
		Node:            &corev3.Node{Id: sp.Family, Cluster: sp.Family},
		Admin:           &bootstrapv3.Admin{Address: address(localhost, sp.AdminPort)},
		StaticResources: &bootstrapv3.Bootstrap_StaticResources{Listeners: listeners, Clusters: clusters},
	}
	if err := validateDeep(b); err != nil {
		return nil, err
	}
	return b, nil
}

func address(host string, port int) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Protocol: corev3.SocketAddress_TCP, Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(port)},
	}}}
}

func staticCluster(name, host string, port int) *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 name,
		ConnectTimeout:       durationpb.New(2 * time.Second),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: address(host, port)}}}},
		}}},
	}
}

// ingressListener takes the service's port and forwards everything to the
// app on localhost, logging each request and tracing it when asked.
func ingressListener(sp bootstrapSpec) (*listenerv3.Listener, error) {
	fields := map[string]any{}
	for k, v := range accessLogFields {
		fields[k] = v
	}
	jsonFormat, err := structpb.NewStruct(fields)
	if err != nil {
		return nil, err
	}
	stdout, err := pack(&streamv3.StdoutAccessLog{AccessLogFormat: &streamv3.StdoutAccessLog_LogFormat{LogFormat: &corev3.SubstitutionFormatString{
		Format: &corev3.SubstitutionFormatString_JsonFormat{JsonFormat: jsonFormat},
	}}})
	if err != nil {
		return nil, err
	}
	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix: ingressName,
		CodecType:  hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: &routev3.RouteConfiguration{
			Name: ingressName,
			VirtualHosts: []*routev3.VirtualHost{{Name: appCluster, Domains: []string{"*"}, Routes: []*routev3.Route{{
				Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: appCluster}}},
			}}}},
		}},
		AccessLog: []*accesslogv3.AccessLog{{Name: "envoy.access_loggers.stdout", ConfigType: &accesslogv3.AccessLog_TypedConfig{TypedConfig: stdout}}},
	}
	if hcm.Tracing, err = xrayTracing(sp); err != nil {
		return nil, err
	}
	return httpListener(ingressName, anyAddress, sp.ListenPort, hcm)
}

// xrayTracing sends the spans of a connection manager to the family's
// X-Ray collector, under the family's segment name (nil: no tracing).
func xrayTracing(sp bootstrapSpec) (*hcmv3.HttpConnectionManager_Tracing, error) {
	if sp.XRayAddress == "" {
		return nil, nil
	}
	host, portText, err := net.SplitHostPort(sp.XRayAddress)
	if err != nil {
		return nil, fmt.Errorf("X-Ray collector address %q: %v", sp.XRayAddress, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("X-Ray collector address %q: %v", sp.XRayAddress, err)
	}
	xray, err := pack(&tracev3.XRayConfig{
		DaemonEndpoint: &corev3.SocketAddress{Protocol: corev3.SocketAddress_UDP, Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(port)}},
		SegmentName:    sp.Family,
	})
	if err != nil {
		return nil, err
	}
	return &hcmv3.HttpConnectionManager_Tracing{Provider: &tracev3.Tracing_Http{
		Name: xrayTracerName, ConfigType: &tracev3.Tracing_Http_TypedConfig{TypedConfig: xray},
	}}, nil
}

// egressListener is the app's way to one upstream: 127.0.0.1:LocalPort,
// everything to the upstream's cluster with its timeout and retries, the
// Host header the app would have sent, traced as outbound.
func egressListener(sp bootstrapSpec, e egressSpec) (*listenerv3.Listener, error) {
	action := &routev3.RouteAction{
		ClusterSpecifier:     &routev3.RouteAction_Cluster{Cluster: e.Cluster},
		HostRewriteSpecifier: &routev3.RouteAction_HostRewriteLiteral{HostRewriteLiteral: e.Host},
		Timeout:              durationpb.New(e.Timeout),
	}
	if e.Retries > 0 {
		action.RetryPolicy = &routev3.RetryPolicy{RetryOn: e.RetryOn, NumRetries: wrapperspb.UInt32(uint32(e.Retries))}
		if e.PerTry > 0 {
			action.RetryPolicy.PerTryTimeout = durationpb.New(e.PerTry)
		}
	}
	name := egressStatPrefix + e.Cluster
	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix: name,
		CodecType:  hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: &routev3.RouteConfiguration{
			Name: name,
			VirtualHosts: []*routev3.VirtualHost{{Name: e.Cluster, Domains: []string{"*"}, Routes: []*routev3.Route{{
				Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_Route{Route: action},
			}}}},
		}},
	}
	var err error
	if hcm.Tracing, err = xrayTracing(sp); err != nil {
		return nil, err
	}
	l, err := httpListener(name, localhost, e.LocalPort, hcm)
	if err != nil {
		return nil, err
	}
	l.TrafficDirection = corev3.TrafficDirection_OUTBOUND
	return l, nil
}

// egressCluster reaches the upstream by the name and port the networking
// code published, resolved as the app would resolve it: getaddrinfo reads
// /etc/hosts first, where ECS writes the Service Connect names of the
// task, then DNS (a Cloud Map private zone); STRICT_DNS re-resolves and
// balances over every address the name has.
func egressCluster(e egressSpec) (*clusterv3.Cluster, error) {
	resolver, err := pack(&getaddrinfov3.GetAddrInfoDnsResolverConfig{})
	if err != nil {
		return nil, err
	}
	c := &clusterv3.Cluster{
		Name:                   e.Cluster,
		ConnectTimeout:         durationpb.New(2 * time.Second),
		ClusterDiscoveryType:   &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STRICT_DNS},
		DnsLookupFamily:        clusterv3.Cluster_V4_PREFERRED,
		TypedDnsResolverConfig: &corev3.TypedExtensionConfig{Name: dnsResolverName, TypedConfig: resolver},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: e.Cluster, Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: address(e.DnsName, e.Port)}}}},
		}}},
	}
	if e.HTTP2 {
		opts, err := http2Options()
		if err != nil {
			return nil, err
		}
		c.TypedExtensionProtocolOptions = map[string]*anypb.Any{httpOptionsName: opts}
	}
	return c, nil
}

func http2Options() (*anypb.Any, error) {
	return pack(&upstreamhttpv3.HttpProtocolOptions{
		UpstreamProtocolOptions: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}},
		}},
	})
}

// statsListener serves only /stats/prometheus of the admin interface, on
// the task's address, so that the CloudWatch agent (which scrapes the
// task's IP, not localhost) can read it while the rest of the admin
// interface (/quitquitquit, /config_dump, ...) stays on localhost.
func statsListener(sp bootstrapSpec) (*listenerv3.Listener, error) {
	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix: statsName,
		CodecType:  hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: &routev3.RouteConfiguration{
			Name: statsName,
			VirtualHosts: []*routev3.VirtualHost{{Name: statsName, Domains: []string{"*"}, Routes: []*routev3.Route{{
				Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Path{Path: statsPath}},
				// The CloudWatch agent drops Prometheus histograms: ask for
				// them as summaries (quantiles, _sum and _count), which it keeps.
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: adminCluster},
					PrefixRewrite: statsSummaries}},
			}}}},
		}},
	}
	return httpListener(statsName, anyAddress, sp.StatsPort, hcm)
}

func httpListener(name, host string, port int, hcm *hcmv3.HttpConnectionManager) (*listenerv3.Listener, error) {
	router, err := pack(&routerv3.Router{})
	if err != nil {
		return nil, err
	}
	hcm.HttpFilters = []*hcmv3.HttpFilter{{Name: "envoy.filters.http.router", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: router}}}
	cfg, err := pack(hcm)
	if err != nil {
		return nil, err
	}
	return &listenerv3.Listener{
		Name:    name,
		Address: address(host, port),
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{
			Name: "envoy.filters.network.http_connection_manager", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: cfg},
		}}}},
	}, nil
}

// validatable is what protoc-gen-validate generates on every API message.
type validatable interface {
	ValidateAll() error
}

// pack validates a typed config and wraps it in an Any.
func pack(m proto.Message) (*anypb.Any, error) {
	if v, ok := m.(validatable); ok {
		if err := v.ValidateAll(); err != nil {
			return nil, fmt.Errorf("envoy %s: %v", m.ProtoReflect().Descriptor().FullName(), err)
		}
	}
	return anypb.New(m)
}

// validateDeep runs the API's validation rules on a message and on every
// typed config (Any) inside it, which protoc-gen-validate does not open.
func validateDeep(m proto.Message) error {
	if v, ok := m.(validatable); ok {
		if err := v.ValidateAll(); err != nil {
			return fmt.Errorf("envoy %s: %v", m.ProtoReflect().Descriptor().FullName(), err)
		}
	}
	return walkAny(m.ProtoReflect())
}

func walkAny(msg protoreflect.Message) error {
	var err error
	visit := func(v protoreflect.Message) bool {
		if a, ok := v.Interface().(*anypb.Any); ok {
			inner, uerr := a.UnmarshalNew()
			if uerr != nil {
				err = fmt.Errorf("envoy typed config %s: %v", a.GetTypeUrl(), uerr)
				return false
			}
			err = validateDeep(inner)
			return err == nil
		}
		err = walkAny(v)
		return err == nil
	}
	msg.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := val.List()
			for i := 0; i < l.Len(); i++ {
				if !visit(l.Get(i).Message()) {
					return false
				}
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			ok := true
			val.Map().Range(func(_ protoreflect.MapKey, v protoreflect.Value) bool {
				ok = visit(v.Message())
				return ok
			})
			return ok
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			return visit(val.Message())
		}
		return true
	})
	return err
}

// encodeBootstrap writes the bootstrap as block YAML for review, keys
// sorted (render.ReviewYAML): protojson's own output is deliberately
// unstable, and composex's output must be byte-identical from run to run.
// Envoy's --config-yaml reads it; YAML also keeps the bootstrap under
// Parameter Store's 4096-character Standard tier, where indented JSON's
// braces and quotes would not.
func encodeBootstrap(b *bootstrapv3.Bootstrap) (string, error) {
	raw, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(b)
	if err != nil {
		return "", err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	return render.ReviewYAML(v)
}

// compactBootstrap is the review form written as compact JSON, for a
// bootstrap whose review form does not fit an SSM parameter (json.Marshal
// sorts the keys of the generic tree, so the order stays stable).
func compactBootstrap(review string) (string, error) {
	var v any
	if err := yaml.Unmarshal([]byte(review), &v); err != nil {
		return "", err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(raw), nil
}

// DecodeBootstrap reads a bootstrap written by encodeBootstrap (YAML, or
// JSON, which YAML includes) back into the typed API and validates it,
// typed configs included (for tests and for anyone who wants to check a
// rendered parameter). Scalars are typed as Envoy's YAML loader types
// them: a quoted one is a string, a plain one a number or boolean where
// it reads as one.
func DecodeBootstrap(text string) (*bootstrapv3.Bootstrap, error) {
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	b := &bootstrapv3.Bootstrap{}
	if err := (protojson.UnmarshalOptions{}).Unmarshal(raw, b); err != nil {
		return nil, err
	}
	if err := validateDeep(b); err != nil {
		return nil, err
	}
	return b, nil
}
