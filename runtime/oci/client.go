package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/errcode"

	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/runtime/modsig"
)

// Media types of the Wasm OCI artifact convention, and of Sigstore bundles
// stored beside an artifact.
const (
	ConfigMediaType = "application/vnd.wasm.config.v0+json"
	LayerMediaType  = "application/wasm"
	// BundleMediaType is the media type (and artifact type) cosign gives a
	// Sigstore bundle it attaches to an image.
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// CapabilitiesKey is the config key holding the module's capability
	// section.
	CapabilitiesKey = "latchkey.capabilities"
	dockerManifest  = "application/vnd.docker.distribution.manifest.v2+json"
	// cosign's legacy signature layer and its signature annotation.
	legacyPayload   = "application/vnd.dev.cosign.simplesigning.v1+json"
	legacySignature = "dev.cosignproject.cosign/signature"
)

// Size caps of what a pull accepts.
const (
	maxManifest = 4 << 20
	maxConfig   = 1 << 20
	maxModule   = 256 << 20
	maxBundle   = 1 << 20
	maxBundles  = 16
)

// Config is the artifact's config blob, as the Wasm OCI artifact
// convention writes it, plus the module's declared capabilities.
type Config struct {
	Created      string   `json:"created,omitempty"`
	Author       string   `json:"author,omitempty"`
	Architecture string   `json:"architecture"`
	OS           string   `json:"os"`
	LayerDigests []string `json:"layerDigests,omitempty"`
	// Capabilities is a copy of the module's latchkey.capabilities
	// section, nil when it has none. It is informational: the host reads
	// the section from the module itself when loading it.
	Capabilities *lkruntime.Capabilities `json:"latchkey.capabilities,omitempty"`
}

// Artifact is a pulled module.
type Artifact struct {
	// Ref is the reference pulled, with the manifest's digest filled in.
	Ref Ref
	// Manifest is the manifest's digest, Layer the module's.
	Manifest, Layer string
	Wasm            []byte
	Config          Config
	// Bundles are the Sigstore bundles (JSON) found for the artifact in
	// the registry, unverified.
	Bundles [][]byte
	// FromCache says the registry was not contacted.
	FromCache bool
}

// Client pulls and pushes modules. The zero value is not usable: set
// Cache for pulls. A Client is safe for concurrent use.
type Client struct {
	// Cache keeps what is pulled; required by Pull.
	Cache *Cache
	// PlainHTTP allows plain HTTP to registries that are not on loopback.
	PlainHTTP bool
	// DockerConfig is the Docker config file holding credentials and
	// credential helpers (default: $DOCKER_CONFIG/config.json or
	// ~/.docker/config.json).
	DockerConfig string
	// HTTP is the HTTP client (default: one with a 30 s dial and header
	// timeout; whole transfers are bounded by the caller's context).
	HTTP *http.Client
	// Offline serves from the cache only and never contacts a registry.
	Offline bool
	// Logger receives warnings (a referrers listing that failed, a tag
	// served from the cache while the registry was unreachable).
	Logger *slog.Logger

	once  sync.Once
	creds auth.CredentialFunc
	cerr  error
	cache auth.Cache
}

func (c *Client) log() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

func (c *Client) repository(r Ref) (*remote.Repository, error) {
	c.once.Do(func() {
		var st *credentials.DynamicStore
		if c.DockerConfig != "" {
			st, c.cerr = credentials.NewStore(c.DockerConfig, credentials.StoreOptions{})
		} else {
			st, c.cerr = credentials.NewStoreFromDocker(credentials.StoreOptions{})
		}
		if c.cerr == nil {
			c.creds = credentials.Credential(st)
		}
		c.cache = auth.NewCache()
	})
	if c.cerr != nil {
		return nil, fmt.Errorf("registry credentials (Docker config): %w", c.cerr)
	}
	repo, err := remote.NewRepository(r.Registry + "/" + r.Repository)
	if err != nil {
		return nil, err
	}
	repo.PlainHTTP = r.Loopback() || c.PlainHTTP
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	repo.Client = &auth.Client{Client: hc, Credential: c.creds, Cache: c.cache, ClientID: "latchkey"}
	repo.ReferrerListMaxPages = 4
	return repo, nil
}

