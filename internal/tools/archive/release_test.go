package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReleaseReproducible runs scripts/release.sh twice into two
// directories and asserts byte-identical archives and SBOMs (the same
// SHA256SUMS), then opens the archives: entries sorted, owner 0 with no
// names, every time the commit's, the binary version-stamped. To keep it
// short it builds two of the six targets (LATCHKEY_RELEASE_TARGETS:
// linux/amd64 and windows/arm64, one tar.gz and one zip); the script builds
// the others the same way. It needs git and the module proxy (for the
// pinned SBOM generator) and is skipped under -short.
func TestReleaseReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds latchkey four times: skipped under -short")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git (Debian package git)")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
		t.Skip("needs a git checkout: the version and times come from the commit")
	}
	const version = "v0.0.0-test.1"
	run := func(out string) []byte {
		cmd := exec.Command("bash", filepath.Join(root, "scripts", "release.sh"), version, out)
		cmd.Env = append(os.Environ(), "LATCHKEY_RELEASE_TARGETS=linux/amd64 windows/arm64")
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("release.sh: %v\n%s", err, b)
		}
		sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
		if err != nil {
			t.Fatal(err)
		}
		return sums
	}
	a, b := t.TempDir(), t.TempDir()
	sumsA, sumsB := run(a), run(b)
	if !bytes.Equal(sumsA, sumsB) {
		t.Fatalf("two builds of the same commit differ:\n%s\n---\n%s", sumsA, sumsB)
	}
	for _, name := range []string{"latchkey_0.0.0-test.1_linux_amd64.tar.gz", "latchkey_0.0.0-test.1_windows_arm64.zip",
		"latchkey_0.0.0-test.1_linux_amd64.cdx.json", "latchkey_0.0.0-test.1_windows_arm64.cdx.json"} {
		if !strings.Contains(string(sumsA), "  "+name+"\n") {
			t.Errorf("SHA256SUMS lacks %s:\n%s", name, sumsA)
		}
	}
	ct, err := exec.Command("git", "-C", root, "log", "-1", "--format=%ct").Output()
	if err != nil {
		t.Fatal(err)
	}
	epoch, _ := strconv.ParseInt(strings.TrimSpace(string(ct)), 10, 64)
	commitTime := time.Unix(epoch, 0)

	// The tar.gz: sorted, owner 0, no names, the commit's time, a stamped binary.
	f, err := os.Open(filepath.Join(a, "latchkey_0.0.0-test.1_linux_amd64.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if !gz.ModTime.IsZero() || gz.Name != "" {
		t.Errorf("gzip header holds a time or name: %v %q", gz.ModTime, gz.Name)
	}
	tr := tar.NewReader(gz)
	var names []string
	var bin []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(commitTime) {
			t.Errorf("%s: uid %d gid %d %q %q time %v; want 0 0 and %v", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime, commitTime)
		}
		if strings.HasSuffix(h.Name, "/latchkey") {
			if h.Mode != 0o755 {
				t.Errorf("binary mode %o", h.Mode)
			}
			bin, _ = io.ReadAll(tr)
		}
	}
	want := []string{"latchkey_0.0.0-test.1_linux_amd64/", "latchkey_0.0.0-test.1_linux_amd64/CHANGELOG.md",
		"latchkey_0.0.0-test.1_linux_amd64/LICENSE", "latchkey_0.0.0-test.1_linux_amd64/README.md", "latchkey_0.0.0-test.1_linux_amd64/latchkey"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("entries = %v, want %v", names, want)
	}
	if !bytes.Contains(bin, []byte(version)) {
		t.Error("the linux binary does not carry the version")
	}
	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		p := filepath.Join(t.TempDir(), "latchkey")
		if err := os.WriteFile(p, bin, 0o755); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(p, "version").CombinedOutput()
		if err != nil || !strings.Contains(string(out), version) {
			t.Errorf("latchkey version = %s, %v; want %s", out, err, version)
		}
	}

	// The zip: sorted, the commit's time (zip keeps two-second DOS times
	// and an extended UTC time), a .exe.
	zr, err := zip.OpenReader(filepath.Join(a, "latchkey_0.0.0-test.1_windows_arm64.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	names = names[:0]
	for _, zf := range zr.File {
		names = append(names, zf.Name)
		if !zf.Modified.Equal(commitTime) {
			t.Errorf("%s: time %v, want %v", zf.Name, zf.Modified, commitTime)
		}
	}
	if len(names) != 5 || names[4] != "latchkey_0.0.0-test.1_windows_arm64/latchkey.exe" {
		t.Errorf("zip entries = %v", names)
	}
}

// TestArchiveRefuses: the archiver's inputs are checked.
func TestArchiveRefuses(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, out, prefix string
		files             []string
		want              string
	}{
		{"no files", filepath.Join(dir, "a.tar.gz"), "p", nil, "usage"},
		{"no prefix", filepath.Join(dir, "a.tar.gz"), "", []string{f}, "usage"},
		{"unknown format", filepath.Join(dir, "a.rar"), "p", []string{f}, "want a .tar.gz or .zip name"},
		{"a directory", filepath.Join(dir, "a.zip"), "p", []string{dir}, "not a regular file"},
		{"missing", filepath.Join(dir, "a.zip"), "p", []string{filepath.Join(dir, "nope")}, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(tc.out, time.Unix(0, 0), tc.prefix, tc.files)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if _, err := os.Stat(tc.out); err == nil {
				t.Fatal("an archive was left behind")
			}
		})
	}
}
