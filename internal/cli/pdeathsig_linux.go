package cli

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel send the command SIGKILL when latchkey
// dies, however it dies (SIGKILL, the OOM killer), so that it cannot
// outlive latchkey holding the workflow's secrets. SIGKILL rather than
// SIGTERM: a command that ignores TERM would survive. Go checks in the
// child that the parent did not die before the setting took effect.
//
// The signal follows the OS thread that started the command, not the
// process; the Go runtime never ends a thread that is not locked, so that
// thread lives as long as latchkey does.
func dieWithParent(c *exec.Cmd) error {
	if c.SysProcAttr == nil {
		c.SysProcAttr = &syscall.SysProcAttr{}
	}
	c.SysProcAttr.Pdeathsig = syscall.SIGKILL
	return nil
}
