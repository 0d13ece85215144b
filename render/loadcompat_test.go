package render

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// compose-x files declare secrets with no source (abcd: {}) and list
// secrets no file declares; compose-x skips both. composex loads the file,
// drops them from every service and says so, once per secret, where the
// secret is written.
func TestLoadSkipsSourcelessSecrets(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"base.yml": `secrets:
  abcd: {}
  john:
    x-secrets:
      Name: /cicd/token
services:
  web:
    image: nginx:1.27
    secrets:
      - abcd
      - john
      - zyx
`,
	})
	in := mustLoadOpts(t, LoadOptions{Files: []string{filepath.Join(dir, "base.yml")}, ProjectName: "p"})
	_, ds := load(t, LoadOptions{Files: []string{filepath.Join(dir, "base.yml")}, ProjectName: "p"})
	web := in.Project.Services["web"]
	var names []string
	for _, s := range web.Secrets {
		names = append(names, s.Source)
	}
	if !slices.Equal(names, []string{"john"}) {
		t.Errorf("web's secrets: %v, want [john]", names)
	}
	if _, ok := in.Project.Secrets["abcd"]; ok {
		t.Error("abcd is still a project secret")
	}
	d := wantDiag(t, ds, Warning, "", "secrets.abcd", `secret "abcd" has no source (none of file, environment, x-secrets): compose-x skips it and so does composex (not given to web); to pass a Secrets Manager secret, declare secrets.abcd.x-secrets.Name`)
	if !strings.HasSuffix(d.File, "base.yml") || d.Line != 2 {
		t.Errorf("abcd reported at %s:%d, want base.yml:2", d.File, d.Line)
	}
	d = wantDiag(t, ds, Warning, "web", "services.web.secrets.2", `secret "zyx" is not declared under the top-level secrets: compose-x skips it and so does composex (not given to web)`)
	if !strings.HasSuffix(d.File, "base.yml") || d.Line != 12 {
		t.Errorf("zyx reported at %s:%d, want base.yml:12", d.File, d.Line)
	}
	if len(ds) != 2 {
		t.Errorf("want 2 diagnostics, got:\n%s", dump(ds))
	}
}

// compose-x files key listeners by port (Listeners: {443: ...}); compose-go
// refuses non-string keys. composex quotes them in place, inside x- blocks
// only, and every line stays where it was.
func TestQuoteIntegerKeysInXBlocks(t *testing.T) {
	src := `x-elbv2:
  lb:
    Listeners:
      443: {Protocol: HTTPS}
      80:
        Protocol: HTTP
services:
  web:
    image: nginx:1.27
    x-thing:
      8080: a
`
	dir := writeTree(t, map[string]string{"c.yml": src})
	in := mustLoadOpts(t, LoadOptions{Files: []string{filepath.Join(dir, "c.yml")}, ProjectName: "p"})
	lb := in.Project.Extensions["x-elbv2"].(map[string]any)["lb"].(map[string]any)["Listeners"].(map[string]any)
	if _, ok := lb["443"]; !ok {
		t.Errorf("listener 443 lost: %v", lb)
	}
	if _, ok := lb["80"]; !ok {
		t.Errorf("listener 80 lost: %v", lb)
	}
	var root = parseNode(t, src)
	got := string(quoteIntegerKeys([]byte(src), root))
	want := strings.Replace(strings.Replace(strings.Replace(src, "443:", `"443":`, 1), "80:", `"80":`, 1), "8080:", `"8080":`, 1)
	if got != want {
		t.Errorf("quoted:\n%s\nwant:\n%s", got, want)
	}
	if f, line, _ := in.Sources.Locate("x-elbv2.lb.Listeners.80.Protocol"); !strings.HasSuffix(f, "c.yml") || line != 6 {
		t.Errorf("Protocol located at %s:%d, want c.yml:6", f, line)
	}
}

