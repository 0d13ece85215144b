package elbv2

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	elb "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"

	"github.com/composex/composex/render"
)

// Protocols a listener may have, by load balancer type.
var listenerProtocols = map[string][]string{
	application: {"HTTP", "HTTPS"},
	network:     {"TCP", "TLS", "UDP", "TCP_UDP"},
}

// compatible lists, per listener protocol, the target group protocols
// that can serve it (ELB refuses the other pairings).
var compatible = map[string][]string{
	"HTTP": {"HTTP", "HTTPS"}, "HTTPS": {"HTTP", "HTTPS"},
	"TCP": {"TCP", "TCP_UDP"}, "TLS": {"TCP", "TLS"}, "UDP": {"UDP", "TCP_UDP"}, "TCP_UDP": {"TCP_UDP"},
}

// readListener checks one listener: its port and protocol against the load
// balancer type, its certificates, its default action and its targets.
// existing marks a listener of Lookup.Listeners, which composex adds rules
// to rather than creating.
func readListener(lb *loadBalancer, l Listener, path string, byName map[string]*targetGroup, existing bool, ds *render.Diagnostics) *listener {
	ln := &listener{path: path, sslPolicy: l.SslPolicy}
	if l.Port == nil || *l.Port < 1 || *l.Port > 65535 {
		ds.Errorf("", path+".Port", "a listener needs a Port from 1 to 65535")
		return nil
	}
	ln.port = *l.Port
	if existing {
		if lb.alb() == false {
			ds.Errorf("", path, "rules can be added to listeners of application load balancers only")
			return nil
		}
		ln.existing = lb.id + "Listener" + strconv.Itoa(ln.port) + "Arn"
		ln.protocol = "HTTPS"
		if len(l.DefaultActions)+len(l.Certificates) > 0 || l.Protocol != "" {
			ds.Errorf("", path, "an existing listener keeps its protocol, certificates and default action; give only Targets (with Conditions)")
		}
	} else {
		ln.protocol = strings.ToUpper(l.Protocol)
		if ln.protocol == "" && lb.alb() && len(l.Certificates) == 0 {
			// compose-x leaves Protocol out of the listener it writes
			// (straight_import_keys); an application load balancer's
			// listener without certificates can only be HTTP.
			ds.Warnf("", path, "no Protocol: composex writes HTTP, the protocol of an application load balancer's listener without certificates (compose-x leaves it out); set Protocol: HTTPS and a certificate to terminate TLS")
			ln.protocol = "HTTP"
		}
		if ln.protocol == "" {
			ds.Errorf("", path+".Protocol", "give the listener's Protocol; allowed: %s", strings.Join(listenerProtocols[lb.typ], ", "))
			return nil
		}
		if !slices.Contains(listenerProtocols[lb.typ], ln.protocol) {
			what := map[string]string{application: "an application", network: "a network"}[lb.typ]
			ds.Errorf("", path+".Protocol", "%s is not a listener protocol of %s load balancer; allowed: %s", l.Protocol, what, strings.Join(listenerProtocols[lb.typ], ", "))
			return nil
		}
	}
	secure := ln.protocol == "HTTPS" || ln.protocol == "TLS"
	switch {
	case existing:
	case secure && len(l.Certificates) == 0:
		ds.Errorf("", path+".Certificates", "%s listener needs a certificate (CertificateArn: arn:aws:acm:..., or x-acm: NAME for a certificate ARN given as a parameter)", article(ln.protocol))
	case !secure && len(l.Certificates) > 0:
		// compose-x files put certificates on HTTP listeners and compose-x
		// drops them; CloudFormation would refuse them. Dropping them is
		// safe (the listener serves plain HTTP either way), but the user
		// may have meant TLS, so it is said.
		ds.Warnf("", path+".Certificates", "%s listener does not use certificates; they are ignored (set Protocol: %s to terminate TLS on port %d)",
			article(ln.protocol), map[bool]string{true: "HTTPS", false: "TLS"}[lb.alb()], ln.port)
	}
	if l.SslPolicy != "" && !secure {
		ds.Errorf("", path+".SslPolicy", "an SSL policy applies to HTTPS and TLS listeners only")
	}
	for i, c := range l.Certificates {
		cp := fmt.Sprintf("%s.Certificates.%d", path, i)
		switch {
		case (c.CertificateArn == "") == (c.Acm == ""):
			ds.Errorf("", cp, "give either CertificateArn or x-acm")
		case c.CertificateArn != "":
			if !reCertArn.MatchString(c.CertificateArn) {
				ds.Errorf("", cp+".CertificateArn", "%q is not an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)", c.CertificateArn)
			}
			if secure {
				ln.certs = append(ln.certs, cert{arn: c.CertificateArn})
			}
		case secure:
			ln.certs = append(ln.certs, cert{param: CertificateParam(c.Acm)})
		}
	}
	for i, a := range l.DefaultActions {
		ap := fmt.Sprintf("%s.DefaultActions.%d.Redirect", path, i)
		switch {
		case i > 0:
			ds.Errorf("", fmt.Sprintf("%s.DefaultActions.%d", path, i), "a listener has one default action")
		case a.Redirect == redirectTeaPot && !lb.alb():
			ds.Errorf("", ap, "%s answers with a fixed response, which only application load balancers give; %s is a network load balancer", redirectTeaPot, lb.name)
		case a.Redirect == redirectTeaPot:
			ln.teaPot = true
		case a.Redirect != redirectHTTPS:
			ds.Errorf("", ap, "%q is not a redirect composex knows; allowed: %s", a.Redirect, redirectHTTPS+", "+redirectTeaPot)
		case ln.protocol != "HTTP":
			ds.Errorf("", ap, "%s redirects plain HTTP requests; this listener is %s", redirectHTTPS, ln.protocol)
		default:
			ln.redirect = true
		}
	}
	for i, t := range l.Targets {
		tp := fmt.Sprintf("%s.Targets.%d", path, i)
		r := readRoute(lb, ln, t, tp, byName, ds)
		if r == nil {
			continue
		}
		switch {
		case !lb.alb():
			if ln.def != nil {
				ds.Errorf("", tp, "%s listener forwards to one target group; %s already goes to %s", article(ln.protocol), path, ln.def.tg.key)
				continue
			}
			ln.def = r
		case existing:
			if len(r.conditions()) == 0 {
				ds.Errorf("", tp+".Conditions", "a rule added to an existing listener needs conditions (access or Conditions), or it would take every request")
				continue
			}
			ln.rules = append(ln.rules, r)
		case len(r.conditions()) == 0:
			if ln.def != nil || ln.redirect || ln.teaPot {
				taken := ln.defName()
				switch {
				case ln.redirect:
					taken = "the redirect"
				case ln.teaPot:
					taken = "the TEA_POT response"
				}
				ds.Errorf("", tp+".access", "this target takes every request, but %s already does; give it a path or host in access or Conditions", taken)
				continue
			}
			ln.def = r
		default:
			ln.rules = append(ln.rules, r)
		}
	}
	if ln.def == nil && len(ln.rules) == 0 && !ln.redirect && !ln.teaPot {
		ds.Errorf("", path+".Targets", "listener on port %d forwards nowhere; give Targets (name: family:container of a Services entry, or a TargetGroups name) or DefaultActions", ln.port)
	}
	if len(ln.rules) > 0 && ln.redirect {
		ds.Errorf("", path+".Targets", "a listener that redirects every request to HTTPS never evaluates rules; put the targets on the HTTPS listener")
	}
	return ln
}

