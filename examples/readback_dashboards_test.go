package examples

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// This file reads back the dashboards as moto stored them, Fn::Sub
// resolved: every dimension and reference of the body names a resource
// the stack created, under its deployed name (the ECS service's name, the
// load balancer's and target group's full names as CloudWatch writes them,
// the alarms' ARNs, the log group's name), and the URL output names the
// dashboard.
//
// moto 5.2.1 has no CloudFormation handler for AWS::Logs::MetricFilter and
// AWS::Logs::QueryDefinition (the stack skips them); they are checked in
// the rendered template instead: each is on a log group the stack created.
func init() {
	motoChecks["dashboards-mysfits"] = checkDashboards("mysfits")
	motoChecks["logs-metric-filters"] = checkDashboards("logs")
}

func checkDashboards(name string) func(*testing.T, *project, *motoSummary) {
	return func(t *testing.T, p *project, sum *motoSummary) {
		s := readScaling(t, p, sum)
		body, ok := sum.Dashboards[motoStack+"-"+name]
		if !ok {
			t.Fatalf("no dashboard %s-%s in moto; dashboards: %v", motoStack, name, sum.Dashboards)
		}
		if strings.Contains(body, "${") {
			t.Errorf("the deployed body still holds references: %s", regexp.MustCompile(`\$\{[^}]*\}`).FindAllString(body, -1))
		}
		var doc struct {
			Widgets []struct {
				Type       string         `json:"type"`
				Properties map[string]any `json:"properties"`
			} `json:"widgets"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("deployed body: %v", err)
		}
		var services, tgs, lbs, alarms []string
		for id, typ := range s.types {
			phys := s.physical[id]
			switch typ {
			case "AWS::ECS::Service":
				services = append(services, phys[strings.LastIndex(phys, "/")+1:])
			case "AWS::ElasticLoadBalancingV2::TargetGroup":
				tgs = append(tgs, strings.SplitN(phys, ":", 6)[5])
			case "AWS::ElasticLoadBalancingV2::LoadBalancer":
				lbs = append(lbs, strings.SplitN(phys, ":loadbalancer/", 2)[1])
			}
		}
		var deployed []struct {
			AlarmArn string `json:"AlarmArn"`
		}
		if err := json.Unmarshal(sum.Alarms, &deployed); err != nil {
			t.Fatal(err)
		}
		for _, a := range deployed {
			alarms = append(alarms, a.AlarmArn)
		}
		cluster := s.cluster[strings.LastIndex(s.cluster, "/")+1:]
		seen := map[string]int{}
		for _, w := range doc.Widgets {
			switch w.Type {
			case "metric":
				ms, _ := w.Properties["metrics"].([]any)
				for _, m := range ms {
					e := m.([]any)
					if len(e) == 1 {
						expr := e[0].(map[string]any)["expression"].(string)
						if fam := regexp.MustCompile(`TaskDefinitionFamily="([^"]+)"`).FindStringSubmatch(expr); fam != nil && !strings.HasPrefix(fam[1], motoStack+"-") {
							t.Errorf("search %s: family %s is not the deployed task family", expr, fam[1])
						}
						if c := regexp.MustCompile(`ClusterName="([^"]+)"`).FindStringSubmatch(expr); c != nil && c[1] != cluster {
							t.Errorf("search %s: cluster %s, deployed %s", expr, c[1], cluster)
						}
						seen["search"]++
						continue
					}
					for i := 2; i+1 < len(e); i += 2 {
						k, v := e[i].(string), e[i+1].(string)
						var in []string
						switch k {
						case "ServiceName":
							in = services
						case "ClusterName":
							in = []string{cluster}
						case "TargetGroup":
							in = tgs
						case "LoadBalancer":
							in = lbs
						default:
							continue
						}
						if !slices.Contains(in, v) {
							t.Errorf("%s %s: %s %q is not a deployed one (%v)", e[0], e[1], k, v, in)
						}
						seen[k]++
					}
				}
			case "alarm":
				for _, a := range w.Properties["alarms"].([]any) {
					if !slices.Contains(alarms, a.(string)) {
						t.Errorf("alarm widget: %v is not a deployed alarm's ARN (%v)", a, alarms)
					}
					seen["alarm"]++
				}
			case "log":
				q := w.Properties["query"].(string)
				m := regexp.MustCompile(`^SOURCE '([^']+)'`).FindStringSubmatch(q)
				if m == nil || !slices.Contains(sum.LogGroups, m[1]) {
					t.Errorf("log widget %q: not a deployed log group (%v)", q, sum.LogGroups)
				}
				seen["log"]++
			}
		}
		want := []string{"ServiceName", "ClusterName", "alarm", "log"}
		if name == "mysfits" {
			want = append(want, "TargetGroup", "LoadBalancer")
		} else {
			want = append(want, "search")
		}
		for _, k := range want {
			if seen[k] == 0 {
				t.Errorf("the deployed dashboard has no %s to check", k)
			}
		}
		url := ""
		for k, v := range sum.Outputs {
			if strings.HasSuffix(k, "DashboardUrl") {
				url = v
			}
		}
		if !strings.HasSuffix(url, "#dashboards/dashboard/"+motoStack+"-"+name) {
			t.Errorf("dashboard URL output %q", url)
		}
		// Skipped by moto: the metric filters and saved queries, on a log
		// group the stack created.
		for id, r := range s.resources {
			typ, _ := r["Type"].(string)
			if typ != "AWS::Logs::MetricFilter" && typ != "AWS::Logs::QueryDefinition" {
				continue
			}
			props := r["Properties"].(map[string]any)
			var group any = props["LogGroupName"]
			if gs, ok := props["LogGroupNames"].([]any); ok {
				group = gs[0]
			}
			ref, _ := group.(map[string]any)["Ref"].(string)
			if s.types[ref] != "AWS::Logs::LogGroup" || !slices.Contains(sum.LogGroups, s.physical[ref]) {
				t.Errorf("%s: log group %v is not one the stack created", id, group)
			}
		}
	}
}
