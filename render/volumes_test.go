package render

import (
	"reflect"
	"testing"
)

func TestNamedVolume(t *testing.T) {
	m, ds := mustBuild(t, `services:
  web:
    image: nginx
    volumes:
      - data:/var/lib/data
      - type: volume
        source: cache
        target: /cache
        read_only: true
    deploy: {labels: {ecs.task.family: app}}
  worker:
    image: worker
    volumes: ["data:/data:ro"]
    deploy: {labels: {ecs.task.family: app}}
volumes:
  data: {}
  cache:
    driver: local
`)
	f := family(t, m, "app")
	if !reflect.DeepEqual(f.Volumes, []string{"cache", "data"}) {
		t.Fatalf("task volumes %v", f.Volumes)
	}
	if got := container(t, f, "web").MountPoints; !reflect.DeepEqual(got, []MountPoint{{"data", "/var/lib/data", false}, {"cache", "/cache", true}}) {
		t.Fatalf("web mount points %+v", got)
	}
	if got := container(t, f, "worker").MountPoints; !reflect.DeepEqual(got, []MountPoint{{"data", "/data", true}}) {
		t.Fatalf("worker mount points %+v", got)
	}
	if len(ds) != 0 {
		t.Fatalf("the model does not yet know what persists, so it warns about nothing:\n%s", dump(ds))
	}
}

// Without an extension that makes a named volume persistent (the EFS one is
// not loaded here), it is task storage and the render says so; a volume an
// extension made persistent is not warned about.
func TestTaskStorageWarning(t *testing.T) {
	src := `services:
  web:
    image: nginx
    volumes: ["data:/var/lib/data", "cache:/cache:ro"]
volumes:
  data: {}
  cache:
    driver: local
`
	_, ds := mustRender(t, src, Options{})
	wantWarning(t, ds, "", "volumes.data", "on Fargate a named volume is task storage: shared by the containers of family web and lost when the task stops")
	wantWarning(t, ds, "", "volumes.cache", "lost when the task stops; driver, driver_opts and external are ignored")

	_, ds = mustRender(t, src, Options{Extensions: []Extension{persist{"data"}}})
	wantNoDiagAt(t, ds, "volumes.data")
	wantWarning(t, ds, "", "volumes.cache", "lost when the task stops")
}

// persist is an extension that marks volumes persistent, as extensions/efs does.
type persist []string

func (persist) Name() string                { return "persist" }
func (persist) ServiceKeys() []string       { return nil }
func (persist) ProjectKeys() []string       { return nil }
func (persist) Validate(*Input) Diagnostics { return nil }
func (p persist) Extend(_ *Input, m *Model) Diagnostics {
	for _, v := range p {
		m.PersistentVolumes[v] = true
	}
	return nil
}

func TestVolumeInTwoFamilies(t *testing.T) {
	_, ds := mustRender(t, `services:
  a:
    image: a
    volumes: ["data:/data"]
  b:
    image: b
    volumes: ["data:/data"]
volumes:
  data: {}
`, Options{})
	wantWarning(t, ds, "", "volumes.data", "shared by the containers of family a, b and lost when the task stops; each family gets its own copy")
}

func TestVolumesInTemplate(t *testing.T) {
	out, _ := mustRender(t, `services:
  web:
    image: nginx
    volumes: ["my_data:/data"]
volumes:
  my_data: {}
`, Options{})
	td := resource(t, template(t, out), "WebTaskDefinition", "AWS::ECS::TaskDefinition")
	if !reflect.DeepEqual(td["Volumes"], []any{map[string]any{"Name": "my-data"}}) {
		t.Fatalf("Volumes %v", td["Volumes"])
	}
	want := []any{map[string]any{"SourceVolume": "my-data", "ContainerPath": "/data", "ReadOnly": false}}
	if got := containerDef(t, td, "web")["MountPoints"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("MountPoints %v", got)
	}
}

func TestAnonymousVolume(t *testing.T) {
	m, ds := mustBuild(t, svc("    volumes: [\"/tmp/cache\"]\n"))
	f := family(t, m, "web")
	if !reflect.DeepEqual(f.Volumes, []string{"web-anonymous-0"}) {
		t.Fatalf("task volumes %v", f.Volumes)
	}
	if got := container(t, f, "web").MountPoints; !reflect.DeepEqual(got, []MountPoint{{"web-anonymous-0", "/tmp/cache", false}}) {
		t.Fatalf("mount points %+v", got)
	}
	if len(ds) != 0 {
		t.Fatalf("unexpected diagnostics:\n%s", dump(ds))
	}
}

func TestVolumeProblems(t *testing.T) {
	tests := []struct {
		name string
		keys string
		sev  Severity
		path string
		msg  string
	}{
		{"tmpfs", "    volumes:\n      - type: tmpfs\n        target: /run\n", Warning, "services.web.volumes.0",
			"tmpfs mounts are not supported on Fargate; /run stays on the container's own storage"},
		{"npipe", "    volumes:\n      - type: npipe\n        source: a\n        target: b\n", Error, "services.web.volumes.0",
			`volumes of type "npipe" are not supported on Fargate; allowed: named volumes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ds := onlyContainer(t, svc(tt.keys))
			d := wantDiag(t, ds, tt.sev, "web", tt.path, tt.msg)
			if d.Line == 0 {
				t.Errorf("not located: %s", d)
			}
			if len(c.MountPoints) != 0 {
				t.Fatalf("mount points %+v", c.MountPoints)
			}
		})
	}
}
