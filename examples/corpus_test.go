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
	"slices"
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
// refused) but do not, each with its cause and, for a case that should
// render, every error composex reports for it (code and key path), so that
// the reason cannot go stale: TestCorpus fails when a listed case starts to
// behave (drop its entry), when it fails with other errors than listed, and
// when an unlisted case misbehaves.
type knownFailure struct {
	why    string
	errors []string // "CODE key.path" of every error, sorted
}

var corpusKnownFailures = map[string]knownFailure{
	"blog.features.yml + ecs/cluster_lookup_and_capacity_providers.yml": {
		"app01 sets ecs.compute.platform: EC2: composex renders Fargate services only and refuses EC2 and EXTERNAL with the reason (issue 14), where compose-x renders an EC2 service on capacity it does not create; the file's x-ecs CapacityProviderStrategy also gives two providers of family youtoo a Base, which ECS refuses (one provider of a strategy may have a Base)",
		[]string{"CX0407 services.app02.x-ecs.CapacityProviderStrategy", "CX0459 services.app01.deploy.labels.[ecs.compute.platform]"}},
	"blog.features.yml + elbv2/create_only_with_oidc.yml": {
		"the file misspells an AuthenticateOidcConfig key with a stray quote (AuthenticationRequestExtraParams\"): compose-x drops it silently (import_record_properties copies only the properties it knows), so the identity provider never gets display and prompt; composex refuses the unknown key, naming the key it was meant to be",
		[]string{"CX0504 x-elbv2.lbA.Listeners.1.Targets.0.AuthenticateOidcConfig.AuthenticationRequestExtraParams\""}},
	"blog.features.yml + networking/cloudmap_multi_settings.yaml": {
		"the file gives app01 container port 80 (8000:80) in family bignicefamily, where rproxy listens on 80 too: the containers of a Fargate task share one network interface, so one of them cannot bind the port (compose-x renders it; the task would not serve)",
		[]string{"CX0417 services.rproxy.ports"}},
	"blog.features.yml + opensearch/negative_testing/incompatible_parameters.yaml": {why: opensearchOutOfScope},
	"blog.features.yml + opensearch/negative_testing/unsupported_config.yaml":      {why: opensearchOutOfScope},
	"blog.features.yml + opensearch/negative_testing/unsupported_version.yaml":     {why: opensearchOutOfScope},
	"firelens/advanced_firehose/test_advanced_firehose.yaml": {
		"web sets ecs.compute.platform: EXTERNAL (ECS Anywhere): composex renders Fargate services only and refuses EC2 and EXTERNAL with the reason (issue 14); its FireLens destination also has a Parser key, which is not an option of Fluent Bit's kinesis_firehose output; and web2 names its delivery stream as x-kinesis_firehose::lookup-stream-to-s3-direct-put, a compose-x module composex does not implement (it takes the stream's ARN)",
		[]string{"CX0459 services.web.deploy.labels.[ecs.compute.platform]", "CX0504 services.web.x-logging.FireLens.Advanced.ComposeXManagedAwsDestinations.0.Parser", "CX0554 services.web2.logging.options.delivery_stream"}},
}

// opensearchOutOfScope: compose-x's tests expect these x-opensearch files
// refused by its OpenSearch checks. x-opensearch is outside composex's scope
// (warned by name, nothing created), so the rest of the file renders.
const opensearchOutOfScope = "compose-x refuses it over x-opensearch properties (ValueError in its OpenSearch module); x-opensearch is outside composex's scope (warned by name, no domain created), so its checks do not apply and composex renders the file"

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
	return renderCorpusFiles(files, "")
}

func renderCorpusFiles(files []string, projectDir string) (*render.Output, render.Diagnostics) {
	return render.Render(context.Background(), render.Options{
		Load: render.LoadOptions{
			Files:       files,
			ProjectName: "corpus",
			Environment: map[string]string{},
			WorkingDir:  projectDir,
		},
		Extensions: extensions.All(),
		Validators: []render.Validator{schema.Validator},
	})
}

// composeXRoot lays out compose-x's repository root as its tests run from
// it: the use-cases folder under its own name, use-cases/. Paths inside the
// files are relative to that root (prometheus_config_file.yml names
// use-cases/prometheus/scrape_config.yaml), so each case is rendered from
// a copy there with the root as project directory (--project-directory, as
// docker compose takes it).
func composeXRoot(t *testing.T, dir string) string {
	t.Helper()
	root := t.TempDir()
	src := filepath.Join(dir, "compose-x-use-cases")
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(root, "use-cases", rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, body, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// renderCorpusCaseAtRoot renders a case from compose-x's repository root.
func renderCorpusCaseAtRoot(root string, c corpusCase) (*render.Output, render.Diagnostics) {
	var files []string
	for _, f := range c.Files {
		files = append(files, filepath.Join(root, "use-cases", strings.TrimPrefix(f, "compose-x-use-cases/")))
	}
	return renderCorpusFiles(files, root)
}

// TestCorpus renders every combination of compose-x's own files that its
// tests use: what compose-x renders (with or without AWS look-ups) must
// render, what its tests expect to fail must be refused. The templates
// rendered are then linted in one cfn-lint run: no error.
func TestCorpus(t *testing.T) {
	dir, cases := loadCorpus(t)
	root := composeXRoot(t, dir)
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
		out, ds := renderCorpusCaseAtRoot(root, c)
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
		known, listed := corpusKnownFailures[name]
		switch {
		case good && listed:
			t.Errorf("%s now behaves as compose-x's tests expect (%s); drop it from corpusKnownFailures (it was: %s)", name, want, known.why)
		case !good && !listed:
			t.Errorf("%s (%s): %s", name, want, why)
		case !good && !rendered:
			var got []string
			for _, d := range ds.Errors() {
				got = append(got, d.Code+" "+d.Path)
			}
			sort.Strings(got)
			got = slices.Compact(got)
			if !slices.Equal(got, known.errors) {
				t.Errorf("%s fails with other errors than corpusKnownFailures lists, so its reason is stale:\n got  %q\n list %q\n%s", name, got, known.errors, ds.Errors().Error())
			}
		}
		// Every template composex writes is linted, also for a case
		// compose-x's tests expect refused that composex renders.
		if rendered {
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
