package render

import (
	"reflect"
	"testing"
)

// The core records what compose puts into a container as files; the files
// extension delivers them. Without it the pipeline must refuse them, never
// render a task that silently lacks a file.
func TestFileRequestsRecorded(t *testing.T) {
	m, _ := mustBuild(t, `services:
  web:
    image: nginx
    volumes:
      - ./nginx.conf:/etc/nginx/nginx.conf:ro
    configs:
      - site
      - source: site
        target: /srv/site.conf
        mode: 0400
    secrets:
      - db
      - source: api
        target: API_KEY
configs:
  site: {content: "server {}"}
secrets:
  db: {file: ./db.txt}
  api:
    x-secrets: {Name: prod/api}
`)
	c := container(t, family(t, m, "web"), "web")
	mode := uint32(0o400)
	want := []FileRequest{
		{Kind: FileSecret, Source: "db", Target: "/run/secrets/db", Path: "services.web.secrets.0"},
		{Kind: FileSecret, Source: "api", Target: "API_KEY", ValueFrom: "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:prod/api", Path: "services.web.secrets.1"},
		{Kind: FileBind, Source: c.Files[2].Source, Target: "/etc/nginx/nginx.conf", ReadOnly: true, Path: "services.web.volumes.0"},
		{Kind: FileConfig, Source: "site", ReadOnly: true, Path: "services.web.configs.0"},
		{Kind: FileConfig, Source: "site", Target: "/srv/site.conf", Mode: &mode, ReadOnly: true, Path: "services.web.configs.1"},
	}
	if !reflect.DeepEqual(c.Files, want) {
		t.Fatalf("files\n got %+v\nwant %+v", c.Files, want)
	}
	if len(c.Secrets) != 1 || c.Secrets[0].Name != "API_KEY" {
		t.Errorf("the x-secrets secret must stay an environment variable: %+v", c.Secrets)
	}
}

func TestUndeliveredFilesRefused(t *testing.T) {
	_, ds := renderYAML(t, `services:
  web:
    image: nginx
    volumes: ["./html:/usr/share/nginx/html"]
    configs: [site]
    secrets: [db]
configs:
  site: {content: "x"}
secrets:
  db: {file: ./db.txt}
`, Options{})
	d := wantError(t, ds, "web", "services.web.volumes.0", "a Fargate task has no host directory to mount; use a named volume or put the files in the image")
	if d.Line == 0 {
		t.Errorf("not located: %s", d)
	}
	wantError(t, ds, "web", "services.web.secrets.0", `secret "db" has no x-secrets: Fargate cannot mount a file or environment secret`)
	wantError(t, ds, "web", "services.web.configs.0", `config "site": Fargate cannot mount compose configs; bake the file into the image`)
}

func TestFilePaths(t *testing.T) {
	for _, tt := range []struct {
		fn                   func(string, string) string
		source, target, want string
	}{
		{SecretPath, "db", "", "/run/secrets/db"},
		{SecretPath, "db", "password", "/run/secrets/password"},
		{SecretPath, "db", "/etc/app/pw", "/etc/app/pw"},
		{SecretPath, "db", "../x", "/run/x"},
		{ConfigPath, "site", "", "/site"},
		{ConfigPath, "site", "/etc/site.conf", "/etc/site.conf"},
		{ConfigPath, "site", "etc/site.conf", "/etc/site.conf"},
	} {
		if got := tt.fn(tt.source, tt.target); got != tt.want {
			t.Errorf("(%q, %q) = %q, want %q", tt.source, tt.target, got, tt.want)
		}
	}
}

// A job that others wait to complete must not become an ECS service: ECS
// restarts it for ever. In the waiter's family it runs once, non-essential.
func TestOneShotServices(t *testing.T) {
	_, ds := buildYAML(t, `services:
  web:
    image: nginx
    depends_on:
      migrate: {condition: service_completed_successfully}
  migrate:
    image: busybox
    restart: "no"
`)
	d := wantError(t, ds, "web", "services.web.depends_on.migrate.condition",
		"web waits for migrate to complete, but migrate runs as its own ECS service, which ECS restarts for ever after a clean exit; put migrate in the family of web (deploy.labels.ecs.task.family: web) so that it runs once, before web starts, in each task")
	if d.Line == 0 {
		t.Errorf("not located: %s", d)
	}
	m, _ := mustBuild(t, `services:
  web:
    image: nginx
    depends_on:
      migrate: {condition: service_completed_successfully}
  migrate:
    image: busybox
    restart: "no"
    deploy: {labels: {ecs.task.family: web}}
`)
	f := family(t, m, "web")
	if c := container(t, f, "migrate"); c.Essential {
		t.Error("the one-shot container must not be essential (ECS refuses an essential SUCCESS dependency)")
	}
	if got := container(t, f, "web").DependsOn; !reflect.DeepEqual(got, []ContainerDependency{{Container: "migrate", Condition: "SUCCESS"}}) {
		t.Errorf("web depends on %+v", got)
	}
}

// An x-secrets secret whose target is a file name, not a variable name, is
// the file only: a warning, still granted to the execution role (the init
// container reads it).
func TestXSecretFileOnly(t *testing.T) {
	m, ds := mustBuild(t, `services:
  web:
    image: nginx
    secrets: [db-password]
secrets:
  db-password:
    x-secrets: {Name: prod/db}
`)
	wantWarning(t, ds, "web", "services.web.secrets.0", `"db-password" is not an environment variable name, so the secret is only the file /run/secrets/db-password; give the secret a target that is a variable name to have both`)
	f := family(t, m, "web")
	c := container(t, f, "web")
	if len(c.Secrets) != 0 || len(c.Files) != 1 || c.Files[0].ValueFrom == "" {
		t.Errorf("secrets %+v, files %+v", c.Secrets, c.Files)
	}
	if len(f.ExecutionRole.Policies) != 1 || f.ExecutionRole.Policies[0].Statements[0].Action[0] != "secretsmanager:GetSecretValue" {
		t.Errorf("execution role %+v", f.ExecutionRole.Policies)
	}
}

// A restart: "no" job beside other services runs once: non-essential, so
// that its clean exit does not stop the task. Alone it stays essential
// (a task needs one).
func TestRunOnceIsNotEssential(t *testing.T) {
	m, _ := mustBuild(t, `services:
  web:
    image: nginx
    deploy: {labels: {ecs.task.family: app}}
  warmup:
    image: busybox
    command: ["true"]
    restart: "no"
    deploy: {labels: {ecs.task.family: app}}
  alone:
    image: busybox
    restart: "no"
`)
	if container(t, family(t, m, "app"), "warmup").Essential {
		t.Error("warmup runs once: it must not be essential")
	}
	if !container(t, family(t, m, "app"), "web").Essential {
		t.Error("web must stay essential")
	}
	if !container(t, family(t, m, "alone"), "alone").Essential {
		t.Error("the only container of a family stays essential")
	}
}
