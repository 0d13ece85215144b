package examples

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions/files"
)

// This file reads back the files examples from what moto created: the SSM
// parameters and Secrets Manager secrets that hold the files, the task
// volumes, and then plays the ECS agent: it fills the deployed init
// container's Secrets with the deployed values, runs its command with sh
// in a temporary directory standing for the volumes, and checks that each
// app container finds each file at its compose path.

// motoDbPassword is the value given to the NoEcho parameter of the
// files-secret example.
const motoDbPassword = "moto-db-password-7Qz"

func init() {
	motoParameters["files-secret"] = []string{"DbPasswordSecretValue=" + motoDbPassword}
	motoParameters["files-dev-mount"] = []string{"WebImage=123456789012.dkr.ecr.us-east-1.amazonaws.com/files-dev-mount-web:1.0"}
	motoChecks["files-nginx"] = func(t *testing.T, p *project, sum *motoSummary) {
		checkFilesReadback(t, sum, map[string]map[string]func(string) bool{
			"web": {
				"/etc/nginx/nginx.conf":            equalsFile(t, "files-nginx/nginx.conf"),
				"/usr/share/nginx/html/index.html": func(s string) bool { return strings.Contains(s, "<h1>Served by nginx on Fargate</h1>") },
			},
		})
	}
	motoChecks["files-secret"] = func(t *testing.T, p *project, sum *motoSummary) {
		generated := regexp.MustCompile(`^[A-Za-z0-9]{48}$`)
		checkFilesReadback(t, sum, map[string]map[string]func(string) bool{
			"db": {"/run/secrets/db-password": equals(motoDbPassword)},
			"check": {
				"/run/secrets/db-password": equals(motoDbPassword),
				"/run/secrets/app-token":   generated.MatchString,
			},
		})
		values := map[string]string{}
		for _, s := range sum.Secrets {
			values[s.Description] = s.SecretString
		}
		if got := values["compose secret db-password of the project files-secret (composex)"]; got != motoDbPassword {
			t.Errorf("the db-password secret holds %q, want the parameter's value", got)
		}
		if got := values["compose secret app-token of the project files-secret (composex)"]; !generated.MatchString(got) {
			t.Errorf("the generated app-token is %q, want 48 letters and digits", got)
		}
	}
	motoChecks["files-dev-mount"] = func(t *testing.T, p *project, sum *motoSummary) {
		checkFilesReadback(t, sum, map[string]map[string]func(string) bool{
			"web": {
				"/etc/webapp/app.ini":     equalsFile(t, "files-dev-mount/settings/app.ini"),
				"/etc/webapp/logging.ini": equalsFile(t, "files-dev-mount/settings/logging.ini"),
			},
		})
		for _, td := range sum.TaskDefinitions {
			for _, c := range td.ContainerDefinitions {
				for _, mp := range c.MountPoints {
					if mp.ContainerPath == "/app" {
						t.Errorf("%s mounts %s at /app: the dev mount of the build context must be dropped", c.Name, mp.SourceVolume)
					}
				}
			}
		}
	}
}

// reFileParameter matches the logical IDs of the files extension's SSM
// parameters (<Family>File<n>).
var reFileParameter = regexp.MustCompile(`File[0-9]+$`)

// checkFileParameter checks a stored file as the init container reads it:
// base64 that busybox's base64 -d decodes, within the advanced tier.
func checkFileParameter(t *testing.T, id, value string) {
	t.Helper()
	if _, err := base64.StdEncoding.DecodeString(value); err != nil {
		t.Errorf("%s: not base64, base64 -d would fail: %v", id, err)
	}
	if len(value) > files.AdvancedTierBytes {
		t.Errorf("%s: %d bytes, beyond the %d an SSM parameter holds", id, len(value), files.AdvancedTierBytes)
	}
}

func equals(want string) func(string) bool { return func(s string) bool { return s == want } }

func equalsFile(t *testing.T, name string) func(string) bool {
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return equals(string(b))
}

