//go:build unix

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Bounds on what Latchkey's own packages may allocate while the binary
// initialises, before main: that runs in every process, whatever the
// command, so a package-level regexp.MustCompile, reflective walk or
// table build belongs behind a sync.OnceValue (internal/lazy) instead.
// Today the largest is under 2 KiB and all of them together under 12 KiB.
const (
	maxInitBytesPerPackage = 4 << 10
	maxInitBytesTotal      = 16 << 10
)

// TestInitIsCheap runs the built binary's `version` with
// GODEBUG=inittrace=1 and holds each of our packages' initialisation
// to the bounds above. Third-party packages are reported, not judged:
// their cost is said in docs/performance.md.
func TestInitIsCheap(t *testing.T) {
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("latchkey version: %v\n%s", err, out)
	}
	var total, ours, n int64
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		// init PKG @T ms, C ms clock, B bytes, A allocs
		var pkg string
		var at, clock float64
		var bytes, allocs int64
		if _, err := fmt.Sscanf(sc.Text(), "init %s @%f ms, %f ms clock, %d bytes, %d allocs", &pkg, &at, &clock, &bytes, &allocs); err != nil {
			continue
		}
		n++
		total += bytes
		if !strings.HasPrefix(pkg, "github.com/latchkey/latchkey") {
			continue
		}
		ours += bytes
		if bytes > maxInitBytesPerPackage {
			t.Errorf("package %s allocates %d bytes (%d allocations) at init, over %d: defer the work to first use", pkg, bytes, allocs, maxInitBytesPerPackage)
		}
	}
	if n < 100 {
		t.Fatalf("read %d init lines from GODEBUG=inittrace=1; the format changed?\n%.2000s", n, out)
	}
	if ours > maxInitBytesTotal {
		t.Errorf("latchkey's packages allocate %d bytes at init, over %d", ours, maxInitBytesTotal)
	}
	t.Logf("init: %d packages, %d bytes; latchkey's own %d bytes", n, total, ours)
}
