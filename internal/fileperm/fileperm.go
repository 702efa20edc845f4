// Package fileperm answers whether users other than a file's owner may
// reach it: the checks latchkey makes of token, credential, cache and
// audit files.
//
// On Unix the answer is the mode's group and other bits. On Windows it is
// the file's DACL, read from the open handle (or by path for [Stat]) and
// evaluated by [Security.Grants]: access for a broad SID (Everyone,
// Authenticated Users, BUILTIN\Users, Anonymous, Guests …) counts as the
// "others" bits, access for any other SID that is not the owner, the
// agent's own account, SYSTEM, Administrators or TrustedInstaller as the
// "group" bits, so the masks callers check mean the same on both. For
// that the file information must come from [Stat] or [File] (or
// internal/safefile, which uses File): an os.FileInfo alone carries no
// ACL. docs/windows.md says what is still not checked.
//
// The functions are safe for concurrent use.
package fileperm

import (
	"io/fs"
	"os"
)

// Stat returns the file information of path (following a symbolic link)
// with, on Windows, its owner and DACL, for [Loose] and [Who].
func Stat(path string) (fs.FileInfo, error) { return stat(path) }

// File returns the information of the open file f (fstat) with, on
// Windows, the owner and DACL read from f's handle, so that a file
// swapped in after the open is not the one checked.
func File(f *os.File) (fs.FileInfo, error) { return file(f) }

// Loose reports whether users other than the file's owner hold any of
// mask: Unix permission bits such as 0o077 (anything to group or others)
// or 0o002 (write to others). On Windows those bits are what the ACL
// amounts to (see the package doc); information not from [Stat] or [File],
// or an ACL that could not be read, counts as loose, since nothing vouches
// for the file.
func Loose(fi fs.FileInfo, mask fs.FileMode) bool {
	return loose(fi, mask)
}

// Who says, on Windows, who holds the access of mask that made [Loose]
// true, as a phrase to follow "has": "an ACL by which Everyone (S-1-1-0)
// may read and write it", or "an ACL latchkey could not read (why)". On Unix it returns "": the mode says it all, and
// callers print the mode.
func Who(fi fs.FileInfo, mask fs.FileMode) string {
	return who(fi, mask)
}

// Unread returns, on Windows, why fi's ACL was not read (then [Loose] is
// true for every mask and [Who] says why); nil when it was, and on Unix.
func Unread(fi fs.FileInfo) error { return unread(fi) }

// CheckOwner returns an error when fi's owner is not latchkey's own
// account: on Unix when its uid is not the process's; on Windows when it
// is neither the account latchkey runs as nor SYSTEM, Administrators or
// TrustedInstaller (see [Security.OwnerTrusted]), and then fi must come
// from [Stat] or [File].
func CheckOwner(fi fs.FileInfo) error { return checkOwner(fi) }

// MkdirPrivate creates dir and any missing parents as os.MkdirAll(dir,
// 0o700) does on Unix; on Windows, where a mode does not apply, each
// directory it creates gets a protected DACL (nothing inherited) giving
// full control to latchkey's account, SYSTEM and Administrators only,
// inherited by what is created inside: without it a new directory
// inherits its parent's ACL, under C:\ one that lets every user modify
// it. Existing directories keep their ACL (and are checked by [Loose]).
func MkdirPrivate(dir string) error { return mkdirPrivate(dir) }

// privateSDDL is the descriptor MkdirPrivate gives a directory on
// Windows: protected, full control for the agent's SIDs, SYSTEM and
// Administrators, inherited by files and subdirectories.
func privateSDDL(agents []string) string {
	s := "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
	for _, a := range agents {
		if a != "" && !Broad(a) && a != SIDSystem && a != SIDAdministrators {
			s += "(A;OICI;FA;;;" + a + ")"
		}
	}
	return s
}
