package scale

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/render"
)

// sharedDir is ../shared beside the repository (COMPOSEX_SHARED overrides).
func sharedDir() string {
	if d := os.Getenv("COMPOSEX_SHARED"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared")
}

// needTool skips outside CI and fails in CI when a tool is missing.
func needTool(t *testing.T, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI", what)
	}
	t.Skipf("%s is not installed; skipping", what)
}

// renderProject renders a generated project of n services into a new
// directory and returns it with the output.
func renderProject(t *testing.T, n int) (string, *render.Output) {
	t.Helper()
	src := t.TempDir()
	f := filepath.Join(src, "docker-compose.yml")
	if err := os.WriteFile(f, Project(n), 0o644); err != nil {
		t.Fatal(err)
	}
	out, ds := render.Render(context.Background(), render.Options{
		Load:       render.LoadOptions{Files: []string{f}, ProjectName: fmt.Sprintf("gen%d", n), Environment: map[string]string{}},
		Extensions: extensions.All(),
	})
	if ds.HasErrors() || out == nil {
		t.Fatalf("render of %d services failed:\n%s", n, ds.Errors().Error())
	}
	dir := t.TempDir()
	if err := render.WriteFiles(dir, out.Files); err != nil {
		t.Fatal(err)
	}
	return dir, out
}

