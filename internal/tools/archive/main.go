// Command archive writes a release archive that is the same bytes
// whenever it is given the same files: entries sorted by name, every
// timestamp set to -mtime (the commit's time), owner and group 0 with no
// names, modes reduced to 0755 for executables and 0644 for the rest, and
// no compressor header fields that vary (gzip name and time). It is what
// scripts/release.sh archives with, so that archives do not depend on the
// tar, gzip or zip a machine has.
//
//	go run ./internal/tools/archive -o OUT.tar.gz|OUT.zip -mtime UNIX -prefix DIR FILE...
//
// Each FILE is stored as DIR/base(FILE).
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/flate"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	out := flag.String("o", "", "archive to write: NAME.tar.gz or NAME.zip")
	mtime := flag.Int64("mtime", 0, "timestamp of every entry, in Unix seconds (the commit's time)")
	prefix := flag.String("prefix", "", "directory the files are stored under")
	flag.Parse()
	if err := run(*out, time.Unix(*mtime, 0).UTC(), *prefix, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "archive:", err)
		os.Exit(1)
	}
}

type entry struct {
	name, src string
	mode      int64
	size      int64
}

func run(out string, mtime time.Time, prefix string, files []string) error {
	if out == "" || prefix == "" || len(files) == 0 {
		return errors.New("usage: archive -o OUT.tar.gz|OUT.zip -mtime UNIX -prefix DIR FILES")
	}
	var entries []entry
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file", f)
		}
		mode := int64(0o644)
		if fi.Mode()&0o111 != 0 {
			mode = 0o755
		}
		entries = append(entries, entry{name: path.Join(prefix, filepath.Base(f)), src: f, mode: mode, size: fi.Size()})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	tmp := out + ".tmp"
	w, err := os.Create(tmp)
	if err != nil {
		return err
	}
	switch {
	case strings.HasSuffix(out, ".tar.gz"):
		err = writeTarGz(w, mtime, prefix, entries)
	case strings.HasSuffix(out, ".zip"):
		err = writeZip(w, mtime, prefix, entries)
	default:
		err = fmt.Errorf("%s: want a .tar.gz or .zip name", out)
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, out)
}

func writeTarGz(w io.Writer, mtime time.Time, prefix string, entries []entry) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	gz.ModTime = time.Time{} // no timestamp in the gzip header
	tw := tar.NewWriter(gz)
	hdr := func(h *tar.Header) error {
		h.ModTime, h.Uid, h.Gid, h.Uname, h.Gname, h.Format = mtime, 0, 0, "", "", tar.FormatPAX
		h.PAXRecords = nil
		return tw.WriteHeader(h)
	}
	if err := hdr(&tar.Header{Typeflag: tar.TypeDir, Name: prefix + "/", Mode: 0o755}); err != nil {
		return err
	}
	for _, e := range entries {
		if err := hdr(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: e.mode, Size: e.size}); err != nil {
			return err
		}
		if err := copyFile(tw, e.src, e.size); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, mtime time.Time, prefix string, entries []entry) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	dir := &zip.FileHeader{Name: prefix + "/", Method: zip.Store, Modified: mtime}
	dir.SetMode(0o755 | os.ModeDir)
	if _, err := zw.CreateHeader(dir); err != nil {
		return err
	}
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: mtime}
		h.SetMode(os.FileMode(e.mode))
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if err := copyFile(fw, e.src, e.size); err != nil {
			return err
		}
	}
	return zw.Close()
}

// copyFile copies src, which must still be size bytes long.
func copyFile(w io.Writer, src string, size int64) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err == nil && n != size {
		err = fmt.Errorf("%s changed while it was archived", src)
	}
	return err
}
