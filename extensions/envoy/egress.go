package envoy

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

// Egress defaults. The timeout is Envoy's own route default; the retries
// only repeat a request that never reached the upstream (the connection
// failed, or the upstream refused or reset the stream before the request
// was sent), so they are safe for every method, POST included.
const (
	firstLocalPort    = 15001 // compose-x's App Mesh egress port, then upwards
	defaultTimeout    = 15.0
	defaultNumRetries = 2
	defaultRetryOn    = "connect-failure,refused-stream,reset-before-request"
	maxTimeout        = 3600.0
	maxNumRetries     = 10
	egressEnvPrefix   = "ENVOY_EGRESS_"
	egressStatPrefix  = "egress_"
	// ephemeralMin and ephemeralMax bound the ports the ECS agent gives the
	// Service Connect proxy's listeners (agent/utils/ephemeral_ports.go),
	// which it picks around the task's port mappings only: a loopback
	// listener there could collide.
	ephemeralMin = 32768
	ephemeralMax = 60999
)

// retryOnValues are the conditions of Envoy's x-envoy-retry-on and
// x-envoy-retry-grpc-on, which retry_policy.retry_on takes.
var retryOnValues = []string{
	"5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited",
	"retriable-4xx", "refused-stream", "retriable-status-codes", "retriable-headers", "http3-post-connect-failure",
	"cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
}

// egressSpec is one upstream as the bootstrap sees it.
type egressSpec struct {
	Service   string // compose service called
	Cluster   string // Envoy cluster name: the EMF dimension envoy_cluster_name
	LocalPort int    // 127.0.0.1 port the app calls
	DnsName   string // the name the cluster resolves (as published)
	Port      int    // the port it calls there
	Host      string // the Host header the app would have sent
	HTTP2     bool
	Timeout   time.Duration // 0: none
	Retries   int
	RetryOn   string
	PerTry    time.Duration // 0: the request's timeout
}

// checkUpstream reports what one upstream's settings alone show to be wrong.
func checkUpstream(service, path string, u *Upstream, ds *render.Diagnostics) {
	if u == nil {
		return
	}
	for _, pp := range []struct {
		name string
		v    int
	}{{"Port", u.Port}, {"LocalPort", u.LocalPort}} {
		if pp.v != 0 && (pp.v < 1 || pp.v > 65535) {
			ds.Errorf(service, path+"."+pp.name, "port %d is out of range; allowed: 1 to 65535", pp.v)
		}
	}
	if u.LocalPort >= ephemeralMin && u.LocalPort <= ephemeralMax {
		ds.Errorf(service, path+".LocalPort", "port %d is in the range %d-%d from which the ECS agent picks the ports of the Service Connect proxy in the task (and the kernel the local ports of outgoing connections); choose a port below %d", u.LocalPort, ephemeralMin, ephemeralMax, ephemeralMin)
	}
	if u.Timeout != nil && (*u.Timeout < 0 || *u.Timeout > maxTimeout) {
		ds.Errorf(service, path+".Timeout", "%g seconds is out of range; allowed: 0 (no timeout) to %g", *u.Timeout, maxTimeout)
	}
	if r := u.Retries; r != nil {
		if r.NumRetries != nil && (*r.NumRetries < 0 || *r.NumRetries > maxNumRetries) {
			ds.Errorf(service, path+".Retries.NumRetries", "%d retries is out of range; allowed: 0 to %d", *r.NumRetries, maxNumRetries)
		}
		if r.RetryOn != "" {
			for _, c := range strings.Split(r.RetryOn, ",") {
				if !slices.Contains(retryOnValues, strings.TrimSpace(c)) {
					ds.Errorf(service, path+".Retries.RetryOn", "%q is not an Envoy retry condition; allowed: %s", strings.TrimSpace(c), strings.Join(retryOnValues, ", "))
				}
			}
		}
		if r.PerTryTimeout != nil && (*r.PerTryTimeout <= 0 || *r.PerTryTimeout > maxTimeout) {
			ds.Errorf(service, path+".Retries.PerTryTimeout", "%g seconds is out of range; allowed: more than 0, up to %g", *r.PerTryTimeout, maxTimeout)
		}
		if r.PerTryTimeout != nil && u.Timeout != nil && *u.Timeout > 0 && *r.PerTryTimeout > *u.Timeout {
			ds.Errorf(service, path+".Retries.PerTryTimeout", "PerTryTimeout %g is longer than the request's Timeout %g, which includes every attempt", *r.PerTryTimeout, *u.Timeout)
		}
	}
}

