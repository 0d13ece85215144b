package render

import (
	"testing"
)

// validateYAML loads a file and runs the core validation (no extensions).
func validateYAML(t *testing.T, src string) Diagnostics {
	t.Helper()
	in := mustLoad(t, src)
	return in.Sources.Place(Validate(in, nil))
}

func TestComposeKeys(t *testing.T) {
	tests := []struct {
		name string
		keys string
		sev  Severity
		path string
		msg  string
	}{
		{"privileged", "    privileged: true\n", Error, "services.web.privileged", "cannot work on Fargate: Fargate does not run privileged containers"},
		{"network_mode host", "    network_mode: host\n", Error, "services.web.network_mode", "cannot work on Fargate: network_mode host; Fargate tasks always use awsvpc (service:X, which shares X's network, is supported)"},
		{"devices", "    devices: [\"/dev/fuse:/dev/fuse\"]\n", Error, "services.web.devices", "cannot work on Fargate: Fargate gives no access to host devices"},
		{"hostname", "    hostname: web1\n", Warning, "services.web.hostname", "ignored on Fargate: awsvpc tasks take the hostname ECS gives them"},
		{"restart", "    restart: always\n", Warning, "services.web.restart", "ignored on Fargate: ECS replaces stopped tasks itself"},
		{"deploy.placement", "    deploy:\n      placement: {constraints: [\"node.role==manager\"]}\n", Warning, "services.web.deploy.placement", "ignored on Fargate: Fargate places tasks itself"},
		{"key composex does not know", "    pre_start:\n      - command: [\"true\"]\n", Warning, "services.web.pre_start", "composex does not handle this key; ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := validateYAML(t, svc(tt.keys))
			d := wantDiag(t, ds, tt.sev, "web", tt.path, tt.msg)
			if d.Line == 0 {
				t.Errorf("not located: %s", d)
			}
		})
	}
}

func TestComposeKeysWithoutEffect(t *testing.T) {
	for _, keys := range []string{
		"    privileged: false\n",
		"    network_mode: awsvpc\n",
		"    build: .\n", // reported by BuildModel, with the image parameter
		"    ports: [\"80\"]\n    environment: {A: b}\n    deploy: {replicas: 2}\n",
	} {
		if ds := validateYAML(t, svc(keys)); len(ds) != 0 {
			t.Errorf("%q: want no diagnostics, got:\n%s", keys, dump(ds))
		}
	}
}

// Each key has one rule, and each rule says why.
func TestConversionTableUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range ConversionTable {
		if seen[r.Key] {
			t.Errorf("key %s listed twice", r.Key)
		}
		seen[r.Key] = true
		if r.Note == "" {
			t.Errorf("key %s has no note", r.Key)
		}
	}
}

// The check reads the keys the user wrote, so a key that compose-go would
// never accept still gets its warning when it reaches the table check.
func TestCheckComposeKeysUnknownKey(t *testing.T) {
	in := mustLoad(t, svc(""))
	src := &Sources{}
	src.AddBytes("compose.yaml", []byte("services:\n  web:\n    image: nginx\n    future_key: 1\n    deploy:\n      future_deploy_key: 2\n"))
	in.Sources = src
	var ds Diagnostics
	checkComposeKeys(in, &ds)
	ds = src.Place(ds)
	d := wantWarning(t, ds, "web", "services.web.future_key", "composex does not handle this key; ignored")
	if d.File != "compose.yaml" || d.Line != 4 {
		t.Errorf("located at %s:%d, want compose.yaml:4", d.File, d.Line)
	}
	wantWarning(t, ds, "web", "services.web.deploy.future_deploy_key", "composex does not handle this key; ignored")
}

func TestExtensionKeys(t *testing.T) {
	ds := validateYAML(t, `x-common: &common
  image: nginx
x-notes:
  owner: me
x-s3:
  bucket: {}
x-cluster: prod
services:
  web:
    <<: *common
    x-ecs: {EnableExecuteCommand: true}
    x-logging: {RetentionInDays: 7}
    x-unknown: {a: 1}
`)
	wantWarning(t, ds, "web", "services.web.x-unknown", "composex does not handle x-unknown; it is ignored")
	wantWarning(t, ds, "", "x-s3", "x-s3 is a compose-x module that composex does not implement; nothing is created for it")
	wantWarning(t, ds, "", "x-notes", "composex does not handle the top-level key x-notes; it is ignored")
	for _, path := range []string{"x-common", "x-cluster", "services.web.x-ecs", "services.web.x-logging"} {
		wantNoDiagAt(t, ds, path)
	}
	if len(ds) != 3 {
		t.Fatalf("want 3 warnings, got:\n%s", dump(ds))
	}
}

type fakeExtension struct{ service, project []string }

func (fakeExtension) Name() string                           { return "x-fake" }
func (e fakeExtension) ServiceKeys() []string                { return e.service }
func (e fakeExtension) ProjectKeys() []string                { return e.project }
func (fakeExtension) Validate(in *Input) Diagnostics         { return nil }
func (fakeExtension) Extend(in *Input, m *Model) Diagnostics { return nil }

// The keys an extension declares are not reported as unhandled.
func TestExtensionKeysDeclared(t *testing.T) {
	in := mustLoad(t, "x-sns: {}\nservices:\n  web:\n    image: nginx\n    x-prometheus: {}\n")
	if ds := Validate(in, []Extension{fakeExtension{[]string{"x-prometheus"}, []string{"x-sns"}}}); len(ds) != 0 {
		t.Fatalf("want no diagnostics, got:\n%s", dump(ds))
	}
	ds := Validate(in, nil)
	wantWarning(t, ds, "web", "services.web.x-prometheus", "composex does not handle x-prometheus")
	wantWarning(t, ds, "", "x-sns", "composex does not handle the top-level key x-sns")
}

// Render stops before the model when validation fails.
func TestRenderStopsOnValidationErrors(t *testing.T) {
	out, ds := renderYAML(t, svc("    privileged: true\n"), Options{})
	if out != nil {
		t.Fatal("output despite an error")
	}
	wantError(t, ds, "web", "services.web.privileged", "Fargate does not run privileged containers")
}