// checkFilesReadback runs each deployed init container and checks, for
// each app container, every expected file (target -> check).
func checkFilesReadback(t *testing.T, sum *motoSummary, want map[string]map[string]func(string) bool) {
	t.Helper()
	ssm := map[string]string{}
	for _, p := range sum.SSMParameters {
		ssm[p.Name] = p.Value
	}
	secrets := map[string]string{}
	for _, s := range sum.Secrets {
		secrets[s.ARN] = s.SecretString
	}
	for name, tier := range sum.SSMTiers {
		want := "Standard"
		if len(ssm[name]) > files.StandardTierBytes {
			want = "Advanced"
		}
		if strings.HasPrefix(name, "/composex/") && strings.Contains(name, "/files/") && tier != want {
			t.Errorf("%s is %d bytes in the %q tier, want %s", name, len(ssm[name]), tier, want)
		}
	}
	seen := map[string]bool{}
	for _, td := range sum.TaskDefinitions {
		var init *motoContainer
		for i := range td.ContainerDefinitions {
			if td.ContainerDefinitions[i].Name == files.InitName {
				init = &td.ContainerDefinitions[i]
			}
		}
		if init == nil {
			continue
		}
		if init.Essential == nil || *init.Essential {
			t.Errorf("%s: the init container is essential; ECS refuses a SUCCESS dependency on it", td.Family)
		}
		declared := map[string]bool{}
		for _, v := range td.Volumes {
			declared[v.Name] = true
		}
		root := t.TempDir()
		script := strings.Join(init.Command, "")
		if strings.Join(init.EntryPoint, " ") != "sh -c" || len(init.Command) != 1 {
			t.Fatalf("%s: init container runs %v %v", td.Family, init.EntryPoint, init.Command)
		}
		volumes := map[string]string{}
		for _, mp := range init.MountPoints {
			if !declared[mp.SourceVolume] {
				t.Errorf("%s: volume %s is not declared in the task definition", td.Family, mp.SourceVolume)
			}
			dir := filepath.Join(root, mp.SourceVolume)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			volumes[mp.SourceVolume] = dir
			script = strings.ReplaceAll(script, "'"+mp.ContainerPath+"/", "'"+dir+"/")
		}
		env := []string{"PATH=" + os.Getenv("PATH")}
		for _, s := range init.Secrets {
			var value string
			var ok bool
			if _, name, isSSM := strings.Cut(s.ValueFrom, ":parameter"); isSSM {
				value, ok = ssm[name]
			} else {
				value, ok = secrets[s.ValueFrom]
			}
			if !ok {
				t.Fatalf("%s: %s comes from %s, which moto does not hold", td.Family, s.Name, s.ValueFrom)
			}
			env = append(env, s.Name+"="+value)
		}
		cmd := exec.Command("sh", "-c", script)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: the init command failed: %v\n%s", td.Family, err, out.String())
		}
		if out.Len() > 0 {
			t.Errorf("%s: the init container printed %q", td.Family, out.String())
		}
		for _, c := range td.ContainerDefinitions {
			checks := want[c.Name]
			if checks == nil {
				continue
			}
			waits := false
			for _, d := range c.DependsOn {
				waits = waits || (d.ContainerName == files.InitName && d.Condition == "SUCCESS")
			}
			if !waits {
				t.Errorf("%s: %s does not wait for the init container with SUCCESS", td.Family, c.Name)
			}
			for target, check := range checks {
				found := false
				for _, mp := range c.MountPoints {
					dir := volumes[mp.SourceVolume]
					if dir == "" || !strings.HasPrefix(target, mp.ContainerPath+"/") {
						continue
					}
					body, err := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(target, mp.ContainerPath+"/")))
					if err != nil {
						t.Errorf("%s: %s: %v", c.Name, target, err)
						continue
					}
					found = true
					if !check(string(body)) {
						t.Errorf("%s: %s holds %q", c.Name, target, body)
					}
				}
				if !found {
					t.Errorf("%s: no mount of %s holds %s", c.Name, td.Family, target)
				}
				seen[c.Name+" "+target] = true
			}
		}
	}
	for c, checks := range want {
		for target := range checks {
			if !seen[c+" "+target] {
				t.Errorf("container %s with %s not deployed", c, target)
			}
		}
	}
}

// No secret value of any example reaches any output file: the content of
// every compose secret's file, as written, trimmed and base64-encoded.
func TestNoSecretValueInExamples(t *testing.T) {
	for _, p := range renderExamples(t) {
		raw, err := os.ReadFile(filepath.Join(p.name, composeFile))
		if err != nil {
			continue // a fixture
		}
		var doc struct {
			Secrets map[string]struct {
				File string `yaml:"file"`
			} `yaml:"secrets"`
		}
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		var values []string
		names := make([]string, 0, len(doc.Secrets))
		for name := range doc.Secrets {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if f := doc.Secrets[name].File; f != "" {
				b, err := os.ReadFile(filepath.Join(p.name, f))
				if err != nil {
					t.Fatalf("%s: secret %s: %v", p.name, name, err)
				}
				for _, v := range []string{string(b), strings.TrimSpace(string(b))} {
					values = append(values, v, base64.StdEncoding.EncodeToString([]byte(v)))
				}
			}
		}
		for file, body := range p.out.Files {
			for _, v := range values {
				if v != "" && bytes.Contains(body, []byte(v)) {
					t.Errorf("%s: %s holds the value of a secret (%q)", p.name, file, v)
				}
			}
		}
	}
}
