package alarms

import (
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"

	"github.com/composex/composex/extensions/elbv2"
	"github.com/composex/composex/render"
)

// lbRefPrefix marks a dimension value that names a load balancer of
// x-elbv2 (compose-x syntax): x-elbv2::NAME for the load balancer,
// x-elbv2::NAME::SERVICE::PORT (or ::FAMILY:SERVICE:PORT) for the target
// group of a service port. CloudWatch names both by their "full name"
// (app/NAME/ID, targetgroup/NAME/ID), which exists only once the stack
// has created them: the value becomes Fn::GetAtt of the resource, never
// text the user pastes.
const lbRefPrefix = "x-elbv2::"

// resolveLoadBalancerDimensions replaces x-elbv2 references in the
// alarm's dimensions (and those of its metric math) by the resources'
// full names.
func resolveLoadBalancerDimensions(m *render.Model, al *cloudwatch.Alarm, path string, ds *render.Diagnostics) {
	fix := func(dims []cloudwatch.Alarm_Dimension, p string) {
		for i := range dims {
			if v, ok := loadBalancerDimension(m, dims[i].Value, p, ds); ok {
				dims[i].Value = v
			}
		}
	}
	fix(al.Dimensions, path+".Properties.Dimensions")
	for i := range al.Metrics {
		if ms := al.Metrics[i].MetricStat; ms != nil && ms.Metric != nil {
			fix(ms.Metric.Dimensions, path+".Properties.Metrics")
		}
	}
}

func loadBalancerDimension(m *render.Model, value, path string, ds *render.Diagnostics) (string, bool) {
	if !strings.HasPrefix(value, lbRefPrefix) {
		return "", false
	}
	parts := strings.Split(strings.TrimPrefix(value, lbRefPrefix), "::")
	id := elbv2.ID(parts[0])
	var known []string
	var hits []render.LoadBalancerTarget
	want := strings.Join(parts[1:], ":")
	for _, f := range m.Families {
		for _, t := range f.LoadBalancerTargets {
			if t.LoadBalancer != id {
				continue
			}
			names := []string{t.Service + ":" + strconv.Itoa(t.ContainerPort), f.Name + ":" + t.Service + ":" + strconv.Itoa(t.ContainerPort), f.Name + ":" + t.Service, t.Service}
			known = append(known, names[1])
			for _, n := range names {
				if n == want && (len(hits) == 0 || hits[len(hits)-1].TargetGroup != t.TargetGroup) {
					hits = append(hits, t)
					break
				}
			}
		}
	}
	if len(known) == 0 {
		ds.Errorf("", path, "%q: the stack creates no load balancer %q with targets (x-elbv2)", value, parts[0])
		return "", false
	}
	if len(parts) == 1 {
		return cloudformation.GetAtt(id, "LoadBalancerFullName"), true
	}
	if len(hits) != 1 {
		ds.Errorf("", path, "%q names %d target groups of %s; write x-elbv2::%s::SERVICE::PORT with one of: %s", value, len(hits), parts[0], parts[0], strings.Join(known, ", "))
		return "", false
	}
	return cloudformation.GetAtt(hits[0].TargetGroup, "TargetGroupFullName"), true
}
