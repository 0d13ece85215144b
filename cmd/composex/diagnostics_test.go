package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xeipuuv/gojsonschema"

	"github.com/composex/composex/render"
)

// badProject is a compose file with an error at a known place (line 5,
// column 7: the misspelled x-scalling) and a warning (pids_limit, line 4
// is not read by Fargate... any warning will do: the host bind mount).
const badProject = `services:
  web:
    image: nginx:1.27
    volumes: ["/var/run:/host"]
    x-scalling: {Range: "1-2"}
`

// inProject writes badProject as compose.yaml in a new directory and makes
// it the working directory, so that paths are relative as in a repository.
func inProject(t *testing.T, content string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
}

// TestDiagnosticsText: the text format ends each line with the code.
func TestDiagnosticsText(t *testing.T) {
	inProject(t, badProject)
	code, _, stderr := runCLI(t, "validate", "compose.yaml")
	if code != exitInput {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	want := regexp.MustCompile(`(?m)^compose\.yaml:5:5: error: service "web": services\.web\.x-scalling: unknown extension x-scalling \(did you mean x-scaling\?\).* \[CX\d{4}\]$`)
	if !want.MatchString(stderr) || strings.Contains(stderr, render.UncodedCode) {
		t.Errorf("stderr:\n%s\nwant a line matching %s", stderr, want)
	}
}

// TestDiagnosticsJSON: one JSON object a line, every field named in the
// issue, nothing else on stderr.
func TestDiagnosticsJSON(t *testing.T) {
	inProject(t, badProject)
	code, _, stderr := runCLI(t, "validate", "--diagnostics", "json", "compose.yaml")
	if code != exitInput {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var got []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("line %q is not a JSON object: %v", sc.Text(), err)
		}
		for _, k := range []string{"severity", "file", "line", "column", "service", "key", "message", "code"} {
			if _, ok := obj[k]; !ok {
				t.Errorf("%s: no %q", sc.Text(), k)
			}
		}
		got = append(got, obj)
	}
	found := false
	for _, o := range got {
		if o["key"] == "services.web.x-scalling" {
			found = true
			if o["severity"] != "error" || o["file"] != "compose.yaml" || o["line"] != 5.0 || o["column"] != 5.0 || o["service"] != "web" ||
				!strings.HasPrefix(o["message"].(string), "unknown extension x-scalling (did you mean x-scaling?)") || !regexp.MustCompile(`^CX\d{4}$`).MatchString(o["code"].(string)) || o["code"] == render.UncodedCode {
				t.Errorf("diagnostic %v", o)
			}
		}
	}
	if !found {
		t.Errorf("no diagnostic at services.web.x-scalling in\n%s", stderr)
	}
}

// TestDiagnosticsGitHub: workflow commands, with GitHub's escapes: in the
// message %, CR and LF; in a property also : and ,.
func TestDiagnosticsGitHub(t *testing.T) {
	inProject(t, badProject)
	code, _, stderr := runCLI(t, "validate", "--diagnostics", "github", "compose.yaml")
	if code != exitInput {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	want := regexp.MustCompile(`(?m)^::error file=compose\.yaml,line=5,col=5,title=CX\d{4}::service "web"%3A services\.web\.x-scalling%3A unknown extension`)
	if !regexp.MustCompile(`(?m)^::error file=compose\.yaml,line=5,col=5,title=CX\d{4}::service "web": services\.web\.x-scalling: unknown extension x-scalling`).MatchString(stderr) {
		t.Errorf("stderr:\n%s", stderr)
	}
	_ = want // the message (data) keeps its colons: only properties escape them
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !strings.HasPrefix(line, "::error ") && !strings.HasPrefix(line, "::warning ") {
			t.Errorf("line %q is not a workflow command", line)
		}
	}
	d := render.Diagnostic{Severity: render.Warning, File: "a:b,c%.yml", Line: 3, Column: 2, Message: "100% sure\r\nnext: line, more", Code: "CX0042"}
	if got, want := githubAnnotation(d), "::warning file=a%3Ab%2Cc%25.yml,line=3,col=2,title=CX0042::100%25 sure%0D%0Anext: line, more"; got != want {
		t.Errorf("githubAnnotation = %q, want %q", got, want)
	}
	d = render.Diagnostic{Severity: render.Error, Message: "no file", Code: "CX0001"}
	if got, want := githubAnnotation(d), "::error title=CX0001::no file"; got != want {
		t.Errorf("githubAnnotation = %q, want %q", got, want)
	}
}

