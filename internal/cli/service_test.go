package cli

import (
	"bytes"
	"context"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// commandLineToArgv splits a command line as Windows' CommandLineToArgvW
// does (the documented rules, which the Go runtime's os.Args follows on
// Windows): the program name runs to the next quote if it starts with
// one, else to the first space or tab; then 2n backslashes and a quote
// are n backslashes and a quote that opens or closes quoting, 2n+1
// backslashes and a quote are n backslashes and a literal quote, other
// backslashes are literal, and "" inside quotes is a literal quote.
func commandLineToArgv(cmd string) []string {
	var args []string
	// The program name.
	if strings.HasPrefix(cmd, `"`) {
		end := strings.IndexByte(cmd[1:], '"')
		if end < 0 {
			return []string{cmd[1:]}
		}
		args = append(args, cmd[1:1+end])
		cmd = cmd[2+end:]
	} else {
		end := strings.IndexAny(cmd, " \t")
		if end < 0 {
			return []string{cmd}
		}
		args = append(args, cmd[:end])
		cmd = cmd[end:]
	}
	for {
		cmd = strings.TrimLeft(cmd, " \t")
		if cmd == "" {
			return args
		}
		var b strings.Builder
		inQuote := false
		i := 0
	arg:
		for i < len(cmd) {
			switch c := cmd[i]; {
			case c == '\\':
				n := 0
				for i < len(cmd) && cmd[i] == '\\' {
					n++
					i++
				}
				if i < len(cmd) && cmd[i] == '"' {
					b.WriteString(strings.Repeat(`\`, n/2))
					if n%2 == 1 {
						b.WriteByte('"')
						i++
					}
					continue
				}
				b.WriteString(strings.Repeat(`\`, n))
			case c == '"':
				i++
				if inQuote && i < len(cmd) && cmd[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				inQuote = !inQuote
			case (c == ' ' || c == '\t') && !inQuote:
				break arg
			default:
				b.WriteByte(c)
				i++
			}
		}
		args = append(args, b.String())
		cmd = cmd[i:]
	}
}

func TestBinPathRoundTrips(t *testing.T) {
	tests := []struct {
		name string
		exe  string
		args []string
		want string // the exact line, when it matters
	}{
		{name: "the default install", exe: `C:\Program Files\latchkey\latchkey.exe`,
			args: []string{"serve", "--config", `C:\ProgramData\latchkey\agent.yaml`},
			want: `"C:\Program Files\latchkey\latchkey.exe" serve --config C:\ProgramData\latchkey\agent.yaml`},
		{name: "no space in the program is still quoted", exe: `C:\latchkey\latchkey.exe`, args: []string{"serve"},
			want: `"C:\latchkey\latchkey.exe" serve`},
		{name: "config with spaces", exe: `C:\Program Files\latchkey\latchkey.exe`,
			args: []string{"serve", "--config", `C:\Program Data\my config\agent.yaml`},
			want: `"C:\Program Files\latchkey\latchkey.exe" serve --config "C:\Program Data\my config\agent.yaml"`},
		{name: "trailing backslash inside quotes", exe: `C:\a b\latchkey.exe`, args: []string{`C:\dir with space\`},
			want: `"C:\a b\latchkey.exe" "C:\dir with space\\"`},
		{name: "quotes in an argument", exe: `C:\x\latchkey.exe`, args: []string{`say "hi"`, `a"b`, `"`}},
		{name: "backslashes before quotes", exe: `C:\x\latchkey.exe`, args: []string{`a\"b`, `a\\"b`, `\\"`, `x\\\" y`}},
		{name: "an attempt to end the argument and add another", exe: `C:\x\latchkey.exe`,
			args: []string{"--config", `C:\a.yaml" --set "stores.x.type=wasm`}},
		{name: "empty and whitespace arguments", exe: `C:\x\latchkey.exe`, args: []string{"", " ", "\t", "a\tb", "a\nb", "\v"}},
		{name: "UNC and unicode", exe: `\\server\share\läs ñ\latchkey.exe`, args: []string{`\\server\share\dir\`, "日本 語"}},
		{name: "service name", exe: `C:\x\latchkey.exe`, args: []string{ServiceNameArg + "latchkey-etl", "serve"},
			want: `"C:\x\latchkey.exe" --service-name=latchkey-etl serve`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line, err := binPath(tc.exe, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != "" && line != tc.want {
				t.Errorf("binPath = %s\nwant      %s", line, tc.want)
			}
			got := commandLineToArgv(line)
			want := append([]string{tc.exe}, tc.args...)
			if !slices.Equal(got, want) {
				t.Fatalf("%s parses as %q, want %q", line, got, want)
			}
		})
	}
}

func TestBinPathRefuses(t *testing.T) {
	for _, tc := range []struct {
		exe  string
		args []string
	}{
		{`C:\a"b\latchkey.exe`, nil}, // a quote would end the program name
		{"", nil},
		{`C:\x\latchkey.exe`, []string{"a\x00b"}},
	} {
		if line, err := binPath(tc.exe, tc.args); err == nil {
			t.Errorf("binPath(%q, %q) = %s, want an error", tc.exe, tc.args, line)
		}
	}
}

// FuzzBinPath: whatever the arguments, the service manager's command line
// gives them back one for one (a config path cannot smuggle in a flag).
func FuzzBinPath(f *testing.F) {
	for _, s := range []string{`C:\dir with space\`, `a\"b`, `"`, ``, `x\\\" --set y`, "a\tb"} {
		f.Add(`C:\Program Files\latchkey\latchkey.exe`, s, "serve")
	}
	f.Fuzz(func(t *testing.T, exe, a1, a2 string) {
		line, err := binPath(exe, []string{a1, a2})
		if err != nil {
			return
		}
		if strings.ContainsAny(exe, " \t") && !strings.HasPrefix(line, `"`) {
			t.Fatalf("unquoted program: %s", line)
		}
		got := commandLineToArgv(line)
		if want := []string{exe, a1, a2}; !slices.Equal(got, want) {
			t.Fatalf("%q parses as %q, want %q", line, got, want)
		}
	})
}

func TestNewServiceSpec(t *testing.T) {
	const exe, cfg = `C:\Program Files\latchkey\latchkey.exe`, `C:\ProgramData\latchkey\agent.yaml`
	s, err := newServiceSpec("latchkey", "virtual", "auto", exe, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"serve", "--config", cfg}; !slices.Equal(s.Args, want) || s.Account != `NT SERVICE\latchkey` || !s.AutoStart {
		t.Errorf("default spec = %+v", s)
	}
	s, err = newServiceSpec("latchkey-etl", "LocalService", "manual", exe, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"--service-name=latchkey-etl", "serve", "--config", cfg}; !slices.Equal(s.Args, want) || s.Account != `NT AUTHORITY\LocalService` || s.AutoStart || !strings.Contains(s.DisplayName, "latchkey-etl") {
		t.Errorf("named spec = %+v", s)
	}
	for _, tc := range []struct{ name, account, start, say string }{
		{"latchkey", "virtual", "boot", "--start"},
		{"", "virtual", "auto", "--name"},
		{`a\b`, "virtual", "auto", "--name"},
		{"a b", "virtual", "auto", "--name"},
		{`a"b`, "virtual", "auto", "--name"},
		{strings.Repeat("x", 81), "virtual", "auto", "--name"},
		{"latchkey", `CORP\alice`, "auto", "needs a password"},
	} {
		if _, err := newServiceSpec(tc.name, tc.account, tc.start, exe, cfg); err == nil || !strings.Contains(err.Error(), tc.say) {
			t.Errorf("newServiceSpec(%q, %q, %q) error = %v, want one saying %q", tc.name, tc.account, tc.start, err, tc.say)
		}
	}
}

func TestServiceAccount(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `NT SERVICE\lk`},
		{"virtual", `NT SERVICE\lk`},
		{"LocalSystem", ""},
		{`NT AUTHORITY\SYSTEM`, ""},
		{"localservice", `NT AUTHORITY\LocalService`},
		{`NT AUTHORITY\Local Service`, `NT AUTHORITY\LocalService`},
		{"NetworkService", `NT AUTHORITY\NetworkService`},
		{`NT SERVICE\other`, `NT SERVICE\other`},
		{`CORP\gmsa-latchkey$`, `CORP\gmsa-latchkey$`},
	}
	for _, tc := range tests {
		got, err := serviceAccount(tc.in, "lk")
		if err != nil || got != tc.want {
			t.Errorf("serviceAccount(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`CORP\alice`, "alice", `NT SERVICE\`, "$", `.\Administrator`} {
		if got, err := serviceAccount(bad, "lk"); err == nil {
			t.Errorf("serviceAccount(%q) = %q, want an error", bad, got)
		}
	}
}

func TestDataDirSDDL(t *testing.T) {
	if got := dataDirSDDL(""); got != "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)" {
		t.Errorf("LocalSystem: %s", got)
	}
	got := dataDirSDDL("S-1-5-80-1-2-3-4-5")
	if !strings.HasPrefix(got, "D:P") || !strings.HasSuffix(got, "(A;OICI;0x1301bf;;;S-1-5-80-1-2-3-4-5)") {
		t.Errorf("virtual account: %s", got)
	}
	// No entry for any broad SID: the protected DACL keeps ProgramData's
	// "Users may read" out.
	for _, broad := range []string{";WD)", ";AU)", ";BU)", ";AN)", ";BG)"} {
		if strings.Contains(got, broad) {
			t.Errorf("%s grants %s", got, broad)
		}
	}
}

// TestServiceCommandElsewhere: on other systems the command exists, checks
// its flags, and exits 2 saying it is Windows-only.
func TestServiceCommandElsewhere(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the Windows-only message is for other systems")
	}
	tests := []struct {
		args []string
		say  string
	}{
		{[]string{"service", "install"}, "works on Windows only"},
		{[]string{"service", "install", "--start", "boot"}, "--start"},
		{[]string{"service", "install", "--account", `CORP\alice`}, "needs a password"},
		{[]string{"service", "uninstall", "--name", "x"}, "works on Windows only"},
		{[]string{"service", "start"}, "works on Windows only"},
		{[]string{"service", "stop"}, "works on Windows only"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(context.Background(), tc.args, IO{In: strings.NewReader(""), Out: &out, Err: &errb})
			if code != ExitUsage || !strings.Contains(errb.String(), tc.say) {
				t.Fatalf("exit %d, stderr %q; want %d saying %q", code, errb.String(), ExitUsage, tc.say)
			}
		})
	}
	var out bytes.Buffer
	if code := Main(context.Background(), []string{"service", "--help"}, IO{In: strings.NewReader(""), Out: &out, Err: &out}); code != 0 ||
		!strings.Contains(out.String(), "install") || strings.Contains(out.String(), "--workflow") {
		t.Errorf("service --help: exit %d\n%s", code, out.String())
	}
}

func TestIcaclsLine(t *testing.T) {
	got := icaclsLine(`C:\ProgramData\latchkey`, `NT SERVICE\latchkey`)
	want := `icacls "C:\ProgramData\latchkey" /inheritance:r /grant:r "SYSTEM:(OI)(CI)F" "Administrators:(OI)(CI)F" "NT SERVICE\latchkey:(OI)(CI)M" /T`
	if got != want {
		t.Errorf("icaclsLine = %s\nwant         %s", got, want)
	}
	if got := icaclsLine(`C:\x`, "LocalSystem"); strings.Contains(got, "LocalSystem") {
		t.Errorf("LocalSystem is SYSTEM, no entry of its own: %s", got)
	}
}
