package firelens_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// fluentBitOutputs are the options each output plugin of Fluent Bit 1.9
// (AWS for Fluent Bit 2.32.4) declares in its config_map
// (plugins/out_cloudwatch_logs/cloudwatch_logs.c, out_kinesis_firehose/
// firehose.c, out_s3/s3.c), beside Name and the properties every output has
// (Match, Alias, Retry_Limit, Workers). Fluent Bit refuses to start on any
// other key. This table is the consumer's, kept apart from the renderer's.
var fluentBitOutputs = map[string][]string{
	"cloudwatch_logs": {"region", "log_group_name", "log_stream_name", "log_stream_prefix", "log_group_template", "log_stream_template",
		"log_key", "extra_user_agent", "log_format", "role_arn", "auto_create_group", "auto_retry_requests", "log_retention_days",
		"endpoint", "sts_endpoint", "external_id", "metric_namespace", "metric_dimensions"},
	"kinesis_firehose": {"region", "delivery_stream", "time_key", "time_key_format", "log_key", "compression", "role_arn", "endpoint",
		"sts_endpoint", "auto_retry_requests"},
	"s3": {"region", "bucket", "json_date_key", "json_date_format", "total_file_size", "upload_chunk_size", "upload_timeout", "store_dir",
		"store_dir_limit_size", "s3_key_format", "s3_key_format_tag_delimiters", "static_file_path", "use_put_object", "role_arn",
		"endpoint", "sts_endpoint", "canned_acl", "compression", "content_type", "send_content_md5", "auto_retry_requests", "log_key",
		"preserve_data_ordering", "storage_class", "retry_limit", "external_id"},
}

var everyOutput = []string{"Name", "Match", "Match_Regex", "Alias", "Retry_Limit", "Workers"}

// ecsAgentLogOptions are the awsfirelens options the ECS agent keeps for
// itself instead of writing them into the [OUTPUT].
var ecsAgentLogOptions = []string{"include-pattern", "exclude-pattern", "log-driver-buffer-limit"}

// firelensOptions are the firelensConfiguration options the ECS agent reads.
var firelensOptions = []string{"enable-ecs-log-metadata", "config-file-type", "config-file-value"}

// section is one [NAME] block of a Fluent Bit classic configuration.
type section struct {
	name string
	keys map[string][]string
}

// parseClassic reads Fluent Bit's classic format: [SECTION] headers,
// indented "key value" lines, @INCLUDE lines and comments.
func parseClassic(t *testing.T, what, text string) ([]section, []string) {
	t.Helper()
	var out []section
	var includes []string
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		case strings.HasPrefix(trimmed, "@INCLUDE "):
			includes = append(includes, strings.TrimSpace(strings.TrimPrefix(trimmed, "@INCLUDE ")))
		case strings.HasPrefix(trimmed, "[") && strings.HasSuffix(trimmed, "]"):
			out = append(out, section{name: strings.ToUpper(trimmed[1 : len(trimmed)-1]), keys: map[string][]string{}})
		default:
			if len(out) == 0 || line == trimmed {
				t.Errorf("%s line %d: %q is not inside an indented section", what, i+1, line)
				continue
			}
			k, v, _ := strings.Cut(trimmed, " ")
			out[len(out)-1].keys[k] = append(out[len(out)-1].keys[k], strings.TrimSpace(v))
		}
	}
	return out, includes
}

var subRef = regexp.MustCompile(`\$\{([A-Za-z0-9:.]+)\}`)

// resolveSub evaluates Fn::Sub text the way CloudFormation does, with
// stand-in values for the references.
func resolveSub(s string) string {
	s = subRef.ReplaceAllString(s, "resolved-$1")
	return strings.ReplaceAll(s, "${!", "${")
}

func value(v any) string {
	if m, ok := v.(map[string]any); ok {
		if s, ok := m["Fn::Sub"].(string); ok {
			return resolveSub(s)
		}
		if r, ok := m["Ref"].(string); ok {
			return "resolved-" + r
		}
	}
	s, _ := v.(string)
	return s
}

var printfLine = regexp.MustCompile(`^printf '%s\\n' "\$([A-Z0-9_]+)" > (\S+)$`)