// checkUpstreamNames refuses upstreams that are not services of the project.
func checkUpstreamNames(p *types.Project, s types.ServiceConfig, e *Settings, ds *render.Diagnostics) {
	if e == nil || !e.Enabled {
		return
	}
	for _, n := range slices.Sorted(maps.Keys(e.Upstreams)) {
		path := render.ServicePath(s.Name, networkKey, envoyKey, "Upstreams", render.Key(n))
		if _, ok := p.Services[n]; !ok {
			ds.Errorf(s.Name, path, "%q is not a service of this project; allowed: %s", n, strings.Join(slices.Sorted(maps.Keys(p.Services)), ", "))
		} else if n == s.Name {
			ds.Errorf(s.Name, path, "%s cannot be its own upstream: Envoy already forwards its inbound traffic to it", n)
		}
	}
}

// candidate is one service the app may call through Envoy, and why.
type candidate struct {
	service  string
	explicit *Upstream // nil unless listed in Upstreams
	listed   bool
}

// upstreamCandidates are the services the compose file says the service
// calls: depends_on and links (with Egress on), and Upstreams, by name.
func upstreamCandidates(s *types.ServiceConfig, set *Settings) []candidate {
	seen := map[string]*candidate{}
	if set.Egress == nil || *set.Egress {
		for n := range s.DependsOn {
			seen[n] = &candidate{service: n}
		}
		for _, l := range s.Links {
			target, _, _ := strings.Cut(l, ":")
			seen[target] = &candidate{service: target}
		}
	}
	for n, u := range set.Upstreams {
		seen[n] = &candidate{service: n, explicit: u, listed: true}
	}
	var out []candidate
	for _, n := range slices.Sorted(maps.Keys(seen)) {
		out = append(out, *seen[n])
	}
	return out
}

// mainPortOf is the port others call a service on: its first published
// TCP port in the order written, else its first TCP port.
func mainPortOf(s types.ServiceConfig) int {
	for _, p := range s.Ports {
		if p.Published != "" && (p.Protocol == "" || strings.EqualFold(p.Protocol, "tcp")) {
			return int(p.Target)
		}
	}
	for _, p := range render.ListenPorts(s) {
		if p.Protocol == "tcp" {
			return p.ContainerPort
		}
	}
	return 0
}

// pickEndpoint chooses the published name and port the cluster resolves:
// a Service Connect name (what the app itself would resolve) before a
// Cloud Map DNS name, the service's own name before an alias, the asked
// port, else the service's main port, else its lowest.
func pickEndpoint(eps []render.Endpoint, service string, want, main int) (render.Endpoint, bool) {
	rank := func(e render.Endpoint) []int {
		r := []int{0, 0, 0, e.Port}
		if e.Via != render.EndpointServiceConnect {
			r[0] = 1
		}
		if e.Port != main {
			r[1] = 1
		}
		if !strings.EqualFold(e.DnsName, service) {
			r[2] = 1
		}
		return r
	}
	var best *render.Endpoint
	for i := range eps {
		e := eps[i]
		if want != 0 && e.Port != want {
			continue
		}
		if best == nil || slices.Compare(rank(e), rank(*best)) < 0 {
			best = &e
		}
	}
	if best == nil {
		return render.Endpoint{}, false
	}
	return *best, true
}

