package render

import "testing"

// ecs.compute.platform EC2 or EXTERNAL must not silently render a Fargate
// service: it is refused at the label, with the reason.
func TestComputePlatformLabel(t *testing.T) {
	_, ds := buildYAML(t, `services:
  web:
    image: nginx:1.27
    deploy:
      labels:
        ecs.compute.platform: EC2
  edge:
    image: nginx:1.27
    deploy:
      labels: [ecs.compute.platform=EXTERNAL]
  api:
    image: nginx:1.27
    deploy:
      labels: {ecs.compute.platform: FARGATE}
  odd:
    image: nginx:1.27
    deploy:
      labels: {ecs.compute.platform: LAMBDA}
`)
	wantError(t, ds, "web", "services.web.deploy.labels.[ecs.compute.platform]", `"EC2": composex renders Fargate services only; an EC2 or EXTERNAL (ECS Anywhere) service needs container instances or a capacity provider that composex does not create; set it to FARGATE or remove the label`)
	wantError(t, ds, "edge", "services.edge.deploy.labels.[ecs.compute.platform]", `"EXTERNAL": composex renders Fargate services only`)
	wantError(t, ds, "odd", "services.odd.deploy.labels.[ecs.compute.platform]", `"LAMBDA" is not a compute platform; allowed: FARGATE`)
	wantNoDiagAt(t, ds, "services.api.deploy.labels.[ecs.compute.platform]")
}
