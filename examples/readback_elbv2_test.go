package examples

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// This file reads back the x-elbv2 examples from what moto created through
// the elbv2 API: the load balancers (type, scheme, security group), their
// listeners (protocol, certificates, default actions), rules (priority,
// conditions, target), target groups (target type, port, health check),
// the ECS services' LoadBalancers, and the security group rules of the
// load balancers and of the tasks.
//
// What moto 5.2.1 does not keep, checked in the rendered template instead
// (and by the consumer-rule tests of extensions/elbv2):
//   - the load balancer's attributes and tags and the target groups'
//     attributes (its handlers drop them);
//   - the ECS service's HealthCheckGracePeriodSeconds (moto_plus's service
//     handler does not pass it);
//   - that the two subnets are in two zones (moto accepts any).
//
// tools/moto_check.py adds to moto what the examples need: the load
// balancer Type (moto made every one an ALB), Fn::GetAtt LoadBalancerFullName
// and TargetGroupFullName, and the PublicSubnetIds and certificate
// parameters.
func init() {
	motoChecks["elbv2-alb-https"] = checkElbv2AlbHttps
	motoChecks["elbv2-nlb-tcp"] = checkElbv2NlbTcp
	motoChecks["mysfits-workshop"] = checkMysfitsWorkshop
}

type motoLB struct {
	Arn            string   `json:"LoadBalancerArn"`
	Type           string   `json:"Type"`
	Scheme         string   `json:"Scheme"`
	SecurityGroups []string `json:"SecurityGroups"`
}

type motoAction struct {
	Type           string `json:"Type"`
	TargetGroupArn string `json:"TargetGroupArn"`
	RedirectConfig *struct {
		Protocol   string `json:"Protocol"`
		Port       string `json:"Port"`
		StatusCode string `json:"StatusCode"`
	} `json:"RedirectConfig"`
}

type motoListener struct {
	Arn            string       `json:"ListenerArn"`
	LB             string       `json:"LoadBalancerArn"`
	Port           int          `json:"Port"`
	Protocol       string       `json:"Protocol"`
	SslPolicy      string       `json:"SslPolicy"`
	Certificates   []any        `json:"Certificates"`
	DefaultActions []motoAction `json:"DefaultActions"`
}

type motoRule struct {
	Priority   string `json:"Priority"`
	IsDefault  bool   `json:"IsDefault"`
	Conditions []struct {
		Field             string `json:"Field"`
		PathPatternConfig struct {
			Values []string `json:"Values"`
		} `json:"PathPatternConfig"`
	} `json:"Conditions"`
	Actions []motoAction `json:"Actions"`
}

type motoTG struct {
	Arn                 string `json:"TargetGroupArn"`
	Protocol            string `json:"Protocol"`
	Port                int    `json:"Port"`
	TargetType          string `json:"TargetType"`
	HealthCheckProtocol string `json:"HealthCheckProtocol"`
	HealthCheckPort     string `json:"HealthCheckPort"`
	HealthCheckPath     string `json:"HealthCheckPath"`
	Matcher             struct {
		HttpCode string `json:"HttpCode"`
	} `json:"Matcher"`
	LoadBalancerArns []string `json:"LoadBalancerArns"`
}

// motoELB is the elbv2 part of the summary, with the stack's logical IDs
// of its resources.
type motoELB struct {
	lbs       []motoLB
	listeners []motoListener
	rules     []motoRule
	tgs       []motoTG
	logical   map[string]string // physical ID (ARN) -> logical ID
}

func readELB(t *testing.T, sum *motoSummary) *motoELB {
	t.Helper()
	e := &motoELB{logical: map[string]string{}}
	for raw, out := range map[*json.RawMessage]any{&sum.LoadBalancers: &e.lbs, &sum.Listeners: &e.listeners, &sum.ListenerRules: &e.rules, &sum.TargetGroups: &e.tgs} {
		if err := json.Unmarshal(*raw, out); err != nil {
			t.Fatalf("moto summary: %v (is tools/moto_check.py reading elbv2 back?)", err)
		}
	}
	var resources [][]*string
	if err := json.Unmarshal(sum.Resources, &resources); err != nil {
		t.Fatalf("moto summary resources: %v", err)
	}
	for _, r := range resources {
		if len(r) == 3 && r[0] != nil && r[2] != nil {
			e.logical[*r[2]] = *r[0]
		}
	}
	return e
}

func (e *motoELB) name(arn string) string {
	if n, ok := e.logical[arn]; ok {
		return n
	}
	return arn
}

