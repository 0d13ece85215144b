package envoy

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	"github.com/awslabs/goformation/v7/cloudformation/ssm"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

const (
	// ContainerName is the Envoy sidecar's name; the EMF rules match it.
	ContainerName = "envoy"
	// Image is the pinned Envoy release, the upstream image (see
	// render.Pins for when and where it was checked).
	Image      = render.EnvoyImage
	imageParam = "EnvoyImage"

	defaultAdminPort = 9901
	defaultStatsPort = 9902
	bootstrapSecret  = "ENVOY_BOOTSTRAP"
)

// healthCheck asks Envoy's admin /ready over HTTP without a shell: the
// envoyproxy/envoy image is Ubuntu without curl or wget, but perl-base is
// an Essential package of every Debian/Ubuntu image and carries
// IO::Socket::INET.
func healthCheck(adminPort int) *render.HealthCheck {
	script := fmt.Sprintf(`$s=IO::Socket::INET->new(PeerAddr=>"127.0.0.1:%d",Timeout=>2) or exit 1; `+
		`print $s "GET /ready HTTP/1.0\r\nHost: localhost\r\n\r\n"; $l=<$s>; `+
		`exit(defined $l && $l=~m{^HTTP/1\.[01] 200 } ? 0 : 1)`, adminPort)
	return &render.HealthCheck{Command: []string{"CMD", "perl", "-MIO::Socket::INET", "-e", script},
		Interval: 5, Timeout: 2, Retries: 3, StartPeriod: 10}
}

// BootstrapParameterID is the logical ID of a family's Envoy bootstrap.
func BootstrapParameterID(f *render.Family) string { return f.Logical + "EnvoyBootstrap" }

// sidecar adds the Envoy sidecar of the one service of the family that
// asks for it.
func sidecar(m *render.Model, p *types.Project, f *render.Family, blocks map[string]*block, ds *render.Diagnostics) {
	var set *Settings
	var from *types.ServiceConfig
	for _, s := range f.Services {
		b := blocks[s.Name]
		if b == nil || b.Envoy == nil || !b.Envoy.Enabled {
			continue
		}
		if set != nil {
			ds.Errorf(s.Name, render.ServicePath(s.Name, networkKey, envoyKey), "family %s: %s and %s both ask for an Envoy sidecar; a task has one Envoy, in front of one service", f.Name, from.Name, s.Name)
			continue
		}
		set, from = b.Envoy, s
	}
	if set == nil {
		return
	}
	if err := addEnvoy(m, p, f, from, set, ds); err != nil {
		ds.Errorf(from.Name, render.ServicePath(from.Name, networkKey, envoyKey), "%v", err)
	}
}

// listenPort is the port Envoy takes over: the one the user names, else
// the service's first published TCP port in the order written, else its
// first TCP port.
func listenPort(s *types.ServiceConfig, app *render.Container, want int) (*render.Port, error) {
	find := func(port int) *render.Port {
		for i := range app.Ports {
			if app.Ports[i].ContainerPort == port && app.Ports[i].Protocol == "tcp" {
				return &app.Ports[i]
			}
		}
		return nil
	}
	if want != 0 {
		if p := find(want); p != nil {
			return p, nil
		}
		return nil, fmt.Errorf("Port %d is not a TCP port of %s (%s); Envoy takes over one of the service's ports", want, s.Name, portList(app.Ports))
	}
	for _, p := range s.Ports {
		if p.Published != "" && (p.Protocol == "" || strings.EqualFold(p.Protocol, "tcp")) {
			if found := find(int(p.Target)); found != nil {
				return found, nil
			}
		}
	}
	for i := range app.Ports {
		if app.Ports[i].Protocol == "tcp" {
			return &app.Ports[i], nil
		}
	}
	return nil, fmt.Errorf("%s listens on no TCP port (ports or expose); Envoy needs the port others reach it on", s.Name)
}