var defaultHTTP = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
	TLSHandshakeTimeout:   30 * time.Second,
	ResponseHeaderTimeout: 30 * time.Second,
	ForceAttemptHTTP2:     true,
}}

// Pull returns the module r names. pin, when not empty, is the module's
// (the layer's) digest as "sha256:HEX": the artifact is refused when its
// layer differs. A reference with a digest, or a tag with a pin whose
// manifest the cache holds, is served from the cache; anything else is
// fetched from the registry and stored. A cached file that changed is
// refused ([ErrTampered]), never silently fetched again.
func (c *Client) Pull(ctx context.Context, r Ref, pin string) (*Artifact, error) {
	fail := func(d string, err error) (*Artifact, error) {
		return nil, &Error{Ref: r.String(), Digest: d, Op: "pull", Err: err}
	}
	if c.Cache == nil {
		return fail("", errors.New("no module cache configured"))
	}
	md := r.Digest
	if md == "" && pin != "" {
		md, _ = c.Cache.taggedManifest(r)
	}
	if md != "" {
		a, err := c.fromCache(r, md, pin)
		switch {
		case err == nil:
			return a, nil
		case errors.Is(err, ErrTampered):
			return fail(md, err)
		case errors.Is(err, ErrDigestMismatch) && r.Digest != "":
			return fail(md, err)
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, ErrDigestMismatch):
			return fail(md, err)
		}
		// Not cached, or a tag that moved since: ask the registry.
	}
	if c.Offline {
		return fail(md, fmt.Errorf("%w (offline: the registry is not contacted)", ErrUnreachable))
	}
	a, err := c.fromRegistry(ctx, r, pin)
	if err != nil && errors.Is(err, ErrUnreachable) && r.Digest == "" && pin == "" {
		if md, ok := c.Cache.taggedManifest(r); ok {
			if a, cerr := c.fromCache(r, md, ""); cerr == nil {
				c.log().Warn("registry unreachable: serving the module the tag named when last pulled; pin it by digest",
					"ref", r.String(), "manifest", md, "error", err)
				return a, nil
			}
		}
	}
	if err != nil {
		var oe *Error
		if errors.As(err, &oe) {
			return nil, err
		}
		return fail(r.Digest, err)
	}
	return a, nil
}

// fromCache assembles the artifact of manifest md from the cache.
func (c *Client) fromCache(r Ref, md, pin string) (*Artifact, error) {
	mb, err := c.Cache.Get(md, maxManifest)
	if err != nil {
		return nil, err
	}
	m, err := checkManifest(mb)
	if err != nil {
		return nil, err
	}
	layer, cfg := m.Layers[0], m.Config
	if pin != "" && string(layer.Digest) != pin {
		return nil, fmt.Errorf("%w: module pinned by sha256 %s, manifest %s has %s", ErrDigestMismatch, pin, md, layer.Digest)
	}
	a := &Artifact{Ref: r.WithDigest(md), Manifest: md, Layer: string(layer.Digest), FromCache: true}
	cb, err := c.Cache.Get(string(cfg.Digest), maxConfig)
	if err != nil {
		return nil, err
	}
	a.Config = parseConfig(cb)
	if a.Wasm, err = c.Cache.Get(a.Layer, maxModule); err != nil {
		return nil, err
	}
	rec, _ := c.Cache.readRecord(md)
	if len(rec.Bundles) > maxBundles {
		rec.Bundles = rec.Bundles[:maxBundles]
	}
	for _, b := range rec.Bundles {
		bb, err := c.Cache.Get(b, maxBundle)
		if err != nil {
			return nil, err
		}
		a.Bundles = append(a.Bundles, bb)
	}
	return a, nil
}