// describe lists the listeners as "port PROTO -> action" and the rules as
// "port prio: conditions -> target", by logical IDs, sorted.
func (e *motoELB) describe() []string {
	var out []string
	act := func(a motoAction) string {
		switch a.Type {
		case "forward":
			return "forward " + e.name(a.TargetGroupArn)
		case "redirect":
			return fmt.Sprintf("redirect %s:%s %s", a.RedirectConfig.Protocol, a.RedirectConfig.Port, a.RedirectConfig.StatusCode)
		}
		return a.Type
	}
	port := map[string]int{}
	for _, l := range e.listeners {
		var acts []string
		for _, a := range l.DefaultActions {
			acts = append(acts, act(a))
		}
		cert := ""
		if len(l.Certificates) > 0 {
			cert = fmt.Sprintf(" %d cert %s", len(l.Certificates), l.SslPolicy)
		}
		out = append(out, fmt.Sprintf("%d %s%s -> %s", l.Port, l.Protocol, cert, strings.Join(acts, ", ")))
		port[l.Arn] = l.Port
	}
	for _, r := range e.rules {
		if r.IsDefault {
			continue
		}
		var conds []string
		for _, c := range r.Conditions {
			conds = append(conds, c.Field+"="+strings.Join(c.PathPatternConfig.Values, ","))
		}
		var acts []string
		for _, a := range r.Actions {
			acts = append(acts, act(a))
		}
		out = append(out, fmt.Sprintf("rule %s: %s -> %s", r.Priority, strings.Join(conds, " "), strings.Join(acts, ", ")))
	}
	sort.Strings(out)
	return out
}

func (e *motoELB) tg(t *testing.T, logical string) motoTG {
	t.Helper()
	for _, g := range e.tgs {
		if e.name(g.Arn) == logical {
			return g
		}
	}
	t.Fatalf("no target group %s in moto", logical)
	return motoTG{}
}

func (e *motoELB) tgLine(t *testing.T, logical string) string {
	g := e.tg(t, logical)
	return fmt.Sprintf("%s %s:%d health %s:%s%s %s", g.TargetType, g.Protocol, g.Port, g.HealthCheckProtocol, g.HealthCheckPort, g.HealthCheckPath, g.Matcher.HttpCode)
}

// serviceTargets lists a family's LoadBalancers as "container:port -> TG".
func (e *motoELB) serviceTargets(t *testing.T, sum *motoSummary, family string) []string {
	var out []string
	for _, lb := range sum.service(t, family).LoadBalancers {
		out = append(out, fmt.Sprintf("%s:%d -> %s", lb.ContainerName, lb.ContainerPort, e.name(lb.TargetGroupArn)))
	}
	return out
}

func (e *motoELB) oneLB(t *testing.T) motoLB {
	t.Helper()
	if len(e.lbs) != 1 {
		t.Fatalf("want one load balancer in moto, got %d", len(e.lbs))
	}
	return e.lbs[0]
}

func checkElbv2AlbHttps(t *testing.T, p *project, sum *motoSummary) {
	e := readELB(t, sum)
	lb := e.oneLB(t)
	equal(t, "load balancer", []any{e.name(lb.Arn), lb.Type, lb.Scheme, len(lb.SecurityGroups)}, []any{"PublicLoadBalancer", "application", "internet-facing", 1})
	equal(t, "listeners and rules", e.describe(), []string{
		"443 HTTPS 1 cert ELBSecurityPolicy-TLS13-1-2-2021-06 -> forward PublicLoadBalancerWebWebTargetGroup",
		"80 HTTP -> redirect HTTPS:443 HTTP_301",
		"rule 1: path-pattern=/api,/api/* -> forward PublicLoadBalancerApiApiTargetGroup",
	})
	equal(t, "web target group", e.tgLine(t, "PublicLoadBalancerWebWebTargetGroup"), "ip HTTP:80 health HTTP:traffic-port/ 200")
	equal(t, "api target group", e.tgLine(t, "PublicLoadBalancerApiApiTargetGroup"), "ip HTTP:8080 health HTTP:traffic-port/health 200")
	equal(t, "web LoadBalancers", e.serviceTargets(t, sum, "web"), []string{"web:80 -> PublicLoadBalancerWebWebTargetGroup"})
	equal(t, "api LoadBalancers", e.serviceTargets(t, sum, "api"), []string{"api:8080 -> PublicLoadBalancerApiApiTargetGroup"})
	equal(t, "load balancer ingress", sum.ingress(sum.group(t, "public")), []string{"443/tcp<-0.0.0.0/0", "80/tcp<-0.0.0.0/0"})
	// The load balancer's group, and the project's default compose network
	// (web and api share it, so they may call each other on these ports).
	equal(t, "web ingress", sum.ingress(sum.group(t, "web")), []string{"80/tcp<-sg:network-default", "80/tcp<-sg:public"})
	equal(t, "api ingress", sum.ingress(sum.group(t, "api")), []string{"8080/tcp<-sg:network-default", "8080/tcp<-sg:public"})
	// Request count per target follows web's target group, named as
	// Application Auto Scaling wants: app/.../targetgroup/....
	var policies []struct {
		PolicyName string `json:"PolicyName"`
		TT         struct {
			TargetValue float64 `json:"TargetValue"`
			Spec        struct {
				Type  string `json:"PredefinedMetricType"`
				Label string `json:"ResourceLabel"`
			} `json:"PredefinedMetricSpecification"`
		} `json:"TargetTrackingScalingPolicyConfiguration"`
	}
	if err := json.Unmarshal(sum.ScalingPolicies, &policies); err != nil {
		t.Fatal(err)
	}
	tg := e.tg(t, "PublicLoadBalancerWebWebTargetGroup")
	want := strings.SplitN(lb.Arn, ":loadbalancer/", 2)[1] + "/" + strings.SplitN(tg.Arn, ":", 6)[5]
	var got []string
	for _, pol := range policies {
		if pol.TT.Spec.Type == "ALBRequestCountPerTarget" {
			got = append(got, fmt.Sprintf("%s %g %s", pol.PolicyName, pol.TT.TargetValue, pol.TT.Spec.Label))
		}
	}
	equal(t, "request count tracking", got, []string{"alb-request-count-tracking 500 " + want})
	// Not kept by moto: the grace period and the attributes.
	res := templateResources(t, p)
	equal(t, "web grace period", dig(res["WebService"], "Properties", "HealthCheckGracePeriodSeconds"), 60)
	attrs, _ := dig(res["PublicLoadBalancer"], "Properties", "LoadBalancerAttributes").([]any)
	equal(t, "load balancer attributes", len(attrs), 2)
}

