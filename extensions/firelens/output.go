package firelens

import (
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/composex/composex/render"
)

// The Fluent Bit output plugins composex routes to, all built into AWS for
// Fluent Bit.
const (
	pluginCloudWatch = "cloudwatch_logs"
	pluginFirehose   = "kinesis_firehose"
	pluginS3         = "s3"
)

// pluginOptions are the options each output plugin accepts (its
// config_map in Fluent Bit 1.9, the version of the pinned image), beside
// Name. An option the plugin does not know stops Fluent Bit at start, so
// they are checked here rather than at deploy.
var pluginOptions = map[string][]string{
	pluginCloudWatch: {"region", "log_group_name", "log_stream_name", "log_stream_prefix", "log_group_template", "log_stream_template",
		"log_key", "log_format", "role_arn", "auto_create_group", "auto_retry_requests", "log_retention_days", "endpoint",
		"sts_endpoint", "external_id", "metric_namespace", "metric_dimensions"},
	pluginFirehose: {"region", "delivery_stream", "time_key", "time_key_format", "log_key", "compression", "role_arn",
		"endpoint", "sts_endpoint", "auto_retry_requests"},
	pluginS3: {"region", "bucket", "json_date_key", "json_date_format", "total_file_size", "upload_chunk_size", "upload_timeout",
		"store_dir", "store_dir_limit_size", "s3_key_format", "s3_key_format_tag_delimiters", "static_file_path", "use_put_object",
		"role_arn", "endpoint", "sts_endpoint", "canned_acl", "compression", "content_type", "send_content_md5",
		"auto_retry_requests", "log_key", "preserve_data_ordering", "storage_class", "retry_limit", "external_id"},
}

// agentOptions are awsfirelens options the ECS agent reads itself rather
// than passing them to the plugin.
var agentOptions = []string{"include-pattern", "exclude-pattern", "log-driver-buffer-limit"}

var (
	// Compiled at first use: a counted repetition of hundreds compiles to a
	// program that large, which every process used to build at start.
	logGroupName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[.\-_/#A-Za-z0-9]{1,512}$`) })
	firehoseArn  = regexp.MustCompile(`^arn:(aws[a-z-]*):firehose:([a-z0-9-]+):([0-9]{12}):deliverystream/([a-zA-Z0-9_.-]{1,64})$`)
	bucketArn    = regexp.MustCompile(`^arn:(aws[a-z-]*):s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$`)
	roleArn      = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)
	})
	imagePath = regexp.MustCompile(`^/[A-Za-z0-9._/-]+$`)
	envName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// output is one Fluent Bit [OUTPUT]: the plugin and its options as the
// user gave them (composex adds region, group and prefix when it renders).
type output struct {
	plugin  string
	options map[string]string
	// arn is the destination's ARN (Firehose, S3), granted to the task role.
	arn  string
	path string
}

// readOptions reads logging.options of a service whose driver is
// awsfirelens: Name picks the plugin (inferred from delivery_stream or
// bucket when absent), the rest are its options.
func readOptions(service, path string, opts map[string]string, ds *render.Diagnostics) *output {
	o := &output{options: map[string]string{}, path: path}
	for k, v := range opts {
		if k == "Name" || k == "name" {
			o.plugin = v
			continue
		}
		o.options[k] = v
	}
	if o.plugin == "" {
		o.plugin = inferPlugin(o.options)
	}
	if o.plugin == "cloudwatch" {
		ds.Warnf(service, path+".Name", "cloudwatch is AWS for Fluent Bit's older Go plugin; composex uses its successor %s, which takes the same group, stream and region options", pluginCloudWatch)
		o.plugin = pluginCloudWatch
	}
	if !checkOutput(service, o, ds) {
		return nil
	}
	return o
}

