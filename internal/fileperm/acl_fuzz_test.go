package fileperm

import (
	"encoding/binary"
	"os"
	"testing"
)

// sidPool is what fuzzed DACLs name: trusted, broad and named SIDs.
var sidPool = []string{owner, agent, SIDSystem, SIDAdministrators, SIDEveryone, SIDUsers,
	SIDAuthenticatedUsers, SIDAnonymous, SIDGuests, alice, "S-1-5-21-1-2-3-513", SIDOwnerRights}

// decodeDACL turns bytes into entries, 6 bytes each: type and flags, SID
// index, mask.
func decodeDACL(b []byte) []ACE {
	var d []ACE
	for len(b) >= 6 {
		a := ACE{Type: Allow, SID: sidPool[int(b[1])%len(sidPool)], Mask: binary.LittleEndian.Uint32(b[2:6])}
		if b[0]&1 != 0 {
			a.Type = Deny
		}
		a.InheritOnly = b[0]&2 != 0
		d = append(d, a)
		b = b[6:]
	}
	return d
}

// FuzzGrants attacks the rule with arbitrary DACLs an attacker with
// WRITE_DAC on a directory could leave: it must not panic, and it must
// keep the properties the checks rely on.
func FuzzGrants(f *testing.F) {
	f.Add([]byte{0, 4, 1, 0, 0, 0}, uint8(0), []byte{0, 5, 2, 0, 0, 0})
	f.Add([]byte{1, 4, 1, 0, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff}, uint8(4), []byte{2, 9, 0, 0, 0, 0x10})
	f.Fuzz(func(t *testing.T, raw []byte, ownerIdx uint8, extra []byte) {
		sec := Security{Owner: sidPool[int(ownerIdx)%len(sidPool)], DACL: decodeDACL(raw)}
		base := Mode(sec.Grants(agent))
		// Entries appended after the others can only add access.
		more := sec
		more.DACL = append(append([]ACE(nil), sec.DACL...), decodeDACL(extra)...)
		if m := Mode(more.Grants(agent)); m&base != base {
			t.Fatalf("appending %v lowered %#o to %#o", decodeDACL(extra), base, m)
		}
		// Inherit-only entries change nothing.
		var applied []ACE
		for _, a := range sec.DACL {
			if !a.InheritOnly {
				applied = append(applied, a)
			}
		}
		if m := Mode(Security{Owner: sec.Owner, DACL: applied}.Grants(agent)); m != base {
			t.Fatalf("inherit-only entries changed %#o to %#o", base, m)
		}
		// A first entry denying Everyone every right the rule reads leaves
		// only Anonymous (not covered by Everyone) and a broad owner.
		all := uint32(readRights | writeRights | fileExecute | takeover)
		denied := Security{Owner: sec.Owner, DACL: append([]ACE{{Type: Deny, SID: SIDEveryone, Mask: all}}, sec.DACL...)}
		for _, g := range denied.Grants(agent) {
			if g.SID != SIDAnonymous && g.SID != sec.Owner {
				t.Fatalf("deny-all first, yet %s gets %#o", g.SID, g.Perm)
			}
		}
		// Trusted SIDs are never reported; a null DACL is always loose.
		for _, g := range sec.Grants(agent) {
			if g.SID == agent || g.SID == SIDSystem || g.SID == SIDAdministrators || (g.SID == sec.Owner && !Broad(g.SID)) {
				t.Fatalf("trusted %s reported", g.SID)
			}
		}
		if Mode(Security{Owner: sec.Owner, NullDACL: true}.Grants(agent))&0o004 == 0 {
			t.Fatal("a null DACL is not readable by others")
		}
	})
}

// BenchmarkGrants: the rule over a typical inherited DACL (ProgramData's:
// SYSTEM, Administrators, CREATOR OWNER inherit-only, Users read) against
// the Unix check it replaces, a mode mask, as the baseline.
func BenchmarkGrants(b *testing.B) {
	sec := Security{Owner: SIDAdministrators, DACL: []ACE{
		allow(SIDSystem, fileAllAccess), allow(SIDAdministrators, fileAllAccess),
		{Type: Allow, SID: "S-1-3-0", Mask: genericAll, InheritOnly: true},
		allow(SIDUsers, fileGenericRead|fileExecute), allow(agent, 0x1301bf),
	}}
	fi, err := os.Stat(b.TempDir()) // the information Loose reads on Unix
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline=mode", func(b *testing.B) {
		for b.Loop() {
			_ = fi.Mode().Perm()&0o004 != 0
		}
	})
	b.Run("acl", func(b *testing.B) {
		for b.Loop() {
			if Mode(sec.Grants(agent))&0o004 == 0 {
				b.Fatal("Users read not seen")
			}
		}
	})
}
