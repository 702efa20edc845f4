package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The Windows service `latchkey service install` creates: the pure parts
// (names, accounts, the command line the service manager runs) are here
// and tested on every system; service_windows.go talks to the service
// manager.

// defaultServiceName is the service's name unless --name says otherwise.
const defaultServiceName = "latchkey"

// ServiceNameArg is the argument the service's command line starts with
// when it was installed under a name other than the default: the service
// handler (cmd/latchkey) takes it off before running the rest, and uses
// the name for the event log source.
const ServiceNameArg = "--service-name="

// serviceSpec is what install creates.
type serviceSpec struct {
	Name        string
	DisplayName string
	Description string
	Exe         string   // absolute path of latchkey.exe
	Args        []string // the command line after the program
	Account     string   // ServiceStartName: "" is LocalSystem
	AutoStart   bool     // start with the system (else on demand)
}

// newServiceSpec checks the flags of install and builds the spec. exe and
// config are absolute Windows paths.
func newServiceSpec(name, account, start, exe, config string) (serviceSpec, error) {
	if err := checkServiceName(name); err != nil {
		return serviceSpec{}, err
	}
	s := serviceSpec{
		Name:        name,
		DisplayName: "Latchkey secret agent",
		Description: "Resolves the secrets of data-integration workflows for local callers (latchkey serve). Config: " + config,
		Exe:         exe,
	}
	if name != defaultServiceName {
		s.DisplayName += " (" + name + ")"
		s.Args = append(s.Args, ServiceNameArg+name)
	}
	s.Args = append(s.Args, "serve", "--config", config)
	switch start {
	case "auto":
		s.AutoStart = true
	case "manual":
	default:
		return serviceSpec{}, fmt.Errorf("--start %q: use auto (with the system) or manual", start)
	}
	acct, err := serviceAccount(account, name)
	if err != nil {
		return serviceSpec{}, err
	}
	s.Account = acct
	return s, nil
}

// checkServiceName refuses what the service manager refuses (a slash or
// backslash, more than 256 characters) and what would make a confusing
// event source or command line.
func checkServiceName(name string) error {
	switch {
	case name == "":
		return errors.New("--name is empty: give the service's name (default latchkey)")
	case len(name) > 80:
		return fmt.Errorf("--name %q: at most 80 characters", name)
	case strings.ContainsAny(name, `/\"`) || strings.IndexFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		return fmt.Errorf("--name %q: use letters, digits, '-', '_' or '.' (no spaces, slashes or quotes)", name)
	}
	return nil
}

