//go:build unix

package oci_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/runtime/oci"
)

// TestOpenCacheRefusesAnotherOwner: a module cache with a private mode but
// another uid as owner is refused — its owner could rewrite the tag and
// pull records that say which manifest a tag names — and the error names
// the uid and what to do. Run as root, as the test needs chown.
func TestOpenCacheRefusesAnotherOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the directory another owner")
	}
	dir := filepath.Join(t.TempDir(), "modules")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := oci.OpenCache(dir); err != nil {
		t.Fatalf("own private cache refused: %v", err)
	}
	if err := os.Chown(dir, 1003, 1003); err != nil {
		t.Fatal(err)
	}
	_, err := oci.OpenCache(dir)
	if err == nil {
		t.Fatal("a cache owned by uid 1003 was opened")
	}
	for _, want := range []string{dir, "owned by uid 1003", "cache_dir"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
