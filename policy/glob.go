package policy

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxPattern bounds a pattern's length; no store has names this long.
const maxPattern = 2048

// match reports whether name matches the glob pattern, in which '*'
// matches any run of characters and '?' exactly one. It runs in
// O(len(pattern)·len(name)) at worst: it never backtracks exponentially,
// and it does not allocate.
func match(pattern, name string) bool {
	pi, ni := 0, 0
	star, mark := -1, 0
	for ni < len(name) {
		if pi < len(pattern) {
			switch pc := pattern[pi]; {
			case pc == '*':
				star, mark = pi, ni
				pi++
				continue
			case pc == '?':
				_, n := utf8.DecodeRuneInString(name[ni:])
				pi++
				ni += n
				continue
			case pc < utf8.RuneSelf:
				if pc == name[ni] {
					pi++
					ni++
					continue
				}
			default:
				pr, pn := utf8.DecodeRuneInString(pattern[pi:])
				nr, nn := utf8.DecodeRuneInString(name[ni:])
				if pr == nr {
					pi += pn
					ni += nn
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		// Let the last star take one more character and try again.
		pi = star + 1
		_, n := utf8.DecodeRuneInString(name[mark:])
		mark += n
		ni = mark
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// covers reports whether every name that glob b matches is also matched by
// glob a. It is sound (true only when it is so) and exact for the common
// cases; a pattern it cannot prove covered is treated as not covered.
func covers(a, b string) bool {
	pa, pb := []rune(a), []rune(b)
	memo := map[[2]int]bool{}
	var f func(i, j int) bool
	f = func(i, j int) bool {
		k := [2]int{i, j}
		if v, ok := memo[k]; ok {
			return v
		}
		var r bool
		switch {
		case i == len(pa):
			r = j == len(pb)
		case pa[i] == '*':
			// The star takes none of b's next tokens, or one more.
			r = f(i+1, j) || (j < len(pb) && f(i, j+1))
		case j == len(pb):
			r = false
		case pa[i] == '?':
			r = pb[j] != '*' && f(i+1, j+1)
		default:
			r = pb[j] == pa[i] && f(i+1, j+1)
		}
		memo[k] = r
		return r
	}
	return f(0, 0)
}

// checkGlob reports why s cannot be a pattern, or nil.
func checkGlob(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("is empty")
	case len(s) > maxPattern:
		return fmt.Errorf("is %d bytes long (at most %d)", len(s), maxPattern)
	case !utf8.ValidString(s):
		return fmt.Errorf("is not valid UTF-8")
	case strings.Contains(s, "**"):
		return fmt.Errorf("holds \"**\": one '*' already matches any run of characters, '/' included")
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f || r == ' ' {
			return fmt.Errorf("holds a space or control character")
		}
	}
	return nil
}
