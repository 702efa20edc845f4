// Package mlog stands in for monis.app/mlog, which the Go module proxy does
// not serve: the driver's pkg/secrets-store calls only mlog.Fatal, from a
// code path (its CSI server) that these tests never run.
package mlog

import (
	"fmt"
	"os"
)

// Fatal prints args and exits, as the real mlog.Fatal does.
func Fatal(err error, args ...any) {
	fmt.Fprintln(os.Stderr, append([]any{err}, args...)...)
	os.Exit(1)
}