func endpointList(eps []render.Endpoint) string {
	var s []string
	for _, e := range eps {
		s = append(s, fmt.Sprintf("%s:%d", e.DnsName, e.Port))
	}
	slices.Sort(s)
	return strings.Join(s, ", ")
}

// reClusterUnsafe: Envoy's tag extraction reads the cluster name of
// cluster.<name>.<stat> up to the first dot, so a name keeps no dot.
var reClusterUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]`)

func clusterName(service string) string {
	n := reClusterUnsafe.ReplaceAllString(service, "_")
	if n == appCluster || n == adminCluster {
		n = "upstream_" + n
	}
	return n
}

// speaksHTTP reports whether the compose file shows that the upstream's
// port speaks HTTP (Envoy's egress listeners are HTTP listeners, so a
// database or a cache named in depends_on gets none): its app_protocol, an
// Envoy sidecar of its own, or an http:// URL to it in the caller's
// environment.
func speaksHTTP(p *types.Project, caller *types.ServiceConfig, upstream string, port int, names []string) bool {
	u := p.Services[upstream]
	for _, pt := range u.Ports {
		if int(pt.Target) == port && (pt.AppProtocol == "http" || pt.AppProtocol == "http2" || pt.AppProtocol == "grpc") {
			return true
		}
	}
	if x, ok := u.Extensions[networkKey].(map[string]any); ok {
		if e, ok := x[envoyKey]; ok && e != nil && e != false {
			return true
		}
	}
	for _, v := range caller.Environment {
		if v != nil && len(findHTTPURLs(*v, names, port)) > 0 {
			return true
		}
	}
	return false
}

func upstreamHTTP2(p *types.Project, upstream string, port int) bool {
	for _, pt := range p.Services[upstream].Ports {
		if int(pt.Target) == port && (pt.AppProtocol == "http2" || pt.AppProtocol == "grpc") {
			return true
		}
	}
	return false
}

// upstreamNames are the names the caller may write for an upstream: its
// compose name, its network aliases, the caller's links aliases, and the
// published name.
func upstreamNames(p *types.Project, caller *types.ServiceConfig, upstream, published string) []string {
	names := []string{upstream}
	names = append(names, render.NetworkAliases(p, render.NetworkOwner(p, upstream))...)
	for _, l := range caller.Links {
		target, alias, ok := strings.Cut(l, ":")
		if ok && target == upstream && alias != "" {
			names = append(names, alias)
		}
	}
	names = append(names, published)
	slices.Sort(names)
	return slices.Compact(names)
}

// findHTTPURLs finds the http:// URLs of a value that name the upstream
// (one of names) on its port (written, or implied by http's 80), and
// returns the byte ranges of their host[:port] parts.
func findHTTPURLs(v string, names []string, port int) [][2]int {
	var out [][2]int
	for _, n := range names {
		re := regexp.MustCompile(`(?i)http://(` + regexp.QuoteMeta(n) + `)(:([0-9]{1,5}))?`)
		for _, m := range re.FindAllStringSubmatchIndex(v, -1) {
			if m[0] > 0 && strings.ContainsRune(urlSchemeChars, rune(v[m[0]-1])) {
				continue // part of another scheme (xhttp://)
			}
			if m[1] < len(v) && !strings.ContainsRune("/?#,; \t\n", rune(v[m[1]])) {
				continue // a longer host (http://apiserver) or port
			}
			written := 80
			if m[6] >= 0 {
				written, _ = strconv.Atoi(v[m[6]:m[7]])
			}
			if written == port {
				out = append(out, [2]int{m[2], m[1]})
			}
		}
	}
	slices.SortFunc(out, func(a, b [2]int) int { return a[0] - b[0] })
	return out
}

const urlSchemeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-"

