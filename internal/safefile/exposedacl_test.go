package safefile

import (
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/fileperm"
)

// TestExposedACL: the Windows wording of Exposed, from the DACLs an
// attacker or a careless inheritance leaves on a token file. The rule
// itself is attacked in internal/fileperm (TestGrants); this checks that
// Exposed flags what the Unix rule flags (o+r, g+w, o+w) and names who.
func TestExposedACL(t *testing.T) {
	const alice = "S-1-5-21-1004336348-1177238915-682003330-1104"
	const owner = "S-1-5-21-1004336348-1177238915-682003330-1001"
	tests := []struct {
		name string
		dacl []fileperm.ACE
		want []string // "" alone: not exposed
	}{
		{"owner and SYSTEM", []fileperm.ACE{{Type: fileperm.Allow, SID: owner, Mask: 0x1f01ff}, {Type: fileperm.Allow, SID: fileperm.SIDSystem, Mask: 0x1f01ff}}, nil},
		{"shared read with one account (as 0640)", []fileperm.ACE{{Type: fileperm.Allow, SID: alice, Mask: 0x120089}}, nil},
		{"Users read", []fileperm.ACE{{Type: fileperm.Allow, SID: fileperm.SIDUsers, Mask: 0x120089}},
			[]string{`an ACL by which BUILTIN\Users (S-1-5-32-545) may read it`, "every user of the machine can read it;", "icacls"}},
		{"a named account may write", []fileperm.ACE{{Type: fileperm.Allow, SID: alice, Mask: 0x2}},
			[]string{alice + " may write it", "others than its owner can write it"}},
		{"Everyone full control", []fileperm.ACE{{Type: fileperm.Allow, SID: fileperm.SIDEveryone, Mask: 0x10000000}},
			[]string{"Everyone (S-1-1-0) may read and write it", "can read it and others than its owner can write it"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := fileperm.Security{Owner: owner, DACL: tc.dacl}.Grants("")
			m := fileperm.Mode(g)
			who := fileperm.Describe(g, 0o026, nil)
			if who != "" {
				who = "an ACL by which " + who
			}
			got := exposedACL(who, false, m&0o004 != 0, m&0o022 != 0)
			if tc.want == nil {
				if got != "" {
					t.Fatalf("exposed = %q, want none", got)
				}
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("exposed = %q, want it to say %q", got, w)
				}
			}
		})
	}
	if got := exposedACL("an ACL latchkey could not read (Access is denied.)", true, true, true); !strings.Contains(got, "nothing says who else can read or write it") {
		t.Errorf("unread ACL: %q", got)
	}
}
