package files_test

import (
	"strings"
	"testing"

	"github.com/composex/composex/extensions/files"
	"github.com/composex/composex/render"
)

// Every refusal: one error at the key that asks for it, with the reason
// and what is allowed, and nothing rendered.
func TestRefusals(t *testing.T) {
	svc := func(keys string) string {
		return "services:\n  web:\n    image: nginx:1.27.3-alpine\n" + keys
	}
	big := strings.Repeat("x", files.MaxFileBytes+1)
	many := map[string]string{}
	for i := 0; i < 21; i++ {
		many["many/f"+string(rune('a'+i))+".conf"] = "k=v\n"
	}
	tests := []struct {
		name    string
		compose string
		files   map[string]string
		path    string
		msg     string // DIR stands for the project directory
	}{
		{"docker socket", svc("    volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]\n"), nil, "services.web.volumes.0",
			"bind mount of /var/run/docker.sock is the Docker socket: a Fargate task has no Docker daemon to talk to"},
		{"host system file", svc("    volumes: [\"/etc/hosts:/etc/hosts:ro\"]\n"), nil, "services.web.volumes.0",
			"bind mount of /etc/hosts is a host system path: a Fargate task has no host to read it from"},
		{"host proc", svc("    volumes: [\"/proc:/host/proc:ro\"]\n"), nil, "services.web.volumes.0",
			"bind mount of /proc is a host system path: a Fargate task has no host to read it from"},
		{"device", svc("    volumes: [\"/dev/snd:/dev/snd\"]\n"), nil, "services.web.volumes.0",
			"bind mount of /dev/snd is a host device: Fargate gives no access to host devices"},
		{"outside the project", svc("    volumes: [\"../elsewhere.conf:/etc/app/a.conf\"]\n"), nil, "services.web.volumes.0",
			"bind mount of PARENT/elsewhere.conf is outside the project directory DIR: only the project's own files are delivered; copy it into the project or bake it into the image"},
		{"link leading out", svc("    volumes: [\"./passwd:/etc/app/passwd\"]\n"), map[string]string{"passwd": "->/etc/passwd"}, "services.web.volumes.0",
			"bind mount of ./passwd is a symbolic link to /etc/passwd, outside the project directory DIR: only the project's own files are delivered"},
		{"link in a directory leading out", svc("    volumes: [\"./conf:/etc/app\"]\n"), map[string]string{"conf/a.conf": "a", "conf/evil": "->/etc/passwd"}, "services.web.volumes.0",
			"bind mount of ./conf holds evil, a symbolic link that leads outside the project directory DIR; only the project's own files are delivered"},
		{"missing source", svc("    volumes: [\"./nope.conf:/etc/app/nope.conf\"]\n"), nil, "services.web.volumes.0",
			"bind mount of ./nope.conf does not exist in the project (docker would mount an empty directory); create it or drop the mount"},
		{"file too large", svc("    volumes: [\"./big.bin:/srv/big.bin\"]\n"), map[string]string{"big.bin": big}, "services.web.volumes.0",
			"bind mount of ./big.bin is 6145 bytes; one file is stored in one SSM parameter, which holds 8192 bytes (6144 bytes of file, base64-encoded): bake larger files into the image or put them on a named volume"},
		{"directory too large", svc("    volumes: [\"./many:/etc/app\"]\n"), many, "services.web.volumes.0",
			"bind mount of ./many holds 21 files, 84 bytes: a directory is delivered as files up to 20 files and 65536 bytes; bake it into the image (COPY in the Dockerfile), or put it on a named volume"},
		{"target hides a system directory", svc("    configs: [{source: c, target: /etc/app.conf}]\nconfigs:\n  c: {content: x}\n"), nil, "services.web.configs.0",
			"/etc/app.conf would be written into a volume mounted at /etc, hiding the image's /etc in this container (ECS mounts volumes on directories, not on single files); give the file a target in a directory of its own"},
		{"config at the root", svc("    configs: [c]\nconfigs:\n  c: {content: x}\n"), nil, "services.web.configs.0",
			"/c would be written into a volume mounted at /, hiding the image's / in this container (ECS mounts volumes on directories, not on single files); give the file a target in a directory of its own"},
		{"external config", svc("    configs: [{source: c, target: /srv/c}]\nconfigs:\n  c: {external: true}\n"), nil, "services.web.configs.0",
			`config "c" is external (it lives in a swarm): composex cannot read it; give it file: or content:`},
		{"config file outside", svc("    configs: [{source: c, target: /srv/c}]\nconfigs:\n  c: {file: /etc/passwd}\n"), nil, "configs.c.file",
			"config c: file /etc/passwd is a host system path: a Fargate task has no host to read it from"},
		{"config from an unset variable", svc("    configs: [{source: c, target: /srv/c}]\nconfigs:\n  c: {environment: NOT_SET}\n"), nil, "configs.c.environment",
			"config c: the variable NOT_SET is not set"},
		{"two files at one path", svc("    volumes: [\"./a.conf:/srv/a.conf\"]\n    configs: [{source: c, target: /srv/a.conf}]\nconfigs:\n  c: {content: x}\n"), map[string]string{"a.conf": "a"}, "services.web.configs.0",
			"/srv/a.conf is also the target of services.web.volumes.0; a path holds one file"},
		{"owner by name", svc("    configs: [{source: c, target: /srv/c, uid: nginx}]\nconfigs:\n  c: {content: x}\n"), nil, "services.web.configs.0.uid",
			`"nginx" is not a numeric uid; the init container sets owners by number`},
		{"volume already there", svc("    volumes: [\"data:/srv/conf\"]\n    configs: [{source: c, target: /srv/conf/c.conf}]\nconfigs:\n  c: {content: x}\nvolumes:\n  data: {}\n"), nil, "services.web.configs.0",
			"/srv/conf/c.conf would be written into a volume mounted at /srv/conf, where the container already mounts the volume data; give the file a target in another directory"},
		{"generate an existing secret", svc("    secrets: [s]\nsecrets:\n  s:\n    environment: S\n    x-secrets: {Name: prod/s}\n    x-generate: true\n"), nil, "secrets.s.x-generate",
			"secret s names an existing secret with x-secrets; the stack generates only the secrets it creates: drop x-generate or x-secrets"},
		{"generated too short", svc("    secrets: [s]\nsecrets:\n  s:\n    environment: S\n    x-generate: {Length: 4}\n"), nil, "secrets.s.x-generate.Length",
			"4 is out of range: a generated secret is 8 to 4096 characters"},
		{"secret variable set by an extension", svc("    x-xray: true\n    secrets: [{source: s, target: AWS_XRAY_DAEMON_ADDRESS}]\nsecrets:\n  s:\n    x-secrets: {Name: prod/s}\n"), nil, "services.web.secrets",
			"the secret variable AWS_XRAY_DAEMON_ADDRESS is also a variable composex sets in web; give the secret another target"},
		{"windows family", svc("    x-ecs: {OperatingSystemFamily: WINDOWS_SERVER_2022_CORE}\n    configs: [{source: c, target: C:/app/c.conf}]\nconfigs:\n  c: {content: x}\n"), nil, "services.web.configs.0",
			"family web runs on WINDOWS_SERVER_2022_CORE: files are written by a Linux init container; bake them into the Windows image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := renderProject(t, tt.compose, tt.files, nil)
			if p.out != nil {
				t.Fatalf("rendered; want the error %s: %s", tt.path, tt.msg)
			}
			msg := strings.NewReplacer("PARENT", parentOf(p.dir), "DIR", p.dir).Replace(tt.msg)
			for _, d := range p.diags.Errors() {
				if d.Path == tt.path && d.Message == msg {
					if d.Line == 0 && d.Path != "services.web.secrets" {
						t.Errorf("not located: %s", d)
					}
					return
				}
			}
			t.Errorf("no error at %s with message\n  %s\ngot:\n%s", tt.path, msg, p.diags.Error())
		})
	}
}

func parentOf(dir string) string { return dir[:strings.LastIndex(dir, "/")] }

// errorsAt lists the messages at a path, for tests that expect warnings.
func at(ds render.Diagnostics, sev render.Severity, path string) []string {
	var out []string
	for _, d := range ds {
		if d.Severity == sev && d.Path == path {
			out = append(out, d.Message)
		}
	}
	return out
}
