package render

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

// diagAt is one expected diagnostic, located.
type diagAt struct {
	line          int
	service, path string
	message       string
}

// wantExactly checks that ds holds exactly these errors (message prefix),
// each at its file line, service and key.
func wantExactly(t *testing.T, ds Diagnostics, want []diagAt) {
	t.Helper()
	errs := ds.Errors()
	for _, w := range want {
		d := wantError(t, errs, w.service, w.path, w.message)
		if d.Line != w.line || d.File == "" || !strings.HasPrefix(d.Message, w.message) {
			t.Errorf("%s: %s:%d %q, want line %d and a message starting %q", w.path, d.File, d.Line, d.Message, w.line, w.message)
		}
	}
	if len(errs) != len(want) {
		t.Errorf("%d errors, want %d:\n%s", len(errs), len(want), errs.Error())
	}
}

// TestEveryServiceProblemInOneRun: problems of different kinds, each in
// its own service, are all reported by one render: a load-time
// interpolation error, a key the compose schema refuses, a missing
// env_file, a name compose refuses, a model error, a tag AWS refuses and
// a task past Fargate's sizes. compose-go stops at its first error, so
// before loadAll the first service hid all the others.
func TestEveryServiceProblemInOneRun(t *testing.T) {
	src := `services:
  interp:
    image: nginx:1.27
    environment:
      X: "${${Y}}"
  composeschema:
    image: nginx:1.27
    ports: [{target: "abc"}]
  envf:
    image: nginx:1.27
    env_file: missing.env
  wéb:
    image: nginx:1.27
  model:
    image: nginx:1.27
    deploy:
      resources:
        limits:
          memory: "-1"
  tag:
    image: nginx:1.27
    deploy:
      labels:
        team: "a&b"
  big:
    image: nginx:1.27
    deploy:
      resources:
        limits:
          cpus: "64"
  fine:
    image: nginx:1.27
    depends_on: [interp, envf]
`
	out, ds := renderYAML(t, src, Options{})
	if out != nil {
		t.Fatal("output despite errors")
	}
	wantExactly(t, ds, []diagAt{
		{5, "interp", "services.interp.environment.X", `invalid interpolation in "${${Y}}": write $$ for a literal $`},
		{8, "composeschema", "services.composeschema.ports.[].target", `failed to cast to expected type: strconv.Atoi: parsing "abc"`},
		{11, "envf", "services.envf.env_file", "env_file "},
		{12, "wéb", "services.wéb", `the service name "wéb" has "é": compose allows only the letters a-z and A-Z, digits, '.', '_' and '-' in service names (docker compose refuses it too); rename the service`},
		{19, "model", "services.model.deploy.resources.limits.memory", "-1 is not an amount of"},
		{24, "tag", "services.tag.deploy.labels.team", `deploy labels become tags of the ECS service, and the tag value "a&b" has "&"`},
		{28, "big", "services.big.deploy.resources", "family big: the containers ask for 64 vCPU in all; the largest Fargate task has 16 vCPU"},
	})
}

// TestLoadAllStopsAtFileProblems: a problem of the whole file (YAML syntax)
// is reported once and the rounds stop.
func TestLoadAllStopsAtFileProblems(t *testing.T) {
	_, ds := renderYAML(t, "services:\n  web:\n    image: nginx:1.27\n   bad: [\n", Options{})
	if n := len(ds.Errors()); n != 1 || ds.Errors()[0].Line == 0 {
		t.Fatalf("want one located error, got:\n%s", ds.Error())
	}
}

