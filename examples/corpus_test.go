package examples

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/render"
	"github.com/composex/composex/schema"
)

// corpusCase is one entry of shared/corpus/compose-x-cases.json: the files
// compose-x's tests merge, in order, and what compose-x 1.1.9 does with them.
type corpusCase struct {
	Files    []string `json:"files"`
	ComposeX string   `json:"compose_x"` // renders, renders-with-aws-lookups, refused-by-its-tests, fails
}

// name is the case's key in corpusKnownFailures: its files without the
// use-cases folder, joined by " + ".
func (c corpusCase) name() string {
	var parts []string
	for _, f := range c.Files {
		parts = append(parts, strings.TrimPrefix(f, "compose-x-use-cases/"))
	}
	return strings.Join(parts, " + ")
}

// corpusKnownFailures lists the compose-x cases that should render (or be
// refused) but do not yet, each with its cause. The list only shrinks:
// TestCorpus fails when a listed case starts to behave, so that its entry
// is dropped, and when an unlisted case misbehaves.
var corpusKnownFailures = map[string]string{
	"blog.features.yml": blogFeatures,
	"blog.features.yml + alarms/composite_alarm.duplicate.yml":                         blogFeatures + "; " + "x-alarms Services.<svc>.Access is not read (extensions/alarms); x-alarms Topics TopicArn arn:aws:sns:…:topic/NAME is refused as not an SNS ARN (SNS topic ARNs have no topic/ part)",
	"blog.features.yml + alarms/composite_alarm.properties.yml":                        blogFeatures + "; " + "x-alarms Services.<svc>.Access is not read (extensions/alarms); x-alarms Topics TopicArn arn:aws:sns:…:topic/NAME is refused as not an SNS ARN (SNS topic ARNs have no topic/ part)",
	"blog.features.yml + alarms/composite_alarm.yml":                                   blogFeatures + "; " + "x-alarms Services.<svc>.Access is not read (extensions/alarms); x-alarms Topics TopicArn arn:aws:sns:…:topic/NAME is refused as not an SNS ARN (SNS topic ARNs have no topic/ part)",
	"blog.features.yml + alarms/create_only.with_topics.yml":                           blogFeatures + "; " + "x-alarms Services.<svc>.Access is not read (extensions/alarms); x-alarms Topics TopicArn arn:aws:sns:…:topic/NAME is refused as not an SNS ARN (SNS topic ARNs have no topic/ part)",
	"blog.features.yml + alarms/create_only.yml":                                       blogFeatures + "; " + "x-alarms Services.<svc>.Access is not read (extensions/alarms); x-alarms Topics TopicArn arn:aws:sns:…:topic/NAME is refused as not an SNS ARN (SNS topic ARNs have no topic/ part)",
	"blog.features.yml + alarms/services.yml":                                          blogFeatures + "; " + "x-alarms Predefined Settings.Period 30 is refused (AWS/ECS metrics are per minute)",
	"blog.features.yml + aps/create_only.yaml":                                         blogFeatures,
	"blog.features.yml + aps/lookup_only.yaml":                                         blogFeatures,
	"blog.features.yml + blog.features.x.yml":                                          blogFeatures + "; " + "x-iam.Policies with PolicyName inside PolicyDocument and no Version is refused (extensions/iam); x-network lb_type and use_cloudmap (compose-x 0.x keys) are unknown (extensions/network)",
	"blog.features.yml + codeguru/simple.yml":                                          blogFeatures,
	"blog.features.yml + codeguru/top_level.yml":                                       blogFeatures,
	"blog.features.yml + dashboards/simple.yaml":                                       blogFeatures,
	"blog.features.yml + docdb/create_only.yml":                                        blogFeatures,
	"blog.features.yml + docdb/create_only_cloudmap.yml":                               blogFeatures + "; " + "x-cloudmap namespace written with compose-x's Name (or Lookup) is not read (extensions/network)",
	"blog.features.yml + docdb/create_only_legacy.yml":                                 blogFeatures,
	"blog.features.yml + docdb/subnets_override.yml":                                   blogFeatures,
	"blog.features.yml + dynamodb/create_lookup_legacy.yml":                            blogFeatures,
	"blog.features.yml + dynamodb/create_lookup_services_mappings.yml":                 blogFeatures,
	"blog.features.yml + dynamodb/create_lookup_services_mappings_cloudmap.yml":        blogFeatures,
	"blog.features.yml + dynamodb/table.yml":                                           blogFeatures,
	"blog.features.yml + dynamodb/table_with_gsi.yml":                                  blogFeatures,
	"blog.features.yml + dynamodb/table_with_gsi_autoscaling.yml":                      blogFeatures,
	"blog.features.yml + dynamodb/tables.yml":                                          blogFeatures,
	"blog.features.yml + ec2compute/spot_config.yml":                                   blogFeatures,
	"blog.features.yml + ecs/cluster_create.yml":                                       blogFeatures + "; " + "x-cluster written the compose-x way (Lookup as a string, Lookup.RoleArn, Properties/MacroParameters) is refused (render x-cluster)",
	"blog.features.yml + ecs/cluster_create_with_logging.yml":                          blogFeatures + "; " + "x-cluster written the compose-x way (Lookup as a string, Lookup.RoleArn, Properties/MacroParameters) is refused (render x-cluster)",
	"blog.features.yml + ecs/cluster_lookup.yml":                                       blogFeatures + "; " + "x-cluster written the compose-x way (Lookup as a string, Lookup.RoleArn, Properties/MacroParameters) is refused (render x-cluster)",
	"blog.features.yml + ecs/cluster_lookup_and_capacity_providers.yml":                blogFeatures + "; " + "x-cluster written the compose-x way (Lookup as a string, Lookup.RoleArn, Properties/MacroParameters) is refused (render x-cluster)",
	"blog.features.yml + ecs/cluster_lookup_with_logging.yaml":                         blogFeatures,
	"blog.features.yml + ecs/service_to_service.yml":                                   blogFeatures,
	"blog.features.yml + ecs/service_to_service_depend.yml":                            blogFeatures + "; " + "x-network Ingress.Services.DependsOn is unknown (extensions/network)",
	"blog.features.yml + ecs_plugin_support/blog.features.x.yml":                       blogFeatures,
	"blog.features.yml + elasticache/create_only.yml":                                  blogFeatures,
	"blog.features.yml + elasticache/subnets_override.yml":                             blogFeatures,
	"blog.features.yml + elbv2/create_acm_parameters.yml":                              blogFeatures,
	"blog.features.yml + elbv2/create_no_acm.yml":                                      blogFeatures,
	"blog.features.yml + elbv2/create_only.yml":                                        blogFeatures,
	"blog.features.yml + elbv2/create_only_target_groups.yml":                          blogFeatures,
	"blog.features.yml + elbv2/create_only_with_alarms.yml":                            blogFeatures,
	"blog.features.yml + elbv2/create_only_with_full_healthcheck.yml":                  blogFeatures,
	"blog.features.yml + elbv2/create_only_with_oidc.yml":                              blogFeatures,
	"blog.features.yml + elbv2/create_only_with_record.yml":                            blogFeatures,
	"blog.features.yml + events/mixed.yml":                                             blogFeatures,
	"blog.features.yml + events/multi_rules_same_service.yaml":                         blogFeatures,
	"blog.features.yml + events/simple.yml":                                            blogFeatures,
	"blog.features.yml + firehose/create_only.yml":                                     blogFeatures,
	"blog.features.yml + firehose/lookup_only.yml":                                     blogFeatures,
	"blog.features.yml + kinesis/create_only.yml":                                      blogFeatures,
	"blog.features.yml + kinesis/create_only_kcl.yml":                                  blogFeatures,
	"blog.features.yml + kms/create_and_lookup.yml":                                    blogFeatures,
	"blog.features.yml + kms/simple_kms.yml":                                           blogFeatures,
	"blog.features.yml + logging/variations.yml":                                       blogFeatures,
	"blog.features.yml + neptune/create_only.yaml":                                     blogFeatures,
	"blog.features.yml + networking/cloudmap_multi_settings.yaml":                      blogFeatures + "; " + "x-network.x-cloudmap naming several namespaces (extensions/network); x-cloudmap namespace written with compose-x's Name (or Lookup) is not read (extensions/network)",
	"blog.features.yml + networking/cloudmap_settings.yaml":                            blogFeatures,
	"blog.features.yml + opensearch/create_only.yaml":                                  blogFeatures,
	"blog.features.yml + opensearch/create_only_single.yaml":                           blogFeatures,
	"blog.features.yml + rds/rds_basic.yml":                                            blogFeatures,
	"blog.features.yml + rds/rds_cluster_multi_instances.yml":                          blogFeatures,
	"blog.features.yml + rds/rds_import.yml":                                           blogFeatures,
	"blog.features.yml + rds/rds_import_with_return_values.yml":                        blogFeatures,
	"blog.features.yml + rds/rds_import_with_return_values_cloudmap.yml":               blogFeatures + "; " + "x-cloudmap namespace written with compose-x's Name (or Lookup) is not read (extensions/network)",
	"blog.features.yml + rds/rds_with_iam_access.yml":                                  blogFeatures,
	"blog.features.yml + rds/subnets_override.yml":                                     blogFeatures,
	"blog.features.yml + s3/bucket_with_notifications.yml":                             blogFeatures,
	"blog.features.yml + s3/full_s3_bucket_properties.yml":                             blogFeatures,
	"blog.features.yml + s3/lookup_only.yml":                                           blogFeatures,
	"blog.features.yml + s3/lookup_use_create_buckets.yml":                             blogFeatures,
	"blog.features.yml + s3/lookup_use_create_buckets_services_mappings.yaml":          blogFeatures,
	"blog.features.yml + s3/lookup_use_create_buckets_services_mappings_cloudmap.yaml": blogFeatures,
	"blog.features.yml + s3/simple_s3_bucket.yml":                                      blogFeatures,
	"blog.features.yml + s3/simple_s3_bucket_with_kms.yml":                             blogFeatures,
	"blog.features.yml + sns/create_and_lookup.yml":                                    blogFeatures + "; " + "x-sns.<topic>.Services is unknown (extensions/alarms); x-sns Lookup is refused, not turned into a TopicArn parameter (extensions/alarms)",
	"blog.features.yml + sns/simple_sns.yml":                                           blogFeatures + "; " + "x-sns.<topic>.Services is unknown (extensions/alarms)",
	"blog.features.yml + sns/sns_with_sqs_subscription.yaml":                           blogFeatures + "; " + "x-sns.<topic>.Services is unknown (extensions/alarms)",
	"blog.features.yml + sqs/create_and_lookup.yml":                                    blogFeatures,
	"blog.features.yml + sqs/create_and_lookup_with_return_values.yml":                 blogFeatures,
	"blog.features.yml + sqs/no_access.yml":                                            blogFeatures,
	"blog.features.yml + sqs/simple_queue.yml":                                         blogFeatures,
	"blog.features.yml + ssm/simple_parameter.yml":                                     blogFeatures,
	"blog.features.yml + volumes/efs.yml":                                              blogFeatures,
	"blog.features.yml + volumes/efs_with_lookup_vpc.yml":                              blogFeatures,
	"blog.features.yml + vpc/lookup_vpc_via_arn.yaml":                                  blogFeatures,
	"blog.features.yml + vpc/lookup_vpc_via_id.yaml":                                   blogFeatures,
	"blog.features.yml + vpc/lookup_vpc_via_tags.yaml":                                 blogFeatures,
	"blog.features.yml + vpc/new_vpc.yml":                                              blogFeatures,
	"blog.features.yml + vpc/new_with_flowlogs.yml":                                    blogFeatures,
	"blog.features.yml + vpc/no_nats_no_endpoints.yaml":                                blogFeatures,
	"blog.features.yml + wafv2_webacl/create_only.yaml":                                blogFeatures,
	"blog.features.yml + wafv2_webacl/create_only_with_elbv2.yaml":                     blogFeatures,
	"blog.yml": "secret zyx is external: true with no x-secrets, which Fargate cannot provide (refused; compose-x drops it silently)",
	"firelens/advanced_firehose/test_advanced_firehose.yaml":                  "x-logging.FireLens renders (extensions/firelens); refused for what it names: delivery streams as x-kinesis_firehose:: (composex takes a delivery stream's ARN; x-kinesis_firehose is not implemented), a destination's Parser key (not a Fluent Bit output option), and a SourceFile the corpus does not ship (use-cases/firelens/advanced_firehose/extra.conf)",
	"neptune/blog.features.yml":                                               "its own blog.features.yml: cap_add NET_ADMIN (Fargate allows SYS_PTRACE only)",
	"prometheus/blog.features.yml + prometheus/prometheus_config_file.yml":    "secrets.zyx.x-secrets.Lookup is refused, not turned into a secret-ARN parameter (render/secrets.go); x-cloudmap namespace written with compose-x's Name (or Lookup) is not read (extensions/network)",
	"prometheus/blog.features.yml + prometheus/prometheus_custom_options.yml": "secrets.zyx.x-secrets.Lookup is refused, not turned into a secret-ARN parameter (render/secrets.go); x-cloudmap namespace written with compose-x's Name (or Lookup) is not read (extensions/network)",
	"prometheus/blog.features.yml + prometheus/prometheus_enabled.yml":        "secrets.zyx.x-secrets.Lookup is refused, not turned into a secret-ARN parameter (render/secrets.go); x-cloudmap namespace written with compose-x's Name (or Lookup) is not read (extensions/network)",
	"services_monitoring/blog.features.yml":                                   blogFeatures + "; " + "x-monitoring CWAgentCollectEmf.InterpolateWithDigest needs registry access (extensions/monitoring); x-scaling TargetScaling without a target",
	"warpstream.yaml":                                                         "x-ecs_connect MacroParameters.services_ports (compose-x spelling) is unknown (extensions/network); then WARPSTREAM_BUCKET_URL holds x-s3::warp-cluster-storage::BucketName, a bucket composex does not create (refused by name)",
	"with_cloudmap.yml":                                                       "x-network: with no value (null) is refused (extensions/network); x-cloudmap namespace written with compose-x's Name (or Lookup) is not read (extensions/network)",
	"yelb.yaml":                                                               "x-cloudmap namespace written with compose-x's Name (or Lookup) is not read (extensions/network)",
}

