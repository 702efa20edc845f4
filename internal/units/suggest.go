package units

import "strings"

// Suggest returns the candidate closest to word — one or two typos away
// (a character added, dropped, changed, or two swapped), ignoring case —
// or "" when none is that close. [Decode] and [UnknownKey] use it to
// answer an unknown key with "did you mean …?"; package secret exports it
// as secret.Suggest.
func Suggest(word string, candidates []string) string {
	best, bestDist := "", 3
	lw := strings.ToLower(word)
	for _, c := range candidates {
		d := distance(lw, strings.ToLower(c))
		// Short words need a closer match: "ttl" is not a typo of "tls".
		if limit := min(2, max(1, len(c)/3)); d <= limit && d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the optimal string alignment distance of a and b. Package
// secret keeps a generic copy for its near-miss scan over []byte values,
// which must not be copied into strings.
func distance(a, b string) int {
	prev2, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
