// Package safefile opens the files the agent is told about by a setting
// (audit log, token and credential files, agent config, workflow, Wasm
// module) so that no file planted at such a path can block the agent or
// slip past it: a named pipe, device, socket or directory is refused with
// an error naming the path and what it is, before a single byte is read.
//
// Every open is non-blocking (O_NONBLOCK: opening a FIFO neither waits for
// a writer nor, for writing, for a reader), checked with fstat on the open
// descriptor (so a file swapped in between a check and the open cannot be
// what is used), and, with [Options.NoFollow], refuses a symbolic link as
// the last path element (O_NOFOLLOW). Reads are capped, so that a huge
// file cannot exhaust memory.
//
// [Exposed] is the one permission rule for files holding secrets.
//
// The functions are safe for concurrent use. On systems other than unix
// (Windows) the same checks are made with Stat after the open, there is no
// O_NONBLOCK or O_NOFOLLOW, and [Exposed] reads the file's ACL from the
// open handle (internal/fileperm) instead of mode bits.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/latchkey/latchkey/internal/fileperm"
)

// Errors the problems wrap, for errors.Is.
var (
	// ErrNotRegular: the path names a named pipe, device, socket,
	// directory or other non-regular file.
	ErrNotRegular = errors.New("not a regular file")
	// ErrSymlink: the path is a symbolic link where Options.NoFollow
	// forbids one.
	ErrSymlink = errors.New("a symbolic link")
	// ErrTooLarge: the file is larger than the read allows.
	ErrTooLarge = errors.New("file too large")
)

// Error is a path that cannot be used: what it is and what to do. Callers
// prefix it with the setting that named the path. It never holds the
// file's contents.
type Error struct {
	Path    string
	Problem string // "is a named pipe (FIFO), not a regular file; give the path of a regular file"
	Err     error  // ErrNotRegular, ErrSymlink or ErrTooLarge, or the system's error
}

func (e *Error) Error() string { return e.Path + " " + e.Problem }

// Unwrap returns the kind of problem.
func (e *Error) Unwrap() error { return e.Err }

// DefaultMaxSize is the read cap when Options.MaxSize is 0: far more than
// any token, key file or certificate bundle holds.
const DefaultMaxSize = 1 << 20

// Options say how a path may be opened. The zero value follows symbolic
// links (Kubernetes secret mounts are links) and reads at most
// DefaultMaxSize bytes.
type Options struct {
	// NoFollow refuses a symbolic link as the last element of the path,
	// for files whose documentation promises that.
	NoFollow bool
	// MaxSize caps what ReadFile reads; 0 means DefaultMaxSize.
	MaxSize int64
}

// Open opens path for reading and returns it with its fstat information.
// It never blocks on a special file: anything but a regular file is
// refused with an *Error wrapping ErrNotRegular. A missing file or a
// permission problem is the *fs.PathError of the open, so errors.Is with
// fs.ErrNotExist works.
func Open(path string, o Options) (*os.File, fs.FileInfo, error) {
	return open(path, os.O_RDONLY, 0, o)
}

// OpenAppend opens path for appending, creating it with perm if missing,
// and never follows a symbolic link or blocks: a FIFO with no reader, a
// socket or a directory is refused with an *Error, as is any file that
// turns out not to be regular once open.
func OpenAppend(path string, perm fs.FileMode) (*os.File, fs.FileInfo, error) {
	return open(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, perm, Options{NoFollow: true})
}

func open(path string, flag int, perm fs.FileMode, o Options) (*os.File, fs.FileInfo, error) {
	if path == "" {
		return nil, nil, &Error{Path: `""`, Problem: "is an empty path; give the path of a regular file", Err: fs.ErrInvalid}
	}
	if err := checkLink(path, o); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, flag|openFlags(o), perm)
	if err != nil {
		return nil, nil, openError(path, err, o)
	}
	fi, err := fileperm.File(f) // fstat, and on Windows the handle's ACL for Exposed
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, notRegular(path, fi.Mode())
	}
	return f, fi, nil
}

// ReadFile reads the regular file at path, at most the size Options
// allow, and returns its contents with its fstat information.
func ReadFile(path string, o Options) ([]byte, fs.FileInfo, error) {
	f, fi, err := Open(path, o)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	max := o.MaxSize
	if max <= 0 {
		max = DefaultMaxSize
	}
	if fi.Size() > max {
		return nil, nil, tooLarge(path, max)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(b)) > max { // it grew since the fstat
		return nil, nil, tooLarge(path, max)
	}
	return b, fi, nil
}

func tooLarge(path string, max int64) error {
	return &Error{Path: path, Problem: fmt.Sprintf("is larger than %s; is it the right file?", size(max)), Err: ErrTooLarge}
}

func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// notRegular names what the file is.
func notRegular(path string, m fs.FileMode) error {
	what := "not a regular file"
	switch {
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a block device"
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeSymlink != 0:
		what = "a symbolic link"
	}
	return &Error{Path: path, Problem: "is " + what + ", not a regular file; give the path of a regular file", Err: ErrNotRegular}
}

// Exposed is the one permission rule for a file that holds a secret (a
// token, a key, a credential): it returns why the file is open to more
// users than its owner and group, or "" when it is not. A file is exposed
// when every user of the machine may read it (o+r), or anyone but its
// owner may write it (g+w, o+w: they could put in a token or key of their
// own). Group read is allowed, so that a file can be shared with the
// agent's group (0640). The fix is always chmod 0600 (0640 for a group).
//
// On Windows the same rule is read from the file's ACL (internal/fileperm):
// read for a broad SID (Everyone, Authenticated Users, BUILTIN\Users,
// Anonymous, Guests …) or write for any SID but the owner, the agent's
// account, SYSTEM, Administrators and TrustedInstaller; fi must come from
// this package's Open or ReadFile.
func Exposed(fi fs.FileInfo) string {
	return exposed(fi)
}

func exposedMode(perm fs.FileMode) string {
	switch {
	case perm&0o004 != 0 && perm&0o022 != 0:
		return fmt.Sprintf("mode %#o: every user of the machine can read it and others than its owner can write it; chmod 0600 it (0640 to share it with the agent's group)", perm)
	case perm&0o004 != 0:
		return fmt.Sprintf("mode %#o: every user of the machine can read it; chmod 0600 it (0640 to share it with the agent's group)", perm)
	case perm&0o022 != 0:
		return fmt.Sprintf("mode %#o: others than its owner can write it, and so replace it with one of their own; chmod 0600 it (0640 to share it with the agent's group)", perm)
	}
	return ""
}

// exposedACL words Exposed's finding on Windows, where who (from
// fileperm.Who) names the SIDs and what the ACL lets them do, or says why
// the ACL could not be read (unread).
func exposedACL(who string, unread, read, write bool) string {
	const fix = "; remove that access (docs/windows.md gives the icacls line)"
	switch {
	case unread:
		return who + ", so nothing says who else can read or write it" + fix
	case read && write:
		return who + ": every user of the machine can read it and others than its owner can write it" + fix
	case read:
		return who + ": every user of the machine can read it" + fix
	case write:
		return who + ": others than its owner can write it, and so replace it with one of their own" + fix
	}
	return ""
}