// blogFeatures is why blog.features.yml, which most cases merge under their
// own file, does not render: causes outside the loader, each a decision of
// the part that reads the key.
const blogFeatures = "blog.features.yml: x-scaling ScheduledActions with rate(1h) (Application Auto Scaling wants rate(1 hour)) and a name with spaces, TargetScaling with no target (extensions/scaling); " +
	"then cap_add ALL and NET_ADMIN (Fargate allows SYS_PTRACE only), ecs.ephemeral.storage 12128GB (Fargate's maximum is 200 GiB), " +
	"and families bignicefamily and youtoo depending on each other through rproxy, which is in both"

// loadCorpus reads the corpus's cases; it skips (or, in CI, fails) when the
// shared folder is missing.
func loadCorpus(t *testing.T) (string, []corpusCase) {
	t.Helper()
	dir := filepath.Join(sharedDir(), "corpus")
	index := filepath.Join(dir, "compose-x-cases.json")
	require(t, fileExists(index), index+" (set COMPOSEX_SHARED)")
	body, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	var cases []corpusCase
	if err := json.Unmarshal(body, &cases); err != nil {
		t.Fatalf("%s: %v", index, err)
	}
	if len(cases) == 0 {
		t.Fatalf("%s holds no case", index)
	}
	return dir, cases
}

