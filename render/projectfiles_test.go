package render

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Every file a compose file names is read only from inside the project, only
// when it is a regular file, and only up to a bound: a compose file in a pull
// request must not pull /etc/passwd into a template or hang on /dev/zero.
func TestReferencedFilesStayInsideTheProject(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.env"), []byte("TOKEN=abc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	compose := func(key, value string) string {
		return "services:\n  web:\n    image: nginx:1.27\n    " + key + ": " + value + "\n"
	}
	for _, tc := range []struct {
		name, src string
		setup     func(dir string)
		allow     bool
		path      string
		want      string // empty: must load
	}{
		{name: "a file inside", src: compose("env_file", "app.env")},
		{name: "optional and missing", src: "services:\n  web:\n    image: nginx:1.27\n    env_file:\n      - path: none.env\n        required: false\n"},
		{name: "missing", src: compose("env_file", "none.env"), path: "services.web.env_file", want: "none.env does not exist"},
		{name: "parent directory", src: compose("env_file", "../secret.env"), path: "services.web.env_file",
			want:  "is outside the project directory",
			setup: func(dir string) { os.WriteFile(filepath.Join(dir, "..", "secret.env"), []byte("TOKEN=abc\n"), 0o644) }},
		{name: "absolute path", src: compose("env_file", "/etc/passwd"), path: "services.web.env_file", want: "/etc/passwd is outside the project directory"},
		{name: "allowed outside by flag", src: compose("env_file", filepath.Join(outside, "secret.env")), allow: true},
		{name: "a symlink pointing out", src: compose("env_file", "link.env"), path: "services.web.env_file", want: "(through a symlink)",
			setup: func(dir string) { os.Symlink(filepath.Join(outside, "secret.env"), filepath.Join(dir, "link.env")) }},
		{name: "a device", src: compose("env_file", "/dev/zero"), allow: true, path: "services.web.env_file", want: "is not a regular file (a device)"},
		{name: "a FIFO", src: compose("env_file", "pipe.env"), path: "services.web.env_file", want: "is not a regular file (a named pipe)",
			setup: func(dir string) { syscall.Mkfifo(filepath.Join(dir, "pipe.env"), 0o644) }},
		{name: "a directory", src: compose("env_file", "conf"), path: "services.web.env_file", want: "is not a regular file (a directory)",
			setup: func(dir string) { os.Mkdir(filepath.Join(dir, "conf"), 0o755) }},
		{name: "too large", src: compose("env_file", "big.env"), path: "services.web.env_file", want: "the limit is 1048576 bytes",
			setup: func(dir string) {
				os.WriteFile(filepath.Join(dir, "big.env"), []byte("A="+strings.Repeat("x", 2<<20)+"\n"), 0o644)
			}},
		{name: "label_file outside", src: compose("label_file", "/etc/hostname"), path: "services.web.label_file", want: "is outside the project directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{"compose.yaml": tc.src, "app.env": "A=1\n"})
			if tc.setup != nil {
				tc.setup(dir)
			}
			opts := testLoadOptions(dir)
			opts.AllowOutsideProject = tc.allow
			in, ds := Load(context.Background(), opts)
			if tc.want == "" {
				if ds.HasErrors() {
					t.Fatalf("refused:\n%s", ds.Error())
				}
				if in.Project.Services["web"].Environment == nil && tc.name == "a file inside" {
					t.Fatal("env_file not read")
				}
				return
			}
			if !ds.HasErrors() {
				t.Fatal("accepted")
			}
			d := ds.Errors()[0]
			if d.Path != tc.path || d.Service != "web" || d.Line != 4 || !strings.Contains(d.Message, tc.want) {
				t.Fatalf("got %s (path %q line %d), want %s at line 4 containing %q", d, d.Path, d.Line, tc.path, tc.want)
			}
		})
	}
}

// Many single ports pass the range guard but not the count.
func TestTooManyPortsAreRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("services:\n  web:\n    image: nginx:1.27\n    expose:\n")
	for p := 8000; p <= 8100; p++ {
		b.WriteString("      - \"" + strconv.Itoa(p) + "\"\n")
	}
	_, ds := loadYAML(t, b.String())
	wantError(t, ds, "web", "services.web.expose", "101 exposed ports: the limit is 100 a service")
}