func addEnvoy(m *render.Model, p *types.Project, f *render.Family, s *types.ServiceConfig, set *Settings, ds *render.Diagnostics) error {
	app := f.Container(s.Name)
	if app == nil {
		return nil
	}
	path := render.ServicePath(s.Name, networkKey, envoyKey)
	listen, err := listenPort(s, app, set.Port)
	// A service that listens on no TCP port but calls upstreams gets an
	// Envoy for its calls only (a worker, a job): no ingress, no AppPort.
	clientOnly := false
	if err != nil {
		if set.Port != 0 || hasTCPPort(app) || len(upstreamCandidates(s, set)) == 0 {
			return err
		}
		if set.AppPort != 0 {
			return fmt.Errorf("AppPort %d: %s listens on no TCP port (ports or expose), so Envoy has no inbound traffic to forward to it; drop AppPort, and Envoy carries only %s's calls to its upstreams", set.AppPort, s.Name, s.Name)
		}
		clientOnly = true
	}
	var moved render.Port
	if !clientOnly {
		moved = *listen
		if set.AppPort == 0 {
			return fmt.Errorf("Envoy listens on port %d, the port others reach %s on (and that its ingress rules open), so %s must listen on another port: "+
				"set x-network.Envoy.AppPort to the port the app listens on behind Envoy, and make the app listen there", moved.ContainerPort, s.Name, s.Name)
		}
		if set.AppPort == moved.ContainerPort {
			return fmt.Errorf("AppPort %d is the port Envoy listens on; the app must listen on another port behind Envoy", set.AppPort)
		}
	}
	metrics := set.PrometheusMetrics == nil || *set.PrometheusMetrics
	admin := orDefault(set.AdminPort, defaultAdminPort)
	stats := 0
	if metrics {
		stats = orDefault(set.StatsPort, defaultStatsPort)
	}

	// Every port Envoy or the app will bind must be free in the task: its
	// containers share one network interface.
	used := map[int]string{}
	for _, c := range f.Containers {
		for _, p := range c.Ports {
			if c == app && p.ContainerPort == set.AppPort {
				continue // the app already declares the port it listens on
			}
			if !(c == app && p.ContainerPort == moved.ContainerPort) {
				used[p.ContainerPort] = c.Name
			}
		}
	}
	claims := []struct {
		what string
		port int
	}{{"Envoy's listener (the service port)", moved.ContainerPort}, {"AppPort", set.AppPort}, {"AdminPort", admin}}
	if clientOnly {
		claims = claims[2:]
	}
	if stats != 0 {
		claims = append(claims, struct {
			what string
			port int
		}{"StatsPort", stats})
	}
	for i, c := range claims {
		if owner, taken := used[c.port]; taken {
			return fmt.Errorf("%s %d is already a port of %s; the task's containers share one network interface: choose another", c.what, c.port, owner)
		}
		for _, d := range claims[:i] {
			if d.port == c.port {
				return fmt.Errorf("%s and %s are both %d; give them different ports", d.what, c.what, c.port)
			}
		}
	}
	// The egress listeners take loopback ports that no container uses.
	taken := map[int]string{}
	for k, v := range used {
		taken[k] = v
	}
	for _, c := range claims {
		taken[c.port] = "Envoy (" + c.what + ")"
	}
	if !clientOnly {
		taken[set.AppPort] = s.Name
	}
	ups, err := egress(m, p, f, s, set, taken, ds)
	if err != nil {
		return err
	}
	if clientOnly && len(ups) == 0 {
		return fmt.Errorf("%s listens on no TCP port and calls no upstream through Envoy (x-network.Envoy.Upstreams, or depends_on and links services that speak HTTP), so Envoy would have nothing to carry", s.Name)
	}

	// The app gives its port to Envoy and listens on AppPort instead.
	if !clientOnly {
		movePort(f, app, moved, set.AppPort)
	}

	tracing := ""
	if f.Tracing != nil && (set.Tracing == nil || *set.Tracing) {
		tracing = f.Tracing.XRayAddress
	}
	if f.Tracing == nil && set.Tracing != nil && *set.Tracing {
		ds.Warnf(s.Name, path+".Tracing", "the family collects no traces (no x-xray), so Envoy has nowhere to send spans; add x-xray to %s", s.Name)
	}
	b, err := buildBootstrap(bootstrapSpec{
		Family: f.Name, ListenPort: moved.ContainerPort, AppPort: set.AppPort,
		AppHTTP2:  moved.AppProtocol == "http2" || moved.AppProtocol == "grpc",
		AdminPort: admin, StatsPort: stats, XRayAddress: tracing, Egress: ups,
	})
	if err != nil {
		return err
	}
	body, err := encodeBootstrap(b)
	if err != nil {
		return err
	}
	stored := render.EscapeSub(body)
	tier, err := render.ParameterTier("the Envoy bootstrap", stored, true)
	if err != nil {
		// The review form's indentation costs room (a deep Envoy tree is a
		// third longer as YAML than as compact JSON): a bootstrap that only
		// fits compact is stored compact, keys still sorted, rather than
		// refused. Envoy's --config-yaml reads JSON as YAML.
		compact, cerr := compactBootstrap(body)
		if cerr != nil {
			return cerr
		}
		body, stored = compact, render.EscapeSub(compact)
		if tier, err = render.ParameterTier("the Envoy bootstrap", stored, true); err != nil {
			return err
		}
	}
	if tier == render.TierAdvanced {
		ds.Warnf(s.Name, path, "the Envoy bootstrap of family %s is %d characters, more than the %d of a Standard SSM parameter: it is stored in the Advanced tier, which AWS charges for (per parameter and month); fewer upstreams keep it Standard", f.Name, len(body), render.StandardParameterChars)
	}
	pointAppAtEgress(p, s, app, ups)
	id := BootstrapParameterID(f)
	if err := f.AddResource(id, &ssm.Parameter{
		Name:        cloudformation.SubPtr("/composex/${AWS::StackName}/" + render.ResourceName(f.Name) + "/envoy"),
		Type:        "String",
		Tier:        cloudformation.String(tier),
		Description: cloudformation.String("Envoy bootstrap of " + f.Name),
		Value:       render.Sub(stored),
	}); err != nil {
		return err
	}
	arn := "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${" + id + "}"
	f.ExecutionRole.AddPolicy("ReadEnvoyBootstrap", render.Statement{Sid: "EnvoyBootstrapFromSsm", Effect: "Allow",
		Action: []string{"ssm:GetParameters"}, Resource: []string{arn}})

	param := imageParam
	if set.OverrideImage != "" {
		param = f.Logical + "EnvoyImage"
		img := set.OverrideImage
		if err := m.FamilySidecarImage(f, param, img, "Envoy"); err != nil {
			return err
		}
	} else if err := m.SidecarImage(imageParam, Image, "Envoy"); err != nil {
		return err
	}
	var envoyPorts []render.Port
	if !clientOnly {
		envoyPorts = append(envoyPorts, moved)
	}
	if stats != 0 {
		envoyPorts = append(envoyPorts, render.Port{ContainerPort: stats, Protocol: "tcp", Name: "envoy_stats"})
	}
	e := &render.Container{
		Name:       ContainerName,
		ImageParam: param,
		// The bootstrap arrives as a secret and Envoy takes it from the
		// command line (--config-yaml), so nothing is written
		// and the root file system stays read-only (AWS Control Tower
		// CT.ECS.PR.6). The shell is the entry point: the image's own
		// entrypoint would chown /dev/stdout, which only root may do, and
		// the container runs as the image's envoy user (CT.ECS.PR.3).
		EntryPoint: []string{"/bin/sh", "-c"},
		Command:    []string{fmt.Sprintf(`exec envoy --config-yaml "$%s" --log-level info`, bootstrapSecret)},
		User:       "envoy",
		ReadOnly:   true,
		Secrets:    []render.ContainerSecret{{Name: bootstrapSecret, ValueFrom: arn}},
		Ports:      envoyPorts,
		// Envoy holds two sockets per proxied connection; ask for the
		// Fargate maximum rather than rely on the platform's default.
		Ulimits:           []render.Ulimit{{Name: "nofile", Soft: 65535, Hard: 65535}},
		HealthCheck:       healthCheck(admin),
		Cpu:               128,
		MemoryReservation: 256,
		// Without Envoy nobody reaches the app: the task must be replaced.
		Essential: true,
	}
	if low := privilegedPorts(moved.ContainerPort, admin, stats); len(low) > 0 {
		// The image's entrypoint runs the command as the envoy user unless
		// ENVOY_UID is 0, and a process that is not root cannot bind a port
		// below 1024 (Fargate grants no CAP_NET_BIND_SERVICE, and awsvpc
		// cannot map a high port to a low one): Envoy would exit, and it is
		// essential, so the task would never run. Keep it root, and say so.
		e.Environment = map[string]string{"ENVOY_UID": "0"}
		e.User = ""
		ds.Warnf(s.Name, path, "Envoy listens on port %s, below 1024, which only root may bind: composex sets ENVOY_UID=0 so that the envoyproxy/envoy entrypoint keeps Envoy root instead of dropping to the envoy user; "+
			"to run Envoy unprivileged, give %s a service port of 1024 or more (and AdminPort, StatsPort too)", joinPorts(low), s.Name)
	}
	if err := f.AddSidecar(e); err != nil {
		return err
	}
	if tracing != "" {
		e.DependOn(f.Tracing.Container, "START")
	}
	for _, c := range f.AppContainers() {
		c.DependOn(ContainerName, "HEALTHY")
	}
	// A Cloud Map registration (x-network.x-cloudmap) of the moved port
	// now names the container that owns it.
	svc, port := s.Name, moved.ContainerPort
	if !clientOnly {
		f.ServiceHooks = append(f.ServiceHooks, func(es *ecs.Service) {
			for i := range es.ServiceRegistries {
				r := &es.ServiceRegistries[i]
				if r.ContainerName != nil && *r.ContainerName == svc && r.ContainerPort != nil && *r.ContainerPort == port {
					r.ContainerName = cloudformation.String(ContainerName)
				}
			}
		})
	}
	if metrics {
		a := f.Agent()
		if a.Prometheus == nil {
			a.Prometheus = &render.PrometheusScrape{}
		}
		a.Prometheus.Exporters = append(a.Prometheus.Exporters, render.PrometheusExporter{Container: ContainerName, Port: stats, Path: statsPath, Job: "envoy-" + render.ResourceName(f.Name)})
		a.Prometheus.Rules = append(a.Prometheus.Rules, emfRules()...)
		a.Prometheus.Rules = append(a.Prometheus.Rules, egressRules(ups)...)
	}
	f.Reorder()
	return nil
}

