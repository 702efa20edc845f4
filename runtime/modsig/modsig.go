// Package modsig verifies the Sigstore signature of a store module before
// it is compiled, with sigstore-go: against public keys (as cosign's
// --key), or against a Sigstore trusted root with an expected certificate
// identity and OIDC issuer (keyless, as cosign's --certificate-identity and
// --certificate-oidc-issuer).
//
// Verification is offline: it needs the bundle and the trusted material
// only. A keyless bundle must carry its own proof of when it was signed
// (a transparency log entry with its signed entry timestamp or inclusion
// proof, or an RFC 3161 timestamp), which is checked against the trusted
// root's keys; the transparency log itself is never asked. A keyed bundle
// needs no timestamp.
//
// A bundle may sign the module's bytes (cosign sign-blob, or a bundle
// beside the file) or, for a module from a registry, its manifest's
// digest (cosign sign on the reference); either ties the signature to
// these exact module bytes.
package modsig

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/latchkey/latchkey/internal/safefile"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// SignPredicateType is the in-toto predicate type of the statement cosign
// signs for `cosign sign --new-bundle-format`: the only statement
// accepted as a signature. An attestation of another type by the same
// key (an SBOM, a scan result) says something about the module; it does
// not approve it.
const SignPredicateType = "https://sigstore.dev/cosign/sign/v1"

// Errors a caller may branch on with [errors.Is].
var (
	// ErrUnsigned: a signature is required and the module has no bundle.
	ErrUnsigned = errors.New("module is not signed")
	// ErrUnknownSigner: no bundle verifies against the configured keys or
	// trusted root and identity (an unknown key or identity, a signature
	// over other bytes, a broken bundle).
	ErrUnknownSigner = errors.New("no signature verifies against the trusted keys or identity")
)

// Policy says whose signature a module must carry. At least one of Keys
// and TrustedRoot is required; a TrustedRoot needs an identity
// (Identity or IdentityRegexp) and an issuer (Issuer or IssuerRegexp).
type Policy struct {
	// Keys are PEM public key files; a bundle signed by any of them is
	// accepted (list the old and the new key while rotating).
	Keys []string
	// TrustedRoot is a Sigstore trusted_root.json (Fulcio CAs, Rekor and
	// CT log keys, timestamp authorities) for keyless signatures.
	TrustedRoot string
	// Identity is the certificate's expected subject alternative name
	// (an e-mail or a URI such as a CI workflow's), IdentityRegexp a
	// regular expression it must match instead.
	Identity, IdentityRegexp string
	// Issuer is the expected OIDC issuer, IssuerRegexp a regular
	// expression instead.
	Issuer, IssuerRegexp string
}

// Check reports the policy's problems, joined, naming the setting.
func (p Policy) Check() error {
	var errs []error
	if len(p.Keys) == 0 && p.TrustedRoot == "" {
		errs = append(errs, errors.New("a signature policy needs keys (PEM public keys) or a trusted_root with an identity and issuer"))
	}
	keyless := p.Identity != "" || p.IdentityRegexp != "" || p.Issuer != "" || p.IssuerRegexp != ""
	if p.TrustedRoot != "" || keyless {
		if p.TrustedRoot == "" {
			errs = append(errs, errors.New("certificate_identity and certificate_oidc_issuer need a trusted_root (the Sigstore trusted_root.json)"))
		}
		if p.Identity == "" && p.IdentityRegexp == "" {
			errs = append(errs, errors.New("a trusted_root needs certificate_identity (or certificate_identity_regexp): whose certificates to accept"))
		}
		if p.Issuer == "" && p.IssuerRegexp == "" {
			errs = append(errs, errors.New("a trusted_root needs certificate_oidc_issuer (or certificate_oidc_issuer_regexp)"))
		}
	}
	return errors.Join(errs...)
}

// Verifier checks bundles against a [Policy]. It is safe for concurrent
// use.
type Verifier struct {
	keys    []keyVerifier
	keyless *verify.Verifier
	ident   *verify.CertificateIdentity
	desc    string
}

type keyVerifier struct {
	name string // the file and the key's fingerprint
	v    *verify.Verifier
	sv   signature.Verifier // for cosign's legacy signatures
}

