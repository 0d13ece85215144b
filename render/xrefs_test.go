package render

import (
	"strings"
	"testing"
)

// compose-x rewrites an environment value holding x-aws::AWS::<pseudo>
// and x-<module>::<name>::<attribute> as an Fn::Sub (sub_generate). For a
// resource of a module composex does not create, the attribute becomes a
// template parameter named after it, with a warning saying what to pass;
// the rest of the value stays literal text.
func TestComposeXReferencesBecomeParameters(t *testing.T) {
	m, ds := mustBuild(t, `services:
  warp:
    image: nginx:1.27
    environment:
      BUCKET_URL: s3://x-s3::warp-storage::BucketName?region=x-aws::AWS::Region&t=$${literal}
      BUCKET_ARN: x-s3::warp-storage::Arn
      STREAM: x-kinesis_firehose::to-s3::Arn
      PLAIN: a::b
  other:
    image: nginx:1.27
    environment:
      SAME_BUCKET: x-s3::warp-storage::BucketName
x-s3:
  warp-storage:
    Properties: {}
x-kinesis_firehose:
  to-s3:
    Properties: {}
`)
	d := wantWarning(t, ds, "warp", "services.warp.environment.BUCKET_URL",
		`x-s3::warp-storage::BucketName: composex does not create x-s3 resources, so the template parameter S3WarpStorageBucketName stands for the BucketName of the bucket "warp-storage": create it outside this stack and pass its BucketName (and grant the services access with x-iam)`)
	if d.Line != 5 {
		t.Errorf("warning at line %d, want 5", d.Line)
	}
	wantWarning(t, ds, "warp", "services.warp.environment.STREAM",
		`x-kinesis_firehose::to-s3::Arn: composex does not create x-kinesis_firehose resources, so the template parameter KinesisFirehoseToS3Arn stands for the Arn of the delivery stream "to-s3": create it outside this stack and pass its Arn (and grant the services access with x-iam)`)
	wantNoDiagAt(t, ds, "services.warp.environment.PLAIN")

	warp := m.Family("warp").Containers[0]
	for k, want := range map[string]string{
		"BUCKET_URL": "s3://${S3WarpStorageBucketName}?region=${AWS::Region}&t=${!literal}",
		"BUCKET_ARN": "${S3WarpStorageArn}",
		"STREAM":     "${KinesisFirehoseToS3Arn}",
	} {
		if got := warp.Environment[k]; got != want || !warp.EnvironmentRefs[k] {
			t.Errorf("%s = %q (Fn::Sub %v), want Fn::Sub %q", k, got, warp.EnvironmentRefs[k], want)
		}
	}
	if warp.Environment["PLAIN"] != "a::b" || warp.EnvironmentRefs["PLAIN"] {
		t.Errorf("PLAIN = %q (Fn::Sub %v), want the literal a::b", warp.Environment["PLAIN"], warp.EnvironmentRefs["PLAIN"])
	}
	if got := m.Family("other").Containers[0].Environment["SAME_BUCKET"]; got != "${S3WarpStorageBucketName}" {
		t.Errorf("other's SAME_BUCKET = %q: one parameter serves every service", got)
	}
	want := map[string]string{
		"S3WarpStorageBucketName": "BucketName of the bucket warp-storage (x-s3.warp-storage in the compose file: compose-x creates it, composex does not; create it outside this stack and give its BucketName)",
		"S3WarpStorageArn":        "Arn of the bucket warp-storage (x-s3.warp-storage in the compose file: compose-x creates it, composex does not; create it outside this stack and give its Arn)",
		"KinesisFirehoseToS3Arn":  "Arn of the delivery stream to-s3 (x-kinesis_firehose.to-s3 in the compose file: compose-x creates it, composex does not; create it outside this stack and give its Arn)",
	}
	for name, desc := range want {
		p := m.Parameters[name]
		if p == nil {
			t.Errorf("no parameter %s", name)
			continue
		}
		if p.Type != "String" || p.MinLength != 1 || p.Default != nil || p.Description != desc {
			t.Errorf("parameter %s = %+v, want a required String described %q", name, *p, desc)
		}
	}
}

