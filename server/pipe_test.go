package server

import (
	"strings"
	"testing"

	"github.com/latchkey/latchkey/policy"
)

// The Windows agent's pipe name and security descriptor are built here;
// these tests run on every platform (the Windows calls that use them are
// verified by building only: see docs/windows.md).

func TestPipePath(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{`\\.\pipe\latchkey`, `\\.\pipe\latchkey`, ""},
		{`\\.\PIPE\latchkey`, `\\.\pipe\latchkey`, ""},
		{"latchkey-etl", `\\.\pipe\latchkey-etl`, ""},
		{`\\server\pipe\latchkey`, "", "not a local named pipe"},
		{"//server/pipe/latchkey", "", "not a local named pipe"},
		{`\\.\pipe\`, "", "has no name"},
		{"", "", "has no name"},
		{`C:\run\latchkey.sock`, "", "not a file path"},
		{"/run/latchkey/latchkey.sock", "", "not a file path"},
		{`\\.\pipe\a\b`, "", "not a file path"},
		{"a\x00b", "", "control character"},
		{strings.Repeat("p", 248), "", "at most 247"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := pipePath(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "serve.socket") {
					t.Fatalf("pipePath(%q) = %q, %v; want an error naming serve.socket with %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("pipePath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

// TestPipeSDDL attacks the descriptor: nobody but the agent and the named
// accounts gets an entry, no caller may create a pipe instance (which
// would let it impersonate the agent to the next client), nothing is
// inherited, and a malformed SID cannot smuggle an ACE in.
func TestPipeSDDL(t *testing.T) {
	const self = "S-1-5-18"
	t.Run("callers get read/write without create-instance", func(t *testing.T) {
		got, err := pipeSDDL(self, []string{"S-1-5-21-1-2-3-1001", "S-1-5-32-545", "s-1-5-21-1-2-3-01001", self})
		if err != nil {
			t.Fatal(err)
		}
		want := "O:S-1-5-18G:S-1-5-18D:P(A;;0x001f01ff;;;S-1-5-18)(A;;0x0012019b;;;S-1-5-21-1-2-3-1001)(A;;0x0012019b;;;S-1-5-32-545)"
		if got != want {
			t.Fatalf("pipeSDDL = %s\nwant       %s", got, want)
		}
		const fileAppendData = 0x4 // FILE_CREATE_PIPE_INSTANCE on a pipe
		if pipeClientAccess&fileAppendData != 0 || pipeClientAccess&0x10000000 != 0 || pipeClientAccess&0x40000000 != 0 {
			t.Fatalf("callers' mask %#x grants create-instance or generic rights", pipeClientAccess)
		}
	})
	t.Run("no callers: the agent's account only", func(t *testing.T) {
		got, err := pipeSDDL(self, nil)
		if err != nil || got != "O:S-1-5-18G:S-1-5-18D:P(A;;0x001f01ff;;;S-1-5-18)" {
			t.Fatalf("pipeSDDL = %q, %v", got, err)
		}
		for _, alias := range []string{"WD", "AN", "BA", "BU", "NU", "IU", "AU", "S-1-1-0"} {
			if strings.Contains(got, ";"+alias+")") {
				t.Errorf("the descriptor grants %s", alias)
			}
		}
	})
	for _, bad := range []string{"WD", "S-1-5-18)(A;;GA;;;WD", "S-1-1-0;", `CORP\etl`, ""} {
		t.Run("refuses "+bad, func(t *testing.T) {
			if got, err := pipeSDDL(self, []string{bad}); err == nil || !strings.Contains(err.Error(), "is not a SID") {
				t.Fatalf("pipeSDDL(%q) = %q, %v; want an error", bad, got, err)
			}
		})
	}
	if _, err := pipeSDDL("WD", nil); err == nil {
		t.Fatal("an own SID that is an alias was accepted")
	}
}

func FuzzPipeSDDL(f *testing.F) {
	for _, s := range []string{"S-1-5-18", "S-1-5-21-1-2-3-1001", "S-1-5-18)(A;;GA;;;WD", "WD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sid string) {
		got, err := pipeSDDL("S-1-5-18", []string{sid})
		if err != nil {
			return
		}
		// Whatever the input, the descriptor is the agent's entry plus at
		// most one entry granting the callers' mask to the canonical SID:
		// no input adds an entry or changes a mask.
		canon, ok := policy.ParseSID(sid)
		if !ok {
			t.Fatalf("pipeSDDL accepted %q, which is not a SID", sid)
		}
		want := "O:S-1-5-18G:S-1-5-18D:P(A;;0x001f01ff;;;S-1-5-18)"
		if canon != "S-1-5-18" {
			want += "(A;;0x0012019b;;;" + canon + ")"
		}
		if got != want {
			t.Fatalf("pipeSDDL(%q) = %s, want %s", sid, got, want)
		}
	})
}
