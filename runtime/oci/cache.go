package oci

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/latchkey/latchkey/internal/fileperm"
)

// Cache is a content-addressed store of pulled artifacts under a
// directory: blobs/sha256/HEX holds the bytes whose SHA-256 is HEX, and
// every read checks it. It is safe for concurrent use, and processes may
// share its directory: files are written to a temporary name and renamed.
type Cache struct {
	dir string
}

// OpenCache returns the cache in dir, created with mode 0700 if needed. It
// refuses a directory another user owns, or other users may read or write: a module planted
// there would still be refused by its digest, but a record could hide a
// newer signature, and a reader could learn which stores an agent runs.
func OpenCache(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("module cache: no directory given")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("module cache %s: %w", dir, err)
	}
	if err := fileperm.MkdirPrivate(dir); err != nil {
		return nil, fmt.Errorf("module cache: %w", err)
	}
	st, err := fileperm.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("module cache: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("module cache %s is not a directory", dir)
	}
	if fileperm.Loose(st, 0o077) {
		if who := fileperm.Who(st, 0o077); who != "" { // Windows: the ACL
			return nil, fmt.Errorf("module cache %s has %s: other users could read or replace what it holds; remove their access (docs/windows.md) or choose another cache_dir", dir, who)
		}
		return nil, fmt.Errorf("module cache %s has mode %o: other users could read or replace what it holds; run chmod 700 on it or choose another cache_dir", dir, st.Mode().Perm())
	}
	if err := fileperm.CheckOwner(st); err != nil {
		return nil, fmt.Errorf("module cache %s: %w: its owner could rewrite its records; choose a cache_dir of the agent's own", dir, err)
	}
	for _, sub := range []string{"blobs/sha256", "pulls", "tags"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("module cache: %w", err)
		}
	}
	return &Cache{dir: dir}, nil
}

// Dir returns the cache's directory.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) blobPath(digest string) (string, error) {
	hexd, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || !isHex64(hexd) {
		return "", fmt.Errorf("%q is not a sha256 digest", digest)
	}
	return filepath.Join(c.dir, "blobs", "sha256", hexd), nil
}

// Get returns the blob stored under digest, at most max bytes, after
// checking that its SHA-256 still is digest. A missing blob is an error
// wrapping [fs.ErrNotExist]; one that changed wraps [ErrTampered].
func (c *Cache) Get(digest string, max int64) ([]byte, error) {
	p, err := c.blobPath(digest)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: cached blob %s (%s) is over %d bytes", ErrTampered, digest, p, max)
	}
	if got := Digest(b); got != digest {
		return nil, fmt.Errorf("%w: %s holds %s, not %s; delete it and pull again (latchkey module pull)", ErrTampered, p, got, digest)
	}
	return b, nil
}

// Has reports whether a blob is stored under digest (unchecked).
func (c *Cache) Has(digest string) bool {
	p, err := c.blobPath(digest)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}

// Put stores b under its digest, which must be digest.
func (c *Cache) Put(digest string, b []byte) error {
	if got := Digest(b); got != digest {
		return fmt.Errorf("%w: storing %s, bytes have %s", ErrDigestMismatch, digest, got)
	}
	p, err := c.blobPath(digest)
	if err != nil {
		return err
	}
	return writeAtomic(p, b)
}

// record is what a pull learned that is not content-addressed: the
// layer and config of a manifest (re-checked against the manifest) and
// the digests of the signature bundles found for it.
type record struct {
	Manifest string   `json:"manifest"`
	Bundles  []string `json:"bundles,omitempty"`
}

func (c *Cache) recordPath(manifest string) string {
	return filepath.Join(c.dir, "pulls", strings.TrimPrefix(manifest, "sha256:")+".json")
}

func (c *Cache) tagPath(r Ref) string {
	return filepath.Join(c.dir, "tags", strings.TrimPrefix(Digest([]byte(r.Registry+"/"+r.Repository+":"+r.Tag)), "sha256:"))
}

func (c *Cache) readRecord(manifest string) (record, bool) {
	var rec record
	b, err := os.ReadFile(c.recordPath(manifest))
	if err != nil || json.Unmarshal(b, &rec) != nil || rec.Manifest != manifest {
		return record{}, false
	}
	return rec, true
}

func (c *Cache) writeRecord(rec record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return writeAtomic(c.recordPath(rec.Manifest), b)
}

// taggedManifest returns the manifest digest a tag named when last
// pulled.
func (c *Cache) taggedManifest(r Ref) (string, bool) {
	b, err := os.ReadFile(c.tagPath(r))
	d := strings.TrimSpace(string(b))
	if err != nil || !strings.HasPrefix(d, "sha256:") || !isHex64(d[7:]) {
		return "", false
	}
	return d, true
}

func (c *Cache) writeTag(r Ref, manifest string) error {
	return writeAtomic(c.tagPath(r), []byte(manifest+"\n"))
}

func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// Digest returns "sha256:" and the hex SHA-256 of b.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}
