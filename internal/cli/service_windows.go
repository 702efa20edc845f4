//go:build windows

package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"github.com/spf13/cobra"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/latchkey/latchkey/internal/fileperm"
)

// recovery is what the service manager does when the service fails (it
// stops without reporting SERVICE_STOPPED, or with a non-zero exit code):
// restart it after these delays, the last repeating; the failure count
// resets after a day without one.
var recovery = struct {
	delays []time.Duration
	reset  time.Duration
}{[]time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute}, 24 * time.Hour}

// programData is %ProgramData%, where the config and the service's log
// live by default.
func programData() string {
	if d := os.Getenv("ProgramData"); d != "" {
		return d
	}
	return `C:\ProgramData`
}

func serviceInstall(cmd *cobra.Command, name, account, start, config string) error {
	config, exe, err := installPaths(config)
	if err != nil {
		return err
	}
	spec, err := newServiceSpec(name, account, start, exe, config)
	if err != nil {
		return fail(ExitUsage, err)
	}
	bin, err := binPath(spec.Exe, spec.Args)
	if err != nil {
		return fail(ExitUsage, err)
	}
	// The program runs as the service: whoever can replace it (write it,
	// or own it and so rewrite its ACL) can run code as the service.
	if why := replaceable(exe); why != "" {
		return fail(ExitConfig, fmt.Errorf("%s %s: whoever can replace it would run as the service; install it where only administrators can write, such as C:\\Program Files\\latchkey", exe, why))
	}
	errOut := cmd.ErrOrStderr()
	if _, err := os.Stat(config); err != nil {
		fmt.Fprintf(errOut, "latchkey: warning: --config %s: %v; the service will not start until it exists\n", config, err)
	}
	m, err := mgr.Connect()
	if err != nil {
		return fail(ExitConfig, fmt.Errorf("connecting to the service manager: %w (run as an administrator)", err))
	}
	defer m.Disconnect()
	if s, err := m.OpenService(name); err == nil {
		s.Close()
		return fail(ExitConfig, fmt.Errorf("service %q exists already: remove it first (latchkey service uninstall --name %s), or choose another --name", name, name))
	}
	s, err := createService(m, name, spec, bin)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := configureService(s, spec, errOut); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "installed service %s\n  command: %s\n  account: %s\n  start:   %s\n", name, bin, accountLabel(spec.Account), start)
	if err := prepareDataDir(spec.Account, out); err != nil {
		fmt.Fprintf(errOut, "latchkey: warning: %v\n", err)
	}
	fmt.Fprintf(out, "start it with: latchkey service start --name %s\n", name)
	return nil
}

// installPaths returns the absolute paths of the agent config (default
// %ProgramData%\latchkey\agent.yaml) and of this program, which the
// service runs.
func installPaths(config string) (absConfig, exe string, err error) {
	if config == "" {
		config = filepath.Join(programData(), "latchkey", "agent.yaml")
	}
	config, err = filepath.Abs(config)
	if err != nil {
		return "", "", fail(ExitUsage, fmt.Errorf("--config: %w", err))
	}
	exe, err = os.Executable()
	if err == nil {
		exe, err = filepath.Abs(exe)
	}
	if err != nil {
		return "", "", fail(ExitConfig, fmt.Errorf("finding latchkey.exe: %w", err))
	}
	return config, exe, nil
}

// createService registers the service name with the service manager m,
// running the command line bin as spec says (account, start type). The
// caller closes it.
func createService(m *mgr.Mgr, name string, spec serviceSpec, bin string) (*mgr.Service, error) {
	startType := uint32(windows.SERVICE_DEMAND_START)
	if spec.AutoStart {
		startType = windows.SERVICE_AUTO_START
	}
	var acct *uint16
	if spec.Account != "" {
		acct = windows.StringToUTF16Ptr(spec.Account)
	}
	h, err := windows.CreateService(m.Handle, windows.StringToUTF16Ptr(name), windows.StringToUTF16Ptr(spec.DisplayName),
		windows.SERVICE_ALL_ACCESS, windows.SERVICE_WIN32_OWN_PROCESS, startType, windows.SERVICE_ERROR_NORMAL,
		windows.StringToUTF16Ptr(bin), nil, nil, nil, acct, nil)
	if err != nil {
		return nil, fail(ExitConfig, fmt.Errorf("creating service %q: %w", name, err))
	}
	return &mgr.Service{Name: name, Handle: h}, nil
}

