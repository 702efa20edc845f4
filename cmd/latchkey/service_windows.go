//go:build windows

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"

	"github.com/latchkey/latchkey/internal/cli"
)

// serviceName is the name the service is installed under (docs/windows.md
// gives the sc.exe lines).
const serviceName = "latchkey"

// runService runs latchkey under the Windows service manager when it was
// started by it, and reports false otherwise. The command line is the
// service's (sc.exe create … binPath= "latchkey.exe serve --config …").
// Stop and shutdown cancel the command, as SIGTERM does; paramchange
// (sc.exe control latchkey paramchange) reloads the config, as SIGHUP
// does. Output goes to %ProgramData%\latchkey\latchkey.log, in a directory
// only SYSTEM and Administrators may open.
func runService(args []string) (int, bool) {
	isSvc, err := svc.IsWindowsService()
	if err != nil || !isSvc {
		return 0, false
	}
	h := &handler{args: args}
	if err := svc.Run(serviceName, h); err != nil {
		return cli.ExitInternal, true
	}
	return h.code, true
}

type handler struct {
	args []string
	code int
}

// Execute implements svc.Handler.
func (h *handler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	logf, err := openServiceLog()
	if err != nil {
		h.code = cli.ExitInternal
		return true, 1
	}
	defer logf.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reloads := make(chan struct{}, 1)
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(cli.WithReloads(ctx, reloads), h.args, cli.IO{In: strings.NewReader(""), Out: logf, Err: logf})
	}()
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown | svc.AcceptParamChange}
	for {
		select {
		case h.code = <-done:
			status <- svc.Status{State: svc.StopPending}
			if h.code != 0 {
				return true, uint32(h.code)
			}
			return false, 0
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending}
				cancel()
			case svc.ParamChange:
				select {
				case reloads <- struct{}{}:
				default:
				}
			}
		}
	}
}

// openServiceLog opens the service's log file for appending, creating its
// directory with a protected ACL (SYSTEM and Administrators only) when it
// does not exist.
func openServiceLog() (*os.File, error) {
	base := os.Getenv("ProgramData")
	if base == "" {
		base = `C:\ProgramData`
	}
	dir := filepath.Join(base, "latchkey")
	if _, err := os.Stat(dir); err != nil {
		sd, err := windows.SecurityDescriptorFromString("D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)")
		if err != nil {
			return nil, fmt.Errorf("service log directory %s: %w", dir, err)
		}
		sa := &windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), SecurityDescriptor: sd}
		p, err := windows.UTF16PtrFromString(dir)
		if err != nil {
			return nil, err
		}
		if err := windows.CreateDirectory(p, sa); err != nil && err != windows.ERROR_ALREADY_EXISTS {
			return nil, fmt.Errorf("service log directory %s: %w", dir, err)
		}
	}
	return os.OpenFile(filepath.Join(dir, "latchkey.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
}
