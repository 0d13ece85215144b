package render

import (
	"reflect"
	"testing"
)

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{Severity: Error, File: "compose.yaml", Line: 4, Column: 7, Service: "web", Path: "services.web.ports.0", Message: "bad"},
			`compose.yaml:4:7: error: service "web": services.web.ports.0: bad`},
		{Diagnostic{Severity: Warning, File: "compose.yaml", Line: 2, Path: "x-s3", Message: "ignored"},
			`compose.yaml:2: warning: x-s3: ignored`},
		{Diagnostic{Severity: Error, File: "compose.yaml", Message: "broken"}, `compose.yaml: error: broken`},
		{Diagnostic{Severity: Error, Message: "no compose file found"}, `error: no compose file found`},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}

func TestDiagnosticsSortedAndDeduplicated(t *testing.T) {
	a := Diagnostic{Severity: Error, File: "a.yaml", Line: 9, Path: "p", Message: "m"}
	b := Diagnostic{Severity: Warning, File: "a.yaml", Line: 2, Path: "q", Message: "m"}
	c := Diagnostic{Severity: Error, File: "b.yaml", Line: 1, Path: "p", Message: "m"}
	ds := Diagnostics{c, a, b, a}
	if got := ds.Sorted(); !reflect.DeepEqual(got, Diagnostics{b, a, c}) {
		t.Fatalf("sorted %v", got)
	}
	if len(ds) != 4 || ds[0] != c {
		t.Fatal("Sorted changed its receiver")
	}
	if !ds.HasErrors() || len(ds.Errors()) != 3 || len(ds.Warnings()) != 1 {
		t.Fatalf("errors %d warnings %d", len(ds.Errors()), len(ds.Warnings()))
	}
	if (Diagnostics{b}).HasErrors() {
		t.Fatal("a warning counted as an error")
	}
	want := "a.yaml:2: warning: q: m\na.yaml:9: error: p: m\nb.yaml:1: error: p: m"
	if got := ds.Error(); got != want {
		t.Fatalf("Error():\n%s\nwant\n%s", got, want)
	}
}

func TestSourcesLocate(t *testing.T) {
	s := &Sources{}
	s.AddBytes("base.yaml", []byte(`x-common: &common
  image: nginx
services:
  web:
    <<: *common
    ports:
      - "80"
      - "443"
    deploy:
      labels:
        ecs.task.family: app
  my.app:
    image: app
`))
	s.AddBytes("override.yaml", []byte("services:\n  web:\n    ports: [\"8080\"]\n"))
	tests := []struct {
		path      string
		file      string
		line, col int
	}{
		{"services.web.ports.0", "override.yaml", 3, 13}, // later files win
		{"services.web.ports.1", "base.yaml", 8, 9},      // only base has it
		{"services.web.ports.2", "override.yaml", 3, 5},  // the deepest key, later file
		{"services.web.deploy.labels.[ecs.task.family]", "base.yaml", 11, 9},
		{"services.[my.app].image", "base.yaml", 13, 5},
		{"services.web.image", "override.yaml", 2, 3}, // merged: its service
		{"secrets.db", "override.yaml", 0, 0},         // nowhere: the last file
	}
	for _, tt := range tests {
		f, line, col := s.Locate(tt.path)
		if f != tt.file || line != tt.line || col != tt.col {
			t.Errorf("Locate(%s) = %s:%d:%d, want %s:%d:%d", tt.path, f, line, col, tt.file, tt.line, tt.col)
		}
	}
	if got := s.Keys("services.web"); !reflect.DeepEqual(got, []string{"deploy", "image", "ports"}) {
		t.Errorf("Keys(services.web) = %v, want merged keys too", got)
	}
	if got := s.Keys("services"); !reflect.DeepEqual(got, []string{"my.app", "web"}) {
		t.Errorf("Keys(services) = %v", got)
	}
	if !s.HasAnchor("x-common") || s.HasAnchor("services") {
		t.Error("HasAnchor")
	}
	s.AddBytes("broken.yaml", []byte("services: [\n"))
	if got := s.Files(); !reflect.DeepEqual(got, []string{"base.yaml", "override.yaml", "broken.yaml"}) {
		t.Errorf("Files() = %v", got)
	}
	placed := s.Place(Diagnostics{{Path: "services.[my.app].image"}, {File: "given.yaml", Line: 1, Path: "services.web"}})
	if placed[0].File != "base.yaml" || placed[0].Line != 13 || placed[1].File != "given.yaml" || placed[1].Line != 1 {
		t.Errorf("Place: %+v", placed)
	}
}

func TestDecodeExtension(t *testing.T) {
	var x XEcs
	tests := []struct {
		raw  any
		want string
	}{
		{map[string]any{"Nope": 1}, `unknown key "Nope"`},
		{map[string]any{"CpuArchitecture": 64}, "CpuArchitecture: expected a string, got number"},
		{map[string]any{"CapacityProviderStrategy": "FARGATE"}, "CapacityProviderStrategy: expected a list, got string"},
		{[]any{1}, "expected a mapping, got array"},
	}
	for _, tt := range tests {
		err := DecodeExtension(tt.raw, &x)
		if err == nil || err.Error() != tt.want {
			t.Errorf("DecodeExtension(%v) = %v, want %q", tt.raw, err, tt.want)
		}
	}
	if err := DecodeExtension(map[string]any{"CpuArchitecture": "ARM64"}, &x); err != nil || x.CpuArchitecture != "ARM64" {
		t.Errorf("valid input: %v %+v", err, x)
	}
}
