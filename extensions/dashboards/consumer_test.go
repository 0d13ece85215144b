package dashboards_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// The consumer of a dashboard is CloudWatch drawing it after deploy: a
// graph shows data only when its metric (namespace, name and the exact set
// of dimension names and values) is one something publishes, and an alarm
// or log widget only works on an alarm or log group that exists. The rules
// below, from the CloudWatch dashboard body syntax, the metrics ECS,
// Container Insights and Elastic Load Balancing document, the metric
// filters and the CloudWatch agent's EMF configuration, are applied to the
// rendered templates:
//
//   - every ${...} of the body's Fn::Sub is a pseudo parameter, a variable
//     of the Fn::Sub, or a resource (attribute) of the stack of the right
//     type: an ECS service's Name, a load balancer's LoadBalancerFullName,
//     a target group's TargetGroupFullName, an alarm's Arn, a log group;
//   - the body is JSON with a widgets array; each widget lies on the
//     24-column grid, none overlaps another, metric and log widgets name
//     their region;
//   - AWS/ECS CPUUtilization and MemoryUtilization and Container Insights'
//     Running/Desired/PendingTaskCount have exactly ClusterName and
//     ServiceName, the cluster the services run in and an ECS service of
//     the stack; the cluster composex creates has Container Insights on;
//   - AWS/ApplicationELB RequestCount, HTTPCode_Target_5XX_Count and
//     TargetResponseTime have LoadBalancer and TargetGroup (full names of a
//     load balancer and a target group an ECS service registers in),
//     HTTPCode_ELB_5XX_Count LoadBalancer only;
//   - any other metric is a metric filter's (same namespace and name, and
//     a search on exactly its dimension names when it has dimensions) or
//     the agent's EMF (ECS/ContainerInsights/Prometheus, a search on a
//     dimension set of one of the agent's metric declarations, the
//     TaskDefinitionFamily a task definition of the stack has);
//   - an annotation labelled "alarm X" is the threshold of alarm X, on a
//     metric of the widget;
//   - the dashboard's URL is a stack output.
func TestDashboardsShowWhatTheStackProduces(t *testing.T) {
	for _, ex := range []string{"dashboards-mysfits", "logs-metric-filters"} {
		t.Run(ex, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "..", "examples", ex, "docker-compose.yml"))
			if err != nil {
				t.Fatal(err)
			}
			compose := strings.ReplaceAll(string(b), "LogMetrics/"+ex, "LogMetrics/demo")
			checkTemplate(t, rendertest.MustRender(t, compose))
		})
	}
	t.Run("network load balancer and an existing cluster", func(t *testing.T) {
		r := rendertest.MustRender(t, nlbProject)
		checkTemplate(t, r)
		if rendertest.Find(r.Diags, render.Warning, "x-dashboards.ops") == nil {
			t.Errorf("no Container Insights warning for the existing cluster:\n%s", r.Diags.Error())
		}
	})
}

const nlbProject = `
services:
  db:
    image: public.ecr.aws/docker/library/redis:7.4
    ports: ["6379:6379"]
x-cluster:
  Lookup:
    ClusterName: shared
x-elbv2:
  nlb:
    Properties:
      Type: network
      Scheme: internal
    Listeners:
      - Port: 6379
        Protocol: TCP
        Targets:
          - name: db:db
    Services:
      db:db:
        port: 6379
        protocol: TCP
        healthcheck: 6379:TCP:2:2:10:5
x-dashboards:
  ops:
    Services:
      db: {}
`

type template struct {
	Resources map[string]rendertest.Resource `yaml:"Resources"`
	Outputs   map[string]struct {
		Value any `yaml:"Value"`
	} `yaml:"Outputs"`
}

var reRef = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