func (c *Client) fromRegistry(ctx context.Context, r Ref, pin string) (*Artifact, error) {
	repo, err := c.repository(r)
	if err != nil {
		return nil, err
	}
	desc, mb, err := fetchManifest(ctx, repo, r.reference())
	if err != nil {
		err = registryError(r, err)
		if errors.Is(err, ErrUnreachable) {
			err = fmt.Errorf("%w; the module cache has no copy (latchkey module pull fills it)", err)
		}
		return nil, err
	}
	md := string(desc.Digest)
	if r.Digest != "" && md != r.Digest {
		return nil, &Error{Ref: r.String(), Digest: md, Op: "pull", Err: fmt.Errorf("%w: asked for manifest %s, registry served %s", ErrDigestMismatch, r.Digest, md)}
	}
	wrap := func(op string, err error) error { return &Error{Ref: r.String(), Digest: md, Op: op, Err: err} }
	m, err := checkManifest(mb)
	if err != nil {
		return nil, wrap("pull", err)
	}
	layer, cfgDesc := m.Layers[0], m.Config
	if pin != "" && string(layer.Digest) != pin {
		return nil, wrap("pull", fmt.Errorf("%w: module pinned by sha256 %s, the registry's manifest has %s", ErrDigestMismatch, pin, layer.Digest))
	}
	cb, err := content.FetchAll(ctx, repo, cfgDesc)
	if err != nil {
		return nil, wrap("fetch config "+string(cfgDesc.Digest), registryError(r, err))
	}
	wasm, err := content.FetchAll(ctx, repo, layer)
	if err != nil {
		return nil, wrap("fetch module "+string(layer.Digest), registryError(r, err))
	}
	bundles := c.findBundles(ctx, repo, r, desc)
	a := &Artifact{Ref: r.WithDigest(md), Manifest: md, Layer: string(layer.Digest), Wasm: wasm, Config: parseConfig(cb), Bundles: bundles}
	// Store the blobs first and the records last, so that a record never
	// names a blob that is not there.
	rec := record{Manifest: md}
	for _, b := range bundles {
		d := Digest(b)
		if err := c.Cache.Put(d, b); err != nil {
			return nil, wrap("write cache", err)
		}
		rec.Bundles = append(rec.Bundles, d)
	}
	for _, blob := range []struct {
		d string
		b []byte
	}{{a.Layer, wasm}, {string(cfgDesc.Digest), cb}, {md, mb}} {
		if err := c.Cache.Put(blob.d, blob.b); err != nil {
			return nil, wrap("write cache", err)
		}
	}
	if err := c.Cache.writeRecord(rec); err != nil {
		return nil, wrap("write cache", err)
	}
	if r.Tag != "" {
		if err := c.Cache.writeTag(r, md); err != nil {
			return nil, wrap("write cache", err)
		}
	}
	return a, nil
}

func fetchManifest(ctx context.Context, repo *remote.Repository, reference string) (ocispec.Descriptor, []byte, error) {
	desc, rc, err := repo.FetchReference(ctx, reference)
	if err != nil {
		return desc, nil, err
	}
	defer rc.Close()
	if desc.MediaType == ocispec.MediaTypeImageIndex || strings.Contains(desc.MediaType, "manifest.list") {
		return desc, nil, fmt.Errorf("%w: %s is an index (%s); a module is one image manifest with config %s", ErrMediaType, desc.Digest, desc.MediaType, ConfigMediaType)
	}
	if desc.Size > maxManifest {
		return desc, nil, fmt.Errorf("%w: manifest of %d bytes", ErrTooLarge, desc.Size)
	}
	b, err := content.ReadAll(rc, desc)
	return desc, b, err
}