// renderCorpusCase renders one case the way `composex render -f A -f B`
// does (with the schema validator), in an empty environment.
func renderCorpusCase(dir string, c corpusCase) (*render.Output, render.Diagnostics) {
	var files []string
	for _, f := range c.Files {
		files = append(files, filepath.Join(dir, f))
	}
	return render.Render(context.Background(), render.Options{
		Load: render.LoadOptions{
			Files:       files,
			ProjectName: "corpus",
			Environment: map[string]string{},
		},
		Extensions: extensions.All(),
		Validators: []render.Validator{schema.Validator},
	})
}

// TestCorpus renders every combination of compose-x's own files that its
// tests use: what compose-x renders (with or without AWS look-ups) must
// render, what its tests expect to fail must be refused. The templates
// rendered are then linted in one cfn-lint run: no error.
func TestCorpus(t *testing.T) {
	dir, cases := loadCorpus(t)
	seen := map[string]bool{}
	var ok []*project
	counts := map[string][2]int{} // status -> {as expected, total}
	for _, c := range cases {
		want := c.ComposeX
		if want == "fails" {
			continue
		}
		name := c.name()
		seen[name] = true
		out, ds := renderCorpusCase(dir, c)
		rendered := out != nil && !ds.HasErrors()
		var good bool
		var why string
		switch want {
		case "renders", "renders-with-aws-lookups":
			good = rendered
			if !good {
				why = "not rendered:\n" + ds.Errors().Error()
			}
		case "refused-by-its-tests":
			good = !rendered
			if !good {
				why = "rendered; compose-x's tests expect it refused"
			}
		default:
			t.Errorf("%s: unknown status %q", name, want)
			continue
		}
		n := counts[want]
		n[1]++
		if good {
			n[0]++
		}
		counts[want] = n
		reason, listed := corpusKnownFailures[name]
		switch {
		case good && listed:
			t.Errorf("%s now behaves as compose-x's tests expect (%s); drop it from corpusKnownFailures (it was: %s)", name, want, reason)
		case !good && !listed:
			t.Errorf("%s (%s): %s", name, want, why)
		}
		if rendered && want != "refused-by-its-tests" {
			ok = append(ok, &project{name: corpusDirName(len(ok), name), files: c.Files, out: out, diags: ds})
		}
	}
	for name := range corpusKnownFailures {
		if !seen[name] {
			t.Errorf("corpusKnownFailures names %q, which is no case that should render or be refused; drop the entry", name)
		}
	}
	for _, s := range []string{"renders", "renders-with-aws-lookups", "refused-by-its-tests"} {
		t.Logf("%s: %d of %d as compose-x's tests expect", s, counts[s][0], counts[s][1])
	}
	t.Logf("render: %d of %d", counts["renders"][0]+counts["renders-with-aws-lookups"][0], counts["renders"][1]+counts["renders-with-aws-lookups"][1])
	lintCorpus(t, ok)
}

