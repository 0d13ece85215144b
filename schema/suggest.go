package schema

import "strings"

// suggest returns the allowed key closest to a misspelled one, or "" when
// none is close enough to be a likely typo.
func suggest(key string, allowed []string) string {
	best, bestDist, bestPrefix := "", -1, 0
	lk := strings.ToLower(key)
	for _, a := range allowed {
		la := strings.ToLower(a)
		d, p := distance(lk, la), commonPrefix(lk, la)
		if bestDist < 0 || d < bestDist || (d == bestDist && p > bestPrefix) {
			best, bestDist, bestPrefix = a, d, p
		}
	}
	if bestDist < 0 {
		return ""
	}
	limit := len(key) / 3
	if limit < 2 {
		limit = 2
	}
	if bestDist > limit {
		return ""
	}
	return best
}

// distance is the Levenshtein edit distance between a and b (in runes).
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
