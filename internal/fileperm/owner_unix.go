//go:build unix

package fileperm

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkOwner refuses a file another uid owns: its owner could change its
// mode, or what it holds, at any time.
func checkOwner(fi fs.FileInfo) error {
	if s, ok := fi.Sys().(*syscall.Stat_t); ok && int(s.Uid) != os.Getuid() {
		return fmt.Errorf("owned by uid %d, not by the agent's uid %d", s.Uid, os.Getuid())
	}
	return nil
}
