//go:build unix

package safefile

import (
	"errors"
	"io/fs"
	"syscall"
)

func openFlags(o Options) int {
	f := syscall.O_NONBLOCK
	if o.NoFollow {
		f |= syscall.O_NOFOLLOW
	}
	return f
}

// checkLink does nothing: O_NOFOLLOW refuses the link atomically.
func checkLink(string, Options) error { return nil }

// openError turns the errors a non-blocking open gives for special files
// into ones that say what the path is.
func openError(path string, err error, o Options) error {
	switch {
	case o.NoFollow && errors.Is(err, syscall.ELOOP):
		return &Error{Path: path, Problem: "is a symbolic link, which this setting does not follow; give the real path", Err: ErrSymlink}
	case errors.Is(err, syscall.ENXIO):
		// O_WRONLY|O_NONBLOCK on a FIFO with no reader, or on a socket.
		return &Error{Path: path, Problem: "is a named pipe (FIFO) or a socket, not a regular file; give the path of a regular file", Err: ErrNotRegular}
	case errors.Is(err, syscall.EISDIR):
		return &Error{Path: path, Problem: "is a directory, not a regular file; give the path of a regular file", Err: ErrNotRegular}
	}
	return err
}

func exposed(fi fs.FileInfo) string {
	return exposedMode(fi.Mode().Perm())
}
