package render

import "testing"

// A compose-x resource reference would reach the container as literal
// text: it is refused at its key, naming the module and resource.
func TestComposeXReferencesRefused(t *testing.T) {
	_, ds := buildYAML(t, `services:
  warp:
    image: nginx:1.27
    environment:
      BUCKET_URL: s3://x-s3::warp-storage::BucketName?region=x-aws::AWS::Region
      PLAIN: a::b
    command: ["--queue", "x-sqs::jobs::Arn"]
`)
	wantError(t, ds, "warp", "services.warp.environment.BUCKET_URL", `x-s3::warp-storage::BucketName refers to the x-s3 resource "warp-storage"'s BucketName, and composex does not create x-s3 resources (create the bucket outside this stack, give the services its name (environment) and grant the S3 actions they need with x-iam): the container would get this text; give the value itself`)
	wantError(t, ds, "warp", "services.warp.environment.BUCKET_URL", `x-aws::AWS::Region is a compose-x reference to an AWS pseudo parameter, which composex does not resolve`)
	wantError(t, ds, "warp", "services.warp.command.1", `x-sqs::jobs::Arn refers to the x-sqs resource "jobs"'s Arn, and composex does not create x-sqs resources`)
	wantNoDiagAt(t, ds, "services.warp.environment.PLAIN")
}