// New reads the policy's keys and trusted root and returns its verifier.
func New(p Policy) (*Verifier, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	v := &Verifier{}
	var descs []string
	for _, path := range p.Keys {
		kv, err := loadKey(path)
		if err != nil {
			return nil, err
		}
		v.keys = append(v.keys, kv)
		descs = append(descs, kv.name)
	}
	if p.TrustedRoot != "" {
		keyless, id, err := loadKeyless(p)
		if err != nil {
			return nil, err
		}
		v.keyless, v.ident = keyless, id
		descs = append(descs, fmt.Sprintf("certificates for %s issued by %s under trusted root %s",
			or(p.Identity, "~"+p.IdentityRegexp), or(p.Issuer, "~"+p.IssuerRegexp), p.TrustedRoot))
	}
	v.desc = strings.Join(descs, "; ")
	return v, nil
}

// loadKey reads the PEM public key at path and builds its verifiers, named
// by the file and the key's fingerprint.
func loadKey(path string) (keyVerifier, error) {
	pemBytes, _, err := safefile.ReadFile(path, safefile.Options{})
	if err != nil {
		return keyVerifier{}, fmt.Errorf("signature key: %w", err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return keyVerifier{}, fmt.Errorf("signature key %s: not a PEM public key (cosign.pub): %w", path, err)
	}
	sv, err := signature.LoadDefaultVerifier(pub)
	if err != nil {
		return keyVerifier{}, fmt.Errorf("signature key %s: %w", path, err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return keyVerifier{}, fmt.Errorf("signature key %s: %w", path, err)
	}
	sum := sha256.Sum256(der)
	name := fmt.Sprintf("key %s (sha256:%s)", path, hex.EncodeToString(sum[:]))
	km := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
	})
	// A keyed signature needs no timestamp: the key is trusted for as
	// long as the policy lists it.
	kv, err := verify.NewVerifier(km, verify.WithNoObserverTimestamps())
	if err != nil {
		return keyVerifier{}, fmt.Errorf("signature key %s: %w", path, err)
	}
	return keyVerifier{name: name, v: kv, sv: sv}, nil
}

