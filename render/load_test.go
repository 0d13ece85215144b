package render

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func load(t *testing.T, opts LoadOptions) (*Input, Diagnostics) {
	t.Helper()
	if opts.Environment == nil {
		opts.Environment = map[string]string{}
	}
	return Load(context.Background(), opts)
}

func mustLoadOpts(t *testing.T, opts LoadOptions) *Input {
	t.Helper()
	in, ds := load(t, opts)
	if in == nil || ds.HasErrors() {
		t.Fatalf("load failed:\n%s", dump(ds))
	}
	return in
}

func TestLoadMergesFiles(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"base.yaml": `services:
  web:
    image: nginx:1.27
    environment: {A: base, B: base}
  db:
    image: postgres
`,
		"prod.yaml": `services:
  web:
    image: nginx:1.28
    environment: {B: prod}
`,
	})
	in := mustLoadOpts(t, LoadOptions{Files: []string{filepath.Join(dir, "base.yaml"), filepath.Join(dir, "prod.yaml")}, ProjectName: "p"})
	web := in.Project.Services["web"]
	if web.Image != "nginx:1.28" || *web.Environment["A"] != "base" || *web.Environment["B"] != "prod" {
		t.Fatalf("merged web: image %s env %v", web.Image, web.Environment)
	}
	if _, ok := in.Project.Services["db"]; !ok {
		t.Fatal("db lost in the merge")
	}
	if got := in.Sources.Files(); len(got) != 2 || !strings.HasSuffix(got[0], "base.yaml") || !strings.HasSuffix(got[1], "prod.yaml") {
		t.Fatalf("sources %v", got)
	}
	// A key written in the override is located there.
	if f, line, _ := in.Sources.Locate("services.web.image"); !strings.HasSuffix(f, "prod.yaml") || line != 3 {
		t.Fatalf("services.web.image located at %s:%d, want prod.yaml:3", f, line)
	}
	if f, line, _ := in.Sources.Locate("services.db.image"); !strings.HasSuffix(f, "base.yaml") || line != 6 {
		t.Fatalf("services.db.image located at %s:%d, want base.yaml:6", f, line)
	}
}

func TestLoadInterpolation(t *testing.T) {
	src := "services:\n  web:\n    image: nginx:${TAG:-latest}\n    environment: {LEVEL: \"${LEVEL}\"}\n"
	tests := []struct {
		name     string
		files    map[string]string
		env      map[string]string
		envFiles []string
		tag, lvl string
	}{
		{"default value", nil, nil, nil, "latest", ""},
		{"from the environment", nil, map[string]string{"TAG": "1.27", "LEVEL": "debug"}, nil, "1.27", "debug"},
		{"from .env", map[string]string{".env": "TAG=1.26\nLEVEL=info\n"}, nil, nil, "1.26", "info"},
		{"environment wins over .env", map[string]string{".env": "TAG=1.26\n"}, map[string]string{"TAG": "1.27"}, nil, "1.27", ""},
		{"--env-file replaces .env", map[string]string{".env": "TAG=1.26\n", "prod.env": "TAG=1.25\nLEVEL=warn\n"}, nil, []string{"prod.env"}, "1.25", "warn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"compose.yaml": src}
			for k, v := range tt.files {
				files[k] = v
			}
			dir := writeTree(t, files)
			opts := LoadOptions{Files: []string{filepath.Join(dir, "compose.yaml")}, ProjectName: "p", Environment: tt.env}
			for _, f := range tt.envFiles {
				opts.EnvFiles = append(opts.EnvFiles, filepath.Join(dir, f))
			}
			web := mustLoadOpts(t, opts).Project.Services["web"]
			if web.Image != "nginx:"+tt.tag || *web.Environment["LEVEL"] != tt.lvl {
				t.Fatalf("image %s LEVEL %q, want nginx:%s %q", web.Image, *web.Environment["LEVEL"], tt.tag, tt.lvl)
			}
		})
	}
}

func TestLoadRequiredVariable(t *testing.T) {
	in, ds := loadYAML(t, "services:\n  web:\n    image: ${IMAGE:?set IMAGE to the pushed image}\n")
	if in != nil {
		t.Fatal("loaded despite a missing required variable")
	}
	d := wantError(t, ds, "web", "services.web.image", "required variable IMAGE is missing a value: set IMAGE to the pushed image")
	if !strings.HasSuffix(d.File, "compose.yaml") || d.Line != 3 {
		t.Fatalf("located at %s:%d, want compose.yaml:3", d.File, d.Line)
	}
}

