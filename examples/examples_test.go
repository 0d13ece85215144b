// Package examples holds one folder per scenario, each a docker-compose.yml
// and the output composex must render from it (expected/). The tests here
// prove that output three ways: byte for byte against expected/, with
// cfn-lint, and by creating the stack in the moto AWS emulator.
//
//	go test ./examples            compare, lint, deploy
//	go test ./examples -update    rewrite expected/ (and the README table)
//
// The fixtures and tools live in the shared folder beside the repository
// (../shared from the repository root), or where COMPOSEX_SHARED points.
// cfn-lint, python3 and moto are required when CI=true; elsewhere a missing
// tool skips the tests that need it, naming the tool.
package examples

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/render"
)

var update = flag.Bool("update", false, "rewrite examples/*/expected/ and the README's conversion table from the current renderer")

const composeFile = "docker-compose.yml"

// motoParallel is how many emulator runs go at once: each is a python
// process of about 3 s that keeps one core busy, and CI has two.
const motoParallel = 2

// motoParameters are the values an example's stack needs that have no
// default (a secret's value, a pushed image), by example name.
var motoParameters = map[string][]string{}

// project is one compose project rendered by the tests.
type project struct {
	name  string // project name: the folder's name
	files []string
	out   *render.Output
	diags render.Diagnostics
}

// renderProject renders a compose file the way `composex render -p NAME`
// does, but with an empty environment so that the caller's shell cannot
// change the output.
func renderProject(t *testing.T, name string, files ...string) *project {
	t.Helper()
	out, ds := render.Render(context.Background(), render.Options{
		Load: render.LoadOptions{
			Files:       files,
			ProjectName: name,
			Environment: map[string]string{},
		},
		Extensions: extensions.All(),
	})
	if ds.HasErrors() || out == nil {
		t.Fatalf("%s: render failed:\n%s", name, ds.Error())
	}
	return &project{name: name, files: files, out: out, diags: ds}
}

// exampleDirs lists the folders of this package that hold a compose file.
func exampleDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && fileExists(filepath.Join(e.Name(), composeFile)) {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		t.Fatal("no example folder with a docker-compose.yml")
	}
	return dirs
}

func renderExamples(t *testing.T) []*project {
	t.Helper()
	var out []*project
	for _, d := range exampleDirs(t) {
		out = append(out, renderProject(t, d, filepath.Join(d, composeFile)))
	}
	return out
}

// sharedDir is the folder of fixtures and tools shared by every checkout.
func sharedDir() string {
	if d := os.Getenv("COMPOSEX_SHARED"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared")
}

// require stops a test that cannot run here: a failure in CI, where every
// tool must be installed, and a skip naming what is missing elsewhere.
func require(t *testing.T, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and %s is missing", what)
	}
	t.Skipf("skipped: %s is missing (with CI=true this is a failure)", what)
}

func requireShared(t *testing.T) string {
	t.Helper()
	d := sharedDir()
	require(t, fileExists(filepath.Join(d, "fixtures")), fmt.Sprintf("the shared folder %s (set COMPOSEX_SHARED)", d))
	return d
}

// renderFixtures renders every shared/fixtures/*/docker-compose.yml, each
// under its folder's name.
func renderFixtures(t *testing.T) []*project {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(requireShared(t), "fixtures", "*", composeFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no fixtures in %s", sharedDir())
	}
	sort.Strings(files)
	var out []*project
	for _, f := range files {
		out = append(out, renderProject(t, filepath.Base(filepath.Dir(f)), f))
	}
	return out
}

// writeAll writes each project's files into dir/<name>/ and returns the
// template paths, in the order of the projects.
func writeAll(t *testing.T, dir string, ps []*project) []string {
	t.Helper()
	var templates []string
	for _, p := range ps {
		d := filepath.Join(dir, p.name)
		if err := render.WriteFiles(d, p.out.Files); err != nil {
			t.Fatal(err)
		}
		templates = append(templates, filepath.Join(d, p.out.Template))
	}
	return templates
}

