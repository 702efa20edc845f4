package fileperm

import (
	"io/fs"
	"strings"
	"testing"
)

const (
	agent = "S-1-5-80-1111111111-2222222222-3333333333-4444444444-555555555" // NT SERVICE\latchkey
	alice = "S-1-5-21-1004336348-1177238915-682003330-1104"
	owner = "S-1-5-21-1004336348-1177238915-682003330-1001"
)

func allow(sid string, mask uint32) ACE { return ACE{Type: Allow, SID: sid, Mask: mask} }
func deny(sid string, mask uint32) ACE  { return ACE{Type: Deny, SID: sid, Mask: mask} }

// Masks as icacls and the file APIs write them.
const (
	fileGenericRead  = 0x120089 // READ_CONTROL|SYNCHRONIZE|FILE_READ_DATA|FILE_READ_EA|FILE_READ_ATTRIBUTES
	fileGenericWrite = 0x120116 // … FILE_WRITE_DATA|FILE_APPEND_DATA|FILE_WRITE_EA|FILE_WRITE_ATTRIBUTES
	fileAllAccess    = 0x1f01ff
	readAttributes   = 0x80 // FILE_READ_ATTRIBUTES only
	readControl      = 0x20000
	deleteRight      = 0x10000
)

// TestGrants attacks the Windows rule: each row is a DACL someone could
// leave on a token, credential, cache or audit file, and the Unix bits
// (group: SIDs that are not broad; others: broad SIDs) it must amount to.
func TestGrants(t *testing.T) {
	tests := []struct {
		name string
		sec  Security
		want fs.FileMode
	}{
		{name: "owner, agent, SYSTEM, Administrators only",
			sec: Security{Owner: owner, DACL: []ACE{
				allow(owner, fileAllAccess), allow(agent, fileGenericRead),
				allow(SIDSystem, fileAllAccess), allow(SIDAdministrators, fileAllAccess),
				allow(SIDTrustedInstaller, fileAllAccess), allow(SIDOwnerRights, fileAllAccess),
			}}},
		{name: "empty DACL: no one", sec: Security{Owner: owner, DACL: []ACE{}}},
		{name: "null DACL: everyone, everything", sec: Security{Owner: owner, NullDACL: true}, want: 0o007},
		{name: "Everyone read", sec: Security{Owner: owner, DACL: []ACE{allow(SIDEveryone, fileGenericRead)}}, want: 0o004},
		{name: "BUILTIN\\Users read and execute (the inherited ProgramData default)",
			sec: Security{Owner: owner, DACL: []ACE{allow(SIDUsers, fileGenericRead|fileExecute)}}, want: 0o005},
		{name: "Authenticated Users modify", sec: Security{Owner: owner, DACL: []ACE{allow(SIDAuthenticatedUsers, fileGenericRead|fileGenericWrite|deleteRight)}}, want: 0o006},
		{name: "Anonymous read", sec: Security{Owner: owner, DACL: []ACE{allow(SIDAnonymous, fileReadData)}}, want: 0o004},
		{name: "Guests append only", sec: Security{Owner: owner, DACL: []ACE{allow(SIDGuests, fileAppendData)}}, want: 0o002},
		{name: "Domain Users read", sec: Security{Owner: owner, DACL: []ACE{allow("S-1-5-21-1004336348-1177238915-682003330-513", fileReadData)}}, want: 0o004},
		{name: "a named user read is the group class", sec: Security{Owner: owner, DACL: []ACE{allow(alice, fileGenericRead)}}, want: 0o040},
		{name: "a named user write", sec: Security{Owner: owner, DACL: []ACE{allow(alice, fileWriteData)}}, want: 0o020},
		{name: "GENERIC_READ is read", sec: Security{Owner: owner, DACL: []ACE{allow(SIDEveryone, genericRead)}}, want: 0o004},
		{name: "GENERIC_WRITE is write", sec: Security{Owner: owner, DACL: []ACE{allow(SIDEveryone, genericWrite)}}, want: 0o002},
		{name: "GENERIC_ALL is everything", sec: Security{Owner: owner, DACL: []ACE{allow(SIDUsers, genericAll)}}, want: 0o007},
		{name: "WRITE_DAC alone lets them take everything", sec: Security{Owner: owner, DACL: []ACE{allow(SIDEveryone, writeDAC)}}, want: 0o007},
		{name: "WRITE_OWNER alone lets them take everything", sec: Security{Owner: owner, DACL: []ACE{allow(alice, writeOwner)}}, want: 0o070},
		{name: "attributes and READ_CONTROL are not the contents",
			sec: Security{Owner: owner, DACL: []ACE{allow(SIDEveryone, readAttributes|readControl|0x100000)}}},
		{name: "DELETE alone is not write", sec: Security{Owner: owner, DACL: []ACE{allow(SIDEveryone, deleteRight)}}},
		{name: "inherit-only entry does not apply to the file",
			sec: Security{Owner: owner, DACL: []ACE{{Type: Allow, SID: SIDEveryone, Mask: genericAll, InheritOnly: true}}}},
		{name: "inherit-only deny does not protect",
			sec: Security{Owner: owner, DACL: []ACE{{Type: Deny, SID: SIDEveryone, Mask: fileReadData, InheritOnly: true}, allow(SIDEveryone, fileReadData)}}, want: 0o004},
		{name: "deny first wins", sec: Security{Owner: owner, DACL: []ACE{deny(SIDEveryone, fileReadData), allow(SIDEveryone, fileGenericRead)}}},
		{name: "deny after the allow is too late (non-canonical order)",
			sec: Security{Owner: owner, DACL: []ACE{allow(SIDEveryone, fileGenericRead), deny(SIDEveryone, fileReadData)}}, want: 0o004},
		{name: "deny of some rights leaves the others",
			sec: Security{Owner: owner, DACL: []ACE{deny(SIDEveryone, fileWriteData|fileAppendData), allow(SIDEveryone, fileGenericRead|fileGenericWrite)}}, want: 0o004},
		{name: "deny Everyone covers a later allow for Users",
			sec: Security{Owner: owner, DACL: []ACE{deny(SIDEveryone, fileReadData), allow(SIDUsers, fileReadData)}}},
		{name: "deny Everyone does not cover Anonymous",
			sec: Security{Owner: owner, DACL: []ACE{deny(SIDEveryone, fileReadData), allow(SIDAnonymous, fileReadData)}}, want: 0o004},
		{name: "deny Users does not cover Everyone (guests, anonymous)",
			sec: Security{Owner: owner, DACL: []ACE{deny(SIDUsers, fileReadData), allow(SIDEveryone, fileReadData)}}, want: 0o004},
		{name: "deny for a group the user may not be in does not count",
			sec: Security{Owner: owner, DACL: []ACE{deny(SIDUsers, fileReadData), allow(alice, fileReadData)}}, want: 0o040},
		{name: "a deny naming GENERIC_READ may not be mapped: it does not count",
			sec: Security{Owner: owner, DACL: []ACE{deny(SIDEveryone, genericRead), allow(SIDEveryone, fileReadData)}}, want: 0o004},
		{name: "allow for Everyone twice, second after a deny",
			sec: Security{Owner: owner, DACL: []ACE{allow(SIDEveryone, fileReadData), deny(SIDEveryone, fileWriteData), allow(SIDEveryone, fileWriteData)}}, want: 0o004},
		{name: "owned by Everyone: it can rewrite the DACL", sec: Security{Owner: SIDEveryone, DACL: []ACE{}}, want: 0o007},
		{name: "owned by BUILTIN\\Users", sec: Security{Owner: SIDUsers, DACL: []ACE{allow(SIDSystem, fileAllAccess)}}, want: 0o007},
		{name: "owned by alice: the owner is trusted", sec: Security{Owner: alice, DACL: []ACE{allow(alice, fileAllAccess)}}},
		{name: "ACEs for the agent account do not count", sec: Security{Owner: SIDAdministrators, DACL: []ACE{allow(agent, fileAllAccess)}}},
		{name: "WRITE_DAC denied, WRITE_OWNER still allowed",
			sec: Security{Owner: owner, DACL: []ACE{deny(SIDEveryone, writeDAC), allow(SIDEveryone, genericAll)}}, want: 0o007},
		{name: "every right the rule reads denied first, GENERIC_ALL after",
			sec: Security{Owner: owner, DACL: []ACE{deny(SIDEveryone, readRights|writeRights|fileExecute|takeover), allow(SIDEveryone, genericAll), allow(alice, genericAll)}}},
		{name: "Domain Users deny does not cover a user",
			sec: Security{Owner: owner, DACL: []ACE{deny("S-1-5-21-1004336348-1177238915-682003330-513", fileAllAccess), allow(alice, fileReadData)}}, want: 0o040},
		{name: "several principals",
			sec: Security{Owner: owner, DACL: []ACE{allow(alice, fileGenericRead), allow(SIDUsers, fileGenericWrite), allow(SIDEveryone, fileExecute)}}, want: 0o043},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.sec.Grants(agent)
			if got := Mode(g); got != tc.want {
				t.Fatalf("Mode(Grants) = %#o, want %#o (grants %+v)", got, tc.want, g)
			}
		})
	}
}

