package fileperm

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/latchkey/latchkey/internal/lazy"
)

// This file is the Windows rule, written over a portable copy of a
// security descriptor so that it runs (and is tested) on every system;
// windows.go only reads the descriptor.

// ACEType is the kind of an access control entry, as far as the rule
// cares: one that grants and one that refuses.
type ACEType uint8

// The ACE types the rule evaluates. windows.go maps every access-allowed
// type (plain, object, callback) to Allow, the plain access-denied type to
// Deny, and leaves out conditional (callback) and object denials, which
// may not apply: leaving out a deny can only make the rule report more.
const (
	Allow ACEType = iota + 1
	Deny
)

// ACE is one access control entry of a DACL.
type ACE struct {
	Type ACEType
	// Mask is the ACE's access mask (FILE_READ_DATA, GENERIC_ALL, ...).
	Mask uint32
	// SID is the trustee, in string form (S-1-5-32-545).
	SID string
	// InheritOnly marks an entry that only its children inherit: it
	// does not apply to the file itself.
	InheritOnly bool
}

// Security is the part of a file's security descriptor the rule reads.
type Security struct {
	// Owner is the owner's SID; the owner may always read and change the
	// DACL, so an owner such as Everyone gives everyone full control.
	Owner string
	// NullDACL is a descriptor without a DACL (or with a null one):
	// everyone has full access. An empty DACL (no entries, NullDACL
	// false) grants nothing to anyone but the owner.
	NullDACL bool
	// DACL is the entries in order: Windows decides each right by the
	// first entry that names it for one of the caller's SIDs.
	DACL []ACE
}

// Access mask bits (winnt.h). For a directory FILE_READ_DATA is
// FILE_LIST_DIRECTORY, FILE_WRITE_DATA FILE_ADD_FILE, FILE_APPEND_DATA
// FILE_ADD_SUBDIRECTORY and FILE_EXECUTE FILE_TRAVERSE.
const (
	fileReadData    = 0x1
	fileWriteData   = 0x2
	fileAppendData  = 0x4
	fileExecute     = 0x20
	fileDeleteChild = 0x40
	writeDAC        = 0x40000
	writeOwner      = 0x80000
	genericAll      = 0x10000000
	genericExecute  = 0x20000000
	genericWrite    = 0x40000000
	genericRead     = 0x80000000

	readRights  = fileReadData
	writeRights = fileWriteData | fileAppendData | fileDeleteChild
	// takeover rights let their holder give itself every other right.
	takeover = writeDAC | writeOwner
)

// Well-known SIDs the rule names.
const (
	SIDEveryone           = "S-1-1-0"
	SIDAnonymous          = "S-1-5-7"
	SIDAuthenticatedUsers = "S-1-5-11"
	SIDSystem             = "S-1-5-18"
	SIDAdministrators     = "S-1-5-32-544"
	SIDUsers              = "S-1-5-32-545"
	SIDGuests             = "S-1-5-32-546"
	SIDOwnerRights        = "S-1-3-4"
	SIDTrustedInstaller   = "S-1-5-80-956008885-3425522190-2919245498-2427823893-2262347917"
)

// wellKnown names the SIDs a message may mention, and marks the broad
// ones: those that stand for every user of the machine, or for any user
// of a kind anyone can be (a network logon, a guest, a service).
var wellKnown = map[string]struct {
	name  string
	broad bool
}{
	SIDEveryone:           {"Everyone", true},
	SIDAnonymous:          {`NT AUTHORITY\ANONYMOUS LOGON`, true},
	SIDAuthenticatedUsers: {`NT AUTHORITY\Authenticated Users`, true},
	SIDUsers:              {`BUILTIN\Users`, true},
	SIDGuests:             {`BUILTIN\Guests`, true},
	"S-1-2-0":             {"LOCAL", true},
	"S-1-2-1":             {"CONSOLE LOGON", true},
	"S-1-5-2":             {`NT AUTHORITY\NETWORK`, true},
	"S-1-5-3":             {`NT AUTHORITY\BATCH`, true},
	"S-1-5-4":             {`NT AUTHORITY\INTERACTIVE`, true},
	"S-1-5-6":             {`NT AUTHORITY\SERVICE`, true},
	"S-1-5-13":            {`NT AUTHORITY\TERMINAL SERVER USER`, true},
	"S-1-5-14":            {`NT AUTHORITY\REMOTE INTERACTIVE LOGON`, true},
	"S-1-5-15":            {`NT AUTHORITY\This Organization`, true},
	"S-1-5-17":            {`NT AUTHORITY\IUSR`, true},
	"S-1-5-113":           {`NT AUTHORITY\Local account`, true},
	"S-1-5-1000":          {`NT AUTHORITY\Other Organization`, true},
	"S-1-5-32-547":        {`BUILTIN\Power Users`, true},
	"S-1-5-32-555":        {`BUILTIN\Remote Desktop Users`, true},
	"S-1-5-32-568":        {`BUILTIN\IIS_IUSRS`, true},
	"S-1-15-2-1":          {"ALL APPLICATION PACKAGES", true},
	"S-1-5-80-0":          {`NT SERVICE\ALL SERVICES`, true},
	"S-1-15-2-2":          {"ALL RESTRICTED APPLICATION PACKAGES", true},
	SIDSystem:             {`NT AUTHORITY\SYSTEM`, false},
	SIDAdministrators:     {`BUILTIN\Administrators`, false},
	SIDOwnerRights:        {"OWNER RIGHTS", false},
	SIDTrustedInstaller:   {`NT SERVICE\TrustedInstaller`, false},
	"S-1-3-0":             {"CREATOR OWNER", false},
	"S-1-3-1":             {"CREATOR GROUP", false},
	"S-1-5-19":            {`NT AUTHORITY\LOCAL SERVICE`, false},
	"S-1-5-20":            {`NT AUTHORITY\NETWORK SERVICE`, false},
}

