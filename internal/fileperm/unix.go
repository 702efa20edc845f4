//go:build !windows

package fileperm

import (
	"io/fs"
	"os"
)

func stat(path string) (fs.FileInfo, error) { return os.Stat(path) }

func file(f *os.File) (fs.FileInfo, error) { return f.Stat() }

// loose reads the mode: its group and other bits are the access check.
func loose(fi fs.FileInfo, mask fs.FileMode) bool { return fi.Mode().Perm()&mask != 0 }

func who(fs.FileInfo, fs.FileMode) string { return "" }
func unread(fs.FileInfo) error            { return nil }

func mkdirPrivate(dir string) error { return os.MkdirAll(dir, 0o700) }