// TestGrantsUnixMasks: the masks callers check on Unix (0o077 compilation
// and module cache, 0o002 audit log, safefile.Exposed's 0o004 and 0o022)
// decide the same way on an ACL.
func TestGrantsUnixMasks(t *testing.T) {
	tests := []struct {
		name  string
		dacl  []ACE
		mask  fs.FileMode
		loose bool
	}{
		{"cache: a named user may list it", []ACE{allow(alice, fileReadData)}, 0o077, true},
		{"cache: Users may traverse it", []ACE{allow(SIDUsers, fileExecute)}, 0o077, true},
		{"cache: only trusted SIDs", []ACE{allow(agent, fileAllAccess), allow(SIDSystem, fileAllAccess)}, 0o077, false},
		{"audit: Everyone may append", []ACE{allow(SIDEveryone, fileAppendData)}, 0o002, true},
		{"audit: Users may read", []ACE{allow(SIDUsers, fileGenericRead)}, 0o002, false},
		{"audit: a named user may write (g+w is allowed on Unix too)", []ACE{allow(alice, fileGenericWrite)}, 0o002, false},
		{"token: Users may read", []ACE{allow(SIDUsers, fileGenericRead)}, 0o004, true},
		{"token: a named user may read (as 0640)", []ACE{allow(alice, fileGenericRead)}, 0o004, false},
		{"token: a named user may write", []ACE{allow(alice, fileWriteData)}, 0o022, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := Security{Owner: owner, DACL: tc.dacl}.Grants(agent)
			if got := Mode(g)&tc.mask != 0; got != tc.loose {
				t.Fatalf("loose = %v, want %v (mode %#o)", got, tc.loose, Mode(g))
			}
			d := Describe(g, tc.mask, nil)
			if tc.loose != (d != "") {
				t.Fatalf("Describe = %q while loose = %v", d, tc.loose)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	g := Security{Owner: owner, DACL: []ACE{
		allow(SIDEveryone, fileGenericRead|fileGenericWrite),
		allow(alice, fileGenericRead|fileExecute),
		allow("S-1-5-21-9-9-9-2000", fileReadData),
	}}.Grants(agent)
	name := func(sid string) string {
		if sid == alice {
			return `CORP\alice`
		}
		return ""
	}
	tests := []struct {
		mask fs.FileMode
		want string
	}{
		{0o077, `Everyone (S-1-1-0) may read and write it; CORP\alice (` + alice + `) may read and execute it; S-1-5-21-9-9-9-2000 may read it`},
		{0o002, `Everyone (S-1-1-0) may write it`},
		{0o040, `CORP\alice (` + alice + `) may read it; S-1-5-21-9-9-9-2000 may read it`},
		{0o020, ``},
	}
	for _, tc := range tests {
		t.Run(tc.mask.String(), func(t *testing.T) {
			if got := Describe(g, tc.mask, name); got != tc.want {
				t.Fatalf("Describe = %q\nwant       %q", got, tc.want)
			}
		})
	}
	if got := Describe([]Grant{{SID: SIDUsers, Broad: true, Perm: 0o7}}, 0o7, nil); !strings.Contains(got, "read, write and execute") {
		t.Errorf("Describe = %q", got)
	}
}

func TestBroad(t *testing.T) {
	for sid, want := range map[string]bool{
		SIDEveryone: true, SIDAuthenticatedUsers: true, SIDUsers: true, SIDAnonymous: true, SIDGuests: true,
		"S-1-5-21-1-2-3-513": true, "S-1-5-21-1-2-3-501": true, "S-1-5-21-1-2-3-1513": false,
		SIDSystem: false, SIDAdministrators: false, alice: false, agent: false, "": false,
	} {
		if got := Broad(sid); got != want {
			t.Errorf("Broad(%q) = %v, want %v", sid, got, want)
		}
	}
}

func TestOwnerTrusted(t *testing.T) {
	for _, tc := range []struct {
		owner string
		want  bool
	}{
		{agent, true}, {SIDSystem, true}, {SIDAdministrators, true}, {SIDTrustedInstaller, true},
		{alice, false}, {SIDUsers, false}, {SIDEveryone, false}, {SIDOwnerRights, false}, {"", false},
	} {
		if got := (Security{Owner: tc.owner}).OwnerTrusted(agent); got != tc.want {
			t.Errorf("OwnerTrusted with owner %q = %v, want %v", tc.owner, got, tc.want)
		}
	}
	if (Security{Owner: ""}).OwnerTrusted("") {
		t.Error("an unknown owner with an unknown agent is trusted")
	}
}

// TestAgents: the service's own SID is trusted beside its account, but a
// broad SID passed as an agent is not (that would trust everyone).
func TestAgents(t *testing.T) {
	const account = "S-1-5-19" // LocalService
	sec := Security{Owner: owner, DACL: []ACE{allow(agent, fileAllAccess), allow(account, fileAllAccess)}}
	if m := Mode(sec.Grants(account, agent)); m != 0 {
		t.Errorf("account and service SID: mode %#o, want 0", m)
	}
	if m := Mode(sec.Grants(account)); m != 0o070 {
		t.Errorf("service SID not passed: mode %#o, want 0o070", m)
	}
	open := Security{Owner: owner, DACL: []ACE{allow(SIDEveryone, fileReadData), allow("S-1-5-80-0", fileReadData)}}
	if m := Mode(open.Grants(SIDEveryone, "S-1-5-80-0")); m != 0o004 {
		t.Errorf("broad SIDs as agents: mode %#o, want 0o004", m)
	}
	if (Security{Owner: SIDUsers}).OwnerTrusted(SIDUsers) {
		t.Error("a broad owner passed as an agent is trusted")
	}
}

func TestPrivateSDDL(t *testing.T) {
	tests := []struct {
		agents []string
		want   string
	}{
		{nil, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"},
		{[]string{agent}, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;" + agent + ")"},
		{[]string{SIDSystem, "", SIDEveryone, SIDUsers, "S-1-5-80-0"}, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"}, // never a broad SID
	}
	for _, tc := range tests {
		if got := privateSDDL(tc.agents); got != tc.want {
			t.Errorf("privateSDDL(%q) = %s, want %s", tc.agents, got, tc.want)
		}
	}
}