// checkManifest parses a manifest and checks that it is a Wasm OCI
// artifact of one module layer.
func checkManifest(b []byte) (*ocispec.Manifest, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest is not JSON: %w", err)
	}
	if m.MediaType != "" && m.MediaType != ocispec.MediaTypeImageManifest && m.MediaType != dockerManifest {
		return nil, fmt.Errorf("%w: manifest media type %q, want %s", ErrMediaType, m.MediaType, ocispec.MediaTypeImageManifest)
	}
	if m.Config.MediaType != ConfigMediaType {
		return nil, fmt.Errorf("%w: config media type %q, want %s (the Wasm OCI artifact convention; push with latchkey module push)", ErrMediaType, m.Config.MediaType, ConfigMediaType)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != LayerMediaType {
		var got []string
		for _, l := range m.Layers {
			got = append(got, l.MediaType)
		}
		return nil, fmt.Errorf("%w: layers %q, want exactly one %s", ErrMediaType, got, LayerMediaType)
	}
	for _, d := range []ocispec.Descriptor{m.Config, m.Layers[0]} {
		// Validate first: Algorithm panics on a digest without a colon,
		// and the manifest is the registry's to write.
		if d.Digest.Validate() != nil || d.Digest.Algorithm() != digest.SHA256 {
			return nil, fmt.Errorf("%w: descriptor digest %q is not sha256", ErrMediaType, d.Digest)
		}
	}
	if m.Config.Size > maxConfig {
		return nil, fmt.Errorf("%w: config of %d bytes", ErrTooLarge, m.Config.Size)
	}
	if m.Layers[0].Size > maxModule {
		return nil, fmt.Errorf("%w: module of %d bytes (at most %d MiB)", ErrTooLarge, m.Layers[0].Size, maxModule>>20)
	}
	return &m, nil
}

func parseConfig(b []byte) Config {
	var c Config
	// The config is informational; a module pushed by another tool may
	// carry other fields or none.
	_ = json.Unmarshal(b, &c)
	return c
}

// findBundles collects the Sigstore bundles attached to the manifest:
// referrers of artifact type [BundleMediaType] (the referrers API, or
// the sha256-HEX tag where the registry has none, as oras-go reads it),
// then cosign's sha256-HEX.sig tag. A failure is logged: a store that
// requires a signature then refuses the module for want of one.
func (c *Client) findBundles(ctx context.Context, repo *remote.Repository, r Ref, subject ocispec.Descriptor) [][]byte {
	var out [][]byte
	add := func(m *ocispec.Manifest) {
		for _, l := range m.Layers {
			if sig, ok := l.Annotations[legacySignature]; ok && l.MediaType == legacyPayload && l.Size <= maxBundle && len(out) < maxBundles {
				// cosign's legacy format: kept beside the bundles, for
				// modsig to verify with a key.
				p, err := content.FetchAll(ctx, repo, l)
				if err != nil {
					c.log().Warn("could not fetch a legacy cosign signature", "ref", r.String(), "payload", l.Digest, "error", err)
					continue
				}
				out = append(out, modsig.EncodeLegacy(modsig.Legacy{Payload: p, Signature: sig}))
				continue
			}
			if len(out) >= maxBundles || !strings.HasPrefix(l.MediaType, "application/vnd.dev.sigstore.bundle") || l.Size > maxBundle {
				continue
			}
			b, err := content.FetchAll(ctx, repo, l)
			if err != nil {
				c.log().Warn("could not fetch a signature bundle", "ref", r.String(), "bundle", l.Digest, "error", err)
				continue
			}
			out = append(out, b)
		}
	}
	err := repo.Referrers(ctx, subject, "", func(refs []ocispec.Descriptor) error {
		for _, d := range refs {
			if !strings.HasPrefix(d.ArtifactType, "application/vnd.dev.sigstore.bundle") || d.Size > maxManifest {
				continue
			}
			mb, err := content.FetchAll(ctx, repo, d)
			if err != nil {
				return err
			}
			var m ocispec.Manifest
			if err := json.Unmarshal(mb, &m); err != nil {
				continue
			}
			add(&m)
		}
		return nil
	})
	if err != nil {
		c.log().Warn("could not list the artifact's referrers (signatures)", "ref", r.String(), "manifest", subject.Digest, "error", err)
	}
	sigTag := strings.Replace(string(subject.Digest), ":", "-", 1) + ".sig"
	if _, mb, err := fetchManifestAny(ctx, repo, sigTag); err == nil {
		var m ocispec.Manifest
		if json.Unmarshal(mb, &m) == nil {
			add(&m)
		}
	} else if !errors.Is(err, errdef.ErrNotFound) {
		c.log().Warn("could not read cosign's signature tag", "ref", r.String(), "tag", sigTag, "error", err)
	}
	return out
}

