package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/runtime/modsig"
	"github.com/latchkey/latchkey/runtime/oci"

	"github.com/latchkey/latchkey/internal/safefile"
)

// registryFlags are the flags every registry subcommand shares.
type registryFlags struct {
	cacheDir     string
	plainHTTP    bool
	dockerConfig string
	offline      bool
	timeout      time.Duration
}

func (rf *registryFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&rf.cacheDir, "cache-dir", "", "the stores' cache_dir; modules are kept in its modules folder (default ~/.cache/latchkey/wasm)")
	f.BoolVar(&rf.plainHTTP, "plain-http", false, "reach a registry that is not on loopback over plain HTTP (a store's registry.plain_http)")
	f.StringVar(&rf.dockerConfig, "docker-config", "", "Docker config file with registry credentials and credential helpers (default: DOCKER_CONFIG or ~/.docker/config.json)")
	f.DurationVar(&rf.timeout, "timeout", 5*time.Minute, "deadline of the whole command")
}

func (rf *registryFlags) client() (*oci.Client, error) {
	dir := rf.cacheDir
	if dir == "" {
		d, err := lkruntime.DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	c, err := oci.OpenCache(filepath.Join(dir, "modules"))
	if err != nil {
		return nil, err
	}
	return &oci.Client{Cache: c, PlainHTTP: rf.plainHTTP, DockerConfig: rf.dockerConfig, Offline: rf.offline}, nil
}

// with runs fn with a client over the module cache and a context that
// ends at --timeout: the one way each registry subcommand reaches a
// registry.
func (rf *registryFlags) with(ctx context.Context, fn func(context.Context, *oci.Client) error) error {
	c, err := rf.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, rf.timeout)
	defer cancel()
	return fn(ctx, c)
}

// parseCLIRef reads REF as oras and cosign take it (host[:port]/repo:tag
// or …@sha256:…), with or without oci://.
func parseCLIRef(s string) (oci.Ref, error) {
	r, err := oci.ParseRef(s)
	if err != nil {
		return r, fail(ExitUsage, err)
	}
	return r, nil
}

// isRefArg tells a reference from a file: oci:// always is one; without
// it, an argument that names no file and parses as a reference is one.
func isRefArg(s string) bool {
	if oci.IsRef(s) {
		return true
	}
	if _, err := os.Stat(s); err == nil {
		return false
	}
	_, err := oci.ParseRef(s)
	return err == nil && strings.Contains(s, "/")
}

func (a *app) modulePushCmd() *cobra.Command {
	var (
		rf          registryFlags
		bundle      string
		noBundle    bool
		annotations []string
	)
	cmd := &cobra.Command{
		Use:   "push FILE REF",
		Short: "Push a module to an OCI registry as a Wasm OCI artifact",
		Long: `Push FILE to REF (host[:port]/repository:tag, as oras and cosign take it) as
a Wasm OCI artifact: config application/vnd.wasm.config.v0+json holding a copy
of the module's capability section, one layer application/wasm. A Sigstore
bundle beside the file (FILE.sigstore.json, or --bundle) is attached to the
pushed manifest as a referrer, as cosign attaches its bundles.

Prints the reference pinned by digest (the value for a store's module) and the
module's sha256.`,
		Example: `  cosign sign-blob --new-bundle-format --key cosign.key --bundle vault.wasm.sigstore.json vault.wasm
  latchkey module push vault.wasm registry.example.com/stores/vault:1.2.0`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			wasmBytes, _, err := safefile.ReadFile(args[0], safefile.Options{MaxSize: maxModuleFile})
			if err != nil {
				return fail(ExitConfig, fmt.Errorf("module %s: %w", args[0], err))
			}
			ref, err := parseCLIRef(args[1])
			if err != nil {
				return err
			}
			opts, err := pushOptions(args[0], annotations, bundle, noBundle)
			if err != nil {
				return err
			}
			var p *oci.Pushed
			if err := rf.with(cmd.Context(), func(ctx context.Context, c *oci.Client) (err error) {
				p, err = c.Push(ctx, ref, wasmBytes, opts)
				return err
			}); err != nil {
				return fail(ExitConfig, err)
			}
			writePushed(cmd.OutOrStdout(), p)
			return nil
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVar(&bundle, "bundle", "", "Sigstore bundle to attach (default: FILE.sigstore.json when it exists)")
	cmd.Flags().BoolVar(&noBundle, "no-bundle", false, "attach no bundle even if FILE.sigstore.json exists")
	cmd.Flags().StringArrayVar(&annotations, "annotation", nil, "KEY=VALUE manifest annotation (repeatable)")
	return cmd
}

// pushOptions are module push's options for the module file: its title,
// the --annotation KEY=VALUE pairs, and the Sigstore bundle (bundle, or
// the file's default bundle path when it exists; none with noBundle). An
// explicit bundle that cannot be read is an error.
func pushOptions(file string, annotations []string, bundle string, noBundle bool) (oci.PushOptions, error) {
	opts := oci.PushOptions{Title: filepath.Base(file), Annotations: map[string]string{}}
	for _, kv := range annotations {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return opts, fail(ExitUsage, fmt.Errorf("--annotation %q: want KEY=VALUE", kv))
		}
		opts.Annotations[k] = v
	}
	if noBundle {
		return opts, nil
	}
	bp, explicit := bundle, bundle != ""
	if !explicit {
		bp = modsig.BundlePath(file)
	}
	b, _, err := safefile.ReadFile(bp, safefile.Options{})
	switch {
	case err == nil:
		opts.Bundle = b
	case explicit || !errors.Is(err, os.ErrNotExist):
		return opts, fail(ExitConfig, fmt.Errorf("bundle %s: %w", bp, err))
	}
	return opts, nil
}

