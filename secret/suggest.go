package secret

import (
	"fmt"

	"github.com/latchkey/latchkey/internal/units"
)

// Suggest returns the candidate closest to word — one or two typos away
// (a character added, dropped, changed, or two swapped), ignoring case —
// or "" when none is that close. Config loaders use it to answer an unknown
// key with "did you mean …?".
func Suggest(word string, candidates []string) string { return units.Suggest(word, candidates) }

// didYouMean returns ` (did you mean "x"?)`, or "" when nothing is close.
func didYouMean(word string, candidates []string) string {
	if s := Suggest(word, candidates); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}
