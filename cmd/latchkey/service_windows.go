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
	"golang.org/x/sys/windows/svc/eventlog"

	"github.com/latchkey/latchkey/internal/cli"
	"github.com/latchkey/latchkey/internal/winevent"
)

// defaultServiceName is the name the service is installed under when its
// command line does not start with cli.ServiceNameArg.
const defaultServiceName = "latchkey"

// runService runs latchkey under the Windows service manager when it was
// started by it, and reports false otherwise. The command line is the
// service's (latchkey service install, or sc.exe create … binPath=
// "latchkey.exe serve --config …"); a leading --service-name=NAME, which
// install adds for a name other than latchkey, is taken off and names the
// event log source. Stop and shutdown cancel the command, as SIGTERM does;
// paramchange (sc.exe control latchkey paramchange) reloads the config, as
// SIGHUP does. Output goes to %ProgramData%\latchkey\latchkey.log, in a
// directory only SYSTEM and Administrators may open unless install
// created it for the service's account; warnings and errors also go to
// the Application event log.
func runService(args []string) (int, bool) {
	isSvc, err := svc.IsWindowsService()
	if err != nil || !isSvc {
		return 0, false
	}
	name := defaultServiceName
	if len(args) > 0 && strings.HasPrefix(args[0], cli.ServiceNameArg) {
		name, args = strings.TrimPrefix(args[0], cli.ServiceNameArg), args[1:]
	}
	h := &handler{name: name, args: args}
	if err := svc.Run(name, h); err != nil {
		return cli.ExitInternal, true
	}
	return h.code, true
}

type handler struct {
	name string
	args []string
	code int
}

// Execute implements svc.Handler.
func (h *handler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	// The event log source is registered by latchkey service install;
	// without it Windows still records the events, with a note that the
	// source is unknown.
	elog, elogErr := eventlog.Open(h.name)
	if elogErr == nil {
		defer elog.Close()
	}
	logf, err := openServiceLog()
	if err != nil {
		if elogErr == nil {
			_ = elog.Error(winevent.ErrorID, fmt.Sprintf("latchkey service %s cannot open its log file: %v", h.name, err))
		}
		h.code = cli.ExitInternal
		return true, 1
	}
	defer logf.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if elogErr == nil {
		ctx = cli.WithLogHandler(ctx, winevent.NewHandler(elog))
	} else {
		fmt.Fprintf(logf, "latchkey: the event log source %s cannot be opened (%v): warnings and errors go to this file only\n", h.name, elogErr)
	}
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