func fetchManifestAny(ctx context.Context, repo *remote.Repository, reference string) (ocispec.Descriptor, []byte, error) {
	desc, rc, err := repo.FetchReference(ctx, reference)
	if err != nil {
		return desc, nil, err
	}
	defer rc.Close()
	if desc.Size > maxManifest {
		return desc, nil, fmt.Errorf("%w: manifest of %d bytes", ErrTooLarge, desc.Size)
	}
	b, err := content.ReadAll(rc, desc)
	return desc, b, err
}

// registryError classifies a registry failure: not found, refused
// credentials, or unreachable.
func registryError(r Ref, err error) error {
	var ec *errcode.ErrorResponse
	switch {
	case errors.Is(err, ErrMediaType), errors.Is(err, ErrTooLarge), errors.Is(err, ErrDigestMismatch):
		return err
	case errors.Is(err, content.ErrMismatchedDigest), errors.Is(err, content.ErrTrailingData),
		errors.Is(err, content.ErrInvalidDescriptorSize), errors.Is(err, errdef.ErrInvalidDigest):
		return fmt.Errorf("%w: the registry served other bytes than the digest names: %v", ErrDigestMismatch, err)
	case errors.Is(err, errdef.ErrSizeExceedsLimit):
		return fmt.Errorf("%w: %v", ErrTooLarge, err)
	case errors.Is(err, errdef.ErrNotFound):
		return fmt.Errorf("%w: %s: %v", ErrNotFound, r.reference(), err)
	case errors.Is(err, auth.ErrBasicCredentialNotFound),
		errors.As(err, &ec) && (ec.StatusCode == http.StatusUnauthorized || ec.StatusCode == http.StatusForbidden):
		return fmt.Errorf("registry %s refused the credentials (docker login %s, or a credential helper in the Docker config): %w", r.Registry, r.Registry, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &oe) || errors.As(err, &ec) {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	return fmt.Errorf("%w: %v", ErrUnreachable, err)
}

// PushOptions are the optional parts of a push.
type PushOptions struct {
	// Title is the file name recorded in the manifest's annotations.
	Title string
	// Bundle, when set, is a Sigstore bundle (JSON) attached to the pushed
	// manifest as a referrer of artifact type [BundleMediaType].
	Bundle []byte
	// Annotations are added to the manifest's.
	Annotations map[string]string
}

// Pushed is what a push wrote.
type Pushed struct {
	Ref      Ref
	Manifest string
	Layer    string
	Config   Config
	// Bundle is the digest of the signature referrer's manifest, "" when
	// no bundle was attached.
	Bundle string
}

// Push uploads wasm as a Wasm OCI artifact under r's tag, with the
// module's capability section copied into the config. The module must
// be a Wasm binary whose capability section, if any, is well-formed.
// The manifest holds no time stamp: the same file, title and annotations
// make the same manifest digest, so pushing again to attach another
// bundle keeps every pin valid.
func (c *Client) Push(ctx context.Context, r Ref, wasm []byte, opts PushOptions) (*Pushed, error) {
	fail := func(d string, err error) (*Pushed, error) {
		return nil, &Error{Ref: r.String(), Digest: d, Op: "push", Err: err}
	}
	if r.Tag == "" {
		return fail("", errors.New("push needs a tag (host/repository:tag); the manifest's digest is printed after the push"))
	}
	if !bytes.HasPrefix(wasm, []byte("\x00asm")) {
		return fail("", errors.New("not a Wasm binary (no \\0asm header)"))
	}
	caps, err := lkruntime.ParseCapabilities(wasm)
	if err != nil {
		return fail("", err)
	}
	layer := content.NewDescriptorFromBytes(LayerMediaType, wasm)
	if opts.Title != "" {
		layer.Annotations = map[string]string{ocispec.AnnotationTitle: opts.Title}
	}
	// No time stamp: pushing the same file again makes the same manifest,
	// so that pins stay valid when a signature is added (key rotation).
	cfg := Config{Architecture: "wasm", OS: "wasip1", LayerDigests: []string{string(layer.Digest)}, Capabilities: caps}
	cb, err := json.Marshal(cfg)
	if err != nil {
		return fail("", err)
	}
	cfgDesc := content.NewDescriptorFromBytes(ConfigMediaType, cb)
	var ann map[string]string
	for k, v := range opts.Annotations {
		if ann == nil {
			ann = map[string]string{}
		}
		ann[k] = v
	}
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: cfgDesc, Layers: []ocispec.Descriptor{layer}, Annotations: ann}
	mb, err := json.Marshal(m)
	if err != nil {
		return fail("", err)
	}
	mDesc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, mb)
	repo, err := c.repository(r)
	if err != nil {
		return fail("", err)
	}
	for _, blob := range []struct {
		d ocispec.Descriptor
		b []byte
	}{{layer, wasm}, {cfgDesc, cb}} {
		if ok, err := repo.Exists(ctx, blob.d); err == nil && ok {
			continue
		}
		if err := repo.Push(ctx, blob.d, bytes.NewReader(blob.b)); err != nil {
			return fail(string(blob.d.Digest), registryError(r, err))
		}
	}
	if err := repo.PushReference(ctx, mDesc, bytes.NewReader(mb), r.Tag); err != nil {
		return fail(string(mDesc.Digest), registryError(r, err))
	}
	out := &Pushed{Ref: r.WithDigest(string(mDesc.Digest)), Manifest: string(mDesc.Digest), Layer: string(layer.Digest), Config: cfg}
	if opts.Bundle != nil {
		d, err := attachBundle(ctx, repo, mDesc, opts.Bundle)
		if err != nil {
			return fail(string(mDesc.Digest), fmt.Errorf("attach signature bundle: %w", registryError(r, err)))
		}
		out.Bundle = d
	}
	return out, nil
}