// configureService gives the service just created its description, its
// own SID, its recovery actions and its event log source (an existing
// source is kept, with a note on errOut). When a step fails it deletes
// the service again.
func configureService(s *mgr.Service, spec serviceSpec, errOut io.Writer) error {
	name, h := s.Name, s.Handle
	undo := func(what string, err error) error {
		_ = s.Delete()
		return fail(ExitConfig, fmt.Errorf("service %q: %s: %w; the service was removed again", name, what, err))
	}
	desc := windows.SERVICE_DESCRIPTION{Description: windows.StringToUTF16Ptr(spec.Description)}
	if err := windows.ChangeServiceConfig2(h, windows.SERVICE_CONFIG_DESCRIPTION, (*byte)(unsafe.Pointer(&desc))); err != nil {
		return undo("setting its description", err)
	}
	// Its own SID (NT SERVICE\NAME) in its token, so that ACLs and the
	// pipe's callers: can name the service whatever account it runs as.
	sidType := uint32(windows.SERVICE_SID_TYPE_UNRESTRICTED)
	if err := windows.ChangeServiceConfig2(h, windows.SERVICE_CONFIG_SERVICE_SID_INFO, (*byte)(unsafe.Pointer(&sidType))); err != nil {
		return undo("setting its SID type", err)
	}
	actions := make([]mgr.RecoveryAction, len(recovery.delays))
	for i, d := range recovery.delays {
		actions[i] = mgr.RecoveryAction{Type: mgr.ServiceRestart, Delay: d}
	}
	if err := s.SetRecoveryActions(actions, uint32(recovery.reset/time.Second)); err != nil {
		return undo("setting its recovery actions", err)
	}
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return undo("restarting it when it exits with an error", err)
	}
	if err := eventlog.InstallAsEventCreate(name, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil {
		if !strings.Contains(err.Error(), "already exists") {
			return undo("registering its event log source", err)
		}
		fmt.Fprintf(errOut, "latchkey: event log source %q exists already; kept\n", name)
	}
	return nil
}

// replaceable says why others than administrators could replace the
// program at exe, or "".
func replaceable(exe string) string {
	fi, err := fileperm.Stat(exe)
	if err != nil {
		return fmt.Sprintf("could not be checked (%v)", err)
	}
	if fileperm.Loose(fi, 0o022) {
		return "has " + fileperm.Who(fi, 0o022)
	}
	if err := fileperm.CheckOwner(fi); err != nil {
		return "is " + err.Error()
	}
	return ""
}

func accountLabel(a string) string {
	if a == "" {
		return "LocalSystem"
	}
	return a
}

// prepareDataDir creates %ProgramData%\latchkey, when it does not exist,
// with a protected ACL that lets the service's account write its log
// there. An existing directory keeps its ACL.
func prepareDataDir(account string, out io.Writer) error {
	dir := filepath.Join(programData(), "latchkey")
	if _, err := os.Stat(dir); err == nil {
		fmt.Fprintf(out, "  %s exists: its ACL is kept (the account must be able to write latchkey.log there)\n", dir)
		if fi, err := fileperm.Stat(dir); err == nil && fileperm.Loose(fi, 0o077) {
			// What is created inside inherits this ACL: token files
			// there would draw warnings, the caches be refused.
			return fmt.Errorf("%s has %s, which the files in it inherit; to keep it to SYSTEM, Administrators and the service:\n  %s",
				dir, fileperm.Who(fi, 0o077), icaclsLine(dir, accountLabel(account)))
		}
		return nil
	}
	sid := ""
	if account != "" {
		s, _, _, err := windows.LookupSID("", account)
		if err != nil {
			return fmt.Errorf("looking up %s to create %s: %w; create it yourself (docs/windows.md)", account, dir, err)
		}
		sid = s.String()
	}
	sd, err := windows.SecurityDescriptorFromString(dataDirSDDL(sid))
	if err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	sa := &windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), SecurityDescriptor: sd}
	if err := windows.CreateDirectory(windows.StringToUTF16Ptr(dir), sa); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	fmt.Fprintf(out, "  created %s (SYSTEM, Administrators and %s only)\n", dir, accountLabel(account))
	return nil
}