// serviceAccount maps --account to the service manager's ServiceStartName.
// Only accounts that need no password are accepted: install takes no
// password (it would sit in shell history); for a user account, install
// as another account and set it with services.msc or
// `sc.exe config NAME obj= ACCOUNT password= …`.
func serviceAccount(account, name string) (string, error) {
	switch strings.ToLower(account) {
	case "", "virtual":
		return `NT SERVICE\` + name, nil
	case "localsystem", `nt authority\system`:
		return "", nil // LocalSystem
	case "localservice", `nt authority\localservice`, `nt authority\local service`:
		return `NT AUTHORITY\LocalService`, nil
	case "networkservice", `nt authority\networkservice`, `nt authority\network service`:
		return `NT AUTHORITY\NetworkService`, nil
	}
	if d, n, ok := strings.Cut(account, `\`); ok && strings.EqualFold(d, "NT SERVICE") && n != "" {
		return account, nil // a virtual account
	}
	if strings.HasSuffix(account, "$") && len(account) > 1 {
		return account, nil // a (group) managed service account
	}
	return "", fmt.Errorf("--account %q needs a password, which install does not take: use virtual (NT SERVICE\\%s, the default), LocalService, NetworkService, LocalSystem or a managed service account (DOMAIN\\name$), or set the account afterwards with services.msc", account, name)
}

// binPath is the command line the service manager runs: the program
// always quoted (an unquoted path with a space lets whoever can write
// C:\Program.exe run as the service), then each argument quoted as
// CommandLineToArgvW and the Go runtime parse it back. A program path
// with a double quote cannot be a Windows path and is refused.
func binPath(exe string, args []string) (string, error) {
	if exe == "" || strings.ContainsAny(exe, "\"\x00") {
		return "", fmt.Errorf("program path %q cannot be quoted on a Windows command line", exe)
	}
	var b strings.Builder
	b.WriteString(`"` + exe + `"`)
	for _, a := range args {
		if strings.ContainsRune(a, 0) {
			return "", fmt.Errorf("argument %q contains a NUL character", a)
		}
		b.WriteByte(' ')
		b.WriteString(quoteArg(a))
	}
	return b.String(), nil
}

// quoteArg quotes one argument for CommandLineToArgvW: an argument with no
// space, tab, newline or quote is written as it is; otherwise it is put
// in quotes, each quote escaped with a backslash, and the backslashes
// that precede a quote (or the closing quote) doubled.
func quoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\v\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(c)
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}

// dataDirSDDL is the security descriptor install gives
// %ProgramData%\latchkey when it creates it: protected (nothing inherited
// from ProgramData, whose default lets every user read), full control for
// SYSTEM and Administrators, modify for the service's account (accountSID,
// "" for LocalSystem, which SYSTEM covers), all inherited by what is
// created inside.
func dataDirSDDL(accountSID string) string {
	s := "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
	if accountSID != "" && accountSID != "S-1-5-18" {
		s += "(A;OICI;0x1301bf;;;" + accountSID + ")" // FILE_GENERIC_READ|WRITE|EXECUTE|DELETE
	}
	return s
}

// icaclsLine is the command that gives dir the ACL install would have.
func icaclsLine(dir, account string) string {
	line := fmt.Sprintf(`icacls "%s" /inheritance:r /grant:r "SYSTEM:(OI)(CI)F" "Administrators:(OI)(CI)F"`, dir)
	if account != "LocalSystem" {
		line += fmt.Sprintf(` "%s:(OI)(CI)M"`, account)
	}
	return line + " /T"
}

func (a *app) serviceCmd(globals *pflag.FlagSet) *cobra.Command {
	var name, account, start string
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Install, remove, start or stop latchkey serve as a Windows service (Windows only)",
		Long: `Manage latchkey serve as a Windows service (run as an administrator).

install creates the service: its command line is the quoted path of this
latchkey.exe, then serve --config PATH (default
%ProgramData%\latchkey\agent.yaml); it starts with the system (--start
auto, the default) or on demand (manual), runs as --account (default the
virtual account NT SERVICE\NAME; also LocalService, NetworkService,
LocalSystem or a managed service account DOMAIN\name$), is restarted by the
service manager when it fails, and logs warnings and errors to the
Application event log under source NAME as well as to
%ProgramData%\latchkey\latchkey.log. uninstall stops it and removes it and
its event source. See docs/windows.md.

On other systems the command exits 2: use the systemd unit
(examples/systemd/latchkey.service).

Exit codes: 0 done, 2 usage error or not Windows, 3 the service cannot be
installed, removed, started or stopped as asked (not an administrator, it
exists already or does not exist, this program is writable by others).`,
		Example: `  latchkey service install --config C:\ProgramData\latchkey\agent.yaml
  latchkey service install --name latchkey-etl --account LocalService --start manual
  latchkey service start
  latchkey service uninstall`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	install := &cobra.Command{
		Use:   "install",
		Short: "Create the service (Windows only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serviceInstall(cmd, name, account, start, a.configPath)
		},
	}
	install.Flags().StringVar(&account, "account", "virtual", `account the service runs as: virtual (NT SERVICE\NAME), LocalService, NetworkService, LocalSystem, NT SERVICE\X or DOMAIN\gmsa$`)
	install.Flags().StringVar(&start, "start", "auto", "auto: start with the system; manual: on demand")
	_ = install.RegisterFlagCompletionFunc("start", completeValues("auto", "manual"))
	_ = install.RegisterFlagCompletionFunc("account", completeValues("virtual", "LocalService", "NetworkService", "LocalSystem"))
	verbs := []struct {
		use, short string
		run        func(cmd *cobra.Command, name string) error
	}{
		{"uninstall", "Stop and remove the service and its event log source (Windows only)", serviceUninstall},
		{"start", "Start the service (Windows only)", serviceStart},
		{"stop", "Stop the service: requests in flight finish within serve.grace_period (Windows only)", serviceStop},
	}
	cmd.AddCommand(install)
	for _, v := range verbs {
		cmd.AddCommand(&cobra.Command{
			Use: v.use, Short: v.short, Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return v.run(cmd, name) },
		})
	}
	cmd.PersistentFlags().StringVar(&name, "name", defaultServiceName, "the service's name (and event log source)")
	hideGlobals(cmd, globals, "config")
	return cmd
}
