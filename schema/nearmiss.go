package schema

import (
	"regexp"
	"slices"
	"strings"
)

// nearMissPattern is a regular expression matching every key one edit
// (a deletion, insertion, substitution or swap of neighbours) away from
// key, except key itself and the keys in known. The editor schema forbids
// such keys with "did you mean", as `composex validate` does; the CLI also
// catches two edits, which a pattern of reasonable size cannot.
//
// It uses no look-ahead (Go's regexp and many schema validators have
// none): each alternative has at most one free position, and a free
// position excludes the characters that would spell key or a known key.
func nearMissPattern(key string, known []string) string {
	const prefix = "x-"
	body := strings.TrimPrefix(key, prefix)
	others := slices.DeleteFunc(slices.Clone(known), func(k string) bool { return k == key })
	var alts []string
	add := func(before, after string, wildcard bool, except string) {
		if !wildcard {
			lit := prefix + before + after
			if lit != key && !slices.Contains(others, lit) {
				alts = append(alts, regexp.QuoteMeta(before+after))
			}
			return
		}
		// The characters a known key has at the free position, where the
		// rest of it matches.
		excl := except
		for _, k := range others {
			b, ok := strings.CutPrefix(k, prefix)
			if ok && len(b) == len(before)+1+len(after) && strings.HasPrefix(b, before) && strings.HasSuffix(b, after) {
				excl += string(b[len(before)])
			}
		}
		class := "."
		if excl != "" {
			class = "[^" + classEscape(excl) + "]"
		}
		alts = append(alts, regexp.QuoteMeta(before)+class+regexp.QuoteMeta(after))
	}
	for i := 0; i <= len(body); i++ {
		add(body[:i], body[i:], true, "") // insertion
		if i < len(body) {
			add(body[:i], body[i+1:], false, "")             // deletion
			add(body[:i], body[i+1:], true, string(body[i])) // substitution
			if i+1 < len(body) && body[i] != body[i+1] {     // swap
				add(body[:i]+string(body[i+1])+string(body[i]), body[i+2:], false, "")
			}
		}
	}
	slices.Sort(alts)
	alts = slices.Compact(alts)
	return "^" + regexp.QuoteMeta(prefix) + "(" + strings.Join(alts, "|") + ")$"
}

// classEscape escapes the characters that are special inside [...].
func classEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\]^-[`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