// openService connects to the service manager and opens name.
func openService(name string) (*mgr.Mgr, *mgr.Service, error) {
	if err := checkServiceName(name); err != nil {
		return nil, nil, fail(ExitUsage, err)
	}
	m, err := mgr.Connect()
	if err != nil {
		return nil, nil, fail(ExitConfig, fmt.Errorf("connecting to the service manager: %w (run as an administrator)", err))
	}
	s, err := m.OpenService(name)
	if err != nil {
		m.Disconnect()
		if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
			return nil, nil, fail(ExitConfig, fmt.Errorf("no service %q is installed", name))
		}
		return nil, nil, fail(ExitConfig, fmt.Errorf("opening service %q: %w", name, err))
	}
	return m, s, nil
}

// stopTimeout bounds how long stop and uninstall wait for the service to
// stop: longer than any sensible serve.grace_period.
const stopTimeout = 2 * time.Minute

// waitFor polls s until it reaches want or stops, or timeout passes.
func waitFor(s *mgr.Service, want svc.State, timeout time.Duration) (svc.Status, error) {
	deadline := time.Now().Add(timeout)
	for {
		st, err := s.Query()
		if err != nil {
			return st, err
		}
		if st.State == want || st.State == svc.Stopped || time.Now().After(deadline) {
			return st, nil
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func stopService(s *mgr.Service) error {
	st, err := s.Query()
	if err != nil {
		return fmt.Errorf("querying service %q: %w", s.Name, err)
	}
	if st.State == svc.Stopped {
		return nil
	}
	if _, err := s.Control(svc.Stop); err != nil && !errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) {
		return fmt.Errorf("stopping service %q: %w", s.Name, err)
	}
	if st, err = waitFor(s, svc.Stopped, stopTimeout); err != nil {
		return fmt.Errorf("stopping service %q: %w", s.Name, err)
	}
	if st.State != svc.Stopped {
		return fmt.Errorf("service %q has not stopped after %v", s.Name, stopTimeout)
	}
	return nil
}

func serviceUninstall(cmd *cobra.Command, name string) error {
	m, s, err := openService(name)
	if err != nil {
		return err
	}
	defer m.Disconnect()
	defer s.Close()
	if err := stopService(s); err != nil {
		return fail(ExitConfig, err)
	}
	if err := s.Delete(); err != nil {
		return fail(ExitConfig, fmt.Errorf("removing service %q: %w", name, err))
	}
	if err := eventlog.Remove(name); err != nil && !errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
		fmt.Fprintf(cmd.ErrOrStderr(), "latchkey: warning: removing event log source %q: %v\n", name, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "removed service %s (its config and %s are kept)\n", name, filepath.Join(programData(), "latchkey"))
	return nil
}

func serviceStart(cmd *cobra.Command, name string) error {
	m, s, err := openService(name)
	if err != nil {
		return err
	}
	defer m.Disconnect()
	defer s.Close()
	if err := s.Start(); err != nil {
		return fail(ExitConfig, fmt.Errorf("starting service %q: %w", name, err))
	}
	st, err := waitFor(s, svc.Running, 30*time.Second)
	switch {
	case err != nil:
		return fail(ExitConfig, fmt.Errorf("starting service %q: %w", name, err))
	case st.State == svc.Stopped:
		return fail(ExitConfig, fmt.Errorf("service %q stopped at once (exit code %d): see the Application event log (source %s) and %s", name, st.ServiceSpecificExitCode, name, filepath.Join(programData(), "latchkey", "latchkey.log")))
	case st.State != svc.Running:
		return fail(ExitConfig, fmt.Errorf("service %q is not running yet after 30s", name))
	}
	fmt.Fprintf(cmd.OutOrStdout(), "started service %s\n", name)
	return nil
}

func serviceStop(cmd *cobra.Command, name string) error {
	m, s, err := openService(name)
	if err != nil {
		return err
	}
	defer m.Disconnect()
	defer s.Close()
	if err := stopService(s); err != nil {
		return fail(ExitConfig, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "stopped service %s\n", name)
	return nil
}