// movePort gives the app's port to Envoy: the app listens on appPort
// instead.
func movePort(f *render.Family, app *render.Container, moved render.Port, appPort int) {
	var ports []render.Port
	hasAppPort := false
	for _, p := range app.Ports {
		if p.ContainerPort == moved.ContainerPort && p.Protocol == "tcp" {
			continue
		}
		hasAppPort = hasAppPort || (p.ContainerPort == appPort && p.Protocol == "tcp")
		ports = append(ports, p)
	}
	if !hasAppPort {
		ports = append(ports, render.Port{ContainerPort: appPort, Protocol: "tcp", Name: freePortName(f, appPort), AppProtocol: moved.AppProtocol})
	}
	sort.SliceStable(ports, func(i, j int) bool { return ports[i].ContainerPort < ports[j].ContainerPort })
	app.Ports = ports
}

// hasTCPPort reports whether the container declares a TCP port.
func hasTCPPort(c *render.Container) bool {
	for _, p := range c.Ports {
		if p.Protocol == "tcp" {
			return true
		}
	}
	return false
}

// privilegedPorts returns the ports below 1024 among Envoy's (0: none).
func privilegedPorts(ports ...int) []int {
	var low []int
	for _, p := range ports {
		if p > 0 && p < 1024 {
			low = append(low, p)
		}
	}
	return low
}

