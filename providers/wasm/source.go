package wasm

import (
	"context"
	"errors"
	"fmt"
	"github.com/latchkey/latchkey/internal/safefile"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/runtime/modsig"
	"github.com/latchkey/latchkey/runtime/oci"
	"github.com/latchkey/latchkey/secret"
)

// registrySettings is the store's registry section, for a module given
// as an oci:// reference.
type registrySettings struct {
	// PlainHTTP allows plain HTTP to a registry not on loopback.
	PlainHTTP bool `json:"plain_http"`
	// DockerConfig is the Docker config file with credentials and
	// credential helpers (default: DOCKER_CONFIG or ~/.docker/config.json).
	DockerConfig string `json:"docker_config"`
	// Offline never contacts the registry: the module must be cached
	// (latchkey module pull).
	Offline bool `json:"offline"`
}

// signatureSettings is the store's signature section: when present, the
// module must carry a Sigstore signature it describes, verified before
// the module is compiled. Names follow cosign's flags.
type signatureSettings struct {
	Key                         string   `json:"key"`
	Keys                        []string `json:"keys"`
	TrustedRoot                 string   `json:"trusted_root"`
	CertificateIdentity         string   `json:"certificate_identity"`
	CertificateIdentityRegexp   string   `json:"certificate_identity_regexp"`
	CertificateOIDCIssuer       string   `json:"certificate_oidc_issuer"`
	CertificateOIDCIssuerRegexp string   `json:"certificate_oidc_issuer_regexp"`
	// Bundle is a local module's bundle (default: the module's path
	// followed by .sigstore.json).
	Bundle string `json:"bundle"`
}

func (s *signatureSettings) policy() modsig.Policy {
	p := modsig.Policy{Keys: append([]string(nil), s.Keys...), TrustedRoot: s.TrustedRoot,
		Identity: s.CertificateIdentity, IdentityRegexp: s.CertificateIdentityRegexp,
		Issuer: s.CertificateOIDCIssuer, IssuerRegexp: s.CertificateOIDCIssuerRegexp}
	if s.Key != "" {
		p.Keys = append([]string{s.Key}, p.Keys...)
	}
	return p
}

// source is where a store's module came from, for Describe.
type source struct {
	where     string // the file, or the reference with its manifest digest
	ref       *oci.Ref
	fromCache bool
	plainHTTP bool // plain HTTP allowed to a registry not on loopback
	signer    string
	signed    string // "module" or "manifest"
	verifier  string
}

// fetchModule reads the module a store's settings name, from a file or
// a registry, and verifies its signature when the settings require one.
// It returns the bytes and the options to load them with (the pin of a
// module named by manifest digest is the layer that manifest names).
func fetchModule(ctx context.Context, store string, s *settings, opts lkruntime.Options, log *slog.Logger) ([]byte, lkruntime.Options, *source, error) {
	var verifier *modsig.Verifier
	if s.Signature != nil {
		v, err := modsig.New(s.Signature.policy())
		if err != nil {
			return nil, opts, nil, &secret.ConfigError{Store: store, Key: "signature", Msg: err.Error()}
		}
		verifier = v
	}
	src := &source{where: s.Module}
	var (
		m   fetchedModule
		err error
	)
	if oci.IsRef(s.Module) {
		m, err = pullModule(ctx, store, s, &opts, src, log)
	} else {
		m, err = readModuleFile(store, s, verifier != nil)
	}
	if err != nil {
		return nil, opts, nil, err
	}
	if verifier == nil {
		return m.wasm, opts, src, nil
	}
	if err := verifyModule(ctx, store, s, verifier, m, src); err != nil {
		return nil, opts, nil, err
	}
	return m.wasm, opts, src, nil
}

// fetchedModule is a module as fetchModule found it: its bytes, the
// signature bundles found with it, and, when it was pulled, its manifest,
// the artifact and the client that pulled it (to list its signatures
// again).
type fetchedModule struct {
	wasm     []byte
	bundles  [][]byte
	manifest string
	art      *oci.Artifact
	client   *oci.Client
}

// moduleError is the error of a module that cannot be loaded or verified:
// a *lkruntime.Error of kind [secret.ErrInvalidConfig].
func moduleError(store, op string, err error) error {
	return &lkruntime.Error{Module: store, Op: op, Err: err, Kind: secret.ErrInvalidConfig}
}

// pullModule pulls the module s.Module names from its registry (or the
// module cache), checked against s.SHA256, and records where it came from
// in src. A reference pinned by manifest digest pins, in opts, the layer
// that manifest names.
func pullModule(ctx context.Context, store string, s *settings, opts *lkruntime.Options, src *source, log *slog.Logger) (fetchedModule, error) {
	ref, err := oci.ParseRef(s.Module)
	if err != nil {
		return fetchedModule{}, &secret.ConfigError{Store: store, Key: "module", Msg: err.Error()}
	}
	dir, err := moduleCacheDir(s.CacheDir, opts.Cache)
	if err != nil {
		return fetchedModule{}, moduleError(store, "load", err)
	}
	cache, err := oci.OpenCache(dir)
	if err != nil {
		return fetchedModule{}, moduleError(store, "load", err)
	}
	client := &oci.Client{Cache: cache, PlainHTTP: s.Registry.PlainHTTP, DockerConfig: s.Registry.DockerConfig,
		Offline: s.Registry.Offline, Logger: log}
	pin := ""
	if p := strings.TrimSpace(s.SHA256); p != "" {
		pin = "sha256:" + strings.ToLower(strings.TrimPrefix(p, "sha256:"))
	}
	art, err := client.Pull(ctx, ref, pin)
	if err != nil {
		return fetchedModule{}, moduleError(store, "load", err)
	}
	src.ref, src.fromCache = &art.Ref, art.FromCache
	src.where = art.Ref.String()
	src.plainHTTP = s.Registry.PlainHTTP && !ref.Loopback()
	if ref.Pinned() {
		// The manifest digest pins the layer digest it names, which
		// the pull checked; the runtime checks the bytes against it.
		opts.SHA256 = art.Layer
		opts.AllowUnpinned = false
	}
	return fetchedModule{wasm: art.Wasm, bundles: art.Bundles, manifest: art.Manifest, art: art, client: client}, nil
}

