// Package lazy defers work that package initialisation would otherwise do
// for every run of the binary, whether or not the run needs it.
package lazy

import (
	"regexp"
	"sync"
)

// Regexp returns a function that compiles expr on its first call and
// returns the same *regexp.Regexp on every call. It panics, as
// [regexp.MustCompile] does, if expr does not compile; tests that call the
// function catch a bad expression. The function is safe for concurrent use.
//
// Bounded repetitions such as `{1,255}` compile to hundreds of instructions:
// compiled at init, a provider's patterns cost every CLI run, including one
// that uses no store of that type.
func Regexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