// corpusDirName is a folder name for a rendered case.
func corpusDirName(i int, name string) string {
	r := strings.NewReplacer("/", "_", " + ", "__", " ", "_")
	return fmt.Sprintf("%03d-%s", i, r.Replace(name))
}

// lintCorpus runs cfn-lint once over every rendered case's templates.
func lintCorpus(t *testing.T, ps []*project) {
	t.Helper()
	if len(ps) == 0 {
		return
	}
	if _, err := exec.LookPath("cfn-lint"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true and cfn-lint is missing")
		}
		t.Logf("cfn-lint is missing: the corpus's templates are not linted (with CI=true this is a failure)")
		return
	}
	root := t.TempDir()
	var templates []string
	for _, p := range ps {
		d := filepath.Join(root, p.name)
		if err := render.WriteFiles(d, p.out.Files); err != nil {
			t.Fatal(err)
		}
		for f := range p.out.Files {
			if strings.HasSuffix(f, ".yml") || strings.HasSuffix(f, ".yaml") || strings.HasSuffix(f, ".json") {
				if !strings.HasSuffix(f, ".params.json") {
					templates = append(templates, filepath.Join(d, f))
				}
			}
		}
	}
	sort.Strings(templates)
	cmd := exec.Command("cfn-lint", append([]string{"--format", "parseable"}, templates...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running cfn-lint: %v", err)
	}
	errs := 0
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		line := sc.Text()
		if rule := parseableRule(line); rule != "" && rule[0] == 'E' {
			errs++
			t.Error(line)
		}
	}
	t.Logf("cfn-lint on %d templates of %d cases: exit %d, %d error(s)", len(templates), len(ps), code, errs)
	if code&1 != 0 {
		t.Errorf("cfn-lint failed (exit %d): %s", code, stderr.String())
	}
}