func checkElbv2NlbTcp(t *testing.T, p *project, sum *motoSummary) {
	e := readELB(t, sum)
	lb := e.oneLB(t)
	equal(t, "load balancer", []any{e.name(lb.Arn), lb.Type, lb.Scheme}, []any{"CacheNlbLoadBalancer", "network", "internal"})
	equal(t, "listeners", e.describe(), []string{"6379 TCP -> forward CacheNlbLoadBalancerCacheCacheTargetGroup"})
	equal(t, "cache target group", e.tgLine(t, "CacheNlbLoadBalancerCacheCacheTargetGroup"), "ip TCP:6379 health TCP:traffic-port ")
	equal(t, "cache LoadBalancers", e.serviceTargets(t, sum, "cache"), []string{"cache:6379 -> CacheNlbLoadBalancerCacheCacheTargetGroup"})
	equal(t, "load balancer ingress", sum.ingress(sum.group(t, "cache-nlb")), []string{"6379/tcp<-10.0.0.0/16"})
	equal(t, "cache ingress", sum.ingress(sum.group(t, "cache")), []string{"6379/tcp<-sg:cache-nlb"})
}

func checkMysfitsWorkshop(t *testing.T, p *project, sum *motoSummary) {
	e := readELB(t, sum)
	lb := e.oneLB(t)
	equal(t, "load balancer", []any{lb.Type, lb.Scheme}, []any{"application", "internet-facing"})
	equal(t, "listeners and rules", e.describe(), []string{
		"80 HTTP -> forward AlbLoadBalancerMonolithMonolithTargetGroup",
		"rule 1: path-pattern=/mysfits/*/like -> forward AlbLoadBalancerLikeLikeTargetGroup",
	})
	equal(t, "like LoadBalancers", e.serviceTargets(t, sum, "like"), []string{"like:80 -> AlbLoadBalancerLikeLikeTargetGroup"})
	equal(t, "monolith LoadBalancers", e.serviceTargets(t, sum, "monolith"), []string{"monolith:80 -> AlbLoadBalancerMonolithMonolithTargetGroup"})
	equal(t, "like ingress", sum.ingress(sum.group(t, "like")), []string{"80/tcp<-sg:alb", "80/tcp<-sg:network-default"})
	equal(t, "monolith ingress", sum.ingress(sum.group(t, "monolith")), []string{"80/tcp<-sg:alb", "80/tcp<-sg:network-default"})
	// The RequestCount alarms watch the like target group of this load
	// balancer, by the names CloudWatch gives them.
	var alarms []motoAlarm
	if err := json.Unmarshal(sum.Alarms, &alarms); err != nil {
		t.Fatal(err)
	}
	tg := e.tg(t, "AlbLoadBalancerLikeLikeTargetGroup")
	want := []string{"LoadBalancer=" + strings.SplitN(lb.Arn, ":loadbalancer/", 2)[1], "TargetGroup=" + strings.SplitN(tg.Arn, ":", 6)[5]}
	n := 0
	for _, a := range alarms {
		if a.MetricName != "RequestCount" {
			continue
		}
		n++
		var got []string
		for _, d := range a.Dimensions {
			got = append(got, d.Name+"="+d.Value)
		}
		sort.Strings(got)
		equal(t, a.AlarmName+" dimensions", got, want)
		if len(a.AlarmActions) != 1 || !strings.Contains(a.AlarmActions[0], "LikeService") {
			t.Errorf("%s: actions %v, want the like service's step policy", a.AlarmName, a.AlarmActions)
		}
	}
	equal(t, "RequestCount alarms", n, 2)
}