// writePushed prints what module push pushed: the reference, pinned by
// digest, the module's sha256, the bundle attached, and the capabilities.
func writePushed(out io.Writer, p *oci.Pushed) {
	fmt.Fprintf(out, "pushed:   %s\nmodule:   %s\nsha256:   %s\n", p.Ref.String(), p.Ref.WithDigest(p.Manifest), strings.TrimPrefix(p.Layer, "sha256:"))
	if p.Bundle != "" {
		fmt.Fprintf(out, "signature bundle attached: %s\n", p.Bundle)
	} else {
		fmt.Fprintln(out, "signature bundle: none attached (sign with cosign sign-blob --new-bundle-format --bundle FILE.sigstore.json, then push again, or cosign sign the reference)")
	}
	writeCapabilities(out, p.Config.Capabilities)
}

func (a *app) modulePullCmd() *cobra.Command {
	var (
		rf     registryFlags
		pin    string
		output string
	)
	cmd := &cobra.Command{
		Use:   "pull REF",
		Short: "Pull a module into the module cache, so that stores load it without the registry",
		Long: `Pull REF (host[:port]/repository:tag or …@sha256:…) into the module cache
under --cache-dir (the stores' cache_dir), with the signature bundles attached
to it, and print its digests. A store naming the module by digest (or by tag
with its sha256) then loads it from the cache without contacting the registry.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := parseCLIRef(args[0])
			if err != nil {
				return err
			}
			var (
				art   *oci.Artifact
				cache string
			)
			if err := rf.with(cmd.Context(), func(ctx context.Context, c *oci.Client) (err error) {
				art, err = c.Pull(ctx, ref, normalizePin(pin))
				cache = c.Cache.Dir()
				return err
			}); err != nil {
				return fail(ExitConfig, err)
			}
			if output != "" {
				if err := os.WriteFile(output, art.Wasm, 0o644); err != nil {
					return fail(ExitInternal, err)
				}
			}
			out := cmd.OutOrStdout()
			from := "registry"
			if art.FromCache {
				from = "cache (already pulled)"
			}
			fmt.Fprintf(out, "module:   %s\nsha256:   %s\nsize:     %d bytes\nfrom:     %s\ncache:    %s\nbundles:  %d\n",
				art.Ref.String(), strings.TrimPrefix(art.Layer, "sha256:"), len(art.Wasm), from, cache, len(art.Bundles))
			return nil
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVar(&pin, "sha256", "", "the module's expected sha256 (refused when it differs)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "also write the module to this file")
	cmd.Flags().BoolVar(&rf.offline, "offline", false, "serve from the cache only")
	return cmd
}

func normalizePin(p string) string {
	p = strings.ToLower(strings.TrimSpace(p))
	if p == "" {
		return ""
	}
	return "sha256:" + strings.TrimPrefix(p, "sha256:")
}

func (a *app) moduleVerifyCmd() *cobra.Command {
	var (
		rf     registryFlags
		sig    modsig.Policy
		bundle string
		pin    string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "verify REF|FILE",
		Short: "Verify a module's Sigstore signature as a store requiring one would",
		Long: `Verify the Sigstore signature of a module in a registry (REF) or a file (FILE,
with its bundle FILE.sigstore.json or --bundle), offline: the bundle and the
trusted keys or root only, no transparency log lookup. The flags are cosign's:
--key PUBKEY (repeatable: any of them), or --trusted-root with
--certificate-identity and --certificate-oidc-issuer for keyless signatures.
Prints the module's digest, who signed it and what it declares; exits 3 when
no signature verifies.`,
		Example: `  latchkey module verify --key cosign.pub registry.example.com/stores/vault:1.2.0
  latchkey module verify --trusted-root trusted_root.json \
    --certificate-identity https://github.com/acme/stores/.github/workflows/release.yml@refs/tags/v1.2.0 \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com vault.wasm`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := modsig.New(sig)
			if err != nil {
				return fail(ExitUsage, err)
			}
			var m signedModule
			if isRefArg(args[0]) {
				m, err = pullSignedModule(cmd.Context(), &rf, args[0], pin)
			} else {
				m, err = readSignedModule(args[0], bundle, pin)
			}
			if err != nil {
				return err
			}
			digest := oci.Digest(m.wasm)
			res, err := v.Verify(m.bundles, m.subject)
			if err != nil {
				return fail(ExitConfig, fmt.Errorf("%s (module %s): %w", m.where, digest, err))
			}
			caps, _ := lkruntime.ParseCapabilities(m.wasm)
			return writeVerified(cmd.OutOrStdout(), m.where, digest, res, caps, asJSON)
		},
	}
	rf.add(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&sig.Keys, "key", nil, "PEM public key (cosign.pub) a signature may be made with (repeatable)")
	f.StringVar(&sig.TrustedRoot, "trusted-root", "", "Sigstore trusted_root.json for keyless signatures")
	f.StringVar(&sig.Identity, "certificate-identity", "", "expected identity (SAN) of a keyless signing certificate")
	f.StringVar(&sig.IdentityRegexp, "certificate-identity-regexp", "", "regular expression the identity must match")
	f.StringVar(&sig.Issuer, "certificate-oidc-issuer", "", "expected OIDC issuer of a keyless signing certificate")
	f.StringVar(&sig.IssuerRegexp, "certificate-oidc-issuer-regexp", "", "regular expression the OIDC issuer must match")
	f.StringVar(&bundle, "bundle", "", "a FILE's Sigstore bundle (default FILE.sigstore.json)")
	f.StringVar(&pin, "sha256", "", "the module's expected sha256")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	f.BoolVar(&rf.offline, "offline", false, "serve a reference from the cache only")
	return cmd
}