// loadKeyless reads the policy's trusted root and builds the verifier of
// keyless signatures and the certificate identity they must carry.
func loadKeyless(p Policy) (*verify.Verifier, *verify.CertificateIdentity, error) {
	// Read here rather than by the library, so that a FIFO or a device
	// at the path is refused instead of blocking (internal/safefile).
	rootJSON, _, err := safefile.ReadFile(p.TrustedRoot, safefile.Options{MaxSize: 8 << 20})
	if err != nil {
		return nil, nil, fmt.Errorf("trusted_root: %w", err)
	}
	tr, err := root.NewTrustedRootFromJSON(rootJSON)
	if err != nil {
		return nil, nil, fmt.Errorf("trusted_root %s: %w", p.TrustedRoot, err)
	}
	// Offline: the bundle's own tlog entry (signed entry timestamp or
	// inclusion proof, checked with the log's key from the root) or
	// TSA timestamp proves when the short-lived certificate was used.
	// A root that lists transparency logs requires an entry in one,
	// as cosign does; SCTs when it lists CT logs.
	opts := []verify.VerifierOption{verify.WithObserverTimestamps(1)}
	if len(tr.RekorLogs()) > 0 {
		opts = append(opts, verify.WithTransparencyLog(1))
	}
	if len(tr.CTLogs()) > 0 {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	keyless, err := verify.NewVerifier(tr, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("trusted_root %s: %w", p.TrustedRoot, err)
	}
	id, err := verify.NewShortCertificateIdentity(p.Issuer, p.IssuerRegexp, p.Identity, p.IdentityRegexp)
	if err != nil {
		return nil, nil, fmt.Errorf("certificate identity: %w", err)
	}
	return keyless, &id, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// String says what the verifier accepts, for `latchkey check`.
func (v *Verifier) String() string { return v.desc }

// Subject is what a bundle may sign: the module's bytes, or the digest of
// the manifest that names them (Manifest, "sha256:…", "" for a file).
type Subject struct {
	Wasm     []byte
	Manifest string
}

// Result is a verified signature.
type Result struct {
	// Signer names the key ("key FILE (sha256:FINGERPRINT)") or the
	// certificate's identity and issuer.
	Signer string
	// Signed is "module" (the bundle signs the module's bytes) or
	// "manifest" (it signs the manifest's digest).
	Signed string
	// Timestamps are the verified times of signing, if the bundle has any.
	Timestamps []time.Time
}

// Verify returns the first of bundles (Sigstore bundle JSON) that verifies
// for subject. With none it returns an error wrapping [ErrUnsigned]; when
// none verifies, one wrapping [ErrUnknownSigner] with each bundle's
// reason.
func (v *Verifier) Verify(bundles [][]byte, s Subject) (*Result, error) {
	if len(bundles) == 0 {
		return nil, ErrUnsigned
	}
	var reasons []string
	for i, raw := range bundles {
		if l, ok := parseLegacy(raw); ok {
			res, err := v.verifyLegacy(l, s)
			if err == nil {
				return res, nil
			}
			reasons = append(reasons, fmt.Sprintf("signature %d (cosign's legacy format): %v", i+1, err))
			continue
		}
		var b bundle.Bundle
		if err := b.UnmarshalJSON(raw); err != nil {
			reasons = append(reasons, fmt.Sprintf("bundle %d: not a Sigstore bundle: %v", i+1, err))
			continue
		}
		res, err := v.verifyOne(&b, s)
		if err == nil {
			return res, nil
		}
		reasons = append(reasons, fmt.Sprintf("bundle %d: %v", i+1, err))
	}
	return nil, fmt.Errorf("%w (accepted: %s): %s", ErrUnknownSigner, v.desc, strings.Join(reasons, "; "))
}

func (v *Verifier) verifyOne(b *bundle.Bundle, s Subject) (*Result, error) {
	type subject struct {
		name string
		// art is called for each attempt: an artifact's reader is used up
		// by one.
		art func() verify.ArtifactPolicyOption
	}
	subjects := []subject{{"module", func() verify.ArtifactPolicyOption { return verify.WithArtifact(bytes.NewReader(s.Wasm)) }}}
	if d, ok := strings.CutPrefix(s.Manifest, "sha256:"); ok {
		if raw, err := hex.DecodeString(d); err == nil {
			subjects = append(subjects, subject{"manifest", func() verify.ArtifactPolicyOption { return verify.WithArtifactDigest("sha256", raw) }})
		}
	}
	var errs []string
	vc, err := b.VerificationContent()
	if err != nil {
		return nil, err
	}
	hasCert := vc.Certificate() != nil
	for _, sub := range subjects {
		if !hasCert {
			for _, k := range v.keys {
				r, err := k.v.Verify(b, verify.NewPolicy(sub.art(), verify.WithKey()))
				if err == nil {
					err = checkStatement(r)
				}
				if err != nil {
					errs = append(errs, k.name+": "+err.Error())
					continue
				}
				return &Result{Signer: k.name, Signed: sub.name}, nil
			}
			if len(v.keys) == 0 {
				return nil, errors.New("signed with a key, and no keys are trusted (only keyless certificates)")
			}
			continue
		}
		if v.keyless == nil {
			return nil, errors.New("signed with a certificate (keyless), and no trusted_root is configured (only keys)")
		}
		r, err := v.keyless.Verify(b, verify.NewPolicy(sub.art(), verify.WithCertificateIdentity(*v.ident)))
		if err == nil {
			err = checkStatement(r)
		}
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		res := &Result{Signed: sub.name}
		if c := r.Signature.Certificate; c != nil {
			res.Signer = fmt.Sprintf("%s (issuer %s)", c.SubjectAlternativeName, c.Extensions.Issuer)
		}
		for _, ts := range r.VerifiedTimestamps {
			res.Timestamps = append(res.Timestamps, ts.Timestamp)
		}
		return res, nil
	}
	return nil, errors.New(strings.Join(dedupe(errs), "; "))
}

// checkStatement accepts a message signature, or a DSSE statement of
// cosign's signing predicate type.
func checkStatement(r *verify.VerificationResult) error {
	if r.Statement == nil {
		return nil
	}
	if pt := r.Statement.GetPredicateType(); pt != SignPredicateType {
		return fmt.Errorf("the bundle is an attestation of predicate type %q, not a signature (%s)", pt, SignPredicateType)
	}
	return nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// BundlePath is where a local module's bundle is looked for: the file's
// path followed by ".sigstore.json" (module.wasm.sigstore.json), as
// cosign sign-blob --bundle is usually told to write it.
func BundlePath(module string) string { return module + ".sigstore.json" }