// attachBundle pushes a Sigstore bundle as a referrer of subject, as
// cosign attaches the bundles it makes.
func attachBundle(ctx context.Context, repo *remote.Repository, subject ocispec.Descriptor, bundle []byte) (string, error) {
	if len(bundle) > maxBundle {
		return "", fmt.Errorf("%w: bundle of %d bytes", ErrTooLarge, len(bundle))
	}
	bl := content.NewDescriptorFromBytes(BundleMediaType, bundle)
	empty := ocispec.DescriptorEmptyJSON
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: BundleMediaType, Config: empty, Layers: []ocispec.Descriptor{bl}, Subject: &subject}
	mb, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	for _, blob := range []struct {
		d ocispec.Descriptor
		b []byte
	}{{bl, bundle}, {empty, empty.Data}} {
		if ok, err := repo.Exists(ctx, blob.d); err == nil && ok {
			continue
		}
		if err := repo.Push(ctx, blob.d, bytes.NewReader(blob.b)); err != nil {
			return "", err
		}
	}
	md := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, mb)
	md.ArtifactType = BundleMediaType
	if err := repo.Push(ctx, md, bytes.NewReader(mb)); err != nil {
		return "", err
	}
	return string(md.Digest), nil
}

// Described is what [Client.Describe] reads: the manifest and config,
// without the module.
type Described struct {
	Ref      Ref
	Manifest string
	Layer    ocispec.Descriptor
	Config   Config
	// Annotations are the manifest's.
	Annotations map[string]string
	// Cached says whether the cache holds the module.
	Cached bool
}