func (ln *listener) defName() string {
	if ln.def == nil {
		return "another target"
	}
	return ln.def.tg.key
}

// readRoute resolves a listener target to its target group and checks its
// conditions and authentication.
func readRoute(lb *loadBalancer, ln *listener, t Target, path string, byName map[string]*targetGroup, ds *render.Diagnostics) *route {
	if t.Name == "" {
		ds.Errorf("", path+".name", "a target needs a name: family:container of a Services entry, or a TargetGroups name")
		return nil
	}
	tg := byName[t.Name]
	if tg == nil {
		// compose-x also accepts family:container for family:container:port.
		var hits []*targetGroup
		for _, k := range slices.Sorted(maps.Keys(byName)) {
			if strings.HasPrefix(k, t.Name+":") {
				hits = append(hits, byName[k])
			}
		}
		if len(hits) == 1 {
			tg = hits[0]
		}
	}
	if tg == nil {
		ds.Errorf("", path+".name", "%q is not a target group of %s; declared: %s", t.Name, lb.name, declared(byName))
		return nil
	}
	r := &route{tg: tg, target: t, path: path}
	tg.used = true
	if !slices.Contains(compatible[ln.protocol], tg.protocol) {
		ds.Errorf("", path+".name", "%s listener cannot forward to the %s target group %s; allowed target protocols: %s", article(ln.protocol), tg.protocol, tg.key, strings.Join(compatible[ln.protocol], ", "))
	}
	if !lb.alb() {
		if len(t.Conditions) > 0 || t.AuthenticateCognitoConfig != nil || t.AuthenticateOidcConfig != nil {
			ds.Errorf("", path, "a network load balancer forwards every connection; conditions and authentication need an application load balancer")
		}
		if t.Access != "" && t.Access != "/" {
			ds.Errorf("", path+".access", "a network load balancer does not read paths or hosts; drop access")
		}
		return r
	}
	if t.Access != "" {
		host, p := splitAccess(t.Access)
		if host != "" && !reHostName.MatchString(host) {
			ds.Errorf("", path+".access", "%q is not a host name (letters, digits, -, ., and the wildcards * and ?)", host)
		}
		if p != "" && !strings.HasPrefix(p, "/") {
			ds.Errorf("", path+".access", "the path %q must start with /", p)
		}
	}
	for i, c := range t.Conditions {
		if c.Field == nil && c.HostHeaderConfig == nil && c.PathPatternConfig == nil && c.HttpRequestMethodConfig == nil &&
			c.HttpHeaderConfig == nil && c.QueryStringConfig == nil && c.SourceIpConfig == nil {
			ds.Errorf("", fmt.Sprintf("%s.Conditions.%d", path, i), "a condition needs a Field with Values, or one of HostHeaderConfig, PathPatternConfig, HttpRequestMethodConfig, HttpHeaderConfig, QueryStringConfig, SourceIpConfig")
		}
	}
	values := 0
	for _, c := range r.conditions() {
		values += conditionValues(c)
	}
	if values > 5 {
		ds.Errorf("", path, "this rule has %d condition values; an ALB rule takes at most 5 (a path in access counts twice: /p and /p/*)", values)
	}
	if t.AuthenticateCognitoConfig != nil && t.AuthenticateOidcConfig != nil {
		ds.Errorf("", path, "give AuthenticateCognitoConfig or AuthenticateOidcConfig, not both")
	}
	if (t.AuthenticateCognitoConfig != nil || t.AuthenticateOidcConfig != nil) && ln.protocol != "HTTPS" {
		ds.Errorf("", path, "authentication actions run on HTTPS listeners only; this listener is %s", ln.protocol)
	}
	if t.CreateCognitoClient != nil {
		ds.Errorf("", path+".CreateCognitoClient", "creating a Cognito client needs x-cognito_userpool, which composex does not implement; give AuthenticateCognitoConfig with the UserPoolArn, UserPoolClientId and UserPoolDomain")
	}
	if c := t.AuthenticateCognitoConfig; c != nil && (c.UserPoolArn == "" || c.UserPoolClientId == "" || c.UserPoolDomain == "") {
		ds.Errorf("", path+".AuthenticateCognitoConfig", "give UserPoolArn, UserPoolClientId and UserPoolDomain")
	}
	if o := t.AuthenticateOidcConfig; o != nil {
		if o.Issuer == "" || o.AuthorizationEndpoint == "" || o.TokenEndpoint == "" || o.UserInfoEndpoint == "" || o.ClientId == "" {
			ds.Errorf("", path+".AuthenticateOidcConfig", "give Issuer, AuthorizationEndpoint, TokenEndpoint, UserInfoEndpoint and ClientId")
		}
		if o.ClientSecret != nil && !strings.HasPrefix(*o.ClientSecret, "{{resolve:") {
			ds.Warnf("", path+".AuthenticateOidcConfig.ClientSecret", "the client secret is written in clear in the template; keep it in Secrets Manager and write {{resolve:secretsmanager:NAME:SecretString:KEY}}")
		}
	}
	return r
}