// TestSetAside: an error under a service sets aside that service's key;
// one about no service stops the rounds.
func TestSetAside(t *testing.T) {
	got := setAside(Diagnostics{
		{Severity: Error, Service: "web", Path: "services.web.environment.X"},
		{Severity: Error, Service: "wéb", Path: "services.wéb"},
		{Severity: Error, Service: "api", Path: "services.api.ports.[].target"},
	}, []string{"services.api.ports"})
	if want := []string{"services.web.environment", "services.wéb"}; !reflect.DeepEqual(got, want) {
		t.Errorf("setAside = %q, want %q", got, want)
	}
	if got := setAside(Diagnostics{{Severity: Error, Service: "web", Path: "services.web.image"}, {Severity: Error, Path: "x-elbv2.lb"}}, nil); got != nil {
		t.Errorf("setAside with a top-level error = %q, want nil", got)
	}
}

// TestNestedInterpolation follows docker compose (compose-go): a default
// may itself interpolate (${A:-${B:-nginx}}), and so may an alternative
// or a required-message; a variable name that is itself interpolated
// (${${X}}) is refused at its key.
func TestNestedInterpolation(t *testing.T) {
	src := "services:\n  web:\n    image: ${A:-${B:-nginx}}:1.27\n    environment:\n      ALT: \"${C:+${D:-dv}}\"\n      REQ: \"${E:?${F:-E is needed}}\"\n"
	for _, tc := range []struct {
		env                 map[string]string
		image, alt, errText string
	}{
		{map[string]string{"E": "1"}, "nginx:1.27", "", ""},
		{map[string]string{"E": "1", "B": "httpd", "C": "x"}, "httpd:1.27", "dv", ""},
		{map[string]string{"E": "1", "A": "redis", "B": "httpd", "C": "x", "D": "dd"}, "redis:1.27", "dd", ""},
		{map[string]string{}, "", "", "required variable E is missing a value: E is needed"},
	} {
		dir := writeTree(t, map[string]string{"compose.yaml": src})
		opts := testLoadOptions(dir)
		opts.Environment = tc.env
		in, ds := Load(context.Background(), opts)
		if tc.errText != "" {
			d := wantError(t, ds, "web", "services.web.environment.REQ", tc.errText)
			if d.Line != 6 {
				t.Errorf("line %d, want 6", d.Line)
			}
			continue
		}
		if in == nil || ds.HasErrors() {
			t.Fatalf("%v: %s", tc.env, ds.Error())
		}
		web := in.Project.Services["web"]
		if web.Image != tc.image || deref(web.Environment["ALT"]) != tc.alt {
			t.Errorf("%v: image %q ALT %q, want %q %q", tc.env, web.Image, deref(web.Environment["ALT"]), tc.image, tc.alt)
		}
	}
	_, ds := loadYAML(t, "services:\n  web:\n    image: nginx:1.27\n    environment:\n      X: \"${${Y}}\"\n")
	d := wantError(t, ds, "web", "services.web.environment.X", `invalid interpolation in "${${Y}}": write $$ for a literal $ (CloudFormation references such as ${AWS::Region} are not compose variables)`)
	if d.Line != 5 {
		t.Errorf("line %d, want 5", d.Line)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestComposeNamesLocated: names compose refuses are reported one by one
// at their own line (compose-go names them all in one message, no line).
func TestComposeNamesLocated(t *testing.T) {
	_, ds := loadYAML(t, "services:\n  wéb:\n    image: nginx:1.27\n  服务:\n    image: nginx:1.27\n  \"my app\":\n    image: nginx:1.27\nvolumes:\n  data!: {}\n")
	wantExactly(t, ds, []diagAt{
		{2, "wéb", "services.wéb", `the service name "wéb" has "é": compose allows only the letters a-z and A-Z, digits, '.', '_' and '-' in service names (docker compose refuses it too); rename the service`},
		{4, "服务", "services.服务", `the service name "服务" has "服", "务": compose allows only`},
		{6, "my app", "services.my app", `the service name "my app" has " ": compose allows only`},
		{9, "", "volumes.data!", `the volume name "data!" has "!": compose allows only the letters a-z and A-Z, digits, '.', '_' and '-' in volume names (docker compose refuses it too); rename the volume`},
	})
}
