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
	"blog.features.yml + blog.features.x.yml":                                      "x-iam policy AllowPublishToCw is in both blog.features.yml and blog.features.x.yml, so the merged Policies list names it twice (refused as a duplicate)",
	"blog.features.yml + ecs/cluster_lookup_and_capacity_providers.yml":            "ecs.compute.platform EC2 (composex renders Fargate only), and x-ecs CapacityProviderStrategy giving two providers a Base",
	"blog.features.yml + elbv2/create_acm_parameters.yml":                          "x-elbv2 DefaultActions Redirect TEA_POT is refused (allowed: HTTP_TO_HTTPS) (extensions/elbv2)",
	"blog.features.yml + elbv2/create_only_target_groups.yml":                      "x-elbv2 a target group no listener forwards to (ECS refuses to register a service in an unused target group)",
	"blog.features.yml + elbv2/create_only_with_oidc.yml":                          "x-elbv2 AuthenticateOidcConfig key written with a stray quote in the file (AuthenticationRequestExtraParams\\\") is refused as unknown",
	"blog.features.yml + firehose/create_only.yml":                                 "environment holds x-s3::delivery-stream-output-bucket::BucketName and ::Arn, a bucket composex does not create (refused by name)",
	"blog.features.yml + networking/cloudmap_multi_settings.yaml":                  "app01 and rproxy, both in family bignicefamily, listen on 80/tcp: the containers of a task share one network interface",
	"blog.features.yml + opensearch/negative_testing/incompatible_parameters.yaml": "compose-x refuses it over x-opensearch properties; x-opensearch is outside composex's scope (warned about, nothing created), so composex renders it",
	"blog.features.yml + opensearch/negative_testing/unsupported_config.yaml":      "compose-x refuses it over x-opensearch properties; x-opensearch is outside composex's scope (warned about, nothing created), so composex renders it",
	"blog.features.yml + opensearch/negative_testing/unsupported_version.yaml":     "compose-x refuses it over x-opensearch properties; x-opensearch is outside composex's scope (warned about, nothing created), so composex renders it",
	"blog.features.yml + wafv2_webacl/create_only_with_elbv2.yaml":                 "x-elbv2 Services with no listener forwarding to them (ECS refuses to register a service in an unused target group)",
	"blog.yml": "secret zyx is external: true with no x-secrets, which Fargate cannot provide (refused; compose-x drops it silently)",
	"firelens/advanced_firehose/test_advanced_firehose.yaml":               "x-logging.FireLens renders (extensions/firelens); refused for what it names: delivery streams as x-kinesis_firehose:: (composex takes a delivery stream's ARN; x-kinesis_firehose is not implemented), a destination's Parser key (not a Fluent Bit output option), and a SourceFile the corpus does not ship (use-cases/firelens/advanced_firehose/extra.conf)",
	"prometheus/blog.features.yml + prometheus/prometheus_config_file.yml": "x-prometheus ScrapingConfigurationFile use-cases/prometheus/scrape_config.yaml is relative to compose-x's repository root, not to the compose file",
	"warpstream.yaml": "x-elbv2 Properties.LoadBalancerAttributes written as a mapping (compose-x's form) is refused as not a list (extensions/elbv2); then WARPSTREAM_BUCKET_URL holds x-s3::warp-cluster-storage::BucketName, a bucket composex does not create (refused by name)",
}

// opensearchOutOfScope: compose-x's tests expect these x-opensearch files
// refused by its OpenSearch checks. x-opensearch is outside composex's scope
// (warned by name, nothing created), so the rest of the file renders; they
// rendered no earlier only because blog.features.yml did not.
const opensearchOutOfScope = "x-opensearch is outside composex's scope (warned by name, no domain created), so compose-x's OpenSearch checks that refuse this file do not apply and it renders"

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