// signedModule is a module to verify: its bytes, the bundles that may
// sign it, what they sign, and where it came from (for messages).
type signedModule struct {
	wasm    []byte
	bundles [][]byte
	subject modsig.Subject
	where   string
}

// pullSignedModule pulls the module arg names from its registry (checked
// against pin, if any) with the bundles attached to it now, even when the
// module itself comes from the cache.
func pullSignedModule(ctx context.Context, rf *registryFlags, arg, pin string) (signedModule, error) {
	ref, err := parseCLIRef(arg)
	if err != nil {
		return signedModule{}, err
	}
	var art *oci.Artifact
	if err := rf.with(ctx, func(ctx context.Context, c *oci.Client) (err error) {
		if art, err = c.Pull(ctx, ref, normalizePin(pin)); err != nil {
			return err
		}
		if art.FromCache {
			// What is attached now, not what was when it was cached.
			if fresh, err := c.RefreshBundles(ctx, art); err == nil {
				art.Bundles = fresh
			}
		}
		return nil
	}); err != nil {
		return signedModule{}, fail(ExitConfig, err)
	}
	return signedModule{wasm: art.Wasm, bundles: art.Bundles, where: art.Ref.String(),
		subject: modsig.Subject{Wasm: art.Wasm, Manifest: art.Manifest}}, nil
}

