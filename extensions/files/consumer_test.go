package files_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/composex/composex/extensions/files"
	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

const familyCompose = `services:
  web:
    image: nginx:1.27.3-alpine
    volumes: ["./nginx.conf:/etc/nginx/nginx.conf:ro"]
    secrets:
      - db-password
      - token
      - source: api
        target: API_KEY
    deploy:
      resources: {limits: {cpus: "0.5", memory: 512M}}
      labels: {ecs.task.family: app}
  worker:
    image: busybox:1.37.0
    command: ["sleep", "infinity"]
    deploy:
      resources: {limits: {cpus: "0.25", memory: 256M}}
      labels: {ecs.task.family: app}
secrets:
  db-password: {file: ./db-password.txt}
  token:
    environment: TOKEN
    x-generate: {Length: 40, ExcludePunctuation: true}
  api:
    x-secrets: {Name: prod/api}
`

// The rules the ECS agent applies at task start, checked on the template:
// a SUCCESS dependency must be non-essential; each volume the app reads is
// written by the init container; the execution role, which ECS uses to
// fill the init container's Secrets, may read exactly those values.
func TestTaskDefinitionConsumerRules(t *testing.T) {
	p := mustRender(t, familyCompose, map[string]string{"nginx.conf": "events {}\n", "db-password.txt": "x"}, map[string]string{"TOKEN": "local-token"})
	cs := rendertest.Containers(t, p.res, "AppTaskDefinition")
	init := cs[files.InitName]
	if init == nil {
		t.Fatalf("no init container in %v", keys(cs))
	}
	if init["Essential"] != false {
		t.Error("the init container must be non-essential: ECS refuses an essential container that others wait for with SUCCESS")
	}
	if init["DependsOn"] != nil {
		t.Errorf("the init container waits for nothing: %v", init["DependsOn"])
	}
	initMounts := map[string]string{}
	for _, mp := range init["MountPoints"].([]any) {
		m := mp.(map[string]any)
		initMounts[m["SourceVolume"].(string)] = m["ContainerPath"].(string)
	}
	td := p.res.Get(t, "AppTaskDefinition", "AWS::ECS::TaskDefinition")
	declared := map[string]bool{}
	for _, v := range td["Volumes"].([]any) {
		declared[v.(map[string]any)["Name"].(string)] = true
	}
	mountedByApp := map[string]string{}
	for name, c := range cs {
		if name == files.InitName {
			continue
		}
		waits := false
		for _, d := range asList(c["DependsOn"]) {
			dm := d.(map[string]any)
			if dm["ContainerName"] == files.InitName {
				waits = dm["Condition"] == "SUCCESS"
			}
		}
		mounts := false
		for _, mp := range asList(c["MountPoints"]) {
			m := mp.(map[string]any)
			vol := m["SourceVolume"].(string)
			if _, ok := initMounts[vol]; ok {
				mounts = true
				mountedByApp[vol] = m["ContainerPath"].(string)
			}
		}
		if mounts != waits {
			t.Errorf("%s mounts files: %v, waits for the init container with SUCCESS: %v; one without the other reads missing files or waits for nothing", name, mounts, waits)
		}
	}
	for vol, at := range initMounts {
		if !declared[vol] {
			t.Errorf("volume %s is not declared in the task definition", vol)
		}
		if at != files.InitRoot+"/"+vol {
			t.Errorf("the init container mounts %s at %s", vol, at)
		}
		if mountedByApp[vol] == "" {
			t.Errorf("no app container mounts %s", vol)
		}
	}
	wantAt := map[string]bool{"/etc/nginx": true, "/run/secrets": true}
	for _, at := range mountedByApp {
		if !wantAt[at] {
			t.Errorf("web mounts a files volume at %s; want the directories of its targets, /etc/nginx and /run/secrets", at)
		}
		delete(wantAt, at)
	}
	if len(wantAt) > 0 {
		t.Errorf("not mounted: %v", wantAt)
	}

	// The execution role reads exactly what the init container is given.
	var ssmWanted, smWanted []string
	for _, s := range init["Secrets"].([]any) {
		from := sub(s.(map[string]any)["ValueFrom"])
		if strings.Contains(from, ":ssm:") {
			ssmWanted = append(ssmWanted, from)
		} else {
			smWanted = append(smWanted, from)
		}
	}
	granted := map[string][]string{}
	role := p.res.Get(t, "AppExecutionRole", "AWS::IAM::Role")
	for _, pol := range role["Policies"].([]any) {
		for _, st := range rendertest.Dig(pol, "PolicyDocument", "Statement").([]any) {
			stm := st.(map[string]any)
			for _, a := range stm["Action"].([]any) {
				for _, r := range stm["Resource"].([]any) {
					granted[a.(string)] = append(granted[a.(string)], sub(r))
				}
			}
		}
	}
	sort.Strings(ssmWanted)
	if got := sorted(granted["ssm:GetParameters"]); !slices.Equal(got, ssmWanted) {
		t.Errorf("ssm:GetParameters on %v; the init container reads %v", got, ssmWanted)
	}
	for _, want := range smWanted {
		ok := false
		for _, r := range granted["secretsmanager:GetSecretValue"] {
			if r == want || r == want+"-??????" {
				ok = true
			}
		}
		if !ok {
			t.Errorf("the execution role cannot read %s (grants %v)", want, granted["secretsmanager:GetSecretValue"])
		}
	}
	for a, rs := range granted {
		for _, r := range rs {
			if r == "*" && strings.HasPrefix(a, "s") {
				t.Errorf("%s on *", a)
			}
		}
	}
	if want := []string{"${DbPasswordSecret}", "${TokenSecret}"}; !containsAll(granted["secretsmanager:GetSecretValue"], want) {
		t.Errorf("the stack's secrets are not granted: %v", granted["secretsmanager:GetSecretValue"])
	}

	// The file secret's value is a NoEcho parameter the user fills; the
	// generated one is generated and kept.
	db := p.res.Get(t, "DbPasswordSecret", "AWS::SecretsManager::Secret")
	rendertest.EqualJSON(t, "SecretString", db["SecretString"], `{"Ref": "DbPasswordSecretValue"}`)
	params := parameters(t, p)
	rendertest.EqualJSON(t, "the value parameter", params["DbPasswordSecretValue"], `{"Type": "String", "NoEcho": true, "MinLength": 1,
		"Description": "Value of the compose secret db-password (what its file holds under docker compose); never written into the template"}`)
	tok := p.res.Get(t, "TokenSecret", "AWS::SecretsManager::Secret")
	rendertest.EqualJSON(t, "GenerateSecretString", tok["GenerateSecretString"], `{"PasswordLength": 40, "ExcludePunctuation": true}`)
	if _, asked := params["TokenSecretValue"]; asked {
		t.Error("a generated secret needs no value parameter")
	}
	if p.res.Resources["TokenSecret"].DependsOn != nil {
		t.Errorf("unexpected DependsOn on the secret")
	}

	// The init container counts in the task size: 512 + 256 + 32 CPU units
	// need 1 vCPU; 512 + 256 + 32 MiB fit 2 GiB.
	if td["Cpu"] != "1024" || td["Memory"] != "2048" {
		t.Errorf("task size %v/%v, want 1024/2048", td["Cpu"], td["Memory"])
	}
	if init["Cpu"] != files.InitCpu || init["Memory"] != files.InitMemory {
		t.Errorf("init container size %v/%v", init["Cpu"], init["Memory"])
	}
	// The x-secrets secret is still the variable compose-x gives.
	if got := cs["web"]["Secrets"]; len(asList(got)) != 1 {
		t.Errorf("web secrets %v, want API_KEY only", got)
	}
	rendertest.CfnLint(t, p.res.Template)
}

