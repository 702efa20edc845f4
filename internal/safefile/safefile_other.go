//go:build !unix

package safefile

import (
	"errors"
	"io/fs"
	"os"
)

// Without O_NONBLOCK and O_NOFOLLOW, Open relies on the Stat after the
// open alone; Windows has no FIFOs in the file system namespace that an
// open would wait on.
func openFlags(Options) int { return 0 }

// checkLink refuses a symbolic link before the open, since there is no
// O_NOFOLLOW (a link made between the two is not caught).
func checkLink(path string, o Options) error {
	if !o.NoFollow {
		return nil
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return &Error{Path: path, Problem: "is a symbolic link, which this setting does not follow; give the real path", Err: ErrSymlink}
	}
	return nil
}

func openError(path string, err error, o Options) error {
	if errors.Is(err, fs.ErrInvalid) {
		return &Error{Path: path, Problem: "is not a regular file; give the path of a regular file", Err: ErrNotRegular}
	}
	return err
}

// Mode bits do not describe a Windows ACL: nothing to report.
func exposed(fs.FileInfo) string { return "" }
