package firelens_test

import (
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// destinations routes one service to Firehose and S3 by ARN beside its
// CloudWatch group, through a role for S3.
const destinations = `
services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27
    logging:
      driver: awsfirelens
      options:
        Name: cloudwatch
        log_group_name: /shared/web
        auto_create_group: "true"
    x-logging:
      FireLens:
        Advanced:
          ComposeXManagedAwsDestinations:
            - delivery_stream: arn:aws:firehose:eu-west-1:123456789012:deliverystream/web-logs
            - bucket: arn:aws:s3:::web-archive
              role_arn: arn:aws:iam::123456789012:role/archive-writer
              total_file_size: 10M
`

func TestDestinationsGrantExactlyTheirResources(t *testing.T) {
	r := rendertest.MustRenderFiles
	ds, res := r(t, destinations, nil)
	if d := rendertest.Find(ds, render.Warning, "services.web.logging.options.Name"); d == nil || !strings.Contains(d.Message, "cloudwatch_logs") {
		t.Errorf("no warning that cloudwatch becomes cloudwatch_logs:\n%s", ds.Error())
	}
	if n := checkFireLens(t, res); n != 1 {
		t.Fatalf("%d routers, want 1", n)
	}
	role := rendertest.OfType(res, "AWS::IAM::Role")["WebTaskRole"]
	var doc any
	for _, p := range role.Properties["Policies"].([]any) {
		if p.(map[string]any)["PolicyName"] == "FireLensOutputs" {
			doc = p.(map[string]any)["PolicyDocument"]
		}
	}
	rendertest.EqualJSON(t, "task role grants", rendertest.Dig(doc, "Statement"), `[
	  {"Sid": "FireLensToCloudWatchLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
	   "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/shared/web:*"}]},
	  {"Sid": "FireLensCreatesLogGroup", "Effect": "Allow", "Action": ["logs:CreateLogGroup"],
	   "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/shared/web:*"}]},
	  {"Sid": "FireLensToFirehose", "Effect": "Allow", "Action": ["firehose:PutRecordBatch"],
	   "Resource": ["arn:aws:firehose:eu-west-1:123456789012:deliverystream/web-logs"]},
	  {"Sid": "FireLensToS3", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": ["arn:aws:s3:::web-archive/*"]},
	  {"Sid": "FireLensAssumesRole", "Effect": "Allow", "Action": ["sts:AssumeRole"],
	   "Resource": ["arn:aws:iam::123456789012:role/archive-writer"]}
	]`)
	conf := value(rendertest.OfType(res, "AWS::SSM::Parameter")["WebFireLensFile0"].Properties["Value"])
	for _, want := range []string{
		"[OUTPUT]\n    Name kinesis_firehose\n    Match web-firelens*\n    delivery_stream web-logs\n    region eu-west-1\n",
		"[OUTPUT]\n    Name s3\n    Match web-firelens*\n    bucket web-archive\n    region resolved-AWS::Region\n    role_arn arn:aws:iam::123456789012:role/archive-writer\n    total_file_size 10M\n",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("router configuration lacks\n%s\ngot:\n%s", want, conf)
		}
	}
}

func TestRouterCountsInTaskSizeAndIsEssential(t *testing.T) {
	r := rendertest.MustRender(t, `
services:
  worker:
    image: public.ecr.aws/docker/library/busybox:1.37
    command: ["sh", "-c", "sleep 3600"]
    x-logging:
      FireLens:
        Shorthands:
          ReplaceAwsLogs: true
`)
	// checkFireLens first: Containers drops the log configurations.
	if n := checkFireLens(t, r.Resources); n != 1 {
		t.Errorf("%d routers", n)
	}
	router := rendertest.Containers(t, r, "WorkerTaskDefinition")["log_router"]
	if router == nil {
		t.Fatal("no log_router")
	}
	rendertest.EqualJSON(t, "router", map[string]any{"Essential": router["Essential"], "Cpu": router["Cpu"],
		"MemoryReservation": router["MemoryReservation"], "Image": router["Image"], "FirelensConfiguration": router["FirelensConfiguration"],
		"Command": router["Command"]},
		`{"Essential": true, "Cpu": 64, "MemoryReservation": 50, "Image": {"Ref": "FluentBitImage"},
		  "FirelensConfiguration": {"Type": "fluentbit", "Options": {"enable-ecs-log-metadata": "true"}}, "Command": null}`)
}

