package examples

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions/cwagent"
	"github.com/composex/composex/extensions/envoy"
	"github.com/composex/composex/extensions/files"
)

// AWS Control Tower's proactive controls are cfn-guard rules that refuse a
// stack at deploy time. TestControlTower runs them (the rule sets of the
// services composex creates) over every example's rendered templates and
// compares what fails with the example's controls.txt: one line per
// failing control, resource and container, with why it fails. The list is
// wrong in either direction when a control starts or stops failing, so a
// change to composex's defaults shows up here. -update rewrites the lists.
//
// The binary and the rules come from the npm package
// @cdklabs/cdk-validator-cfnguard (.ci/run installs it and sets
// CFN_GUARD and CFN_GUARD_RULES); outside CI a missing one skips.

// controlTowerRuleSets are the rule folders for the resource types composex
// writes. The package has no SSM or SNS rule set.
var controlTowerRuleSets = []string{"ecs", "identityandaccessmanagement", "cloudwatch", "ec2", "elasticloadbalancing", "efs", "keymanagementservice"}

const controlsFile = "controls.txt"

func TestControlTower(t *testing.T) {
	bin := os.Getenv("CFN_GUARD")
	if bin == "" {
		bin = "cfn-guard"
	}
	_, err := exec.LookPath(bin)
	require(t, err == nil, "cfn-guard (npm install @cdklabs/cdk-validator-cfnguard; set CFN_GUARD to its bin/ubuntu/x86_64/cfn-guard)")
	rules := os.Getenv("CFN_GUARD_RULES")
	_, err = os.Stat(filepath.Join(rules, "ecs"))
	require(t, rules != "" && err == nil, "the Control Tower cfn-guard rules (set CFN_GUARD_RULES to the package's rules/control-tower/cfn-guard)")

	for _, dir := range exampleDirs(t) {
		t.Run(dir, func(t *testing.T) {
			templates, _ := filepath.Glob(filepath.Join(dir, "expected", "*.yaml"))
			if len(templates) == 0 {
				t.Fatalf("%s has no expected templates", dir)
			}
			var got []string
			for _, tpl := range templates {
				got = append(got, guardFailures(t, bin, rules, tpl)...)
			}
			sort.Strings(got)
			path := filepath.Join(dir, controlsFile)
			if *update {
				var b strings.Builder
				b.WriteString("# AWS Control Tower proactive controls this example fails (examples/guard_test.go; go test ./examples -run TestControlTower -update)\n")
				for _, k := range got {
					fmt.Fprintf(&b, "%s: %s\n", k, controlWhy(k))
				}
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want := readControls(t, path)
			var keys []string
			for k, why := range want {
				keys = append(keys, k)
				if strings.TrimSpace(why) == "" {
					t.Errorf("%s: %s gives no reason", path, k)
				}
			}
			sort.Strings(keys)
			for _, k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s fails %s, which %s does not list", dir, k, path)
				}
			}
			for _, k := range keys {
				if !slices.Contains(got, k) {
					t.Errorf("%s lists %s, which no longer fails", path, k)
				}
			}
		})
	}
}

// controlWhy is why a control fails: what only the compose file decides,
// or why composex cannot set it for a sidecar.
func controlWhy(key string) string {
	control, where, _ := strings.Cut(key, " ")
	_, container, _ := strings.Cut(where, "/")
	switch control {
	case "CT.ECS.PR.3":
		switch container {
		case cwagent.ContainerName:
			return "composex: the agent's entry point translates CW_CONFIG_CONTENT into /opt/aws/amazon-cloudwatch-agent/etc (fixed paths, tool/paths of aws/amazon-cloudwatch-agent), a root-owned 0755 directory of the FROM-scratch image (Tools/src/create_deb.sh); another user cannot write it, and a Fargate volume there is root-owned too"
		case files.InitName:
			return "composex: the files init container sets the owners compose asks for, which only root may"
		case envoy.ContainerName:
			return "user: Envoy binds a port below 1024, which only root may (give the service a port of 1024 or more)"
		}
		return "user: set the service's user: to the image's unprivileged user (composex cannot know it)"
	case "CT.ECS.PR.6":
		if container == cwagent.ContainerName {
			return "composex: the agent's entry point writes the translated TOML, YAML and env-config into /opt/aws/amazon-cloudwatch-agent/etc before it starts (no option moves them); unverified with a volume there, so the root file system stays writable"
		}
		return "user: set read_only: true once the process writes only to volumes"
	case "CT.ECS.PR.9":
		return "user: x-network AssignPublicIp is set"
	case "CT.CLOUDWATCH.PR.1":
		return "user: the alarm has no Topics to notify"
	case "CT.CLOUDWATCH.PR.2":
		return "user: x-logging.RetentionInDays is below 365"
	case "CT.CLOUDWATCH.PR.3":
		return "user: set x-logging.CreateKmsKey: true (a key the stack creates) or x-logging.KmsKeyId (an existing key's ARN)"
	case "CT.ELASTICLOADBALANCING.PR.1":
		return "user: the HTTP listener forwards instead of redirecting to HTTPS"
	case "CT.ELASTICLOADBALANCING.PR.2":
		return "user: the HTTPS listener's certificate is not an ACM certificate ARN"
	case "CT.ELASTICLOADBALANCING.PR.4":
		return "composex: the load balancer does not set routing.http.drop_invalid_header_fields.enabled (x-elbv2 LoadBalancerAttributes can)"
	case "CT.ELASTICLOADBALANCING.PR.5":
		return "user: deletion protection would block deleting the stack; set it in x-elbv2 LoadBalancerAttributes"
	case "CT.ELASTICLOADBALANCING.PR.6":
		return "user: access logs need an S3 bucket; set access_logs.s3.* in x-elbv2 LoadBalancerAttributes"
	}
	return "not yet classified"
}

