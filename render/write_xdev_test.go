//go:build linux

package render

import (
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
)

// deviceOf is the file system device of path.
func deviceOf(t *testing.T, path string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return uint64(st.Dev)
}

// otherFilesystem returns a writable directory on another device than the
// test's temporary directory (/dev/shm, a tmpfs, where the system has
// one), or skips naming why; in CI a missing second file system fails.
func otherFilesystem(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	for _, candidate := range []string{"/dev/shm", os.Getenv("COMPOSEX_OTHER_FS")} {
		if candidate == "" {
			continue
		}
		if fi, err := os.Stat(candidate); err != nil || !fi.IsDir() {
			continue
		}
		if deviceOf(t, candidate) == deviceOf(t, base) {
			continue
		}
		dir, err := os.MkdirTemp(candidate, "composex-xdev-")
		if err != nil {
			continue
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		return dir
	}
	msg := "no second file system: /dev/shm (or COMPOSEX_OTHER_FS) is missing, not writable, or on the same device as " + base
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// TestWriteFilesOnAnotherFilesystem: -o is a symlink on one file system to
// a directory on another (a CI volume), and then the other file system's
// directory itself: the first render, the replacing one and a smaller one
// all land whole, never "invalid cross-device link".
func TestWriteFilesOnAnotherFilesystem(t *testing.T) {
	other := otherFilesystem(t)
	real := filepath.Join(other, "out")
	link := filepath.Join(t.TempDir(), "out")
	if deviceOf(t, filepath.Dir(link)) == deviceOf(t, other) {
		t.Fatal("the symlink and its target are on one device")
	}
	if err := os.Mkdir(real, 0o755); err != nil { // a dangling -o symlink is refused
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	small := map[string][]byte{"shop.json": []byte("{}\n"), "shop.params.json": []byte("[]\n")}
	for i, files := range []map[string][]byte{oldRender, newRender, small} {
		if err := WriteFiles(link, files); err != nil {
			t.Fatalf("render %d through the symlink: %v", i, err)
		}
		if got := listing(t, real); !reflect.DeepEqual(got, asStrings(files)) {
			t.Fatalf("render %d: the other file system holds %v", i, got)
		}
	}
	// Straight into the other file system, with the working directory on
	// the first one.
	direct := filepath.Join(other, "direct")
	for i, files := range []map[string][]byte{newRender, oldRender} {
		if err := WriteFiles(direct, files); err != nil {
			t.Fatalf("render %d into %s: %v", i, direct, err)
		}
		if got := listing(t, direct); !reflect.DeepEqual(got, asStrings(files)) {
			t.Fatalf("render %d: %s holds %v", i, direct, got)
		}
	}
	entries, _ := os.ReadDir(other)
	if len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("left beside the renders: %v", names)
	}
}