func joinPorts(ports []int) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ", ")
}

// freePortName names the app's new port tcp_<port>, unless the task
// already has a port mapping of that name.
func freePortName(f *render.Family, port int) string {
	name := "tcp_" + strconv.Itoa(port)
	for _, c := range f.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return "app_" + strconv.Itoa(port)
			}
		}
	}
	return name
}

func portList(ports []render.Port) string {
	if len(ports) == 0 {
		return "none"
	}
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
	}
	return strings.Join(s, ", ")
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// emfRules turn Envoy's Prometheus stats into CloudWatch metrics: compose-x's
// App Mesh rule set (requests, upstream connections and requests, retries,
// timeouts, membership, memory), matched on the container name as the
// agent's ECS discovery labels it.
//
// Envoy counts every HTTP connection manager and every upstream cluster,
// its own included: the admin interface (the health check's /ready,
// envoy_http_conn_manager_prefix "admin"), the stats listener the agent
// scrapes ("prometheus_stats") and the cluster behind it ("envoy_admin").
// A family total over all of them would count the agent's scrapes and the
// health checks as traffic, so the request and upstream rules select the
// app's own series by label value: the agent joins the source_labels'
// values with ";" (its default label_separator) and matches label_matcher
// against that, so a series without the label joins to "envoy;" and is
// left out.
func emfRules() []render.EMFRule {
	family := [][]string{{"ClusterName", "TaskDefinitionFamily"}}
	ingress := []string{"container_name", "envoy_http_conn_manager_prefix"}
	ingressMatch := "^" + ContainerName + ";" + ingressName + "$"
	upstream := []string{"container_name", "envoy_cluster_name"}
	upstreamMatch := "^" + ContainerName + ";" + appCluster + "$"
	return []render.EMFRule{
		{SourceLabels: []string{"container_name"}, LabelMatcher: "^" + ContainerName + "$", Dimensions: family, MetricSelectors: []string{
			"^envoy_server_memory_(allocated|heap_size)$",
			"^envoy_server_(version|uptime|live)$",
		}},
		{SourceLabels: ingress, LabelMatcher: ingressMatch, Dimensions: family, MetricSelectors: []string{
			"^envoy_http_downstream_rq_(total|xx)$",
			"^envoy_http_downstream_cx_destroy_remote_active_rq$",
		}},
		{SourceLabels: ingress, LabelMatcher: ingressMatch, Dimensions: [][]string{{"ClusterName", "TaskDefinitionFamily", "envoy_response_code_class"}},
			MetricSelectors: []string{"^envoy_http_downstream_rq_xx$"}},
		{SourceLabels: upstream, LabelMatcher: upstreamMatch, Dimensions: family, MetricSelectors: []string{
			"^envoy_cluster_upstream_cx_(r|t)x_bytes_total$",
			"^envoy_cluster_membership_(healthy|total)$",
			"^envoy_cluster_upstream_cx_(connect_timeout|destroy_local_with_active_rq)$",
			"^envoy_cluster_upstream_rq_(total|pending_failure_eject|pending_overflow|timeout|per_try_timeout|rx_reset|maintenance_mode)$",
			"^envoy_cluster_upstream_flow_control_(paused_reading_total|resumed_reading_total|backed_up_total|drained_total)$",
			"^envoy_cluster_upstream_rq_retry$",
			"^envoy_cluster_upstream_rq_retry_(success|overflow)$",
		}},
	}
}

