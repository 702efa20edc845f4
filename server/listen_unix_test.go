//go:build !windows

package server

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSocketPaths(t *testing.T) {
	dir := shortTempDir(t)
	t.Run("not a socket is left alone", func(t *testing.T) {
		p := filepath.Join(dir, "file.sock")
		write(t, p, "keep me")
		_, err := listenUnix(p, 0o660)
		if err == nil || !strings.Contains(err.Error(), "is not a socket") {
			t.Fatalf("err = %v", err)
		}
		if b, _ := os.ReadFile(p); string(b) != "keep me" {
			t.Fatal("the file was touched")
		}
	})
	t.Run("a directory is left alone", func(t *testing.T) {
		p := filepath.Join(dir, "adir")
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := listenUnix(p, 0o660); err == nil || !strings.Contains(err.Error(), "is not a socket") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("live socket is refused", func(t *testing.T) {
		p := filepath.Join(dir, "live.sock")
		l, err := listenUnix(p, 0o660)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		_, err = listenUnix(p, 0o660)
		if !errors.Is(err, ErrSocketInUse) || !strings.Contains(err.Error(), "another latchkey serve is listening") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("stale socket is replaced", func(t *testing.T) {
		p := filepath.Join(dir, "stale.sock")
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		l.SetUnlinkOnClose(false)
		l.Close() // the socket file stays, as after kill -9
		l2, err := listenUnix(p, 0o660)
		if err != nil {
			t.Fatalf("stale socket: %v", err)
		}
		defer l2.Close()
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o660 {
			t.Fatalf("mode = %v, %v", fi.Mode(), err)
		}
	})
	t.Run("path too long", func(t *testing.T) {
		p := filepath.Join(dir, strings.Repeat("x", 120)+".sock")
		if _, err := listenUnix(p, 0o660); err == nil || !strings.Contains(err.Error(), "at most 107") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		if _, err := listenUnix(filepath.Join(dir, "no", "such", "x.sock"), 0o660); err == nil || !strings.Contains(err.Error(), "RuntimeDirectory") {
			t.Fatalf("err = %v", err)
		}
	})
}
