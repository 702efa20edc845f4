//go:build windows

package fileperm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// aclInfo is a file's information with the owner and DACL read with it.
type aclInfo struct {
	fs.FileInfo
	sec Security
	err error // why the descriptor could not be read
}

const secInfo = windows.OWNER_SECURITY_INFORMATION | windows.DACL_SECURITY_INFORMATION

func stat(path string) (fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, secInfo)
	return withSecurity(fi, sd, err), nil
}

func file(f *os.File) (fs.FileInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	sd, err := windows.GetSecurityInfo(windows.Handle(f.Fd()), windows.SE_FILE_OBJECT, secInfo)
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		// A handle opened for appending has no READ_CONTROL: read the
		// descriptor by name. The fstat above still describes the file
		// that was opened; a rename between the two is the residual race.
		sd, err = windows.GetNamedSecurityInfo(f.Name(), windows.SE_FILE_OBJECT, secInfo)
	}
	return withSecurity(fi, sd, err), nil
}

func withSecurity(fi fs.FileInfo, sd *windows.SECURITY_DESCRIPTOR, err error) fs.FileInfo {
	ai := &aclInfo{FileInfo: fi, err: err}
	if err == nil {
		ai.sec, ai.err = convert(sd)
	}
	return ai
}

// convert copies the owner and DACL of sd into the portable form.
func convert(sd *windows.SECURITY_DESCRIPTOR) (Security, error) {
	var s Security
	owner, _, err := sd.Owner()
	if err != nil {
		return s, fmt.Errorf("reading its owner: %w", err)
	}
	if owner != nil {
		s.Owner = owner.String()
	}
	dacl, _, err := sd.DACL()
	switch {
	case errors.Is(err, windows.ERROR_OBJECT_NOT_FOUND): // no DACL: full access for everyone
		s.NullDACL = true
		return s, nil
	case err != nil:
		return s, fmt.Errorf("reading its DACL: %w", err)
	case dacl == nil: // a null DACL
		s.NullDACL = true
		return s, nil
	}
	for i := uint32(0); i < uint32(dacl.AceCount); i++ {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return s, fmt.Errorf("reading entry %d of its DACL: %w", i, err)
		}
		a, ok := convertACE(ace)
		if ok {
			s.DACL = append(s.DACL, a)
		}
	}
	return s, nil
}

// ACE types that may appear in a DACL (winnt.h).
const (
	accessAllowedType         = 0x0
	accessDeniedType          = 0x1
	accessAllowedObjectType   = 0x5
	accessAllowedCallbackType = 0x9
	accessAllowedCbObjectType = 0xB
	aceObjectTypePresent      = 0x1
	aceInheritedTypePresent   = 0x2
)

// convertACE reads one entry. Every access-allowed type is an Allow (a
// callback's condition is assumed to hold); only the plain access-denied
// type is a Deny (a conditional or object deny may not apply, and leaving
// it out can only report more); other types are not access entries.
func convertACE(ace *windows.ACCESS_ALLOWED_ACE) (ACE, bool) {
	a := ACE{Mask: uint32(ace.Mask), InheritOnly: ace.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0}
	sidp := unsafe.Pointer(&ace.SidStart)
	switch ace.Header.AceType {
	case accessAllowedType, accessAllowedCallbackType:
		a.Type = Allow
	case accessDeniedType:
		a.Type = Deny
	case accessAllowedObjectType, accessAllowedCbObjectType:
		// Header, Mask, Flags, then the GUIDs the flags announce, then
		// the SID.
		a.Type = Allow
		flags := *(*uint32)(sidp)
		off := uintptr(4)
		if flags&aceObjectTypePresent != 0 {
			off += 16
		}
		if flags&aceInheritedTypePresent != 0 {
			off += 16
		}
		sidp = unsafe.Add(sidp, off)
	default:
		return a, false
	}
	a.SID = (*windows.SID)(sidp).String()
	return a, true
}

// agentSIDs are the user SID of latchkey's own process token and, when it
// runs as a service with a service SID, that SID (NT SERVICE\NAME:
// S-1-5-80- and five more numbers; not S-1-5-80-0, ALL SERVICES), which
// ACLs may name instead of the account.
var agentSIDs = sync.OnceValue(func() []string {
	tok := windows.GetCurrentProcessToken()
	var out []string
	if u, err := tok.GetTokenUser(); err == nil {
		out = append(out, u.User.Sid.String())
	}
	if g, err := tok.GetTokenGroups(); err == nil {
		for _, sa := range g.AllGroups() {
			sid := sa.Sid.String()
			if sa.Attributes&windows.SE_GROUP_ENABLED != 0 && strings.HasPrefix(sid, "S-1-5-80-") && strings.Count(sid, "-") == 7 {
				out = append(out, sid)
			}
		}
	}
	return out
})

func grants(fi fs.FileInfo) ([]Grant, error) {
	ai, ok := fi.(*aclInfo)
	if !ok {
		return nil, errors.New("an ACL latchkey did not read (internal error: the file information did not come from fileperm.Stat or fileperm.File)")
	}
	if ai.err != nil {
		return nil, fmt.Errorf("an ACL latchkey could not read (%w)", ai.err)
	}
	return ai.sec.Grants(agentSIDs()...), nil
}

func loose(fi fs.FileInfo, mask fs.FileMode) bool {
	g, err := grants(fi)
	return err != nil || Mode(g)&mask != 0
}

func who(fi fs.FileInfo, mask fs.FileMode) string {
	g, err := grants(fi)
	if err != nil {
		return err.Error()
	}
	d := Describe(g, mask, accountName)
	if d == "" {
		return ""
	}
	return "an ACL by which " + d
}

// accountName looks sid up (DOMAIN\name), or returns "".
func accountName(sid string) string {
	s, err := windows.StringToSid(sid)
	if err != nil {
		return ""
	}
	acct, dom, _, err := s.LookupAccount("")
	if err != nil {
		return ""
	}
	if dom == "" {
		return acct
	}
	return dom + `\` + acct
}

func unread(fi fs.FileInfo) error {
	_, err := grants(fi)
	return err
}

func checkOwner(fi fs.FileInfo) error {
	ai, ok := fi.(*aclInfo)
	if !ok || ai.err != nil {
		_, err := grants(fi)
		return err
	}
	agents := agentSIDs()
	if ai.sec.OwnerTrusted(agents...) {
		return nil
	}
	who := ai.sec.Owner
	if n := accountName(who); n != "" {
		who = n + " (" + who + ")"
	}
	return fmt.Errorf("owned by %s, not by the agent's account (%s), SYSTEM or Administrators: the owner can change its ACL", who, strings.Join(agents, ", "))
}

func mkdirPrivate(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if fi.IsDir() {
			return nil
		}
		return &fs.PathError{Op: "mkdir", Path: dir, Err: windows.ERROR_DIRECTORY}
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirPrivate(parent); err != nil {
			return err
		}
	}
	sd, err := windows.SecurityDescriptorFromString(privateSDDL(agentSIDs()))
	if err != nil {
		return &fs.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	sa := &windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), SecurityDescriptor: sd}
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return &fs.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	if err := windows.CreateDirectory(p, sa); err != nil && err != windows.ERROR_ALREADY_EXISTS {
		return &fs.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	return nil
}