// egressRules turn the upstream clusters' stats into CloudWatch metrics
// per hop, dimension envoy_cluster_name (the upstream): requests, the
// response classes (2xx..5xx), retries, timeouts and connection failures,
// and the latency. The CloudWatch agent keeps Prometheus counters, gauges
// and summaries only and drops histograms, so the stats listener asks
// Envoy for its histograms as summaries (histogram_buckets=summary):
// upstream_rq_time then comes as quantile series (milliseconds) plus
// _sum and _count, from which CloudWatch has the mean.
func egressRules(ups []egressSpec) []render.EMFRule {
	if len(ups) == 0 {
		return nil
	}
	var names []string
	for _, u := range ups {
		names = append(names, regexp.QuoteMeta(u.Cluster))
	}
	sort.Strings(names)
	match := "^" + ContainerName + ";(" + strings.Join(names, "|") + ")$"
	cluster := []string{"container_name", "envoy_cluster_name"}
	hop := []string{"ClusterName", "TaskDefinitionFamily", "envoy_cluster_name"}
	return []render.EMFRule{
		{SourceLabels: cluster, LabelMatcher: match, Dimensions: [][]string{hop}, MetricSelectors: []string{
			"^envoy_cluster_upstream_rq_(total|timeout|per_try_timeout|rx_reset|pending_overflow)$",
			"^envoy_cluster_upstream_rq_retry(_success|_overflow)?$",
			"^envoy_cluster_upstream_cx_(connect_fail|connect_timeout)$",
			"^envoy_cluster_upstream_rq_time_(sum|count)$",
			"^envoy_cluster_membership_healthy$",
		}},
		{SourceLabels: cluster, LabelMatcher: match, Dimensions: [][]string{append(slices.Clone(hop), "envoy_response_code_class")},
			MetricSelectors: []string{"^envoy_cluster_upstream_rq_xx$"}},
		{SourceLabels: append(slices.Clone(cluster), "quantile"), LabelMatcher: "^" + ContainerName + ";(" + strings.Join(names, "|") + `);(0\.5|0\.9|0\.99)$`,
			Dimensions: [][]string{append(slices.Clone(hop), "quantile")}, MetricSelectors: []string{"^envoy_cluster_upstream_rq_time$"}},
	}
}
