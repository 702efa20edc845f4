package fileperm

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestLoose(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows: the ACL is checked (TestGrants), not the mode")
	}
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode os.FileMode
		mask os.FileMode
		want bool
	}{
		{0o600, 0o077, false},
		{0o640, 0o077, true},
		{0o604, 0o004, true},
		{0o640, 0o004, false},
		{0o664, 0o002, false},
		{0o666, 0o002, true},
	}
	for _, tc := range tests {
		t.Run(tc.mode.String()+"&"+tc.mask.String(), func(t *testing.T) {
			if err := os.Chmod(p, tc.mode); err != nil {
				t.Fatal(err)
			}
			fi, err := Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := Loose(fi, tc.mask); got != tc.want {
				t.Fatalf("Loose(%v, %v) = %v", tc.mode, tc.mask, got)
			}
		})
	}
}