func declared(byName map[string]*targetGroup) string {
	if len(byName) == 0 {
		return "none (add Services or TargetGroups)"
	}
	return strings.Join(slices.Sorted(maps.Keys(byName)), ", ")
}

// splitAccess reads compose-x's access: "/path", "host", "host/path" or
// "host:port/path". The port is dropped: the ALB matches the host name of
// the Host header, not its port.
func splitAccess(access string) (host, path string) {
	if strings.HasPrefix(access, "/") {
		return "", access
	}
	host, rest, found := strings.Cut(access, "/")
	if found {
		path = "/" + rest
	}
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	return host, path
}

// conditions are the route's rule conditions: access first (path "/"
// alone matches everything and is no condition), then Conditions, one
// condition per field as CloudFormation wants (compose-x files put several
// configs, without Field, in one entry).
func (r *route) conditions() []elb.ListenerRule_RuleCondition {
	var out []elb.ListenerRule_RuleCondition
	field := func(f string) *string { return &f }
	if r.target.Access != "" {
		host, path := splitAccess(r.target.Access)
		if host != "" {
			out = append(out, elb.ListenerRule_RuleCondition{Field: field("host-header"),
				HostHeaderConfig: &elb.ListenerRule_HostHeaderConfig{Values: []string{host}}})
		}
		if path != "" && path != "/" {
			values := []string{path}
			if !strings.ContainsAny(path, "*?") {
				// /api matches /api only; /api/* what is under it.
				values = append(values, strings.TrimSuffix(path, "/")+"/*")
			}
			out = append(out, elb.ListenerRule_RuleCondition{Field: field("path-pattern"),
				PathPatternConfig: &elb.ListenerRule_PathPatternConfig{Values: values}})
		}
	}
	for _, c := range r.target.Conditions {
		n := len(out)
		if c.HostHeaderConfig != nil {
			out = append(out, elb.ListenerRule_RuleCondition{Field: field("host-header"), HostHeaderConfig: c.HostHeaderConfig})
		}
		if c.PathPatternConfig != nil {
			out = append(out, elb.ListenerRule_RuleCondition{Field: field("path-pattern"), PathPatternConfig: c.PathPatternConfig})
		}
		if c.HttpRequestMethodConfig != nil {
			out = append(out, elb.ListenerRule_RuleCondition{Field: field("http-request-method"), HttpRequestMethodConfig: c.HttpRequestMethodConfig})
		}
		if c.HttpHeaderConfig != nil {
			out = append(out, elb.ListenerRule_RuleCondition{Field: field("http-header"), HttpHeaderConfig: c.HttpHeaderConfig})
		}
		if c.QueryStringConfig != nil {
			out = append(out, elb.ListenerRule_RuleCondition{Field: field("query-string"), QueryStringConfig: c.QueryStringConfig})
		}
		if c.SourceIpConfig != nil {
			out = append(out, elb.ListenerRule_RuleCondition{Field: field("source-ip"), SourceIpConfig: c.SourceIpConfig})
		}
		if len(out) == n && c.Field != nil {
			out = append(out, elb.ListenerRule_RuleCondition{Field: c.Field, Values: c.Values})
		}
	}
	return out
}

func conditionValues(c elb.ListenerRule_RuleCondition) int {
	n := len(c.Values)
	if c.HostHeaderConfig != nil {
		n += len(c.HostHeaderConfig.Values)
	}
	if c.PathPatternConfig != nil {
		n += len(c.PathPatternConfig.Values)
	}
	if c.HttpRequestMethodConfig != nil {
		n += len(c.HttpRequestMethodConfig.Values)
	}
	if c.HttpHeaderConfig != nil {
		n += len(c.HttpHeaderConfig.Values)
	}
	if c.QueryStringConfig != nil {
		n += len(c.QueryStringConfig.Values)
	}
	if c.SourceIpConfig != nil {
		n += len(c.SourceIpConfig.Values)
	}
	return n
}

// article puts "a" or "an" before a protocol name, as it is read aloud.
func article(protocol string) string {
	if strings.HasPrefix(protocol, "HTTP") {
		return "an " + protocol
	}
	return "a " + protocol
}