func TestLoadMissingEnvFile(t *testing.T) {
	dir := writeTree(t, map[string]string{"compose.yaml": webOnly})
	opts := testLoadOptions(dir)
	opts.EnvFiles = []string{filepath.Join(dir, "missing.env")}
	in, ds := Load(context.Background(), opts)
	if in != nil {
		t.Fatal("loaded despite a missing env file")
	}
	wantError(t, ds, "", "", "env file "+filepath.Join(dir, "missing.env")+": ")
}

func TestLoadProfiles(t *testing.T) {
	src := `services:
  web: {image: nginx}
  debug:
    image: busybox
    profiles: [debug]
`
	dir := writeTree(t, map[string]string{"compose.yaml": src})
	opts := testLoadOptions(dir)
	if got := slices.Sorted(maps.Keys(mustLoadOpts(t, opts).Project.Services)); !reflect.DeepEqual(got, []string{"web"}) {
		t.Fatalf("without profile: %v", got)
	}
	opts.Profiles = []string{"debug"}
	if got := slices.Sorted(maps.Keys(mustLoadOpts(t, opts).Project.Services)); !reflect.DeepEqual(got, []string{"debug", "web"}) {
		t.Fatalf("with profile debug: %v", got)
	}
}

func TestLoadProjectName(t *testing.T) {
	root := writeTree(t, map[string]string{
		"My App/compose.yaml": webOnly,
		"named/compose.yaml":  "name: from-file\n" + webOnly,
	})
	tests := []struct {
		name, dir, flag, want string
	}{
		{"-p", "My App", "given_name", "given_name"},
		{"directory of the first file", "My App", "", "myapp"},
		{"name in the file", "named", "", "from-file"},
		{"-p wins over the file", "named", "other", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mustLoadOpts(t, LoadOptions{Files: []string{filepath.Join(root, tt.dir, "compose.yaml")}, ProjectName: tt.flag})
			if in.Project.Name != tt.want {
				t.Fatalf("project name %q, want %q", in.Project.Name, tt.want)
			}
		})
	}
}

func TestLoadDefaultDiscovery(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"compose.yaml":          "services:\n  web:\n    image: nginx:1.27\n",
		"compose.override.yaml": "services:\n  web:\n    image: nginx:1.28\n  db:\n    image: postgres\n",
		".env":                  "UNUSED=1\n",
	})
	in := mustLoadOpts(t, LoadOptions{WorkingDir: dir})
	if got := slices.Sorted(maps.Keys(in.Project.Services)); !reflect.DeepEqual(got, []string{"db", "web"}) {
		t.Fatalf("services %v", got)
	}
	if img := in.Project.Services["web"].Image; img != "nginx:1.28" {
		t.Fatalf("image %s: override not applied", img)
	}
	if in.Project.Name != ResourceName(strings.ToLower(filepath.Base(dir))) {
		t.Fatalf("project name %q from %s", in.Project.Name, dir)
	}

	dir = writeTree(t, map[string]string{"docker-compose.yml": webOnly})
	if in := mustLoadOpts(t, LoadOptions{WorkingDir: dir}); in.Project.Services["web"].Image != "nginx:1.27" {
		t.Fatal("docker-compose.yml not found")
	}
}

func TestLoadNoComposeFile(t *testing.T) {
	dir := t.TempDir()
	in, ds := load(t, LoadOptions{WorkingDir: dir})
	if in != nil {
		t.Fatal("loaded without a file")
	}
	wantError(t, ds, "", "", "no compose file found: give one with -f, or run where compose.yaml or docker-compose.yml is")
}

func TestLoadMissingFile(t *testing.T) {
	dir := t.TempDir()
	in, ds := load(t, LoadOptions{Files: []string{filepath.Join(dir, "nope.yaml")}})
	if in != nil || !ds.HasErrors() {
		t.Fatalf("loaded a missing file: %s", dump(ds))
	}
	if d := ds.Errors()[0]; !strings.Contains(d.String(), "nope.yaml") {
		t.Fatalf("error does not name the file: %s", d)
	}
}