// SSM tiers: standard holds 4 KB, advanced 8 KB, measured on the stored
// (base64) value.
func TestParameterTier(t *testing.T) {
	for _, tt := range []struct {
		size int
		tier string
	}{{1, "Standard"}, {3072, "Standard"}, {3073, "Advanced"}, {files.MaxFileBytes, "Advanced"}} {
		t.Run(fmt.Sprint(tt.size), func(t *testing.T) {
			body := strings.Repeat("a", tt.size)
			p := mustRender(t, "services:\n  web:\n    image: nginx:1.27.3-alpine\n    volumes: [\"./f.txt:/srv/f.txt\"]\n", map[string]string{"f.txt": body}, nil)
			param := p.res.Get(t, "WebFile0", "AWS::SSM::Parameter")
			if param["Tier"] != tt.tier {
				t.Errorf("tier %v, want %s", param["Tier"], tt.tier)
			}
			v := param["Value"].(string)
			if dec, _ := base64.StdEncoding.DecodeString(v); string(dec) != body {
				t.Error("the value is not the file, base64-encoded")
			}
			if tt.tier == "Standard" && len(v) > files.StandardTierBytes || len(v) > files.AdvancedTierBytes {
				t.Errorf("%d bytes in tier %s", len(v), tt.tier)
			}
		})
	}
}

