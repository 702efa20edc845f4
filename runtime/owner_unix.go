//go:build unix

package runtime

import (
	"fmt"
	"os"
	"syscall"
)

func checkOwner(st os.FileInfo) error {
	if s, ok := st.Sys().(*syscall.Stat_t); ok && int(s.Uid) != os.Getuid() {
		return fmt.Errorf("owned by uid %d, not by the agent's uid %d", s.Uid, os.Getuid())
	}
	return nil
}
