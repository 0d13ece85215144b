package files

import (
	"fmt"
	"path"
	"strings"
)

// entry is one file the init container writes.
type entry struct {
	env      string // the variable ECS fills from the container's Secrets
	dest     string // absolute path inside the init container
	base64   bool   // the value is base64 (SSM); else the raw secret
	mode     uint32
	uid, gid string
}

// Script is the init container's shell program (POSIX sh, as busybox
// runs it). It never prints a value: no set -x, no echo; a variable ECS
// did not set stops it (set -u), and so does any failed write (set -e),
// so the apps, which wait for SUCCESS, never start without their files.
func Script(entries []entry) string {
	var b strings.Builder
	b.WriteString("set -eu\numask 022\n")
	dirs := map[string]bool{}
	for _, e := range entries {
		d := path.Dir(e.dest)
		if !dirs[d] {
			dirs[d] = true
			fmt.Fprintf(&b, "mkdir -p %s\n", quote(d))
		}
		if e.base64 {
			fmt.Fprintf(&b, "printf '%%s' \"$%s\" | base64 -d > %s\n", e.env, quote(e.dest))
		} else {
			fmt.Fprintf(&b, "printf '%%s' \"$%s\" > %s\n", e.env, quote(e.dest))
		}
		fmt.Fprintf(&b, "chmod %o %s\n", e.mode, quote(e.dest))
		if e.uid != "" || e.gid != "" {
			owner := e.uid
			if e.gid != "" {
				owner += ":" + e.gid
			}
			fmt.Fprintf(&b, "chown %s %s\n", owner, quote(e.dest))
		}
	}
	return b.String()
}

// quote makes a path one shell word, whatever it holds.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
