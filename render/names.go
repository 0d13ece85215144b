package render

import (
	"hash/fnv"
	"regexp"
	"strings"
)

var nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]+`)

// LogicalName turns a compose name (web, metadata-proxy, my_app.v2) into the
// PascalCase stem of a CloudFormation logical ID (Web, MetadataProxy,
// MyAppV2). CloudFormation allows only [A-Za-z0-9] in logical IDs.
func LogicalName(name string) string {
	var b strings.Builder
	for _, part := range nonAlnum.Split(name, -1) {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]))
		b.WriteString(part[1:])
	}
	if b.Len() == 0 {
		return "X" + shortHash(name)
	}
	s := b.String()
	if s[0] >= '0' && s[0] <= '9' {
		s = "S" + s
	}
	return s
}

// uniqueLogicalNames maps each name to a logical stem; names whose stems
// collide (a-b and a_b) all get a short hash of their raw name, so that the
// result does not depend on which one was seen first.
func uniqueLogicalNames(names []string) map[string]string {
	byStem := map[string][]string{}
	for _, n := range names {
		stem := LogicalName(n)
		byStem[stem] = append(byStem[stem], n)
	}
	out := make(map[string]string, len(names))
	for stem, group := range byStem {
		for _, n := range group {
			if len(group) == 1 {
				out[n] = stem
			} else {
				out[n] = stem + shortHash(n)
			}
		}
	}
	return out
}

func shortHash(s string) string {
	h := fnv.New32a()
	h.Write([]byte(s))
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	v := h.Sum32()
	out := make([]byte, 0, 6)
	for i := 0; i < 6; i++ {
		out = append(out, digits[v%36])
		v /= 36
	}
	return string(out)
}

// ResourceName turns a compose name into something AWS accepts in names
// (letters, digits, hyphens): my_app.v2 -> my-app-v2.
func ResourceName(name string) string {
	s := strings.Trim(nonAlnum.ReplaceAllString(name, "-"), "-")
	if s == "" {
		return "x" + strings.ToLower(shortHash(name))
	}
	return s
}