// readDestination reads one ComposeXManagedAwsDestinations entry.
func readDestination(service, path string, d map[string]any, ds *render.Diagnostics) *output {
	o := &output{options: map[string]string{}, path: path}
	for k, v := range d {
		switch v.(type) {
		case string, bool, int, int64, float64, uint64:
		default:
			ds.Errorf(service, path+"."+k, "expected a string, number or boolean")
			return nil
		}
		if k == "Name" || k == "name" {
			o.plugin = fmt.Sprint(v)
			continue
		}
		o.options[k] = fmt.Sprint(v)
	}
	if o.plugin == "" {
		o.plugin = inferPlugin(o.options)
	}
	if !checkOutput(service, o, ds) {
		return nil
	}
	return o
}

func inferPlugin(opts map[string]string) string {
	switch {
	case opts["delivery_stream"] != "":
		return pluginFirehose
	case opts["bucket"] != "":
		return pluginS3
	}
	return pluginCloudWatch
}

// checkOutput applies the plugin's rules and turns ARNs into the names the
// plugins take; it reports every problem and says whether there was none.
func checkOutput(service string, o *output, ds *render.Diagnostics) bool {
	allowed, known := pluginOptions[o.plugin]
	if !known {
		ds.Errorf(service, o.path+".Name", "%q is not an output composex routes to; allowed: %s, %s, %s", o.plugin, pluginCloudWatch, pluginFirehose, pluginS3)
		return false
	}
	ok := true
	for _, k := range slices.Sorted(maps.Keys(o.options)) {
		if !slices.Contains(allowed, k) && !slices.Contains(agentOptions, k) {
			ds.Errorf(service, o.path+"."+k, "%s is not an option of Fluent Bit's %s output; allowed: %s", k, o.plugin, strings.Join(allowed, ", "))
			ok = false
		}
		if v := o.options[k]; strings.ContainsAny(v, "\n\r") {
			ds.Errorf(service, o.path+"."+k, "a Fluent Bit option value is one line")
			ok = false
		}
	}
	if r := o.options["role_arn"]; r != "" && !roleArn().MatchString(r) {
		ds.Errorf(service, o.path+".role_arn", "%q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", r)
		ok = false
	}
	switch o.plugin {
	case pluginCloudWatch:
		if g := o.options["log_group_name"]; g != "" && !logGroupName().MatchString(g) {
			ds.Errorf(service, o.path+".log_group_name", "%q is not a CloudWatch Logs group name (1 to 512 of letters, digits and . _ - / #)", g)
			ok = false
		}
		if o.options["log_group_template"] != "" || o.options["log_stream_template"] != "" {
			ds.Errorf(service, o.path, "log_group_template and log_stream_template choose groups at run time, which no policy can name in advance; give log_group_name")
			ok = false
		}
	case pluginFirehose:
		s := o.options["delivery_stream"]
		m := firehoseArn.FindStringSubmatch(s)
		switch {
		case strings.HasPrefix(s, "x-kinesis_firehose::"):
			ds.Errorf(service, o.path+".delivery_stream", "%q: x-kinesis_firehose is not supported by composex; give the delivery stream's ARN (arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME)", s)
			ok = false
		case m == nil:
			ds.Errorf(service, o.path+".delivery_stream", "%q is not a Kinesis Data Firehose delivery stream ARN (arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME); composex grants the task role exactly that stream", s)
			ok = false
		default:
			if r := o.options["region"]; r != "" && r != m[2] {
				ds.Errorf(service, o.path+".region", "%s is not the region of the delivery stream %s (%s)", r, s, m[2])
				ok = false
			}
			o.arn = s
			o.options["delivery_stream"], o.options["region"] = m[4], m[2]
		}
	case pluginS3:
		s := o.options["bucket"]
		m := bucketArn.FindStringSubmatch(s)
		if m == nil {
			ds.Errorf(service, o.path+".bucket", "%q is not an S3 bucket ARN (arn:aws:s3:::NAME); composex grants the task role exactly that bucket", s)
			ok = false
		} else {
			o.arn = s
			o.options["bucket"] = m[2]
		}
	}
	return ok
}

// readLimited reads a file CheckProjectFile accepted, within MaxFileBytes
// even if it grew in between.
func readLimited(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return "", err
	}
	if len(b) > MaxFileBytes {
		return "", fmt.Errorf("is larger than %d bytes (one SSM parameter)", MaxFileBytes)
	}
	return string(b), nil
}
