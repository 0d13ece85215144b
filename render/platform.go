package render

import (
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// labelPlatform is compose-x's deploy label choosing where a service runs:
// FARGATE (its default), EC2 (container instances of the cluster) or
// EXTERNAL (ECS Anywhere).
const labelPlatform = "ecs.compute.platform"

// checkComputePlatform refuses an EC2 or EXTERNAL platform: composex renders
// Fargate tasks only, and rendering such a service for Fargate would
// silently run it somewhere else than the file asks.
func checkComputePlatform(s *types.ServiceConfig, ds *Diagnostics) {
	if s.Deploy == nil {
		return
	}
	raw, ok := s.Deploy.Labels[labelPlatform]
	if !ok {
		return
	}
	path := ServicePath(s.Name, "deploy.labels", Key(labelPlatform))
	switch strings.ToUpper(strings.TrimSpace(raw)) {
	case "FARGATE":
	case "EC2", "EXTERNAL":
		ds.Errorf(s.Name, path, "%q: composex renders Fargate services only; an EC2 or EXTERNAL (ECS Anywhere) service needs container instances or a capacity provider that composex does not create; set it to FARGATE or remove the label", raw)
	default:
		ds.Errorf(s.Name, path, "%q is not a compute platform; allowed: FARGATE (composex renders Fargate services only)", raw)
	}
}
