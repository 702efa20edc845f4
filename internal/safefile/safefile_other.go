//go:build !unix

package safefile

import (
	"errors"
	"io/fs"
	"os"

	"github.com/latchkey/latchkey/internal/fileperm"
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

// exposed applies the rule of Exposed to what internal/fileperm reads: on
// Windows the ACL, as group (named SIDs) and other (broad SIDs) bits.
func exposed(fi fs.FileInfo) string {
	read, write := fileperm.Loose(fi, 0o004), fileperm.Loose(fi, 0o022)
	if !read && !write {
		return ""
	}
	who := fileperm.Who(fi, 0o026)
	if who == "" { // not Windows: the mode is the access check
		return exposedMode(fi.Mode().Perm())
	}
	return exposedACL(who, fileperm.Unread(fi) != nil, read, write)
}
