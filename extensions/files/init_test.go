package files_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/composex/composex/extensions/files"
	"github.com/composex/composex/extensions/internal/rendertest"
)

// What ECS does at task start, played locally: it creates each task
// volume (an empty directory), fills the init container's Secrets from SSM
// and Secrets Manager into its environment, and runs its command. Then
// each app container sees each volume at its mount path. The test runs the
// rendered command with sh in a temporary directory standing for the
// volumes and checks that every file is where the app looks, with its
// content and mode, and that nothing was printed.
func TestInitContainerRunsLocally(t *testing.T) {
	rendertest.Tool(t, "sh", "a POSIX shell runs the init container's command")
	binary := "\x00\x01\xff\n\nend with newlines\n\n"
	p := mustRender(t, `services:
  web:
    image: nginx:1.27.3-alpine
    volumes:
      - ./nginx.conf:/etc/nginx/nginx.conf:ro
      - ./conf:/etc/app
      - ./blob.bin:/srv/data/blob.bin
    configs:
      - source: page
        target: /usr/share/nginx/html/index.html
      - source: quoted
        target: "/srv/it's here/q.txt"
        mode: 0400
        uid: "101"
        gid: "101"
    secrets:
      - db-password
      - source: api
        target: API_KEY
      - ext
configs:
  page: {content: "<h1>hello</h1>\n"}
  quoted: {content: "a 'quoted' $$HOME $${X} line"}
secrets:
  db-password: {file: ./db-password.txt}
  api:
    x-secrets: {Name: prod/api}
  ext:
    external: true
`, map[string]string{
		"nginx.conf":          "events {}\nhttp { server { listen 8080; } }\n",
		"conf/app.yaml":       "a: 1\n",
		"conf/sub/extra.conf": "b = 2",
		"blob.bin":            binary,
		"db-password.txt":     "never-read-by-composex",
	}, nil, func(dir string) {
		if err := os.Chmod(filepath.Join(dir, "nginx.conf"), 0o640); err != nil {
			t.Fatal(err)
		}
	})

	// The values ECS would inject for the secrets.
	secretValues := map[string]string{
		"${DbPasswordSecret}": "pw with 'quotes' and $dollar\nand a newline",
		"arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:prod/api": `{"key":"v"}`,
		// external: true without x-secrets: the secret whose ARN the
		// ExtSecretArn parameter is given.
		"${ExtSecretArn}": "external value",
	}
	want := map[string]struct {
		content string
		mode    os.FileMode
		uid     int
	}{
		"/etc/nginx/nginx.conf":            {"events {}\nhttp { server { listen 8080; } }\n", 0o640, 0},
		"/etc/app/app.yaml":                {"a: 1\n", 0o644, 0},
		"/etc/app/sub/extra.conf":          {"b = 2", 0o644, 0},
		"/srv/data/blob.bin":               {binary, 0o644, 0},
		"/usr/share/nginx/html/index.html": {"<h1>hello</h1>\n", 0o444, 0},
		"/srv/it's here/q.txt":             {"a 'quoted' $HOME ${X} line", 0o400, 101},
		"/run/secrets/db-password":         {secretValues["${DbPasswordSecret}"], 0o444, 0},
		"/run/secrets/API_KEY":             {`{"key":"v"}`, 0o444, 0},
		"/run/secrets/ext":                 {"external value", 0o444, 0},
	}
	cs := rendertest.Containers(t, p.res, "WebTaskDefinition")
	init := cs[files.InitName]
	if init == nil {
		t.Fatalf("no init container; have %v", keys(cs))
	}
	if got := init["EntryPoint"]; len(got.([]any)) != 2 || got.([]any)[0] != "sh" || got.([]any)[1] != "-c" {
		t.Fatalf("entry point %v", got)
	}
	script := init["Command"].([]any)[0].(string)

	root := t.TempDir()
	volumeDir := map[string]string{}
	for _, mp := range init["MountPoints"].([]any) {
		m := mp.(map[string]any)
		vol, at := m["SourceVolume"].(string), m["ContainerPath"].(string)
		if at != files.InitRoot+"/"+vol {
			t.Errorf("init mounts %s at %s, want %s/%s", vol, at, files.InitRoot, vol)
		}
		dir := filepath.Join(root, vol)
		if err := os.MkdirAll(dir, 0o755); err != nil { // ECS creates the volume
			t.Fatal(err)
		}
		volumeDir[vol] = dir
		script = strings.ReplaceAll(script, "'"+at+"/", "'"+dir+"/")
	}
	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, s := range init["Secrets"].([]any) {
		m := s.(map[string]any)
		from := sub(m["ValueFrom"])
		value, ok := secretValues[from]
		if id := regexp.MustCompile(`parameter\$\{(\w+)\}$`).FindStringSubmatch(from); id != nil {
			param := p.res.Get(t, id[1], "AWS::SSM::Parameter")
			value, ok = param["Value"].(string), true
		}
		if !ok {
			t.Fatalf("no value for %s", from)
		}
		env = append(env, m["Name"].(string)+"="+value)
	}
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = env
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		t.Fatalf("init command failed: %v\n%s\nscript:\n%s", err, output.String(), script)
	}
	if output.Len() != 0 {
		t.Errorf("the init container printed %q; it must print nothing (values would reach the logs)", output.String())
	}

	// Where the app finds each file: through its mount of the volume.
	app := cs["web"]
	found := map[string]bool{}
	for _, mp := range app["MountPoints"].([]any) {
		m := mp.(map[string]any)
		vol, at := m["SourceVolume"].(string), m["ContainerPath"].(string)
		dir := volumeDir[vol]
		if dir == "" {
			t.Errorf("web mounts %s, which the init container does not write", vol)
			continue
		}
		_ = filepath.Walk(dir, func(hostPath string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, hostPath)
			target := at + "/" + filepath.ToSlash(rel)
			w, ok := want[target]
			if !ok {
				t.Errorf("unexpected file %s in the container", target)
				return nil
			}
			found[target] = true
			if got := readFile(t, hostPath); got != w.content {
				t.Errorf("%s holds %q, want %q", target, got, w.content)
			}
			if info.Mode().Perm() != w.mode {
				t.Errorf("%s has mode %o, want %o", target, info.Mode().Perm(), w.mode)
			}
			if st, ok := info.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 && int(st.Uid) != w.uid {
				t.Errorf("%s belongs to uid %d, want %d", target, st.Uid, w.uid)
			}
			return nil
		})
	}
	for target := range want {
		if !found[target] {
			t.Errorf("%s is missing in the container", target)
		}
	}
	// The SSM values are base64 of the files, nothing else.
	for id, r := range p.res.Of("AWS::SSM::Parameter") {
		if _, err := base64.StdEncoding.DecodeString(r.Properties["Value"].(string)); err != nil {
			t.Errorf("%s is not base64: %v", id, err)
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
