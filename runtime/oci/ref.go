package oci

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"oras.land/oras-go/v2/registry"
)

// Scheme starts a module reference in a store's module setting.
const Scheme = "oci://"

// Ref is a parsed module reference: oci://host[:port]/repository[:tag][@sha256:hex].
type Ref struct {
	// Registry is host[:port].
	Registry string
	// Repository is the repository path, e.g. "stores/vault-kv".
	Repository string
	// Tag is the tag, "" when the reference has only a digest.
	Tag string
	// Digest is the manifest's digest ("sha256:…"), "" for a bare tag.
	Digest string
}

// IsRef reports whether a module setting names an OCI reference rather
// than a file.
func IsRef(module string) bool { return strings.HasPrefix(module, Scheme) }

// ParseRef parses a reference, with or without the oci:// scheme: a tag
// (host/repo:tag), a digest (host/repo@sha256:…) or both
// (host/repo:tag@sha256:…, where the digest decides and the tag is kept
// for messages). A reference with neither is refused, as is a digest
// that is not SHA-256.
func ParseRef(s string) (Ref, error) {
	raw := strings.TrimPrefix(s, Scheme)
	if raw == "" || strings.Contains(raw, "://") {
		return Ref{}, fmt.Errorf("OCI reference %q: want oci://host[:port]/repository:tag or …@sha256:<64 hex digits>", s)
	}
	var r Ref
	name, dgst, hasDigest := strings.Cut(raw, "@")
	// A tag follows the last colon after the last slash (a colon before
	// it is a port).
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		r.Tag = name[i+1:]
		name = name[:i]
	}
	full := name
	switch {
	case hasDigest:
		full += "@" + dgst
	case r.Tag != "":
		full += ":" + r.Tag
	default:
		return Ref{}, fmt.Errorf("OCI reference %q names no tag and no digest: add :TAG or @sha256:<digest> (the digest pins it)", s)
	}
	p, err := registry.ParseReference(full)
	if err != nil {
		return Ref{}, fmt.Errorf("OCI reference %q: %w", s, err)
	}
	if r.Tag != "" {
		if err := (registry.Reference{Registry: p.Registry, Repository: p.Repository, Reference: r.Tag}).ValidateReferenceAsTag(); err != nil {
			return Ref{}, fmt.Errorf("OCI reference %q: tag %q: %w", s, r.Tag, err)
		}
	}
	r.Registry, r.Repository = p.Registry, p.Repository
	if hasDigest {
		if !strings.HasPrefix(dgst, "sha256:") || !isHex64(dgst[len("sha256:"):]) {
			return Ref{}, fmt.Errorf("OCI reference %q: digest %q: want sha256:<64 lower-case hex digits>", s, dgst)
		}
		r.Digest = dgst
	}
	return r, nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// String returns the reference with its scheme.
func (r Ref) String() string {
	s := Scheme + r.Registry + "/" + r.Repository
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Pinned reports whether the reference names its manifest by digest.
func (r Ref) Pinned() bool { return r.Digest != "" }

// reference is what the registry is asked for: the digest when there is
// one, else the tag.
func (r Ref) reference() string {
	if r.Digest != "" {
		return r.Digest
	}
	return r.Tag
}

// WithDigest returns r naming the manifest d (keeping the tag).
func (r Ref) WithDigest(d string) Ref { r.Digest = d; return r }

// Loopback reports whether the registry's host is localhost or a
// loopback address, which is reached over plain HTTP.
func (r Ref) Loopback() bool {
	host := r.Registry
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
