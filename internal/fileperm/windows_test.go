//go:build windows

package fileperm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows"
)

// TestWindowsACL sets real DACLs on a file and checks what Stat and File
// read of them. It runs on Windows only (no Windows machine runs the
// suite today: docs/windows.md says what is verified by building only).
func TestWindowsACL(t *testing.T) {
	me := agentSIDs()
	if len(me) == 0 {
		t.Fatal("no token user")
	}
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		sddl  string // "" sets a null DACL
		mask  os.FileMode
		loose bool
		who   string
	}{
		{"owner only", "D:P(A;;FA;;;" + me[0] + ")(A;;FA;;;SY)(A;;FA;;;BA)", 0o077, false, ""},
		{"Users read", "D:P(A;;FA;;;" + me[0] + ")(A;;FR;;;BU)", 0o004, true, `(S-1-5-32-545) may read it`},
		{"Everyone write", "D:P(A;;FA;;;" + me[0] + ")(A;;FW;;;WD)", 0o002, true, `Everyone (S-1-1-0) may write it`},
		{"deny first", "D:P(D;;FR;;;WD)(A;;FA;;;" + me[0] + ")(A;;FR;;;WD)", 0o004, false, ""},
		{"inherit-only", "D:P(A;;FA;;;" + me[0] + ")(A;OICIIO;GA;;;WD)", 0o077, false, ""},
		{"null DACL", "", 0o004, true, "Everyone (S-1-1-0) may read"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var dacl *windows.ACL
			if tc.sddl != "" {
				sd, err := windows.SecurityDescriptorFromString(tc.sddl)
				if err != nil {
					t.Fatal(err)
				}
				if dacl, _, err = sd.DACL(); err != nil {
					t.Fatal(err)
				}
			}
			if err := windows.SetNamedSecurityInfo(p, windows.SE_FILE_OBJECT,
				windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
				t.Fatal(err)
			}
			fi, err := Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := Loose(fi, tc.mask); got != tc.loose {
				t.Errorf("Stat: Loose = %v, want %v (%s)", got, tc.loose, Who(fi, tc.mask))
			}
			if tc.who != "" && !strings.Contains(Who(fi, tc.mask), tc.who) {
				t.Errorf("Who = %q, want %q", Who(fi, tc.mask), tc.who)
			}
			f, err := os.Open(p)
			if err != nil {
				return // the DACL may keep us out (deny first); Stat was checked
			}
			defer f.Close()
			fi, err = File(f)
			if err != nil {
				t.Fatal(err)
			}
			if got := Loose(fi, tc.mask); got != tc.loose {
				t.Errorf("File: Loose = %v, want %v (%s)", got, tc.loose, Who(fi, tc.mask))
			}
		})
	}
	// Restore access for TempDir's cleanup.
	sd, _ := windows.SecurityDescriptorFromString("D:P(A;;FA;;;" + me[0] + ")")
	dacl, _, _ := sd.DACL()
	_ = windows.SetNamedSecurityInfo(p, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
}

// TestMkdirPrivate: directories MkdirPrivate creates pass the cache check
// whatever their parent lets others do.
func TestMkdirPrivate(t *testing.T) {
	base := t.TempDir()
	sd, err := windows.SecurityDescriptorFromString("D:(A;OICI;FA;;;WD)") // a parent open to everyone
	if err != nil {
		t.Fatal(err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		t.Fatal(err)
	}
	if err := windows.SetNamedSecurityInfo(base, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "a", "b")
	if err := MkdirPrivate(dir); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Join(base, "a"), dir} {
		fi, err := Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if Loose(fi, 0o077) || CheckOwner(fi) != nil {
			t.Errorf("%s: %s; owner: %v", d, Who(fi, 0o077), CheckOwner(fi))
		}
	}
	if fi, _ := Stat(base); !Loose(fi, 0o077) {
		t.Errorf("the open parent is not loose: %s", Who(fi, 0o077))
	}
}