func readControls(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (write it with go test ./examples -run TestControlTower -update)", err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, why, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("%s: %q is not CONTROL RESOURCE[/CONTAINER]: WHY", path, line)
		}
		out[k] = why
	}
	return out
}

var (
	reControlID = regexp.MustCompile(`\[(CT\.[A-Z0-9]+\.PR\.\d+)\]`)
	reGuardPath = regexp.MustCompile(`^/Resources/([^/]+)(?:/Properties/ContainerDefinitions/(\d+))?`)
)

// guardFailures runs cfn-guard on one template and returns each failure as
// "CONTROL RESOURCE" or "CONTROL RESOURCE/CONTAINER".
func guardFailures(t *testing.T, bin, rules, template string) []string {
	t.Helper()
	args := []string{"validate", "--structured", "--show-summary", "none", "--output-format", "json", "--data", template}
	for _, r := range controlTowerRuleSets {
		args = append(args, "--rules", filepath.Join(rules, r))
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// cfn-guard exits 19 when a rule fails; anything else is a failure to run.
	if exit, ok := err.(*exec.ExitError); err != nil && (!ok || exit.ExitCode() != 19) {
		t.Fatalf("cfn-guard %s: %v\n%s", template, err, stderr.String())
	}
	var reports []struct {
		NotCompliant []any `json:"not_compliant"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &reports); err != nil {
		t.Fatalf("cfn-guard %s: %v\n%s", template, err, stdout.String())
	}
	names := guardContainerNames(t, template)
	set := map[string]bool{}
	for _, rep := range reports {
		for _, nc := range rep.NotCompliant {
			ids, paths := map[string]bool{}, map[string]bool{}
			walkGuard(nc, ids, paths)
			if len(ids) == 0 {
				t.Errorf("cfn-guard %s: a failure names no control ID", template)
			}
			for p := range paths {
				m := reGuardPath.FindStringSubmatch(p)
				if m == nil {
					continue
				}
				where := m[1]
				if m[2] != "" {
					i, _ := strconv.Atoi(m[2])
					where += "/" + names[m[1]][i]
				}
				for id := range ids {
					set[id+" "+where] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	return out
}

// walkGuard collects the control IDs of a cfn-guard failure (in its
// messages) and the template paths it points at.
func walkGuard(v any, ids, paths map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch s, _ := x.(string); {
			case k == "custom_message" && s != "":
				for _, m := range reControlID.FindAllStringSubmatch(s, -1) {
					ids[m[1]] = true
				}
			case k == "path" && strings.HasPrefix(s, "/Resources/"):
				paths[s] = true
			default:
				walkGuard(x, ids, paths)
			}
		}
	case []any:
		for _, x := range v {
			walkGuard(x, ids, paths)
		}
	}
}

// guardContainerNames maps each task definition to its container names, in order.
func guardContainerNames(t *testing.T, template string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				ContainerDefinitions []struct {
					Name string `yaml:"Name"`
				} `yaml:"ContainerDefinitions"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", template, err)
	}
	out := map[string][]string{}
	for id, r := range doc.Resources {
		for _, c := range r.Properties.ContainerDefinitions {
			out[id] = append(out[id], c.Name)
		}
	}
	return out
}