// readModuleFile reads the module file s.Module and, when signed is set,
// its signature bundle (s.Signature.Bundle, or the file's default bundle
// path). A bundle that does not exist is no error: Verify refuses the
// unsigned module.
func readModuleFile(store string, s *settings, signed bool) (fetchedModule, error) {
	b, err := readModule(s.Module)
	if err != nil {
		return fetchedModule{}, moduleError(store, "load", err)
	}
	m := fetchedModule{wasm: b}
	if !signed {
		return m, nil
	}
	bp := s.Signature.Bundle
	if bp == "" {
		bp = modsig.BundlePath(s.Module)
	}
	bb, _, err := safefile.ReadFile(bp, safefile.Options{})
	switch {
	case errors.Is(err, os.ErrNotExist):
		// Unsigned: Verify says so.
	case err != nil:
		return fetchedModule{}, moduleError(store, "verify signature", fmt.Errorf("bundle %s: %w", bp, err))
	default:
		m.bundles = [][]byte{bb}
	}
	return m, nil
}

// verifyModule verifies m's signature with verifier and records who signed
// it in src. A pulled module served from the cache whose signature does
// not verify is checked once more against the signatures the registry
// lists now (a key rotated since it was cached), unless s says offline.
func verifyModule(ctx context.Context, store string, s *settings, verifier *modsig.Verifier, m fetchedModule, src *source) error {
	res, err := verifier.Verify(m.bundles, modsig.Subject{Wasm: m.wasm, Manifest: m.manifest})
	if err != nil && m.art != nil && m.art.FromCache && !s.Registry.Offline {
		// A signature added since the module was cached (a rotated key):
		// ask the registry once, then verify again.
		if fresh, rerr := m.client.RefreshBundles(ctx, m.art); rerr == nil {
			res, err = verifier.Verify(fresh, modsig.Subject{Wasm: m.wasm, Manifest: m.manifest})
		} else {
			err = fmt.Errorf("%w (and listing the registry's signatures again failed: %v)", err, rerr)
		}
	}
	if err != nil {
		return moduleError(store, "verify signature", fmt.Errorf("%s (module sha256:%s): %w", src.where, strings.TrimPrefix(oci.Digest(m.wasm), "sha256:"), err))
	}
	src.signer, src.signed, src.verifier = res.Signer, res.Signed, verifier.String()
	return nil
}

func readModule(path string) ([]byte, error) {
	b, _, err := safefile.ReadFile(path, safefile.Options{MaxSize: 256 << 20})
	return b, err
}

// moduleCacheDir is where pulled modules are kept: the modules folder of
// the compilation cache's directory.
func moduleCacheDir(cacheDir string, shared *lkruntime.Cache) (string, error) {
	dir := cacheDir
	if shared != nil && shared.Dir() != "" {
		dir = shared.Dir()
	}
	if dir == "" {
		d, err := lkruntime.DefaultCacheDir()
		if err != nil {
			return "", err
		}
		dir = d
	}
	return filepath.Join(dir, "modules"), nil
}

// describeSource says where the module came from and whose signature it
// carries, and warns about a registry tag without a pin and plain HTTP.
func (s *Store) describeSource() (summary string, warnings []string) {
	if s.unsigned {
		warnings = append(warnings, "signature: null loads the module without verifying a signature, even when a top-level modules.signature requires one for every wasm store; remove it, or give this store its own signature section")
	}
	src := s.src
	if src == nil {
		return "", warnings
	}
	if src.ref != nil {
		how := "pulled from the registry"
		if src.fromCache {
			how = "served from the module cache"
		}
		summary += "; " + how
		if s.mod.Info().Unpinned {
			warnings = append(warnings, fmt.Sprintf("module %s is a tag without a pin: the registry is asked on every load and a moved tag loads another module; use %s or set sha256: %s",
				src.where, src.ref.WithDigest(src.ref.Digest).String(), s.mod.Info().SHA256))
		}
		if src.plainHTTP {
			warnings = append(warnings, fmt.Sprintf("registry %s is reached over plain HTTP (registry.plain_http): a network attacker can serve another module, refused only by its pin or signature", src.ref.Registry))
		}
	}
	if src.signer != "" {
		summary += fmt.Sprintf("; signature verified offline (bundle and trusted keys or root only, no transparency log lookup): %s signed the %s", src.signer, src.signed)
	} else if src.ref != nil {
		summary += "; no signature required (a signature section requires one)"
	}
	return summary, warnings
}
