//go:build unix

package safefile

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fixture makes every kind of path an attacker could plant where the agent
// expects a file, in a fresh directory.
func fixture(t *testing.T) map[string]string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sf") // short: a socket path has a length limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := func(n string) string { return filepath.Join(dir, n) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(p("regular"), []byte("token-0123456789abcdef\n"), 0o600))
	must(syscall.Mkfifo(p("fifo"), 0o600))
	must(os.Mkdir(p("dir"), 0o700))
	must(os.Symlink(p("regular"), p("link")))
	must(os.Symlink(p("fifo"), p("link-to-fifo")))
	l, err := net.Listen("unix", p("sock"))
	must(err)
	t.Cleanup(func() { l.Close() })
	must(os.WriteFile(p("big"), make([]byte, 2<<10), 0o600))
	return map[string]string{
		"regular": p("regular"), "fifo": p("fifo"), "dir": p("dir"), "link": p("link"),
		"link-to-fifo": p("link-to-fifo"), "sock": p("sock"), "big": p("big"),
		"missing": p("missing"), "dev-null": "/dev/null", "dev-zero": "/dev/zero",
	}
}

// inTime fails the test when f has not returned within 5 s: the point of
// the package is that nothing blocks.
func inTime(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s blocked", what)
	}
}

func TestReadFile(t *testing.T) {
	paths := fixture(t)
	tests := []struct {
		path    string
		opts    Options
		wantErr error  // nil: the read succeeds
		say     string // the error names what the path is
	}{
		{path: "regular"},
		{path: "link"}, // a Kubernetes secret mount: links are followed by default
		{path: "link", opts: Options{NoFollow: true}, wantErr: ErrSymlink, say: "is a symbolic link"},
		{path: "fifo", wantErr: ErrNotRegular, say: "is a named pipe (FIFO)"},
		{path: "link-to-fifo", wantErr: ErrNotRegular, say: "is a named pipe (FIFO)"},
		{path: "dir", wantErr: ErrNotRegular, say: "is a directory"},
		{path: "sock", wantErr: ErrNotRegular, say: "socket"},
		{path: "dev-null", wantErr: ErrNotRegular, say: "is a character device"},
		{path: "dev-zero", wantErr: ErrNotRegular, say: "is a character device"},
		{path: "missing", wantErr: fs.ErrNotExist},
		{path: "big", opts: Options{MaxSize: 1 << 10}, wantErr: ErrTooLarge, say: "is larger than 1 KiB"},
	}
	for _, tc := range tests {
		name := tc.path
		if tc.opts.NoFollow {
			name += "/nofollow"
		}
		t.Run(name, func(t *testing.T) {
			path := paths[tc.path]
			var (
				b   []byte
				fi  fs.FileInfo
				err error
			)
			inTime(t, "ReadFile "+tc.path, func() { b, fi, err = ReadFile(path, tc.opts) })
			if tc.wantErr == nil {
				if err != nil || string(b) != "token-0123456789abcdef\n" || !fi.Mode().IsRegular() {
					t.Fatalf("ReadFile = %q, %v, %v", b, fi, err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ReadFile error = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.say) {
				t.Errorf("error %q does not name the path and say %q", err, tc.say)
			}
			if b != nil {
				t.Errorf("ReadFile returned %d bytes with its error", len(b))
			}
		})
	}
}

// TestFIFOWithWriter: a FIFO whose writer is there and keeps writing is
// refused too, before anything is read from it.
func TestFIFOWithWriter(t *testing.T) {
	paths := fixture(t)
	w, err := os.OpenFile(paths["fifo"], os.O_RDWR, 0) // RDWR: opens without waiting
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write([]byte("planted")); err != nil {
		t.Fatal(err)
	}
	var rerr error
	inTime(t, "ReadFile of a FIFO with a writer", func() { _, _, rerr = ReadFile(paths["fifo"], Options{}) })
	if !errors.Is(rerr, ErrNotRegular) {
		t.Fatalf("error = %v, want ErrNotRegular", rerr)
	}
}

func TestOpenAppend(t *testing.T) {
	paths := fixture(t)
	reader, err := os.OpenFile(paths["fifo"], os.O_RDWR, 0) // a FIFO with a reader: the open itself succeeds
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	noReader := filepath.Join(filepath.Dir(paths["fifo"]), "fifo2")
	if err := syscall.Mkfifo(noReader, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantErr error
		say     string
	}{
		{name: "new file", path: filepath.Join(filepath.Dir(paths["regular"]), "new.log")},
		{name: "existing file", path: paths["regular"]},
		{name: "fifo without reader", path: noReader, wantErr: ErrNotRegular, say: "named pipe (FIFO)"},
		{name: "fifo with reader", path: paths["fifo"], wantErr: ErrNotRegular, say: "is a named pipe (FIFO)"},
		{name: "symlink", path: paths["link"], wantErr: ErrSymlink, say: "is a symbolic link"},
		{name: "directory", path: paths["dir"], wantErr: ErrNotRegular, say: "is a directory"},
		{name: "socket", path: paths["sock"], wantErr: ErrNotRegular, say: "socket"},
		{name: "/dev/null", path: "/dev/null", wantErr: ErrNotRegular, say: "is a character device"},
		{name: "missing directory", path: filepath.Join(paths["missing"], "x.log"), wantErr: fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var (
				f   *os.File
				err error
			)
			inTime(t, "OpenAppend", func() { f, _, err = OpenAppend(tc.path, 0o600) })
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				fi, _ := f.Stat()
				if fi.Mode().Perm()&0o077 != 0 {
					t.Errorf("created with mode %v", fi.Mode().Perm())
				}
				return
			}
			if f != nil {
				f.Close()
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.say) {
				t.Errorf("error %q does not say %q", err, tc.say)
			}
		})
	}
}

func TestExposed(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		mode fs.FileMode
		want string // "" for not exposed
	}{
		{0o600, ""},
		{0o400, ""},
		{0o640, ""}, // shared with the agent's group, as docs/serve.md suggests
		{0o440, ""},
		{0o644, "every user of the machine can read it"},
		{0o604, "every user of the machine can read it"},
		{0o620, "others than its owner can write it"},
		{0o602, "others than its owner can write it"},
		{0o666, "can read it and others than its owner can write it"},
	}
	for _, tc := range tests {
		t.Run(tc.mode.String(), func(t *testing.T) {
			p := filepath.Join(dir, "f")
			os.Remove(p)
			if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, fi, err := ReadFile(p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := Exposed(fi)
			if tc.want == "" {
				if got != "" {
					t.Errorf("Exposed = %q, want none", got)
				}
				return
			}
			if !strings.Contains(got, tc.want) || !strings.Contains(got, "chmod 0600") {
				t.Errorf("Exposed = %q, want %q and the fix", got, tc.want)
			}
		})
	}
}
