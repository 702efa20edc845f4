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
		d := Distance(lw, strings.ToLower(c))
		// Short words need a closer match: "ttl" is not a typo of "tls".
		if limit := min(2, max(1, len(c)/3)); d <= limit && d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// Distance is the optimal string alignment distance of a and b: the
// characters added, dropped, changed or two swapped (bytes, not runes) to
// turn one into the other. It takes a []byte as well, so that a caller
// scanning a secret value need not copy it into a string, and keeps its
// three rolling rows on the stack when b is short.
func Distance[T string | []byte](a T, b string) int {
	var buf [3][32]int
	var prev2, prev, cur []int
	if len(b) < len(buf[0]) {
		prev2, prev, cur = buf[0][:len(b)+1], buf[1][:len(b)+1], buf[2][:len(b)+1]
	} else {
		prev2, prev, cur = make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	}
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
