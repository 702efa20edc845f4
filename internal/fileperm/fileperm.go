// Package fileperm answers whether a file's mode lets users other than its
// owner at it, where the platform has such a mode: the checks latchkey
// makes of token, credential, cache and audit files.
//
// On Windows access is an ACL, which os.FileInfo does not carry (Go
// reports 0666 or 0444 from the read-only attribute alone), so Loose
// reports false there and the checks are not made: docs/windows.md says
// so and gives the icacls lines that do the same job.
package fileperm

import "os"

// Loose reports whether fi's permission bits grant any of mask (for
// example 0o077: anything to group or others; 0o002: write to others). It
// is false on Windows, where the bits do not say who may open the file.
func Loose(fi os.FileInfo, mask os.FileMode) bool {
	return checked && fi.Mode().Perm()&mask != 0
}