// checkFireLens applies the ECS agent's FireLens rules and Fluent Bit's
// configuration rules to every task definition of a rendered template.
func checkFireLens(t *testing.T, res map[string]rendertest.Resource) (routers int) {
	t.Helper()
	for id, td := range rendertest.OfType(res, "AWS::ECS::TaskDefinition") {
		defs, _ := td.Properties["ContainerDefinitions"].([]any)
		var router map[string]any
		var apps []map[string]any
		for _, d := range defs {
			c := d.(map[string]any)
			if c["FirelensConfiguration"] != nil {
				if router != nil {
					t.Errorf("%s: two containers with firelensConfiguration (%s, %s); the ECS agent allows one", id, router["Name"], c["Name"])
				}
				router = c
			}
			if rendertest.Dig(c, "LogConfiguration", "LogDriver") == "awsfirelens" {
				apps = append(apps, c)
			}
		}
		if router == nil {
			if len(apps) > 0 {
				t.Errorf("%s: awsfirelens containers without a log router", id)
			}
			continue
		}
		routers++
		name := router["Name"].(string)
		if rendertest.Dig(router, "FirelensConfiguration", "Type") != "fluentbit" {
			t.Errorf("%s: router type %v, want fluentbit", id, rendertest.Dig(router, "FirelensConfiguration", "Type"))
		}
		if rendertest.Dig(router, "LogConfiguration", "LogDriver") != "awslogs" {
			t.Errorf("%s: the router must log through awslogs (it cannot route to itself)", id)
		}
		opts, _ := rendertest.Dig(router, "FirelensConfiguration", "Options").(map[string]any)
		for k := range opts {
			if !slices.Contains(firelensOptions, k) {
				t.Errorf("%s: firelensConfiguration option %s is not one the ECS agent reads (%v)", id, k, firelensOptions)
			}
		}
		// The files the router's entry point writes, by path.
		written := map[string]string{}
		if cmd, ok := router["Command"].([]any); ok && len(cmd) == 1 {
			secrets := map[string]string{}
			for _, s := range router["Secrets"].([]any) {
				sm := s.(map[string]any)
				secrets[sm["Name"].(string)] = value(sm["ValueFrom"])
			}
			lines := strings.Split(strings.TrimSpace(cmd[0].(string)), "\n")
			if last := lines[len(lines)-1]; last != "exec /bin/sh /entrypoint.sh" {
				t.Errorf("%s: the router's script ends with %q, not the image's entry point", id, last)
			}
			for _, l := range lines {
				m := printfLine.FindStringSubmatch(l)
				if m == nil {
					continue
				}
				arn := secrets[m[1]]
				param := strings.TrimPrefix(arn[strings.Index(arn, ":parameter"):], ":parameterresolved-")
				p, ok := res[param]
				if !ok || p.Type != "AWS::SSM::Parameter" {
					t.Fatalf("%s: %s comes from %s, which is not an SSM parameter of the stack", id, m[2], arn)
				}
				written[m[2]] = value(p.Properties["Value"])
			}
		}
		var outputs []section
		parsers := map[string]bool{}
		var filters []section
		if opts["config-file-type"] != nil {
			if opts["config-file-type"] != "file" {
				t.Errorf("%s: config-file-type %v; Fargate accepts only file", id, opts["config-file-type"])
			}
			main, ok := written[opts["config-file-value"].(string)]
			if !ok {
				t.Fatalf("%s: config-file-value %v is not written by the router", id, opts["config-file-value"])
			}
			secs, includes := parseClassic(t, id+" config", main)
			for _, inc := range includes {
				body, ok := written[inc]
				if !ok {
					t.Errorf("%s: @INCLUDE %s is not written by the router", id, inc)
					continue
				}
				more, nested := parseClassic(t, id+" "+inc, body)
				if len(nested) > 0 {
					t.Errorf("%s: %s includes more files", id, inc)
				}
				secs = append(secs, more...)
			}
			for _, s := range secs {
				switch s.name {
				case "SERVICE":
					for _, pf := range s.keys["Parsers_File"] {
						body, ok := written[pf]
						if !ok {
							if !strings.HasPrefix(pf, "/fluent-bit/") {
								t.Errorf("%s: Parsers_File %s is neither written by the router nor in the image", id, pf)
							}
							continue
						}
						psecs, _ := parseClassic(t, id+" "+pf, body)
						for _, ps := range psecs {
							if ps.name != "PARSER" || len(ps.keys["Name"]) != 1 || len(ps.keys["Format"]) != 1 {
								t.Errorf("%s: %s: section [%s] is not a parser with one Name and one Format", id, pf, ps.name)
								continue
							}
							parsers[ps.keys["Name"][0]] = true
						}
					}
				case "OUTPUT":
					outputs = append(outputs, s)
				case "FILTER":
					filters = append(filters, s)
				case "PARSER":
					t.Errorf("%s: a [PARSER] in the main configuration; Fluent Bit reads parsers from Parsers_File only", id)
				}
			}
		}
		for _, f := range filters {
			for _, p := range f.keys["Parser"] {
				if !parsers[p] {
					t.Errorf("%s: filter %v uses parser %s, which no delivered parser file defines", id, f.keys["Name"], p)
				}
			}
		}
		for _, o := range outputs {
			plugin := o.keys["Name"][0]
			allowed, known := fluentBitOutputs[plugin]
			if !known {
				t.Errorf("%s: [OUTPUT] Name %s is not cloudwatch_logs, kinesis_firehose or s3", id, plugin)
				continue
			}
			for k := range o.keys {
				if !slices.Contains(allowed, k) && !slices.Contains(everyOutput, k) {
					t.Errorf("%s: [OUTPUT] %s: option %s is not one Fluent Bit's %s accepts", id, plugin, k, plugin)
				}
			}
		}
		// The ECS agent turns each awsfirelens container's options into an
		// [OUTPUT] whose Name is the plugin.
		for _, c := range apps {
			lo := rendertest.Dig(c, "LogConfiguration", "Options").(map[string]any)
			plugin, _ := lo["Name"].(string)
			allowed, known := fluentBitOutputs[plugin]
			if !known {
				t.Errorf("%s: %s logs to plugin %q", id, c["Name"], plugin)
				continue
			}
			for k := range lo {
				if k != "Name" && !slices.Contains(allowed, k) && !slices.Contains(ecsAgentLogOptions, k) {
					t.Errorf("%s: %s: awsfirelens option %s is not one Fluent Bit's %s accepts", id, c["Name"], k, plugin)
				}
			}
			if plugin == "cloudwatch_logs" && (lo["region"] == nil || lo["log_group_name"] == nil) {
				t.Errorf("%s: %s: cloudwatch_logs needs region and log_group_name", id, c["Name"])
			}
			waits := false
			deps, _ := c["DependsOn"].([]any)
			for _, d := range deps {
				dm := d.(map[string]any)
				waits = waits || (dm["ContainerName"] == name && dm["Condition"] == "START")
			}
			if !waits {
				t.Errorf("%s: %s does not start after the log router %s", id, c["Name"], name)
			}
		}
	}
	return routers
}

// renderDir renders a compose file where it lies, with its project files.
func renderDir(t *testing.T, file string) map[string]rendertest.Resource {
	t.Helper()
	out, ds := render.Render(context.Background(), render.Options{
		Load:       render.LoadOptions{Files: []string{file}, ProjectName: "demo", Environment: map[string]string{}},
		Extensions: extensions.All(),
	})
	if out == nil || ds.HasErrors() {
		t.Fatalf("render failed:\n%s", ds.Error())
	}
	var doc struct {
		Resources map[string]rendertest.Resource `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(out.Files[out.Template], &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Resources
}

func TestExampleMeetsECSAgentAndFluentBitRules(t *testing.T) {
	file := filepath.Join("..", "..", "examples", "firelens-cloudwatch", "docker-compose.yml")
	if _, err := os.Stat(file); err != nil {
		t.Fatal(err)
	}
	if n := checkFireLens(t, renderDir(t, file)); n != 2 {
		t.Errorf("%d routers; want 2 (web and worker)", n)
	}
}