// TestDiagnosticsSARIF: a SARIF 2.1.0 log that GitHub code scanning takes:
// the properties its upload requires (version, tool.driver.name, a rule per
// ruleId, every result with a message and a physical location whose uri is
// relative to the repository and whose region starts at line and column 1
// or more), and, when SARIF_SCHEMA names the OASIS 2.1.0 schema file, valid
// against it.
func TestDiagnosticsSARIF(t *testing.T) {
	inProject(t, badProject+"x-too-long-extension-name: 1\n")
	code, _, stderr := runCLI(t, "validate", "--diagnostics", "sarif", "compose.yaml")
	if code != exitInput {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID               string `json:"id"`
						ShortDescription struct {
							Text string `json:"text"`
						} `json:"shortDescription"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stderr), &log); err != nil {
		t.Fatalf("stderr is not one JSON document: %v\n%s", err, stderr)
	}
	if log.Version != "2.1.0" || log.Schema == "" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "composex" {
		t.Fatalf("log header: %+v", log)
	}
	run := log.Runs[0]
	if len(run.Results) < 2 {
		t.Fatalf("want the error and the warnings, got %+v", run.Results)
	}
	sawTypo, sawProjectLevel := false, false
	for _, r := range run.Results {
		if r.RuleIndex < 0 || r.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s: ruleIndex %d does not name its rule", r.RuleID, r.RuleIndex)
		}
		if r.Level != "error" && r.Level != "warning" {
			t.Errorf("level %q", r.Level)
		}
		if r.Message.Text == "" || len(r.Locations) != 1 {
			t.Errorf("result %+v: a message and one location are required", r)
			continue
		}
		loc := r.Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URI != "compose.yaml" || loc.Region.StartLine < 1 || loc.Region.StartColumn < 1 {
			t.Errorf("result %s: location %+v", r.RuleID, loc)
		}
		if strings.Contains(r.Message.Text, "x-scalling") {
			sawTypo = loc.Region.StartLine == 5 && loc.Region.StartColumn == 5 && r.Level == "error"
		}
		if strings.Contains(r.Message.Text, "x-too-long-extension-name") {
			sawProjectLevel = true
		}
	}
	if !sawTypo || !sawProjectLevel {
		t.Errorf("results: typo at 5:5 %v, top-level key %v\n%s", sawTypo, sawProjectLevel, stderr)
	}
	ids := map[string]bool{}
	for _, rule := range run.Tool.Driver.Rules {
		if ids[rule.ID] || rule.ShortDescription.Text == "" {
			t.Errorf("rule %+v: ids are unique and described", rule)
		}
		ids[rule.ID] = true
	}
	if path := os.Getenv("SARIF_SCHEMA"); path != "" {
		abs, _ := filepath.Abs(path)
		res, err := gojsonschema.Validate(gojsonschema.NewReferenceLoader("file://"+abs), gojsonschema.NewStringLoader(stderr))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Errors() {
			t.Errorf("SARIF schema: %s", e)
		}
	}
}

// TestDiagnosticsFlag: an unknown format is a usage error naming the
// allowed ones.
func TestDiagnosticsFlag(t *testing.T) {
	code, _, stderr := runCLI(t, "validate", "--diagnostics", "xml", "compose.yaml")
	if code != exitUsage || !strings.Contains(stderr, `--diagnostics "xml": allowed: text, json, github, sarif`) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// TestInvalidFixturesAreCoded: every diagnostic of the shared bad inputs
// has a code of the table (none falls back to CX0000).
func TestInvalidFixturesAreCoded(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "fixtures", "invalid", "*.yml"))
	if len(files) == 0 {
		t.Fatal("no ../shared/fixtures/invalid/*.yml")
	}
	for _, f := range files {
		_, _, stderr := runCLI(t, "validate", "--diagnostics", "json", f)
		for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
			var d jsonDiagnostic
			if err := json.Unmarshal([]byte(line), &d); err != nil {
				t.Errorf("%s: %q: %v", f, line, err)
				continue
			}
			if _, ok := render.CodeEntryFor(d.Code); !ok {
				t.Errorf("%s: %+v has no code of the table", f, d)
			}
		}
	}
}

// TestOneRunReportsEveryProblem: through the real extensions and schemas, a
// key Fargate refuses, a misspelled x- key, a schema error, a task past
// Fargate's memory and an unknown alarm come out of one run.
func TestOneRunReportsEveryProblem(t *testing.T) {
	inProject(t, `services:
  web:
    image: nginx:1.27
    privileged: true
    x-scalling: {Range: "1-2"}
    x-scaling:
      Range: 5
    deploy:
      resources:
        limits: {memory: 200G}
  api:
    image: nginx:1.27
    x-alarms:
      Predefined:
        NoSuch: {}
`)
	code, _, stderr := runCLI(t, "validate", "compose.yaml")
	if code != exitInput {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"compose.yaml:4:5: error: service \"web\": services.web.privileged: cannot work on Fargate",
		"compose.yaml:5:5: error: service \"web\": services.web.x-scalling: unknown extension x-scalling (did you mean x-scaling?)",
		"compose.yaml:7:7: error: service \"web\": services.web.x-scaling.Range: expected a string",
		"compose.yaml:9:7: error: service \"web\": services.web.deploy.resources: family web: the containers ask for 200 GiB of memory in all; the largest Fargate task has 120 GiB",
		"compose.yaml:15:9: error: service \"api\": services.api.x-alarms.Predefined.NoSuch: unknown key \"NoSuch\"",
		"composex validate: 5 error(s); nothing written",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
