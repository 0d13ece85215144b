package schema

import (
	"regexp"
	"strings"
	"testing"
)

// oneEdit lists every string one edit from s over the alphabet.
func oneEdit(s, alphabet string) map[string]bool {
	out := map[string]bool{}
	for i := 0; i <= len(s); i++ {
		for _, c := range alphabet {
			out[s[:i]+string(c)+s[i:]] = true
			if i < len(s) {
				out[s[:i]+string(c)+s[i+1:]] = true
			}
		}
		if i < len(s) {
			out[s[:i]+s[i+1:]] = true
		}
		if i+1 < len(s) {
			out[s[:i]+string(s[i+1])+string(s[i])+s[i+2:]] = true
		}
	}
	return out
}

// The pattern matches exactly the one-edit neighbours of the key's name
// (after x-), never the key itself nor another known key: the brute force
// here enumerates them all.
func TestNearMissPatternIsExact(t *testing.T) {
	known := []string{"x-ecs", "x-ecr", "x-ray", "x-xray", "x-iam", "x-scaling", "x-alarms", "x-elbv2", "x-logging"}
	alphabet := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:]^[\\"
	for _, key := range known {
		re := regexp.MustCompile(nearMissPattern(key, known))
		body := strings.TrimPrefix(key, "x-")
		for cand := range oneEdit(body, alphabet) {
			full := "x-" + cand
			want := full != key
			for _, k := range known {
				if k == full {
					want = false
				}
			}
			if got := re.MatchString(full); got != want {
				t.Errorf("%s: %q matched=%v, want %v (pattern %s)", key, full, got, want, re)
			}
		}
		for _, far := range []string{key + "xx", "x-" + body + body, "x-", "y-" + body, "xx-" + body} {
			if re.MatchString(far) {
				t.Errorf("%s: %q is two edits away but matches", key, far)
			}
		}
	}
}