// rewriteHTTPURLs points the http:// URLs of a value that name the
// upstream at its local Envoy listener.
func rewriteHTTPURLs(v string, names []string, port, local int) string {
	spans := findHTTPURLs(v, names, port)
	if len(spans) == 0 {
		return v
	}
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		if sp[0] < last {
			continue
		}
		b.WriteString(v[last:sp[0]])
		fmt.Fprintf(&b, "%s:%d", localhost, local)
		last = sp[1]
	}
	b.WriteString(v[last:])
	return b.String()
}

// envName is the environment variable that names the local listener of
// an upstream: ENVOY_EGRESS_<NAME>, the name upper-cased, other characters _.
func envName(service string) string {
	var b strings.Builder
	b.WriteString(egressEnvPrefix)
	for _, r := range strings.ToUpper(service) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteRune('_')
		}
	}
	return b.String()
}

func seconds(v float64) time.Duration {
	return time.Duration(math.Round(v * float64(time.Second)))
}

// egress resolves the upstreams of service s (family f, app container
// app) to egress listeners: each one's published name and port, a free
// loopback port, its timeout and retries. used holds the task's ports.
func egress(m *render.Model, p *types.Project, f *render.Family, s *types.ServiceConfig, set *Settings, used map[int]string, ds *render.Diagnostics) ([]egressSpec, error) {
	var out []egressSpec
	claimed := map[int]string{}
	for k, v := range used {
		claimed[k] = v
	}
	// Explicit local ports first, so that the defaults go around them.
	for _, c := range upstreamCandidates(s, set) {
		if c.explicit != nil && c.explicit.LocalPort != 0 {
			if owner, taken := claimed[c.explicit.LocalPort]; taken {
				return nil, fmt.Errorf("Upstreams.%s.LocalPort %d is already a port of %s; the task's containers share one network interface: choose another", c.service, c.explicit.LocalPort, owner)
			}
			claimed[c.explicit.LocalPort] = "the egress listener for " + c.service
		}
	}
	next := firstLocalPort
	for _, c := range upstreamCandidates(s, set) {
		if _, ok := p.Services[c.service]; !ok {
			continue // Validate reported it
		}
		up := c.explicit
		if up == nil {
			up = &Upstream{}
		}
		if f.Container(c.service) != nil {
			if c.listed {
				return nil, fmt.Errorf("Upstreams.%s: %s runs in the same task (family %s) and is reached on localhost, not through Envoy", c.service, c.service, f.Name)
			}
			continue
		}
		owner := render.NetworkOwner(p, c.service)
		eps := m.Endpoints[owner]
		main := mainPortOf(p.Services[owner])
		ep, ok := pickEndpoint(eps, c.service, up.Port, main)
		switch {
		case !ok && up.Port != 0 && len(eps) > 0:
			return nil, fmt.Errorf("Upstreams.%s.Port %d: %s is reached on %s", c.service, up.Port, c.service, endpointList(eps))
		case !ok && c.listed:
			return nil, fmt.Errorf("Upstreams.%s: %s has no name that the tasks of %s can resolve (it listens on no TCP port, shares no network with %s, or runs in several families); Envoy's cluster needs the name and port others reach it on", c.service, c.service, f.Name, s.Name)
		case !ok:
			continue // depends_on orders start-up; not every dependency is called
		}
		if ep.Via == render.EndpointServiceConnect && !f.ServiceConnect {
			if c.listed {
				return nil, fmt.Errorf("Upstreams.%s: %s is named through ECS Service Connect, but family %s is no Service Connect client, so the name does not resolve in its tasks", c.service, ep.DnsName, f.Name)
			}
			continue
		}
		names := upstreamNames(p, s, c.service, ep.DnsName)
		if !c.listed && !speaksHTTP(p, s, owner, ep.Port, names) {
			continue
		}
		if ep.Via == render.EndpointServiceConnect {
			waitFor(m, f, s.Name, c.service, m.FamiliesOf(owner), ds)
		}
		local := up.LocalPort
		if local == 0 {
			for {
				if _, taken := claimed[next]; !taken {
					break
				}
				next++
			}
			local = next
			claimed[local] = "the egress listener for " + c.service
		}
		host := ep.DnsName
		if ep.Port != 80 {
			host += ":" + strconv.Itoa(ep.Port)
		}
		e := egressSpec{
			Service: c.service, Cluster: clusterName(c.service), LocalPort: local,
			DnsName: ep.DnsName, Port: ep.Port, Host: host, HTTP2: upstreamHTTP2(p, owner, ep.Port),
			Timeout: seconds(defaultTimeout), Retries: defaultNumRetries, RetryOn: defaultRetryOn,
		}
		if up.Timeout != nil {
			e.Timeout = seconds(*up.Timeout)
		}
		if r := up.Retries; r != nil {
			if r.NumRetries != nil {
				e.Retries = *r.NumRetries
			}
			if r.RetryOn != "" {
				e.RetryOn = strings.ReplaceAll(r.RetryOn, " ", "")
			}
			if r.PerTryTimeout != nil {
				e.PerTry = seconds(*r.PerTryTimeout)
			}
		}
		for _, o := range out {
			if o.Cluster == e.Cluster {
				return nil, fmt.Errorf("the upstreams %s and %s both become the Envoy cluster %s; rename one", o.Service, e.Service, e.Cluster)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// pointAppAtEgress gives the app an ENVOY_EGRESS_<NAME> variable per
// upstream and points its http:// URLs to each upstream at the local
// listener, so that an app configured by URL calls through Envoy with no
// change.
func pointAppAtEgress(p *types.Project, s *types.ServiceConfig, app *render.Container, ups []egressSpec) {
	if len(ups) == 0 {
		return
	}
	if app.Environment == nil {
		app.Environment = map[string]string{}
	}
	for _, u := range ups {
		names := upstreamNames(p, s, u.Service, u.DnsName)
		for _, k := range slices.Sorted(maps.Keys(app.Environment)) {
			if app.EnvironmentRefs[k] {
				continue // written by an extension with ${AWS::...} references
			}
			app.Environment[k] = rewriteHTTPURLs(app.Environment[k], names, u.Port, u.LocalPort)
		}
		if _, set := app.Environment[envName(u.Service)]; !set {
			app.Environment[envName(u.Service)] = fmt.Sprintf("http://%s:%d", localhost, u.LocalPort)
		}
	}
}

// waitFor creates the caller's ECS service after the upstream's: a task
// resolves the Service Connect names that existed when it started (AWS
// recommends DependsOn from a client service to the services it calls).
// A cycle cannot be ordered; it is reported.
func waitFor(m *render.Model, f *render.Family, caller, upstream string, fams []*render.Family, ds *render.Diagnostics) {
	for _, g := range fams {
		if g == f || slices.Contains(f.DependsOn, g.Name) {
			continue
		}
		if waits(m, g, f.Name, map[string]bool{}) {
			ds.Warnf(caller, render.ServicePath(caller, networkKey, envoyKey, "Upstreams"), "%s calls %s through Envoy, and family %s waits for family %s: CloudFormation cannot create both first, so %s's tasks resolve %s only from their next deployment on",
				caller, upstream, g.Name, f.Name, caller, upstream)
			continue
		}
		f.DependsOn = append(f.DependsOn, g.Name)
		slices.Sort(f.DependsOn)
	}
}

// waits reports whether family g waits, directly or not, for target.
func waits(m *render.Model, g *render.Family, target string, seen map[string]bool) bool {
	if g == nil || seen[g.Name] {
		return false
	}
	seen[g.Name] = true
	for _, d := range g.DependsOn {
		if d == target || waits(m, m.Family(d), target, seen) {
			return true
		}
	}
	return false
}