// The rendered task definition carries the value as Fn::Sub, the
// parameter is declared.
func TestComposeXReferenceRendered(t *testing.T) {
	out, _ := mustRender(t, `services:
  warp:
    image: nginx:1.27
    environment:
      BUCKET_URL: s3://x-s3::warp-storage::BucketName?region=x-aws::AWS::Region
x-s3:
  warp-storage: {}
`, Options{})
	body := string(out.Files[out.Template])
	for _, want := range []string{
		"Fn::Sub: s3://${S3WarpStorageBucketName}?region=${AWS::Region}",
		"  S3WarpStorageBucketName:\n    Description: 'BucketName of the bucket warp-storage (x-s3.warp-storage",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("template lacks %q", want)
		}
	}
}

// What no parameter can stand for is refused at its key, naming the
// module and resource: references outside environment values (compose-x
// resolves none there), to a resource the module does not declare, to
// modules composex creates itself, and unknown pseudo parameters.
func TestComposeXReferencesRefused(t *testing.T) {
	_, ds := buildYAML(t, `services:
  warp:
    image: nginx:1.27
    environment:
      MISSING: x-s3::nope::BucketName
      NO_ATTRIBUTE: x-s3::warp-storage
      LB: x-elbv2::front::DNSName
      PSEUDO: x-aws::AWS::NoValue
      UNKNOWN: x-foo::bar::Baz
    command: ["--queue", "x-sqs::jobs::Arn", "x-aws::AWS::Region"]
x-s3:
  warp-storage: {}
`)
	wantError(t, ds, "warp", "services.warp.environment.MISSING", `x-s3::nope::BucketName refers to the x-s3 resource "nope"'s BucketName, and the top-level x-s3 declares no "nope" (declared: warp-storage): the container would get this text; give the value itself`)
	wantError(t, ds, "warp", "services.warp.environment.NO_ATTRIBUTE", `x-s3::warp-storage refers to the x-s3 resource "warp-storage", and it names no attribute (compose-x resolves x-MODULE::NAME::ATTRIBUTE only): the container would get this text; give the value itself`)
	wantError(t, ds, "warp", "services.warp.environment.LB", `x-elbv2::front::DNSName refers to the x-elbv2 resource "front"'s DNSName, and composex does not resolve references to x-elbv2 resources`)
	wantError(t, ds, "warp", "services.warp.environment.PSEUDO", `x-aws::AWS::NoValue is not an AWS pseudo parameter that Fn::Sub can write; allowed: x-aws::AWS::AccountId, x-aws::AWS::Partition, x-aws::AWS::Region, x-aws::AWS::StackId, x-aws::AWS::StackName, x-aws::AWS::URLSuffix`)
	wantError(t, ds, "warp", "services.warp.environment.UNKNOWN", `x-foo::bar::Baz refers to the x-foo resource "bar"'s Baz, and composex resolves no x-foo reference: the container would get this text; give the value itself`)
	wantError(t, ds, "warp", "services.warp.command.1", `x-sqs::jobs::Arn refers to the x-sqs resource "jobs"'s Arn, and compose-x resolves references in environment values only: the container would get this text; pass it through an environment variable`)
	wantError(t, ds, "warp", "services.warp.command.2", `x-aws::AWS::Region is a compose-x reference to an AWS pseudo parameter, which composex resolves in environment values only (the container would get this text); pass it through an environment variable`)
}

// Two references whose names make one parameter name are refused rather
// than given one value.
func TestComposeXReferenceParameterCollision(t *testing.T) {
	_, ds := buildYAML(t, `services:
  warp:
    image: nginx:1.27
    environment:
      A: x-s3::a-b::Arn
      B: x-s3::a_b::Arn
x-s3:
  a-b: {}
  a_b: {}
`)
	wantError(t, ds, "warp", "services.warp.environment.B", "x-s3::a-b::Arn and x-s3::a_b::Arn would both be the template parameter S3ABArn; rename one of the resources")
}