func templateFiles(out *render.Output) []string {
	var names []string
	for name := range out.Files {
		if !strings.HasSuffix(name, ".params.json") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// TestLargeProjectsStayWithinLimits renders 10 to 1000 services and checks
// every template against CloudFormation's quotas, with composex's headroom,
// and that every family's task definition and service landed in exactly
// one template.
func TestLargeProjectsStayWithinLimits(t *testing.T) {
	for _, n := range []int{10, 100, 300, 1000} {
		t.Run(fmt.Sprintf("services=%d", n), func(t *testing.T) {
			_, out := renderProject(t, n)
			files := templateFiles(out)
			if n == 10 && len(files) != 1 {
				t.Fatalf("a small project must stay one template, got %v", files)
			}
			if n >= 100 && len(files) < 2 {
				t.Fatalf("%d services must be split into nested stacks, got %v", n, files)
			}
			taskDefs, services := 0, 0
			for _, name := range files {
				body := out.Files[name]
				var tree map[string]any
				if err := yaml.Unmarshal(body, &tree); err != nil {
					t.Fatalf("%s does not parse: %v", name, err)
				}
				c := render.Count(tree)
				if !c.Within(render.Headroom) {
					t.Errorf("%s has %s, beyond composex's headroom (%s)", name, c, render.Headroom)
				}
				if len(body) > render.CloudFormationLimits.Bytes {
					t.Errorf("%s is %d bytes, beyond CloudFormation's %d", name, len(body), render.CloudFormationLimits.Bytes)
				}
				if name == out.Template && len(files) > 1 && len(body) > 51200 {
					t.Errorf("root template %s is %d bytes; it should fit the 51,200 bytes of an inline upload", name, len(body))
				}
				for _, r := range tree["Resources"].(map[string]any) {
					switch r.(map[string]any)["Type"] {
					case "AWS::ECS::TaskDefinition":
						taskDefs++
					case "AWS::ECS::Service":
						services++
					}
				}
			}
			if want := len(out.Model.Families); taskDefs != want || services != want {
				t.Errorf("want %d task definitions and services, got %d and %d", want, taskDefs, services)
			}
			t.Logf("%d services, %d families: %d templates", n, len(out.Model.Families), len(files))
		})
	}
}

// TestLargeProjectsPassCfnLint lints every template of every generated
// project in one cfn-lint process.
func TestLargeProjectsPassCfnLint(t *testing.T) {
	_, err := exec.LookPath("cfn-lint")
	needTool(t, err == nil, "cfn-lint")
	var files []string
	for _, n := range []int{10, 100, 300, 1000} {
		dir, out := renderProject(t, n)
		for _, name := range templateFiles(out) {
			files = append(files, filepath.Join(dir, name))
		}
	}
	start := time.Now()
	// W3002: a relative TemplateURL only works through `aws cloudformation
	// package`, which is how the README deploys nested stacks.
	cmd := exec.Command("cfn-lint", append([]string{"--format", "parseable", "--ignore-checks", "W3002", "--"}, files...)...)
	output, err := cmd.CombinedOutput()
	errors := 0
	for _, line := range strings.Split(string(output), "\n") {
		if strings.Contains(line, ":E") {
			errors++
			t.Error(line)
		} else if strings.TrimSpace(line) != "" {
			t.Log(line)
		}
	}
	if code := cmd.ProcessState.ExitCode(); code&2 != 0 || (err != nil && cmd.ProcessState == nil) {
		t.Errorf("cfn-lint reported errors (exit %d, %d error lines)", code, errors)
	}
	t.Logf("cfn-lint: %d templates in %s", len(files), time.Since(start).Round(time.Second))
}

// TestNestedStacksDeployToMoto packages the 100-service project (its
// nested templates go to the emulator's S3) and deploys it, as the README
// says, against a local moto server.
func TestNestedStacksDeployToMoto(t *testing.T) {
	_, errAWS := exec.LookPath("aws")
	needTool(t, errAWS == nil, "the aws CLI")
	tools := filepath.Join(sharedDir(), "tools")
	_, errTools := os.Stat(filepath.Join(tools, "moto_plus.py"))
	needTool(t, errTools == nil && exec.Command("python3", "-c", "import moto, boto3").Run() == nil, "python3 with moto and the shared moto_plus.py")

	dir, out := renderProject(t, 100)
	if len(templateFiles(out)) < 2 {
		t.Fatal("the 100-service project should use nested stacks")
	}
	port := freePort(t)
	endpoint := fmt.Sprintf("http://localhost:%d", port)
	server := exec.Command("python3", "moto_nested.py", tools, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	logFile, _ := os.Create(filepath.Join(t.TempDir(), "moto.log"))
	server.Stdout, server.Stderr = logFile, logFile
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = server.Process.Kill(); _ = server.Wait() }()
	waitFor(t, endpoint+"/moto-api/")

	cfg := filepath.Join(t.TempDir(), "aws.cfg")
	// moto reads nested templates from path-style S3 URLs on localhost.
	if err := os.WriteFile(cfg, []byte("[default]\ns3 =\n    addressing_style = path\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_ENDPOINT_URL="+endpoint, "AWS_CONFIG_FILE="+cfg, "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	aws := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("aws", args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	vpc := aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16", "--query", "Vpc.VpcId", "--output", "text")
	s1 := aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.1.0/24", "--query", "Subnet.SubnetId", "--output", "text")
	s2 := aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.2.0/24", "--query", "Subnet.SubnetId", "--output", "text")
	aws("s3", "mb", "s3://composex-templates")
	packaged := filepath.Join(t.TempDir(), "packaged.yaml")
	aws("cloudformation", "package", "--template-file", filepath.Join(dir, out.Template), "--s3-bucket", "composex-templates", "--output-template-file", packaged)
	aws("cloudformation", "deploy", "--template-file", packaged, "--stack-name", "gen100", "--capabilities", "CAPABILITY_IAM",
		"--parameter-overrides", "VpcId="+vpc, "SubnetIds="+s1+","+s2)

	var stacks struct {
		Stacks []struct{ StackName, StackStatus string }
	}
	if err := json.Unmarshal([]byte(aws("cloudformation", "describe-stacks")), &stacks); err != nil {
		t.Fatal(err)
	}
	nested := 0
	for _, s := range stacks.Stacks {
		if s.StackStatus != "CREATE_COMPLETE" {
			t.Errorf("stack %s is %s", s.StackName, s.StackStatus)
		}
		// CloudFormation names a nested stack ROOT-<its logical ID>-<suffix>.
		if strings.HasPrefix(s.StackName, "gen100-") {
			nested++
		}
	}
	if want := len(templateFiles(out)) - 1; nested != want {
		t.Errorf("want %d nested stacks, moto has %d", want, nested)
	}
	taskDefs := aws("ecs", "list-task-definitions", "--query", "length(taskDefinitionArns)")
	clusters := strings.Fields(aws("ecs", "list-clusters", "--query", "clusterArns[]", "--output", "text"))
	if len(clusters) != 1 {
		t.Fatalf("want the one cluster the root creates, got %v", clusters)
	}
	services := aws("ecs", "list-services", "--cluster", clusters[0], "--max-items", "1000", "--query", "length(serviceArns)")
	want := fmt.Sprint(len(out.Model.Families))
	if taskDefs != want || services != want {
		t.Errorf("want %s task definitions and services, moto has %s and %s", want, taskDefs, services)
	}
	t.Logf("deployed %d stacks (%d nested), %s task definitions, %s services", len(stacks.Stacks), nested, taskDefs, services)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitFor(t *testing.T, url string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("moto server did not start at %s", url)
}