// Describe reads a module's manifest and config, from the cache when it
// holds them, else from the registry, without pulling the module itself.
func (c *Client) Describe(ctx context.Context, r Ref) (*Described, error) {
	fail := func(d string, err error) (*Described, error) {
		return nil, &Error{Ref: r.String(), Digest: d, Op: "inspect", Err: err}
	}
	var mb, cb []byte
	var md string
	if c.Cache != nil && r.Digest != "" {
		if b, err := c.Cache.Get(r.Digest, maxManifest); err == nil {
			mb, md = b, r.Digest
		}
	}
	var repo *remote.Repository
	if mb == nil {
		if c.Offline {
			return fail(r.Digest, fmt.Errorf("%w (offline)", ErrUnreachable))
		}
		var err error
		if repo, err = c.repository(r); err != nil {
			return fail("", err)
		}
		desc, b, err := fetchManifest(ctx, repo, r.reference())
		if err != nil {
			return fail(r.Digest, registryError(r, err))
		}
		mb, md = b, string(desc.Digest)
		if r.Digest != "" && md != r.Digest {
			return fail(md, fmt.Errorf("%w: asked for %s", ErrDigestMismatch, r.Digest))
		}
	}
	m, err := checkManifest(mb)
	if err != nil {
		return fail(md, err)
	}
	if c.Cache != nil {
		cb, _ = c.Cache.Get(string(m.Config.Digest), maxConfig)
	}
	if cb == nil {
		if repo == nil {
			if repo, err = c.repository(r); err != nil {
				return fail(md, err)
			}
		}
		if cb, err = content.FetchAll(ctx, repo, m.Config); err != nil {
			return fail(md, registryError(r, err))
		}
	}
	d := &Described{Ref: r.WithDigest(md), Manifest: md, Layer: m.Layers[0], Config: parseConfig(cb), Annotations: m.Annotations}
	d.Cached = c.Cache != nil && c.Cache.Has(string(m.Layers[0].Digest))
	return d, nil
}

// RefreshBundles asks the registry again for the signature bundles of a's
// manifest (a signature added since the pull, as when a signing key is
// rotated), records them in the cache and returns them.
func (c *Client) RefreshBundles(ctx context.Context, a *Artifact) ([][]byte, error) {
	fail := func(err error) ([][]byte, error) {
		return nil, &Error{Ref: a.Ref.String(), Digest: a.Manifest, Op: "list signatures", Err: err}
	}
	if c.Offline {
		return fail(fmt.Errorf("%w (offline)", ErrUnreachable))
	}
	repo, err := c.repository(a.Ref)
	if err != nil {
		return fail(err)
	}
	desc, err := repo.Resolve(ctx, a.Manifest)
	if err != nil {
		return fail(registryError(a.Ref, err))
	}
	bundles := c.findBundles(ctx, repo, a.Ref, desc)
	rec := record{Manifest: a.Manifest}
	for _, b := range bundles {
		d := Digest(b)
		if err := c.Cache.Put(d, b); err != nil {
			return fail(err)
		}
		rec.Bundles = append(rec.Bundles, d)
	}
	if err := c.Cache.writeRecord(rec); err != nil {
		return fail(err)
	}
	return bundles, nil
}

// AttachBundle attaches a Sigstore bundle to the manifest r names (by
// digest, or by tag) as a referrer, as cosign attaches its bundles, and
// returns the referrer manifest's digest.
func (c *Client) AttachBundle(ctx context.Context, r Ref, bundle []byte) (string, error) {
	fail := func(d string, err error) (string, error) {
		return "", &Error{Ref: r.String(), Digest: d, Op: "attach signature", Err: err}
	}
	repo, err := c.repository(r)
	if err != nil {
		return fail(r.Digest, err)
	}
	desc, err := repo.Resolve(ctx, r.reference())
	if err != nil {
		return fail(r.Digest, registryError(r, err))
	}
	if r.Digest != "" && string(desc.Digest) != r.Digest {
		return fail(string(desc.Digest), fmt.Errorf("%w: asked for %s", ErrDigestMismatch, r.Digest))
	}
	d, err := attachBundle(ctx, repo, desc, bundle)
	if err != nil {
		return fail(string(desc.Digest), registryError(r, err))
	}
	return d, nil
}