// readSignedModule reads the module file (checked against pin, if any) and
// its bundle: bundle, or the file's default bundle path; a default bundle
// that does not exist leaves no bundle, for Verify to refuse.
func readSignedModule(file, bundle, pin string) (signedModule, error) {
	wasmBytes, _, err := safefile.ReadFile(file, safefile.Options{MaxSize: maxModuleFile})
	if err != nil {
		return signedModule{}, fail(ExitConfig, fmt.Errorf("module %s: %w", file, err))
	}
	if p := normalizePin(pin); p != "" && p != oci.Digest(wasmBytes) {
		return signedModule{}, fail(ExitConfig, fmt.Errorf("module %s: %w: pinned %s, file has %s", file, lkruntime.ErrDigestMismatch, p, oci.Digest(wasmBytes)))
	}
	bp := bundle
	if bp == "" {
		bp = modsig.BundlePath(file)
	}
	m := signedModule{wasm: wasmBytes, where: file, subject: modsig.Subject{Wasm: wasmBytes}}
	b, _, err := safefile.ReadFile(bp, safefile.Options{})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return signedModule{}, fail(ExitConfig, fmt.Errorf("bundle %s: %w", bp, err))
	}
	if err == nil {
		m.bundles = [][]byte{b}
	}
	return m, nil
}

// writeVerified prints a verified module's digest, signer, signing times
// and capabilities, as text or as JSON.
func writeVerified(out io.Writer, where, digest string, res *modsig.Result, caps *lkruntime.Capabilities, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"module": where, "sha256": strings.TrimPrefix(digest, "sha256:"),
			"signer": res.Signer, "signed": res.Signed, "timestamps": res.Timestamps, "capabilities": caps, "verified": true, "offline": true})
	}
	fmt.Fprintf(out, "module:   %s\nsha256:   %s\nverified: signed by %s (the bundle signs the %s; checked offline, no transparency log lookup)\n",
		where, strings.TrimPrefix(digest, "sha256:"), res.Signer, res.Signed)
	for _, ts := range res.Timestamps {
		fmt.Fprintf(out, "signed at: %s\n", ts.UTC().Format(time.RFC3339))
	}
	writeCapabilities(out, caps)
	return nil
}

// inspectRef prints what a registry says about a module before its layer
// is pulled: digests, size and the capability section copied into the
// config.
func (a *app) inspectRef(cmd *cobra.Command, arg string, rf *registryFlags, asJSON bool) error {
	ref, err := parseCLIRef(arg)
	if err != nil {
		return err
	}
	var d *oci.Described
	if err := rf.with(cmd.Context(), func(ctx context.Context, c *oci.Client) (err error) {
		d, err = c.Describe(ctx, ref)
		return err
	}); err != nil {
		return fail(ExitConfig, err)
	}
	out := cmd.OutOrStdout()
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"module": d.Ref.String(), "manifest": d.Manifest, "sha256": strings.TrimPrefix(string(d.Layer.Digest), "sha256:"),
			"size": d.Layer.Size, "cached": d.Cached, "created": d.Config.Created, "capabilities": d.Config.Capabilities, "annotations": d.Annotations})
	}
	fmt.Fprintf(out, "module:  %s\nsha256:  %s\nsize:    %d bytes\ncached:  %v\n", d.Ref.String(), strings.TrimPrefix(string(d.Layer.Digest), "sha256:"), d.Layer.Size, d.Cached)
	if d.Config.Created != "" {
		fmt.Fprintf(out, "created: %s\n", d.Config.Created)
	}
	fmt.Fprintln(out, "(from the artifact's config, as pushed; the module's own section is what a store checks when it loads)")
	writeCapabilities(out, d.Config.Capabilities)
	return nil
}