func TestLoadYAMLSyntaxError(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		line       int
		msgContain string
	}{
		{"bad indentation", "services:\n  web:\n    image: nginx\n   bad: x\n", 4, "did not find expected key"},
		{"unclosed flow: found at the end", "services:\n  web:\n    image: nginx\n    ports: [80\n", 5, "did not find expected ',' or ']'"},
		{"sequence then mapping", "services:\n  - web\n  db: {}\n", 3, "did not find expected '-' indicator"},
		{"tab", "services:\n  web:\n\timage: nginx\n", 3, "found character that cannot start any token"},
		{"key without colon", "services:\n  web:\n    image: nginx\n    oops\n  db:\n    image: x\n", 4, "could not find expected ':'"},
		{"unclosed quote", "services:\n  web:\n    image: 'nginx\n", 3, "found unexpected end of stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, ds := loadYAML(t, tt.src)
			if in != nil || len(ds) != 1 {
				t.Fatalf("want one error, got:\n%s", dump(ds))
			}
			d := ds[0]
			if d.Line != tt.line || !strings.HasSuffix(d.File, "compose.yaml") || !strings.Contains(d.Message, tt.msgContain) ||
				!strings.HasPrefix(d.Message, "YAML syntax") {
				t.Fatalf("got %s (line %d), want compose.yaml line %d containing %q", d, d.Line, tt.line, tt.msgContain)
			}
		})
	}
}

// Schema errors from compose-go name the key and point at its line.
func TestLoadSchemaError(t *testing.T) {
	_, ds := loadYAML(t, "services:\n  web:\n    image: nginx\n    imagee: nginx\n")
	d := wantError(t, ds, "web", "services.web.imagee", `"imagee" is not a compose key of a service: did you mean image?`)
	if !strings.HasSuffix(d.File, "compose.yaml") || d.Line != 4 {
		t.Fatalf("not located at line 4: %s", d)
	}
}

// A secret that only names an AWS secret loads (compose-go alone refuses
// a secret without file, environment or external).
func TestLoadXSecretsOnly(t *testing.T) {
	in := mustLoad(t, "secrets:\n  db:\n    x-secrets: {Name: prod/db}\nservices:\n  web:\n    image: nginx\n    secrets: [db]\n")
	if !bool(in.Project.Secrets["db"].External) {
		t.Fatal("x-secrets-only secret not marked external")
	}
	// The patch does not count as a source file.
	if got := in.Sources.Files(); len(got) != 1 {
		t.Fatalf("sources %v", got)
	}
}

func TestDisplayPath(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got := displayPath(filepath.Join(wd, "x", "compose.yaml")); got != filepath.Join("x", "compose.yaml") {
		t.Errorf("below the working directory: %q", got)
	}
	outside := filepath.Join(filepath.Dir(wd), "elsewhere", "compose.yaml")
	if got := displayPath(outside); got != outside {
		t.Errorf("outside: %q, want %q", got, outside)
	}
	if got := displayPath("-"); got != "-" {
		t.Errorf("stdin: %q", got)
	}
}

// A compose file on standard input gets every check a file gets, located as
// <stdin>:line (privileged and network_mode: host used to render).
func TestStdinGetsEveryCheck(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("services:\n  web:\n    image: nginx:1.27\n    privileged: true\nx-loop: &x {<<: *x}\n")
	f.Seek(0, 0)
	saved := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = saved }()
	_, ds := Load(context.Background(), LoadOptions{Files: []string{"-"}, ProjectName: "p", Environment: map[string]string{}})
	d := wantError(t, ds, "", "", `the YAML anchor "x" is used inside its own value`)
	if d.File != StdinName || d.Line != 5 {
		t.Fatalf("located at %s:%d, want <stdin>:5", d.File, d.Line)
	}
	f.Truncate(0)
	f.Seek(0, 0)
	f.WriteString("services:\n  web:\n    image: nginx:1.27\n    privileged: true\n")
	f.Seek(0, 0)
	_, ds = renderWith(t, LoadOptions{Files: []string{"-"}, ProjectName: "p", Environment: map[string]string{}})
	d = wantError(t, ds, "web", "services.web.privileged", "Fargate does not run privileged containers")
	if d.File != StdinName || d.Line != 4 {
		t.Fatalf("located at %s:%d, want <stdin>:4", d.File, d.Line)
	}
}

func renderWith(t *testing.T, lo LoadOptions) (*Output, Diagnostics) {
	t.Helper()
	return Render(context.Background(), Options{Load: lo})
}