// depends_on may name a task family in compose-x; the entry becomes a
// service of that family, or goes when a member is listed already.
func TestDependsOnTaskFamily(t *testing.T) {
	dir := writeTree(t, map[string]string{"c.yml": `services:
  app01:
    image: nginx:1.27
    deploy:
      labels:
        ecs.task.family: bignicefamily
  rproxy:
    image: nginx:1.27
    deploy:
      labels: [ecs.task.family=bignicefamily]
  app02:
    image: nginx:1.27
    depends_on:
      - bignicefamily
  app03:
    image: nginx:1.27
    depends_on:
      - app01
      - bignicefamily
`})
	in := mustLoadOpts(t, LoadOptions{Files: []string{filepath.Join(dir, "c.yml")}, ProjectName: "p"})
	if got := slices.Sorted(mapKeys(in.Project.Services["app02"].DependsOn)); !slices.Equal(got, []string{"app01"}) {
		t.Errorf("app02 depends on %v, want [app01]", got)
	}
	if got := slices.Sorted(mapKeys(in.Project.Services["app03"].DependsOn)); !slices.Equal(got, []string{"app01"}) {
		t.Errorf("app03 depends on %v, want [app01]", got)
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func parseNode(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	return &n
}

// compose-x modules composex ignores hold CloudFormation Fn::Sub text
// (${!ARN}) that compose's interpolation refuses; composex escapes it in
// those blocks only, and ${...} anywhere else is still interpolated or
// refused.
func TestIgnoredModuleKeepsCloudFormationText(t *testing.T) {
	dir := writeTree(t, map[string]string{"c.yml": `x-s3:
  bucket:
    Policies:
      - Resource:
          - ${!ARN}/*
          - "${AWS::Region}"
services:
  web:
    image: nginx:1.27
`})
	in := mustLoadOpts(t, LoadOptions{Files: []string{filepath.Join(dir, "c.yml")}, ProjectName: "p"})
	res := in.Project.Extensions["x-s3"].(map[string]any)["bucket"].(map[string]any)["Policies"].([]any)[0].(map[string]any)["Resource"].([]any)
	if res[0] != "${!ARN}/*" || res[1] != "${AWS::Region}" {
		t.Errorf("x-s3 values %v", res)
	}
	dir = writeTree(t, map[string]string{"c.yml": `services:
  web:
    image: nginx:1.27
    environment:
      A: ${!ARN}
`})
	_, ds := load(t, LoadOptions{Files: []string{filepath.Join(dir, "c.yml")}, ProjectName: "p"})
	wantError(t, ds, "web", "services.web.environment.A", `invalid interpolation in "${!ARN}"`)
}

// compose-go's consistency errors name a key only in their text; composex
// gives them the file and line of that key.
func TestLoaderErrorsAreLocated(t *testing.T) {
	for _, c := range []struct {
		name, src, path, msg string
		line                 int
	}{
		{"undefined network", "services:\n  web:\n    image: nginx:1.27\n    networks: [back]\n", "services.web.networks", `network "back" is not declared under the top-level networks`, 4},
		{"undefined dependency", "services:\n  web:\n    image: nginx:1.27\n    depends_on: [db]\n", "services.web.depends_on", `"db" is neither a service nor a task family (ecs.task.family) of this project`, 4},
		{"cycle", "services:\n  a:\n    image: nginx:1.27\n    depends_on: [b]\n  b:\n    image: nginx:1.27\n    depends_on: [a]\n", "", "dependency cycle detected", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{"c.yml": c.src})
			_, ds := load(t, LoadOptions{Files: []string{filepath.Join(dir, "c.yml")}, ProjectName: "p"})
			if len(ds) != 1 || ds[0].Severity != Error {
				t.Fatalf("want one error, got:\n%s", dump(ds))
			}
			d := ds[0]
			if !strings.Contains(d.Message, c.msg) || !strings.HasSuffix(d.File, "c.yml") || d.Line == 0 {
				t.Errorf("got %s; want %q located in c.yml", d, c.msg)
			}
			if c.path != "" && (d.Path != c.path || d.Line != c.line) {
				t.Errorf("got %s at line %d; want %s line %d", d.Path, d.Line, c.path, c.line)
			}
		})
	}
}