// TestExamplesMatchExpected renders every example and compares each file
// with expected/ byte for byte; -update rewrites expected/.
func TestExamplesMatchExpected(t *testing.T) {
	for _, p := range renderExamples(t) {
		t.Run(p.name, func(t *testing.T) {
			for _, d := range p.diags.Sorted() {
				t.Logf("%s", d)
			}
			again := renderProject(t, p.name, p.files...)
			for name, body := range p.out.Files {
				if !bytes.Equal(body, again.out.Files[name]) {
					t.Errorf("%s: two renders of the same input differ", name)
				}
			}
			want := filepath.Join(p.name, "expected")
			if *update {
				if err := os.RemoveAll(want); err != nil {
					t.Fatal(err)
				}
				if err := render.WriteFiles(want, p.out.Files); err != nil {
					t.Fatal(err)
				}
				return
			}
			entries, err := os.ReadDir(want)
			if err != nil {
				t.Fatalf("%v (run: go test ./examples -update)", err)
			}
			for _, e := range entries {
				if _, ok := p.out.Files[e.Name()]; !ok {
					t.Errorf("%s/%s is no longer rendered (run: go test ./examples -update)", want, e.Name())
				}
			}
			for _, name := range sortedNames(p.out.Files) {
				expected, err := os.ReadFile(filepath.Join(want, name))
				if err != nil {
					t.Errorf("%v (run: go test ./examples -update)", err)
					continue
				}
				if diff := firstDifference(expected, p.out.Files[name]); diff != "" {
					t.Errorf("%s/%s differs from the rendered output (if the change is right, run: go test ./examples -update)\n%s", want, name, diff)
				}
			}
		})
	}
}

// firstDifference describes the first line where two files differ.
func firstDifference(want, got []byte) string {
	if bytes.Equal(want, got) {
		return ""
	}
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			return fmt.Sprintf("line %d:\n  expected: %q\n  rendered: %q", i+1, w, g)
		}
	}
	return "the files differ"
}

