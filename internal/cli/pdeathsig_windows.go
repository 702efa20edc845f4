//go:build windows

package cli

import (
	"fmt"
	"os/exec"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// killJob is the job object latchkey puts itself in before it starts a
// command: the job kills every process in it when its last handle closes,
// and latchkey holds the only handle until it exits, however it exits.
// A command started afterwards is in the job from its first instruction
// (children inherit their parent's job), so there is no window between
// starting it and assigning it, and it cannot break away: the job does
// not allow breakaway.
var killJob = sync.OnceValue(func() error {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return fmt.Errorf("creating a job object: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return fmt.Errorf("setting the job object to kill on close: %w", err)
	}
	if err := windows.AssignProcessToJobObject(job, windows.CurrentProcess()); err != nil {
		windows.CloseHandle(job)
		return fmt.Errorf("joining the job object: %w", err)
	}
	return nil // job stays open until latchkey exits
})

// dieWithParent makes sure the command dies with latchkey: latchkey and
// everything it starts share a job object that kills them all once
// latchkey is gone. When that cannot be set up the command is not
// started.
func dieWithParent(*exec.Cmd) error {
	if err := killJob(); err != nil {
		return fmt.Errorf("the command would outlive latchkey: %w", err)
	}
	return nil
}