func TestBadFireLensInputIsRefusedAtItsKey(t *testing.T) {
	const head = `
services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27
`
	cases := []struct {
		name, compose, path, msg string
		extra                    map[string]string
	}{
		{"unknown output option", head + `    logging:
      driver: awsfirelens
      options:
        Name: cloudwatch_logs
        log_group: x
`, "services.web.logging.options.log_group", "log_group is not an option of Fluent Bit's cloudwatch_logs output; allowed: region, log_group_name, log_stream_name, log_stream_prefix, log_group_template, log_stream_template, log_key, log_format, role_arn, auto_create_group, auto_retry_requests, log_retention_days, endpoint, sts_endpoint, external_id, metric_namespace, metric_dimensions", nil},
		{"unknown plugin", head + `    logging:
      driver: awsfirelens
      options:
        Name: datadog
`, "services.web.logging.options.Name", `"datadog" is not an output composex routes to; allowed: cloudwatch_logs, kinesis_firehose, s3`, nil},
		{"firehose by name", head + `    logging:
      driver: awsfirelens
      options:
        delivery_stream: my-stream
`, "services.web.logging.options.delivery_stream", `"my-stream" is not a Kinesis Data Firehose delivery stream ARN (arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME); composex grants the task role exactly that stream`, nil},
		{"compose-x firehose reference", head + `    logging:
      driver: awsfirelens
      options:
        delivery_stream: x-kinesis_firehose::stream
`, "services.web.logging.options.delivery_stream", `"x-kinesis_firehose::stream": x-kinesis_firehose is not supported by composex; give the delivery stream's ARN (arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME)`, nil},
		{"wildcard group", head + `    logging:
      driver: awsfirelens
      options:
        log_group_name: "/app/*"
`, "services.web.logging.options.log_group_name", `"/app/*" is not a CloudWatch Logs group name (1 to 512 of letters, digits and . _ - / #)`, nil},
		{"missing source file", head + `    x-logging:
      FireLens:
        Advanced:
          SourceFile: extra.conf
`, "services.web.x-logging.FireLens.Advanced.SourceFile", "extra.conf does not exist", nil},
		{"parser in source file", head + `    x-logging:
      FireLens:
        Advanced:
          SourceFile: extra.conf
`, "services.web.x-logging.FireLens.Advanced.SourceFile", "extra.conf defines a [PARSER]: Fluent Bit reads parsers only from parser files; move it into a file of ParserFiles",
			map[string]string{"extra.conf": "[PARSER]\n    Name x\n    Format json\n"}},
		{"parser file outside the project", head + `    x-logging:
      FireLens:
        Advanced:
          ParserFiles: [../../etc/passwd]
`, "services.web.x-logging.FireLens.Advanced.ParserFiles.0", "", nil},
		{"grace period out of range", head + `    x-logging:
      FireLens:
        Advanced:
          EnableApiHeathCheck: true
          GracePeriod: 900
`, "services.web.x-logging.FireLens.Advanced.GracePeriod", "900 is out of range; ECS allows a health check start period of 0 to 300 seconds", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.msg == "" {
				ds, res := rendertest.RenderFiles(t, c.compose, c.extra)
				if res != nil || rendertest.Find(ds, render.Error, c.path) == nil {
					t.Errorf("no error at %s:\n%s", c.path, ds.Error())
				}
				return
			}
			rendertest.ExpectRefused(t, c.compose, c.extra, c.path, c.msg)
		})
	}
}

func TestRouterNameIsNotTakenOver(t *testing.T) {
	ds, res := rendertest.RenderFiles(t, `
services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27
    x-logging:
      FireLens:
        Shorthands: {ReplaceAwsLogs: true}
  log_router:
    image: public.ecr.aws/docker/library/busybox:1.37
    deploy:
      labels:
        ecs.task.family: web
`, nil)
	if res != nil {
		t.Fatal("rendered a family whose service is named like the router")
	}
	if d := rendertest.Find(ds, render.Error, "services.web.x-logging.FireLens"); d == nil || d.Message != "family web: the compose service log_router is named like composex's sidecar container log_router: rename the service" {
		t.Errorf("got:\n%s", ds.Error())
	}
}

func TestFireLensThatRoutesNothingIsWarned(t *testing.T) {
	ds, res := rendertest.RenderFiles(t, `
services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27
    x-logging:
      FireLens:
        Shorthands: {ReplaceAwsLogs: false}
`, nil)
	if res == nil {
		t.Fatalf("refused:\n%s", ds.Error())
	}
	if d := rendertest.Find(ds, render.Warning, "services.web.x-logging.FireLens"); d == nil || !strings.Contains(d.Message, "routes nothing") {
		t.Errorf("got:\n%s", ds.Error())
	}
	if n := checkFireLens(t, res); n != 0 {
		t.Errorf("%d routers, want none", n)
	}
}
