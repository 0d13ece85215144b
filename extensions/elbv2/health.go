package elbv2

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/composex/composex/render"
)

// Defaults of the health check when the file gives none: the ALB asks the
// traffic port for "/" and counts any answer below 400 as healthy (an app
// that redirects "/" to a login page is alive).
const (
	defaultHealthPath = "/"
	defaultALBMatcher = "200-399"
)

// readHealth reads a health check given as compose-x's string
// (port:protocol[:healthy:unhealthy:interval:timeout][:path][:codes]) or
// as CloudFormation's properties, fills the defaults and checks it
// against what the load balancer accepts.
func readHealth(lb *loadBalancer, tg *targetGroup, raw any, path, service string, ds *render.Diagnostics) {
	var hc HealthCheck
	switch v := raw.(type) {
	case nil:
	case string:
		parsed, err := parseHealthString(v)
		if err != nil {
			ds.Errorf(service, path, "%q: %v", v, err)
			return
		}
		hc = parsed
	default:
		b, _ := json.Marshal(v)
		if err := strictDecode(b, &hc); err != nil {
			ds.Errorf(service, path, "%v", strings.TrimPrefix(err.Error(), "json: "))
			return
		}
	}
	// The port.
	switch p := hc.HealthCheckPort.(type) {
	case nil:
	case float64:
		tg.healthPort = int(p)
	case string:
		if p != "traffic-port" {
			n, err := strconv.Atoi(p)
			if err != nil {
				ds.Errorf(service, path+".HealthCheckPort", "%q is not a port; give a number or traffic-port", p)
			}
			tg.healthPort = n
		}
	default:
		ds.Errorf(service, path+".HealthCheckPort", "give a port number or traffic-port")
	}
	if tg.healthPort == tg.port {
		tg.healthPort = 0 // the traffic port, said plainly
	}
	if tg.healthPort < 0 || tg.healthPort > 65535 {
		ds.Errorf(service, path+".HealthCheckPort", "port %d is out of range", tg.healthPort)
		tg.healthPort = 0
	}
	// The protocol.
	proto := strings.ToUpper(hc.HealthCheckProtocol)
	allowed := []string{"HTTP", "HTTPS"}
	if !lb.alb() {
		allowed = []string{"TCP", "HTTP", "HTTPS"}
	}
	switch {
	case proto == "" && lb.alb():
		proto = tg.protocol
	case proto == "" && (tg.protocol == "TLS" || tg.protocol == "TCP" || tg.protocol == "UDP" || tg.protocol == "TCP_UDP"):
		proto = "TCP"
	case !contains(allowed, proto):
		ds.Errorf(service, path+".HealthCheckProtocol", "%q is not a health check protocol here; allowed: %s", hc.HealthCheckProtocol, strings.Join(allowed, ", "))
		proto = allowed[0]
	}
	hc.HealthCheckProtocol = proto
	if tg.protocol == "UDP" && tg.healthPort == 0 {
		ds.Errorf(service, path, "a UDP target group is health-checked over TCP or HTTP; give a healthcheck on a tcp port the task listens on (e.g. \"8080:TCP\")")
	}
	http := proto == "HTTP" || proto == "HTTPS"
	if http {
		if hc.HealthCheckPath == "" {
			hc.HealthCheckPath = defaultHealthPath
		}
		if !strings.HasPrefix(hc.HealthCheckPath, "/") || len(hc.HealthCheckPath) > 1024 {
			ds.Errorf(service, path+".HealthCheckPath", "%q: a health check path starts with / and has at most 1024 characters", hc.HealthCheckPath)
		}
		if hc.Matcher == nil {
			hc.Matcher = &Matcher{HttpCode: defaultALBMatcher}
		}
		if c := hc.Matcher.HttpCode; c != "" {
			lo, hi := 200, 499
			if !lb.alb() {
				hi = 599
			}
			if !validCodes(c, lo, hi) {
				ds.Errorf(service, path+".Matcher.HttpCode", "%q: give HTTP codes from %d to %d, as 200, 200,202 or 200-299", c, lo, hi)
			}
		}
	} else {
		if hc.HealthCheckPath != "" || hc.Matcher != nil {
			ds.Errorf(service, path, "a %s health check only opens a connection; a path and HTTP codes need HTTP or HTTPS", proto)
		}
	}
	// The timing.
	ranges := []struct {
		name   string
		v      *int
		lo, hi int
	}{
		{"HealthCheckIntervalSeconds", hc.HealthCheckIntervalSeconds, 5, 300},
		{"HealthCheckTimeoutSeconds", hc.HealthCheckTimeoutSeconds, 2, 120},
		{"HealthyThresholdCount", hc.HealthyThresholdCount, 2, 10},
		{"UnhealthyThresholdCount", hc.UnhealthyThresholdCount, 2, 10},
	}
	for _, r := range ranges {
		if r.v != nil && (*r.v < r.lo || *r.v > r.hi) {
			ds.Errorf(service, path+"."+r.name, "%d is out of range; allowed: %d to %d", *r.v, r.lo, r.hi)
		}
	}
	if i, t := hc.HealthCheckIntervalSeconds, hc.HealthCheckTimeoutSeconds; i != nil && t != nil && *t >= *i {
		ds.Errorf(service, path+".HealthCheckTimeoutSeconds", "the timeout (%d s) must be shorter than the interval (%d s)", *t, *i)
	}
	tg.health = hc
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func validCodes(s string, lo, hi int) bool {
	if !reHTTPCode.MatchString(s) {
		return false
	}
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		x, _ := strconv.Atoi(a)
		y := x
		if isRange {
			y, _ = strconv.Atoi(b)
		}
		if x < lo || y > hi || y < x {
			return false
		}
	}
	return true
}

// parseHealthString reads compose-x's shorthand. The four counts are
// healthy threshold, unhealthy threshold, interval and timeout.
func parseHealthString(s string) (HealthCheck, error) {
	var hc HealthCheck
	f := strings.Split(s, ":")
	if len(f) < 2 {
		return hc, fmt.Errorf("write port:protocol, then optionally :healthy:unhealthy:interval:timeout, a :/path and :codes")
	}
	port, err := strconv.Atoi(f[0])
	if err != nil {
		return hc, fmt.Errorf("%q is not a port", f[0])
	}
	hc.HealthCheckPort = float64(port)
	hc.HealthCheckProtocol = f[1]
	rest := f[2:]
	if len(rest) >= 4 {
		var n [4]int
		ok := true
		for i := 0; i < 4; i++ {
			if n[i], err = strconv.Atoi(rest[i]); err != nil {
				ok = false
			}
		}
		if ok {
			hc.HealthyThresholdCount, hc.UnhealthyThresholdCount = &n[0], &n[1]
			hc.HealthCheckIntervalSeconds, hc.HealthCheckTimeoutSeconds = &n[2], &n[3]
			rest = rest[4:]
		}
	}
	if len(rest) > 0 && strings.HasPrefix(rest[0], "/") {
		hc.HealthCheckPath = rest[0]
		rest = rest[1:]
	}
	if len(rest) > 0 && reHTTPCode.MatchString(rest[0]) {
		hc.Matcher = &Matcher{HttpCode: rest[0]}
		rest = rest[1:]
	}
	if len(rest) > 0 {
		return hc, fmt.Errorf("cannot read %q; write port:protocol[:healthy:unhealthy:interval:timeout][:/path][:codes]", strings.Join(rest, ":"))
	}
	return hc, nil
}