// TestCfnLint lints every rendered example and shared fixture in one
// cfn-lint process: no error may be reported; warnings are printed.
func TestCfnLint(t *testing.T) {
	_, err := exec.LookPath("cfn-lint")
	require(t, err == nil, "cfn-lint (pip install cfn-lint)")
	ps := append(renderExamples(t), renderFixtures(t)...)
	templates := writeAll(t, t.TempDir(), ps)

	// Never -u: updating the specs needs the network.
	cmd := exec.Command("cfn-lint", append([]string{"--format", "parseable"}, templates...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running cfn-lint: %v", err)
	}
	counts := map[byte]int{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		line := sc.Text()
		if rule := parseableRule(line); rule != "" {
			counts[rule[0]]++
		}
		t.Log(line)
	}
	if stderr.Len() > 0 {
		t.Logf("cfn-lint stderr:\n%s", stderr.String())
	}
	t.Logf("cfn-lint on %d templates: exit %d, %d error(s), %d warning(s), %d informational", len(templates), code, counts['E'], counts['W'], counts['I'])
	// The exit code is a bit mask: 2 errors, 4 warnings, 8 informational;
	// 1 means cfn-lint itself failed.
	if code&2 != 0 || counts['E'] > 0 {
		t.Errorf("cfn-lint found %d error(s) (exit %d); see the lines above", counts['E'], code)
	}
	if code&1 != 0 {
		t.Errorf("cfn-lint failed (exit %d): %s", code, stderr.String())
	}
}

// parseableRule returns the rule ID (E3002, W3037, ...) of a line of
// cfn-lint's parseable format: file:line:col:endline:endcol:rule:message.
func parseableRule(line string) string {
	parts := strings.SplitN(line, ":", 7)
	if len(parts) < 7 {
		return ""
	}
	rule := parts[5]
	if len(rule) < 2 || !strings.ContainsRune("EWI", rune(rule[0])) {
		return ""
	}
	return rule
}

// motoSummary is the part of moto_inproc_check.py's JSON the test reads.
type motoSummary struct {
	Error           *string `json:"error"`
	Status          string  `json:"status"`
	TaskDefinitions []struct {
		Family                  string           `json:"family"`
		Cpu                     string           `json:"cpu"`
		Memory                  string           `json:"memory"`
		NetworkMode             string           `json:"networkMode"`
		RequiresCompatibilities []string         `json:"requiresCompatibilities"`
		ExecutionRoleArn        string           `json:"executionRoleArn"`
		TaskRoleArn             string           `json:"taskRoleArn"`
		ContainerDefinitions    []motoContainer  `json:"containerDefinitions"`
		Volumes                 []motoTaskVolume `json:"volumes"`
	} `json:"task_definitions"`
	Services []motoService `json:"services"`
	// What the per-example checks (motoChecks) read back.
	SSMParameters []struct {
		Name  string `json:"Name"`
		Value string `json:"Value"`
	} `json:"ssm_parameters"`
	CloudMapServices []motoCloudMapService `json:"cloudmap_services"`
	Roles            map[string]motoRole   `json:"roles"`
	SecurityGroups   []motoSecurityGroup   `json:"security_groups"`
	Timing           map[string]float64    `json:"timing_s"`
	// Application Auto Scaling, CloudWatch alarms and the stack's resources
	// ([logical ID, type, physical ID]), decoded by readback_scaling_test.go.
	ScalableTargets json.RawMessage `json:"scalable_targets"`
	ScalingPolicies json.RawMessage `json:"scaling_policies"`
	Alarms          json.RawMessage `json:"alarms"`
	Resources       json.RawMessage `json:"resources"`
	// Amazon EFS (added by tools/moto_check.py), read by readback_efs_test.go.
	EfsFileSystems  []motoFileSystem  `json:"efs_file_systems"`
	EfsMountTargets []motoMountTarget `json:"efs_mount_targets"`
	EfsAccessPoints []motoAccessPoint `json:"efs_access_points"`
	// x-elbv2 (load balancers, listeners, rules, target groups), decoded by
	// readback_elbv2_test.go.
	LoadBalancers json.RawMessage `json:"load_balancers"`
	Listeners     json.RawMessage `json:"listeners"`
	ListenerRules json.RawMessage `json:"listener_rules"`
	TargetGroups  json.RawMessage `json:"target_groups"`
	// Secrets Manager secrets with their values and the SSM parameters'
	// tiers (added by tools/moto_check.py), read by readback_files_test.go.
	Secrets []struct {
		Name         string `json:"Name"`
		ARN          string `json:"ARN"`
		Description  string `json:"Description"`
		SecretString string `json:"SecretString"`
	} `json:"secrets"`
	SSMTiers map[string]string `json:"ssm_tiers"`
	// The stack's outputs, the CloudWatch dashboards (name -> body) and
	// log group names (added by tools/moto_check.py), read by
	// readback_dashboards_test.go.
	Outputs    map[string]string `json:"outputs"`
	Dashboards map[string]string `json:"dashboards"`
	LogGroups  []string          `json:"log_groups"`
	// KMS keys with their rotation and policy (added by
	// tools/moto_check.py), read by readback_logkms_test.go.
	KMSKeys []struct {
		Arn         string `json:"Arn"`
		Description string `json:"Description"`
		Rotation    bool   `json:"Rotation"`
		Policy      string `json:"Policy"`
	} `json:"kms_keys"`
}

// motoStack is the stack name moto_inproc_check.py creates; task families
// are named ${AWS::StackName}-<family>.
const motoStack = "probe"

// TestMotoDeploy creates the stack of every example and shared fixture in
// the moto emulator (with the shared moto_plus handlers) and checks that
// ECS got what the model chose.
func TestMotoDeploy(t *testing.T) {
	_, err := exec.LookPath("python3")
	require(t, err == nil, "python3")
	probe := exec.Command("python3", "-c", "import moto, boto3, yaml")
	msg, err := probe.CombinedOutput()
	require(t, err == nil, "the python modules moto, boto3 and yaml ("+strings.TrimSpace(lastLine(msg))+")")
	tools := filepath.Join(requireShared(t), "tools")
	require(t, fileExists(filepath.Join(tools, "moto_inproc_check.py")), filepath.Join(tools, "moto_inproc_check.py"))
	// tools/moto_check.py runs the shared moto_inproc_check.py with one more
	// property kept (Service Connect), so the test can read it back.
	script := filepath.Join("tools", "moto_check.py")

	ps := append(renderExamples(t), renderFixtures(t)...)
	templates := writeAll(t, t.TempDir(), ps)
	for name := range motoSkip {
		if !fileExists(filepath.Join(name, composeFile)) {
			t.Errorf("motoSkip names %s, which is not an example; drop the entry", name)
		}
	}
	for name := range motoChecks {
		if !fileExists(filepath.Join(name, composeFile)) && !fileExists(filepath.Join(sharedDir(), "fixtures", name, composeFile)) {
			t.Errorf("motoChecks names %s, which is neither an example nor a fixture; drop the entry", name)
		}
	}
	slots := make(chan struct{}, motoParallel)
	for i, p := range ps {
		template := templates[i]
		t.Run(p.name, func(t *testing.T) {
			if why := motoSkip[p.name]; why != "" && fileExists(filepath.Join(p.name, composeFile)) {
				t.Skipf("not deployed to moto: %s (cfn-lint and the golden files still check it)", why)
			}
			t.Parallel()
			slots <- struct{}{}
			defer func() { <-slots }()
			cmd := exec.Command("python3", append([]string{script, tools, template}, motoParameters[p.name]...)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			runErr := cmd.Run()
			var sum motoSummary
			if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
				t.Fatalf("moto_inproc_check.py: %v; no JSON summary: %v\nstdout:\n%s\nstderr:\n%s", runErr, err, stdout.String(), tail(stderr.String(), 40))
			}
			if sum.Status != "CREATE_COMPLETE" || runErr != nil {
				errText := ""
				if sum.Error != nil {
					errText = *sum.Error
				}
				t.Fatalf("stack status %q (want CREATE_COMPLETE), exit %v, error %q\nstderr:\n%s", sum.Status, runErr, errText, tail(stderr.String(), 40))
			}
			t.Logf("%s: CREATE_COMPLETE in %.2f s (create_stack %.2f s)", p.out.Template, sum.Timing["total"], sum.Timing["create_stack"])
			checkMoto(t, p.out.Model, &sum)
			checkAgentReadback(t, p, &sum)
			if check := motoChecks[p.name]; check != nil {
				check(t, p, &sum)
			}
		})
	}
}

// checkMoto compares what moto created with the model: one task definition
// and one service per family, with the size, containers, roles and counts
// the model chose.
func checkMoto(t *testing.T, m *render.Model, sum *motoSummary) {
	t.Helper()
	if len(sum.TaskDefinitions) != len(m.Families) {
		t.Errorf("moto has %d task definitions; the model has %d families", len(sum.TaskDefinitions), len(m.Families))
	}
	if len(sum.Services) != len(m.Families) {
		t.Errorf("moto has %d ECS services; the model has %d families", len(sum.Services), len(m.Families))
	}
	for _, f := range m.Families {
		family := motoStack + "-" + render.ResourceName(f.Name)
		found := false
		for _, td := range sum.TaskDefinitions {
			if td.Family != family {
				continue
			}
			found = true
			if want := strconv.Itoa(f.Size.Cpu); td.Cpu != want {
				t.Errorf("%s: cpu %q, want %q (%s)", family, td.Cpu, want, f.Size)
			}
			if want := strconv.Itoa(f.Size.Memory); td.Memory != want {
				t.Errorf("%s: memory %q, want %q (%s)", family, td.Memory, want, f.Size)
			}
			if td.NetworkMode != "awsvpc" {
				t.Errorf("%s: networkMode %q, want awsvpc", family, td.NetworkMode)
			}
			if strings.Join(td.RequiresCompatibilities, ",") != "FARGATE" {
				t.Errorf("%s: requiresCompatibilities %v, want [FARGATE]", family, td.RequiresCompatibilities)
			}
			if td.ExecutionRoleArn == "" || td.TaskRoleArn == "" {
				t.Errorf("%s: executionRoleArn %q and taskRoleArn %q must both be set", family, td.ExecutionRoleArn, td.TaskRoleArn)
			}
			var got, want []string
			for _, c := range td.ContainerDefinitions {
				got = append(got, c.Name)
				if mc := f.Container(c.Name); mc != nil && c.Essential != nil && *c.Essential != mc.Essential {
					t.Errorf("%s: container %s essential=%v, the model says %v", family, c.Name, *c.Essential, mc.Essential)
				}
			}
			for _, c := range f.Containers {
				want = append(want, c.Name)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s: containers %v, want %v", family, got, want)
			}
		}
		if !found {
			t.Errorf("no task definition of family %s in moto", family)
			continue
		}
		found = false
		for _, s := range sum.Services {
			if !strings.Contains(s.TaskDefinition, ":task-definition/"+family+":") {
				continue
			}
			found = true
			// A capacity provider strategy replaces the launch type.
			if len(f.CapacityProvider) == 0 && s.LaunchType != "FARGATE" {
				t.Errorf("service %s: launchType %q, want FARGATE", s.ServiceName, s.LaunchType)
			}
			// A scaled service has no DesiredCount in the template (stack
			// updates would undo scaling); moto then reports 0 where ECS
			// starts 1 task and the scalable target raises it to its minimum.
			want := f.DesiredCount
			if f.Scaling != nil {
				want = 0
			}
			if s.DesiredCount != want {
				t.Errorf("service %s: desiredCount %d, want %d", s.ServiceName, s.DesiredCount, want)
			}
		}
		if !found {
			t.Errorf("no ECS service runs the task family %s in moto", family)
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func sortedNames(m map[string][]byte) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