// domainBroad matches the domain (or local machine) accounts that stand
// for everyone: Guest (-501), Domain Users or, off a domain, None (-513),
// Domain Guests (-514), Domain Computers (-515).
// It is compiled on first use: Broad is called only on Windows, and
// package initialisation runs in every process.
var domainBroad = lazy.Regexp(`^S-1-5-21-\d+-\d+-\d+-(501|513|514|515)$`)

// Broad reports whether sid stands for every user of the machine or of a
// domain, or for a kind of logon anyone can have: Everyone,
// Authenticated Users, BUILTIN\Users, Anonymous, Guests and the like.
// Access for these is the Unix "others" class; access for any other SID
// that is not trusted is the "group" class.
func Broad(sid string) bool {
	return wellKnown[sid].broad || domainBroad().MatchString(sid)
}

// trustedAlways are the SIDs that can read any file on the machine anyway,
// or are the file's owner by definition, so access for them is not a
// finding: SYSTEM, Administrators (they can take ownership of anything),
// TrustedInstaller (it services the system) and OWNER RIGHTS (the owner).
var trustedAlways = []string{SIDSystem, SIDAdministrators, SIDTrustedInstaller, SIDOwnerRights}

// Grant is what the DACL lets one principal other than the trusted ones
// do with the file.
type Grant struct {
	SID   string
	Broad bool // the "others" class: see [Broad]
	// Perm is the access in Unix terms, in the others position (0o007):
	// read (FILE_READ_DATA), write (FILE_WRITE_DATA, FILE_APPEND_DATA,
	// FILE_DELETE_CHILD), execute (FILE_EXECUTE); WRITE_DAC and
	// WRITE_OWNER count as all three, since they let their holder take
	// the rest.
	Perm fs.FileMode
}

// Grants evaluates s for every principal other than the file's owner,
// agents (the account latchkey runs as and, for a service, the service's
// own SID) and the always trusted SIDs (SYSTEM, Administrators, TrustedInstaller, OWNER RIGHTS),
// and returns what each may do, in DACL order of first appearance.
//
// It evaluates as Windows' access check does, in order — the first entry
// that names a right for one of the principal's SIDs decides it, so a
// deny placed after an allow does not take the right away — and it errs
// towards reporting access: a principal is assumed to hold only its own
// SID and Everyone (not Anonymous), so a deny for a group the principal
// may not be in does not count; a deny counts for the specific rights it
// names, not for generic ones, which Windows maps only when it writes a
// descriptor; an allow's generic rights count as what they map to.
// Inherit-only entries do not apply to the file and are skipped. A null
// DACL gives Everyone everything; an owner that is a broad SID gives that
// SID everything (the owner may rewrite the DACL).
func (s Security) Grants(agents ...string) []Grant {
	trusted := func(sid string) bool {
		if sid == s.Owner || isAgent(sid, agents) {
			return true
		}
		for _, t := range trustedAlways {
			if sid == t {
				return true
			}
		}
		return false
	}
	var out []Grant
	add := func(sid string, perm fs.FileMode) {
		if perm == 0 {
			return
		}
		for i := range out {
			if out[i].SID == sid {
				out[i].Perm |= perm
				return
			}
		}
		out = append(out, Grant{SID: sid, Broad: Broad(sid), Perm: perm})
	}
	if s.Owner != "" && Broad(s.Owner) {
		add(s.Owner, 0o7)
	}
	if s.NullDACL {
		add(SIDEveryone, 0o7)
		return out
	}
	seen := map[string]bool{}
	for _, a := range s.DACL {
		if a.Type != Allow || a.InheritOnly || seen[a.SID] || trusted(a.SID) {
			continue
		}
		seen[a.SID] = true
		add(a.SID, perm(effective(s.DACL, a.SID)))
	}
	return out
}

