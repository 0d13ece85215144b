package scaling

import (
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/applicationautoscaling"
	elb "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"

	"github.com/composex/composex/render"
)

// RequestCountPolicyName is the name of the request count tracking policy.
const RequestCountPolicyName = "alb-request-count-tracking"

// addRequestCountPolicy tracks TgtTargetsCount, the ALB requests each task
// receives per minute (ALBRequestCountPerTarget). Application Auto Scaling
// finds the metric by its ResourceLabel,
// app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>, which exists only
// once the stack created both: it is joined from the two resources'
// full names, read from the family's load balancer target (x-elbv2).
func addRequestCountPolicy(m *render.Model, f *render.Family, p *Plan, blocks map[string]*XScaling, ds *render.Diagnostics) {
	var target *float64
	from := ""
	for _, s := range f.Services {
		if x := blocks[s.Name]; x != nil && x.TargetScaling != nil {
			target, from = lowest(f, "TgtTargetsCount", target, from, x.TargetScaling.TgtTargetsCount, s.Name, ds)
		}
	}
	if target == nil {
		return
	}
	path := render.ServicePath(from, key, "TargetScaling.TgtTargetsCount")
	var albTargets []render.LoadBalancerTarget
	seen := map[string]bool{}
	for _, t := range f.LoadBalancerTargets {
		lb, ok := m.Resources[t.LoadBalancer].(*elb.LoadBalancer)
		if !ok || lb.Type == nil || *lb.Type != "application" || seen[t.TargetGroup] {
			continue
		}
		seen[t.TargetGroup] = true
		albTargets = append(albTargets, t)
	}
	switch len(albTargets) {
	case 0:
		ds.Errorf(from, path, "request count per target needs family %s behind an application load balancer the stack creates: add it to a listener of x-elbv2", f.Name)
		return
	case 1:
	default:
		ds.Errorf(from, path, "family %s is in %d target groups of application load balancers; request count per target follows one, so keep one or scale on CpuTarget", f.Name, len(albTargets))
		return
	}
	t := albTargets[0]
	in, out, disable := p.ScaleInCooldown, p.ScaleOutCooldown, p.DisableScaleIn
	label := cloudformation.Join("/", []string{
		cloudformation.GetAtt(t.LoadBalancer, "LoadBalancerFullName"),
		cloudformation.GetAtt(t.TargetGroup, "TargetGroupFullName"),
	})
	policy := &applicationautoscaling.ScalingPolicy{
		PolicyName:      RequestCountPolicyName,
		PolicyType:      "TargetTrackingScaling",
		ScalingTargetId: cloudformation.RefPtr(f.ScalableTargetID()),
		TargetTrackingScalingPolicyConfiguration: &applicationautoscaling.ScalingPolicy_TargetTrackingScalingPolicyConfiguration{
			PredefinedMetricSpecification: &applicationautoscaling.ScalingPolicy_PredefinedMetricSpecification{
				PredefinedMetricType: "ALBRequestCountPerTarget",
				ResourceLabel:        &label,
			},
			TargetValue:      *target,
			ScaleInCooldown:  &in,
			ScaleOutCooldown: &out,
			DisableScaleIn:   &disable,
		},
	}
	if err := f.AddResource(f.Logical+"RequestCountTrackingPolicy", policy); err != nil {
		ds.Errorf(from, path, "%v", fmt.Errorf("family %s: %w", f.Name, err))
	}
}