// A bind mount of the build context, or of a directory in it, is a dev
// mount: the image has the files. Dropped with a warning, nothing added.
func TestDevMountDropped(t *testing.T) {
	p := mustRender(t, `services:
  web:
    build: ./app
    image: python:3.12.7-slim
    volumes:
      - ./app:/app
      - ./app/static:/srv/static:ro
`, map[string]string{"app/Dockerfile": "FROM python:3.12.7-slim\nCOPY . /app\n", "app/static/x.css": "b{}"}, nil)
	if got := at(p.diags, render.Warning, "services.web.volumes.0"); !slices.Equal(got, []string{"bind mount of ./app (the build context) is a development mount: the image built from it already holds those files; dropped"}) {
		t.Errorf("warnings %q", got)
	}
	if got := at(p.diags, render.Warning, "services.web.volumes.1"); !slices.Equal(got, []string{"bind mount of ./app/static (a directory of the build context) is a development mount: the image built from it already holds those files; dropped"}) {
		t.Errorf("warnings %q", got)
	}
	cs := rendertest.Containers(t, p.res, "WebTaskDefinition")
	if len(cs) != 1 || cs["web"]["MountPoints"] != nil {
		t.Errorf("containers %v", cs)
	}
	if len(p.res.Of("AWS::SSM::Parameter")) != 0 {
		t.Error("a dev mount stores nothing")
	}
}

// No value of a secret reaches any output file: not the file's content,
// not the variable's value, not their base64.
func TestNoSecretValueInOutput(t *testing.T) {
	const fileValue, envValue = "s3cr3t-from-the-file", "s3cr3t-from-the-variable"
	p := mustRender(t, `services:
  web:
    image: nginx:1.27.3-alpine
    secrets: [from-file, from-env, generated]
secrets:
  from-file: {file: ./secret.txt}
  from-env: {environment: SECRET_VAR}
  generated:
    environment: SECRET_VAR
    x-generate: true
`, map[string]string{"secret.txt": fileValue}, map[string]string{"SECRET_VAR": envValue})
	for name, body := range p.out.Files {
		for _, v := range []string{fileValue, envValue} {
			for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
				if strings.Contains(string(body), form) {
					t.Errorf("%s holds a secret value (%q)", name, form)
				}
			}
		}
	}
	for _, d := range p.diags {
		if strings.Contains(d.Message, fileValue) || strings.Contains(d.Message, envValue) {
			t.Errorf("a message holds a secret value: %s", d)
		}
	}
	if len(p.res.Of("AWS::SecretsManager::Secret")) != 3 {
		t.Errorf("want 3 secrets created by the stack")
	}
}

func parameters(t *testing.T, p *project) map[string]any {
	t.Helper()
	var doc struct {
		Parameters map[string]any `yaml:"Parameters"`
	}
	if err := yamlUnmarshal(p.out.Files[p.out.Template], &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Parameters
}

func asList(v any) []any { l, _ := v.([]any); return l }

func sorted(s []string) []string { s = slices.Clone(s); sort.Strings(s); return s }

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// One volume per top directory of a container's targets, mounted there:
// nested directories share their parent's volume (no mount inside a
// mount), and an absolute secret target gets its own directory.
func TestLayout(t *testing.T) {
	for _, tt := range []struct {
		name    string
		targets []string
		mounts  []string
	}{
		{"one file", []string{"/etc/nginx/nginx.conf"}, []string{"/etc/nginx"}},
		{"nested directories share one volume", []string{"/etc/nginx/nginx.conf", "/etc/nginx/conf.d/default.conf"}, []string{"/etc/nginx"}},
		{"siblings get one each", []string{"/srv/a/x.conf", "/srv/b/y.conf"}, []string{"/srv/a", "/srv/b"}},
		{"one directory, two files", []string{"/srv/a/x.conf", "/srv/a/y.conf"}, []string{"/srv/a"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			compose := "services:\n  web:\n    image: nginx:1.27.3-alpine\n    configs:\n"
			for i, target := range tt.targets {
				compose += fmt.Sprintf("      - {source: c%d, target: %s}\n", i, target)
			}
			compose += "configs:\n"
			for i := range tt.targets {
				compose += fmt.Sprintf("  c%d: {content: \"%d\"}\n", i, i)
			}
			p := mustRender(t, compose, nil, nil)
			var got []string
			for _, mp := range asList(rendertest.Containers(t, p.res, "WebTaskDefinition")["web"]["MountPoints"]) {
				got = append(got, mp.(map[string]any)["ContainerPath"].(string))
			}
			if !slices.Equal(sorted(got), tt.mounts) {
				t.Errorf("mounted at %v, want %v", got, tt.mounts)
			}
		})
	}
}