func checkTemplate(t *testing.T, r rendertest.Result) {
	raw, err := os.ReadFile(r.Template)
	if err != nil {
		t.Fatal(err)
	}
	var tpl template
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	res := tpl.Resources
	typeOf := func(id string) string { return res[id].Type }
	dashboards := r.Of("AWS::CloudWatch::Dashboard")
	if len(dashboards) == 0 {
		t.Fatal("no dashboard")
	}
	// What the stack publishes.
	filters := map[string][]string{} // namespace\x00name -> dimension names
	for _, f := range r.Of("AWS::Logs::MetricFilter") {
		tr := rendertest.Dig(f.Properties, "MetricTransformations", 0).(map[string]any)
		var dims []string
		ds, _ := tr["Dimensions"].([]any)
		for _, d := range ds {
			dims = append(dims, d.(map[string]any)["Key"].(string))
		}
		slices.Sort(dims)
		filters[fmt.Sprint(tr["MetricNamespace"])+"\x00"+fmt.Sprint(tr["MetricName"])] = dims
	}
	var emfSets [][]string
	for _, p := range r.Of("AWS::SSM::Parameter") {
		v := p.Properties["Value"]
		if s, ok := rendertest.Dig(v, "Fn::Sub").(string); ok {
			v = s
		}
		s, _ := v.(string)
		if !strings.Contains(s, "metric_declaration") {
			continue
		}
		var cfg struct {
			Logs struct {
				MetricsCollected struct {
					Prometheus struct {
						EMF struct {
							Namespace    string `json:"metric_namespace"`
							Declarations []struct {
								Dimensions [][]string `json:"dimensions"`
							} `json:"metric_declaration"`
						} `json:"emf_processor"`
					} `json:"prometheus"`
				} `json:"metrics_collected"`
			} `json:"logs"`
		}
		if err := json.Unmarshal([]byte(s), &cfg); err != nil {
			t.Fatalf("agent config: %v", err)
		}
		emf := cfg.Logs.MetricsCollected.Prometheus.EMF
		if emf.Namespace != "ECS/ContainerInsights/Prometheus" {
			t.Errorf("the agent's EMF namespace is %q; the dashboard searches ECS/ContainerInsights/Prometheus", emf.Namespace)
		}
		for _, d := range emf.Declarations {
			emfSets = append(emfSets, d.Dimensions...)
		}
	}
	families := map[string]bool{}
	for _, td := range r.Of("AWS::ECS::TaskDefinition") {
		families[fmt.Sprint(rendertest.Dig(td.Properties, "Family", "Fn::Sub"))] = true
	}
	registered := map[string]bool{} // target groups ECS services register in
	for _, s := range r.Of("AWS::ECS::Service") {
		lbs, _ := s.Properties["LoadBalancers"].([]any)
		for _, lb := range lbs {
			registered[fmt.Sprint(rendertest.Dig(lb, "TargetGroupArn", "Ref"))] = true
		}
	}
	if c, ok := res["Cluster"]; ok && !strings.Contains(fmt.Sprint(c.Properties["ClusterSettings"]), "Name:containerInsights Value:enabled") {
		t.Errorf("the cluster composex creates has Container Insights off: %v", c.Properties["ClusterSettings"])
	}

	for id, d := range dashboards {
		sub := d.Properties["DashboardBody"].(map[string]any)["Fn::Sub"]
		var body string
		vars := map[string]any{}
		switch s := sub.(type) {
		case string:
			body = s
		case []any:
			body = s[0].(string)
			vars = s[1].(map[string]any)
		}
		if v, ok := vars["EcsClusterName"]; ok && fmt.Sprint(v) != "map[Fn::If:[CreateCluster map[Ref:Cluster] map[Ref:ClusterName]]]" {
			t.Errorf("%s: EcsClusterName is %v, not the services' cluster", id, v)
		}
		for _, m := range reRef.FindAllStringSubmatch(body, -1) {
			ref := m[1]
			name, attr, _ := strings.Cut(ref, ".")
			want := map[string]string{"Name": "AWS::ECS::Service", "LoadBalancerFullName": "AWS::ElasticLoadBalancingV2::LoadBalancer",
				"TargetGroupFullName": "AWS::ElasticLoadBalancingV2::TargetGroup", "": "AWS::Logs::LogGroup"}[attr]
			switch {
			case ref == "AWS::Region" || ref == "AWS::StackName":
			case vars[ref] != nil:
			case attr == "Arn" && (typeOf(name) == "AWS::CloudWatch::Alarm" || typeOf(name) == "AWS::CloudWatch::CompositeAlarm"):
			case want != "" && typeOf(name) == want:
			default:
				t.Errorf("%s: ${%s} is no resource attribute the dashboard may use (%s is %q)", id, ref, name, typeOf(name))
			}
		}
		var doc struct {
			Start   string           `json:"start"`
			Widgets []map[string]any `json:"widgets"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("%s: body is not JSON: %v", id, err)
		}
		var cells []string
		for i, w := range doc.Widgets {
			x, y := int(w["x"].(float64)), int(w["y"].(float64))
			wd, ht := int(w["width"].(float64)), int(w["height"].(float64))
			if wd < 1 || x+wd > 24 || ht < 1 || ht > 1000 || x < 0 || y < 0 {
				t.Errorf("%s: widget %d off the grid: x %d y %d w %d h %d", id, i, x, y, wd, ht)
			}
			for cx := x; cx < x+wd; cx++ {
				for cy := y; cy < y+ht; cy++ {
					c := fmt.Sprint(cx, ",", cy)
					if slices.Contains(cells, c) {
						t.Errorf("%s: widget %d overlaps another at %s", id, i, c)
					}
					cells = append(cells, c)
				}
			}
			p := w["properties"].(map[string]any)
			switch w["type"] {
			case "text":
			case "alarm":
				as, _ := p["alarms"].([]any)
				if len(as) == 0 || len(as) > 100 {
					t.Errorf("%s: alarm widget with %d alarms", id, len(as))
				}
			case "log":
				q, _ := p["query"].(string)
				m := regexp.MustCompile(`^SOURCE '\$\{([A-Za-z0-9]+)\}' \| `).FindStringSubmatch(q)
				if m == nil || typeOf(m[1]) != "AWS::Logs::LogGroup" || p["region"] != "${AWS::Region}" {
					t.Errorf("%s: log widget %q", id, q)
				}
			case "metric":
				if p["region"] != "${AWS::Region}" {
					t.Errorf("%s: metric widget %v without the stack's region", id, p["title"])
				}
				var names []string
				for _, e := range p["metrics"].([]any) {
					names = append(names, checkMetric(t, id, e.([]any), typeOf, registered, filters, emfSets, families))
				}
				ann, _ := rendertest.Dig(p, "annotations", "horizontal").([]any)
				for _, a := range ann {
					label := fmt.Sprint(a.(map[string]any)["label"])
					alarm, ok := strings.CutPrefix(label, "alarm ")
					if !ok {
						continue
					}
					al := res[alarm]
					if al.Type != "AWS::CloudWatch::Alarm" || fmt.Sprint(al.Properties["Threshold"]) != fmt.Sprint(a.(map[string]any)["value"]) || !slices.Contains(names, fmt.Sprint(al.Properties["MetricName"])) {
						t.Errorf("%s: annotation %q (%v) is not that alarm's threshold on a metric of %v", id, label, a.(map[string]any)["value"], p["title"])
					}
				}
			default:
				t.Errorf("%s: widget type %v", id, w["type"])
			}
		}
		found := false
		for _, o := range tpl.Outputs {
			if strings.Contains(fmt.Sprint(o.Value), "${"+id+"}") && strings.Contains(fmt.Sprint(o.Value), "console.aws.amazon.com/cloudwatch") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no output with its URL", id)
		}
	}
}

var reSearch = regexp.MustCompile(`^SEARCH\('\{([^}]*)\}(.*)', '([A-Za-z0-9.]+)', 60\)$`)

// checkMetric checks one entry of a metric widget and returns its metric
// name ("" for a search).
func checkMetric(t *testing.T, id string, e []any, typeOf func(string) string, registered map[string]bool, filters map[string][]string, emfSets [][]string, families map[string]bool) string {
	t.Helper()
	if len(e) == 1 {
		expr, _ := e[0].(map[string]any)["expression"].(string)
		m := reSearch.FindStringSubmatch(expr)
		if m == nil {
			t.Errorf("%s: expression %q", id, expr)
			return ""
		}
		var schema []string
		for _, s := range strings.Split(m[1], ",") {
			schema = append(schema, strings.Trim(s, `"`))
		}
		ns, dims := schema[0], slices.Sorted(slices.Values(schema[1:]))
		if ns == "ECS/ContainerInsights/Prometheus" {
			ok := false
			for _, set := range emfSets {
				if slices.Equal(slices.Sorted(slices.Values(set)), dims) {
					ok = true
				}
			}
			fam := regexp.MustCompile(`TaskDefinitionFamily="([^"]+)"`).FindStringSubmatch(m[2])
			if !ok || fam == nil || !families[fam[1]] {
				t.Errorf("%s: %q is no dimension set of the agent's EMF rules for a task family of the stack", id, expr)
			}
			return ""
		}
		name := regexp.MustCompile(`MetricName="([^"]+)"`).FindStringSubmatch(m[2])
		if name == nil || !slices.Equal(filters[ns+"\x00"+name[1]], dims) || len(dims) == 0 {
			t.Errorf("%s: %q is no metric filter's metric with exactly those dimensions", id, expr)
		}
		return ""
	}
	ns, name := e[0].(string), e[1].(string)
	dims := map[string]string{}
	for i := 2; i+1 < len(e); i += 2 {
		dims[e[i].(string)] = e[i+1].(string)
	}
	is := func(v, typ, attr string) bool {
		m := regexp.MustCompile(`^\$\{([A-Za-z0-9]+)\.` + attr + `\}$`).FindStringSubmatch(v)
		return m != nil && typeOf(m[1]) == typ
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range dims {
			if !yield(k) {
				return
			}
		}
	})
	service := func() bool {
		return slices.Equal(keys, []string{"ClusterName", "ServiceName"}) && dims["ClusterName"] == "${EcsClusterName}" && is(dims["ServiceName"], "AWS::ECS::Service", "Name")
	}
	lbTG := func() bool {
		m := regexp.MustCompile(`^\$\{([A-Za-z0-9]+)\.TargetGroupFullName\}$`).FindStringSubmatch(dims["TargetGroup"])
		return slices.Equal(keys, []string{"LoadBalancer", "TargetGroup"}) && is(dims["LoadBalancer"], "AWS::ElasticLoadBalancingV2::LoadBalancer", "LoadBalancerFullName") && m != nil && registered[m[1]]
	}
	switch {
	case ns == "AWS/ECS" && (name == "CPUUtilization" || name == "MemoryUtilization"):
		if !service() {
			t.Errorf("%s: %s %s dimensions %v", id, ns, name, dims)
		}
	case ns == "ECS/ContainerInsights" && slices.Contains([]string{"RunningTaskCount", "DesiredTaskCount", "PendingTaskCount"}, name):
		if !service() {
			t.Errorf("%s: %s %s dimensions %v", id, ns, name, dims)
		}
	case (ns == "AWS/ApplicationELB" && slices.Contains([]string{"RequestCount", "HTTPCode_Target_5XX_Count", "TargetResponseTime"}, name)) ||
		(ns == "AWS/NetworkELB" && slices.Contains([]string{"HealthyHostCount", "UnHealthyHostCount"}, name)):
		if !lbTG() {
			t.Errorf("%s: %s %s dimensions %v", id, ns, name, dims)
		}
	case ns == "AWS/ApplicationELB" && name == "HTTPCode_ELB_5XX_Count":
		if !slices.Equal(keys, []string{"LoadBalancer"}) || !is(dims["LoadBalancer"], "AWS::ElasticLoadBalancingV2::LoadBalancer", "LoadBalancerFullName") {
			t.Errorf("%s: %s %s dimensions %v", id, ns, name, dims)
		}
	default:
		want, ok := filters[ns+"\x00"+name]
		if !ok || len(want) != 0 || len(dims) != 0 {
			t.Errorf("%s: %s %s %v is no metric the stack publishes", id, ns, name, dims)
		}
	}
	return name
}