// effective is the specific rights the ordered DACL grants through
// entries naming sid, after the denies that certainly apply to a holder
// of sid: those naming sid itself or Everyone (every token but an
// anonymous one holds Everyone).
func effective(dacl []ACE, sid string) uint32 {
	var granted, denied uint32
	for _, a := range dacl {
		if a.InheritOnly {
			continue
		}
		switch a.Type {
		case Deny:
			if a.SID == sid || (a.SID == SIDEveryone && sid != SIDAnonymous) {
				denied |= a.Mask &^ granted &^ (genericAll | genericRead | genericWrite | genericExecute)
			}
		case Allow:
			if a.SID == sid {
				granted |= mapGeneric(a.Mask) &^ denied
			}
		}
	}
	return granted
}

// mapGeneric turns generic rights into the file rights the rule reads
// (FILE_GENERIC_READ, _WRITE, _EXECUTE, FILE_ALL_ACCESS).
func mapGeneric(m uint32) uint32 {
	if m&genericAll != 0 {
		m |= readRights | writeRights | fileExecute | takeover
	}
	if m&genericRead != 0 {
		m |= readRights
	}
	if m&genericWrite != 0 {
		m |= fileWriteData | fileAppendData
	}
	if m&genericExecute != 0 {
		m |= fileExecute
	}
	return m
}

func perm(m uint32) fs.FileMode {
	if m&takeover != 0 {
		return 0o7
	}
	var p fs.FileMode
	if m&readRights != 0 {
		p |= 0o4
	}
	if m&writeRights != 0 {
		p |= 0o2
	}
	if m&fileExecute != 0 {
		p |= 0o1
	}
	return p
}

// Mode returns the permission bits the grants amount to, as a Unix mode's
// group (0o070: SIDs that are not broad) and others (0o007: broad SIDs)
// bits, so that the mask a caller checks on Unix means the same on
// Windows.
func Mode(grants []Grant) fs.FileMode {
	var m fs.FileMode
	for _, g := range grants {
		if g.Broad {
			m |= g.Perm
		} else {
			m |= g.Perm << 3
		}
	}
	return m
}

// Describe says which of grants fall under mask (a Unix mask, as [Mode]
// reads it) and what each allows, for a message: `Everyone (S-1-1-0) may
// read and write it; CORP\etl (S-1-5-21-…) may read it`. name gives an
// account name for a SID that is not well known ("" if none). It returns
// "" when no grant falls under mask.
func Describe(grants []Grant, mask fs.FileMode, name func(sid string) string) string {
	var parts []string
	for _, g := range grants {
		p := g.Perm
		if g.Broad {
			p &= mask & 0o7
		} else {
			p &= (mask >> 3) & 0o7
		}
		if p == 0 {
			continue
		}
		n := wellKnown[g.SID].name
		if n == "" && name != nil {
			n = name(g.SID)
		}
		who := g.SID
		if n != "" {
			who = fmt.Sprintf("%s (%s)", n, g.SID)
		}
		parts = append(parts, who+" may "+verbs(p)+" it")
	}
	return strings.Join(parts, "; ")
}

func verbs(p fs.FileMode) string {
	var v []string
	if p&0o4 != 0 {
		v = append(v, "read")
	}
	if p&0o2 != 0 {
		v = append(v, "write")
	}
	if p&0o1 != 0 {
		v = append(v, "execute")
	}
	switch len(v) {
	case 1:
		return v[0]
	case 2:
		return v[0] + " and " + v[1]
	}
	return v[0] + ", " + v[1] + " and " + v[2]
}

// OwnerTrusted reports whether s's owner is one of agents (the account
// latchkey runs as, the service's SID) or one of the SIDs that can take any file anyway (SYSTEM,
// Administrators, TrustedInstaller): the Windows form of "owned by the
// agent's uid", which the compilation cache requires, since an owner may
// always rewrite the DACL.
func (s Security) OwnerTrusted(agents ...string) bool {
	if s.Owner == "" {
		return false
	}
	if isAgent(s.Owner, agents) {
		return true
	}
	for _, t := range trustedAlways {
		if t != SIDOwnerRights && s.Owner == t {
			return true
		}
	}
	return false
}

// isAgent reports whether sid is one of agents (never a broad SID: a
// caller passing one would trust everyone).
func isAgent(sid string, agents []string) bool {
	if sid == "" || Broad(sid) {
		return false
	}
	for _, a := range agents {
		if a == sid {
			return true
		}
	}
	return false
}
