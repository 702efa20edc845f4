package secret

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckVersion(t *testing.T) {
	tests := []struct {
		name string
		v    string
		rule string // "" when valid
	}{
		{"uuid", "3f2a9c1e-0b7d-4e55-9a61-2c8d1e0f4b3a", ""},
		{"etag", `W/"a1b2"`, ""},
		{"gcp resource", "projects/p/secrets/s/versions/12", ""},
		{"longest", strings.Repeat("x", MaxVersionLen), ""},
		{"empty", "", "empty"},
		{"overlong", strings.Repeat("x", MaxVersionLen+1), "over the limit of 512"},
		{"newline", "v1\nforged", "control character 0x0a"},
		{"NUL", "v1\x00", "control character 0x00"},
		{"DEL", "v1\x7f", "control character 0x7f"},
		{"tab", "v1\tx", "control character 0x09"},
		{"space", "v1 caller=root", "a space"},
		{"non-ASCII", "v1\u202e", "not ASCII"},
		{"invalid UTF-8", "v1\xff", "not ASCII"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckVersion(tc.v)
			if tc.rule == "" {
				if err != nil {
					t.Fatalf("CheckVersion = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrBadVersion) || !strings.Contains(err.Error(), tc.rule) {
				t.Fatalf("CheckVersion = %v, want ErrBadVersion naming %q", err, tc.rule)
			}
		})
	}
}

// TestFetchInfoRefusesVersions: a bad version never becomes the
// FetchInfo's version, which every layer downstream (cache, audit, SM
// endpoint) reads.
func TestFetchInfoRefusesVersions(t *testing.T) {
	var n FetchInfo
	n.SetVersion("v1")
	n.SetVersion("v2\n{\"forged\":true}")
	if n.Version() != "v1" {
		t.Fatalf("Version = %q after a refused one, want v1", n.Version())
	}
	if err := n.VersionRefused; !errors.Is(err, ErrBadVersion) || strings.Contains(err.Error(), "forged") {
		t.Fatalf("VersionRefused = %v, want ErrBadVersion without the version", err)
	}
}

// FuzzCheckVersion: an accepted version is 1 to MaxVersionLen bytes of
// printable ASCII; a refusal never quotes the version.
func FuzzCheckVersion(f *testing.F) {
	for _, s := range []string{"v1", "", "v1\nx", "v1 x", "\u202e", strings.Repeat("a", 600), "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		err := CheckVersion(v)
		if err == nil {
			if v == "" || len(v) > MaxVersionLen {
				t.Fatalf("accepted a version of %d bytes", len(v))
			}
			for i := 0; i < len(v); i++ {
				if v[i] < '!' || v[i] > '~' {
					t.Fatalf("accepted byte 0x%02x", v[i])
				}
			}
			return
		}
		if !errors.Is(err, ErrBadVersion) {
			t.Fatalf("error %v does not wrap ErrBadVersion", err)
		}
		if len(v) >= 8 && strings.Contains(err.Error(), v) {
			t.Fatalf("the error quotes the version: %v", err)
		}
	})
}
