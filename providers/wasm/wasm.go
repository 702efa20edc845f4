// Package wasm is the store of type "wasm": a custom store written as a
// WebAssembly module (see guest-sdk/) and run in Latchkey's sandbox by
// package runtime. The module receives the store's "config" object and
// reaches the network only through the host, under the policy these
// settings describe.
//
// Settings (docs/wasm.md has the full table):
//
//	module: ./stores/http-json.wasm       # required; or oci://host/repo@sha256:… (docs/modules.md)
//	sha256: 4f2a…                          # the module's digest; or allow_unpinned: true
//	registry: {docker_config: …, plain_http: false, offline: false}
//	signature: {key: cosign.pub}           # or keys, or trusted_root + certificate_identity + certificate_oidc_issuer
//	config: {store_url: "https://secrets.example.com/v1", secret_name: "db"}
//	allowed_hosts: ["backup.example.com"]  # besides the host of config.store_url
//	allow_http: []                         # hosts that may be reached without TLS
//	allow_private_networks: false          # loopback, RFC 1918, link-local, CGNAT
//	allow_networks: []                     # CIDRs allowed although private
//	allow_metadata: []                     # cloud-metadata addresses allowed (never by allow_networks)
//	ca_file: /etc/ssl/internal-ca.pem      # CAs trusted besides the system's
//	credentials: {vault_token: {env: VAULT_TOKEN, hosts: [...]}}  # or brokered: login, oauth2,
//	                                       # token_file, client_cert, aws_sigv4, azure_token, gcp_token
//	limits: {memory_mib: 64, timeout: 10s, init_timeout: 10s, instances: 8, …}
//	isolation: pooled                      # or per_call: a fresh instance per fetch
//	cache_dir: ~/.cache/latchkey/wasm      # on-disk compilation cache
package wasm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/latchkey/latchkey/internal/safefile"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/hostfuncs"
	"github.com/latchkey/latchkey/internal/egress"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/units"
)

// A module's backend is unknown here and has no SDK retrying for it: the
// zero secret.Protection (the generic rate, and retries by protection).
func init() { secret.Register(secret.Type{Name: "wasm", New: factory}) }

// Store fetches secrets through a Wasm module. It is safe for concurrent
// use: each fetch runs in its own pooled instance.
type Store struct {
	name  string
	mod   *lkruntime.Module
	opts  lkruntime.Options
	creds []credentialInfo
	src   *source        // nil for a module given as a path to New or as bytes
	exch  *egress.Client // the host's own exchanges, when credentials are brokered
	// unsigned is set by an explicit signature: null, which turns off
	// verification, a top-level modules.signature's included.
	unsigned bool
}

type settings struct {
	Module               string          `json:"module"`
	SHA256               string          `json:"sha256"`
	AllowUnpinned        bool            `json:"allow_unpinned"`
	Config               json.RawMessage `json:"config"`
	AllowedHosts         []string        `json:"allowed_hosts"`
	AllowHTTP            []string        `json:"allow_http"`
	AllowPrivateNetworks bool            `json:"allow_private_networks"`
	AllowNetworks        []string        `json:"allow_networks"`
	AllowMetadata        []string        `json:"allow_metadata"`
	// CAFile is a PEM file of CA certificates trusted, besides the
	// system's, for the module's requests and the host's exchanges (a
	// Vault, Conjur or mTLS server with an internal CA).
	CAFile   string        `json:"ca_file"`
	Limits   limitSettings `json:"limits"`
	CacheDir string        `json:"cache_dir"`
	// Isolation is "pooled" (the default: instances are reused and keep
	// their memory between fetches) or "per_call".
	Isolation string `json:"isolation"`
	// Credentials are sent by the host, never seen by the module; see
	// credentials.go and guest-sdk/ABI.md.
	Credentials map[string]credentialSettings `json:"credentials"`
	// Registry and Signature: modules from OCI registries and their
	// signatures (source.go, docs/modules.md).
	Registry  registrySettings   `json:"registry"`
	Signature *signatureSettings `json:"signature"`
}

type limitSettings struct {
	MemoryMiB        int    `json:"memory_mib"`
	Timeout          string `json:"timeout"`
	InitTimeout      string `json:"init_timeout"`
	Instances        int    `json:"instances"`
	MaxInputBytes    int    `json:"max_input_bytes"`
	MaxOutputBytes   int    `json:"max_output_bytes"`
	MaxLogBytes      int    `json:"max_log_bytes"`
	MaxStdoutBytes   int    `json:"max_stdout_bytes"`
	RecycleMiB       int    `json:"recycle_mib"`
	MaxRequests      int    `json:"max_requests"`
	RequestTimeout   string `json:"request_timeout"`
	MaxRequestBytes  int64  `json:"max_request_bytes"`
	MaxResponseBytes int64  `json:"max_response_bytes"`
	MaxRedirects     int    `json:"max_redirects"`
}

func factory(ctx context.Context, spec secret.Spec) (secret.Store, error) {
	st, err := fromSpec(ctx, spec, nil)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// fromSpec builds a store from its settings, with cache (nil: the one
// named by cache_dir).
func fromSpec(ctx context.Context, spec secret.Spec, cache *lkruntime.Cache) (*Store, error) {
	return fromSpecTuned(ctx, spec, cache, nil)
}

// fromSpecTuned is fromSpec with tune applied to the options before
// anything is built from them (tests give a TLS configuration this way).
func fromSpecTuned(ctx context.Context, spec secret.Spec, cache *lkruntime.Cache, tune func(*lkruntime.Options)) (*Store, error) {
	var s settings
	if err := spec.Decode(&s); err != nil {
		return nil, err
	}
	opts, err := s.options(spec.Name)
	if err != nil {
		return nil, err
	}
	opts.Logger = spec.Logger
	opts.Cache = cache
	if tune != nil {
		tune(&opts)
	}
	if s.Module == "" {
		return nil, &secret.ConfigError{Store: spec.Name, Key: "module", Msg: "is required: the path of the store's .wasm file"}
	}
	deps := &atomic.Pointer[brokerDeps]{}
	creds, infos, err := credentials(ctx, spec.Name, s.Credentials, os.LookupEnv, deps)
	if err != nil {
		return nil, err
	}
	if creds != nil {
		creds.Install(&opts.HTTP)
	}
	var exch *egress.Client
	if creds != nil && creds.Brokered() {
		if exch, err = exchangeClient(spec.Name, opts); err != nil {
			return nil, err
		}
		deps.Store(&brokerDeps{transport: exch.Transport(), creds: creds})
	}
	log := spec.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wasmBytes, opts, src, err := fetchModule(ctx, spec.Name, &s, opts, log.With("store", spec.Name))
	if err != nil {
		if exch != nil {
			exch.Close()
		}
		return nil, err
	}
	st, err := NewFromBytes(ctx, spec.Name, wasmBytes, opts)
	if err != nil {
		if exch != nil {
			exch.Close()
		}
		return nil, err
	}
	st.creds, st.src, st.exch = infos, src, exch
	if v, set := spec.Settings["signature"]; set && v == nil {
		st.unsigned = true
	}
	return st, nil
}

// reportFunc records one problem with the setting key; options collects
// them so that every problem of a store's settings is reported at once.
type reportFunc func(key, format string, args ...any)

// options checks the settings and reports every problem at once.
func (s *settings) options(store string) (lkruntime.Options, error) {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &secret.ConfigError{Store: store, Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	s.Limits.check(bad)
	opts := s.runtimeOptions(store, bad)
	s.addNetworks(&opts.HTTP, bad)
	if s.CAFile != "" {
		pool, err := caPool(s.CAFile)
		if err != nil {
			bad("ca_file", "%v", err)
		} else {
			opts.HTTP.TLSConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
	}
	iso, err := lkruntime.ParseIsolation(s.Isolation)
	if err != nil {
		bad("isolation", "%v", err)
	}
	opts.Isolation = iso
	if s.SHA256 != "" && s.AllowUnpinned {
		bad("allow_unpinned", "contradicts sha256: drop one of them")
	}
	if err := lkruntime.CheckPin(s.SHA256); err != nil {
		bad("sha256", "%v", err)
	}
	if err := errors.Join(errs...); err != nil {
		return opts, err
	}
	return opts, nil
}

// check reports negative limits and memory sizes beyond a 32-bit memory.
func (l limitSettings) check(bad reportFunc) {
	for _, kv := range []struct {
		key string
		v   int64
	}{
		{"limits.memory_mib", int64(l.MemoryMiB)}, {"limits.instances", int64(l.Instances)},
		{"limits.max_input_bytes", int64(l.MaxInputBytes)}, {"limits.max_output_bytes", int64(l.MaxOutputBytes)},
		{"limits.max_log_bytes", int64(l.MaxLogBytes)}, {"limits.max_stdout_bytes", int64(l.MaxStdoutBytes)},
		{"limits.recycle_mib", int64(l.RecycleMiB)}, {"limits.max_requests", int64(l.MaxRequests)},
		{"limits.max_request_bytes", l.MaxRequestBytes}, {"limits.max_response_bytes", l.MaxResponseBytes},
	} {
		if kv.v < 0 {
			bad(kv.key, "must not be negative")
		}
	}
	if l.MemoryMiB > 4096 {
		bad("limits.memory_mib", "must be at most 4096 (a 32-bit memory)")
	}
	if l.RecycleMiB > 4095 {
		bad("limits.recycle_mib", "must be below 4096")
	}
}

// runtimeOptions builds the runtime's options from the settings, parsing
// the durations; the network lists, CA file and isolation are added by
// the caller.
func (s *settings) runtimeOptions(store string, bad reportFunc) lkruntime.Options {
	l := s.Limits
	return lkruntime.Options{
		Name:          store,
		SHA256:        s.SHA256,
		AllowUnpinned: s.AllowUnpinned,
		Config:        s.Config,
		CacheDir:      s.CacheDir,
		Limits: lkruntime.Limits{
			MemoryPages:   uint32(max(l.MemoryMiB, 0)) * 16,
			CallTimeout:   positiveDuration(bad, "limits.timeout", l.Timeout),
			InitTimeout:   positiveDuration(bad, "limits.init_timeout", l.InitTimeout),
			MaxInput:      l.MaxInputBytes,
			MaxOutput:     l.MaxOutputBytes,
			MaxLog:        l.MaxLogBytes,
			MaxStdout:     l.MaxStdoutBytes,
			RecycleMemory: uint32(max(l.RecycleMiB, 0)) << 20,
			MaxInstances:  l.Instances,
		},
		HTTP: hostfuncs.HTTPOptions{
			AllowedHosts:         s.AllowedHosts,
			AllowHTTP:            s.AllowHTTP,
			AllowPrivateNetworks: s.AllowPrivateNetworks,
			MaxRedirects:         l.MaxRedirects,
			MaxRequestBody:       l.MaxRequestBytes,
			MaxResponseBody:      l.MaxResponseBytes,
			MaxRequests:          l.MaxRequests,
			RequestTimeout:       positiveDuration(bad, "limits.request_timeout", l.RequestTimeout),
		},
	}
}

// positiveDuration parses the setting key's value v, reporting one that
// is not a positive duration; "" is 0, the runtime's default.
func positiveDuration(bad reportFunc, key, v string) time.Duration {
	if v == "" {
		return 0
	}
	d, err := units.ParseDuration(v)
	if err != nil || d <= 0 {
		bad(key, "%q is not a positive duration such as 10s or 500ms", v)
	}
	return d
}

// addNetworks parses allow_networks and allow_metadata into h, reporting
// entries that are not prefixes and metadata entries that hold no
// cloud-metadata address.
func (s *settings) addNetworks(h *hostfuncs.HTTPOptions, bad reportFunc) {
	for _, n := range s.AllowNetworks {
		p, ok := parsePrefix(n)
		if !ok {
			bad("allow_networks", "%q is not a CIDR such as 127.0.0.0/8 or an IP address", n)
			continue
		}
		h.AllowNetworks = append(h.AllowNetworks, p)
	}
	for _, n := range s.AllowMetadata {
		p, ok := parsePrefix(n)
		if !ok {
			bad("allow_metadata", "%q is not a CIDR or an IP address such as 169.254.169.254", n)
			continue
		}
		if !coversMetadata(p) {
			bad("allow_metadata", "%q holds no cloud-metadata address (%s); other addresses belong in allow_networks", n, metadataList())
			continue
		}
		h.AllowMetadata = append(h.AllowMetadata, p)
	}
}

// caPool returns the system's roots with the certificates of the PEM file
// path added.
func caPool(path string) (*x509.CertPool, error) {
	b, _, err := safefile.ReadFile(path, safefile.Options{})
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// parsePrefix reads a CIDR or a single address.
func parsePrefix(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil {
			return netip.Prefix{}, false
		}
		p, _ = a.Unmap().Prefix(a.Unmap().BitLen())
	}
	return p.Masked(), true
}

// coversMetadata reports whether p holds a cloud-metadata address.
func coversMetadata(p netip.Prefix) bool {
	for _, m := range hostfuncs.MetadataAddresses() {
		if p.Overlaps(m) {
			return true
		}
	}
	return false
}

func metadataList() string {
	var s []string
	for _, m := range hostfuncs.MetadataAddresses() {
		s = append(s, m.Addr().String())
	}
	return strings.Join(s, ", ")
}

// Widest allow_networks entries that check does not warn about: a /8 of
// IPv4, a /32 of IPv6 (a site's allocation). Wider ones open more internal
// address space than one store plausibly needs.
const (
	wideIPv4 = 8
	wideIPv6 = 32
)

// networkWarnings warns about allow_networks entries wider than a /8 (or
// /32 for IPv6) or covering cloud-metadata addresses, and about any
// allow_metadata entry.
func networkWarnings(o hostfuncs.HTTPOptions) []string {
	var out []string
	for _, p := range o.AllowNetworks {
		if (p.Addr().Is4() && p.Bits() < wideIPv4) || (p.Addr().Is6() && p.Bits() < wideIPv6) {
			out = append(out, fmt.Sprintf("allow_networks %s is wider than a /%d: the module can reach that much internal address space; list only the store's own range",
				p, map[bool]int{true: wideIPv4, false: wideIPv6}[p.Addr().Is4()]))
		}
		if coversMetadata(p) {
			out = append(out, fmt.Sprintf("allow_networks %s covers cloud-metadata addresses; they stay refused unless allow_metadata lists them", p))
		}
	}
	if len(o.AllowMetadata) == 0 {
		for _, h := range o.AllowedHosts {
			host := strings.Trim(h, "[]")
			if hh, _, err := net.SplitHostPort(h); err == nil {
				host = hh
			}
			if a, err := netip.ParseAddr(host); err == nil && coversMetadata(netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())) {
				out = append(out, fmt.Sprintf("allowed_hosts lists %s, a cloud-metadata address: requests to it are refused unless allow_metadata lists it", h))
			}
		}
	}
	for _, p := range o.AllowMetadata {
		out = append(out, fmt.Sprintf("allow_metadata %s lets the module reach a cloud-metadata service: it can read this machine's instance credentials", p))
	}
	return out
}

// New loads the module at path as store name. opts.Name is set to name.
// The host of config.store_url, if the config has one, is added to the
// allow list.
func New(ctx context.Context, name, path string, opts lkruntime.Options) (*Store, error) {
	opts, err := prepare(name, opts)
	if err != nil {
		return nil, err
	}
	m, err := lkruntime.Load(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	return &Store{name: name, mod: m, opts: opts}, nil
}

// NewFromBytes is [New] for a module an embedder holds in memory (embedded
// in its binary, fetched from its own registry).
func NewFromBytes(ctx context.Context, name string, wasm []byte, opts lkruntime.Options) (*Store, error) {
	opts, err := prepare(name, opts)
	if err != nil {
		return nil, err
	}
	m, err := lkruntime.LoadBytes(ctx, wasm, opts)
	if err != nil {
		return nil, err
	}
	return &Store{name: name, mod: m, opts: opts}, nil
}

// prepare adds the store_url host to the allow list and checks that plain
// http to it was allowed explicitly.
func prepare(name string, opts lkruntime.Options) (lkruntime.Options, error) {
	opts.Name = name
	if len(opts.Config) == 0 {
		return opts, nil
	}
	var cfg struct {
		StoreURL any `json:"store_url"`
	}
	if err := json.Unmarshal(opts.Config, &cfg); err != nil {
		return opts, &secret.ConfigError{Store: name, Key: "config", Msg: "must be a JSON object: " + err.Error()}
	}
	raw, ok := cfg.StoreURL.(string)
	if cfg.StoreURL == nil {
		return opts, nil
	}
	u, err := url.Parse(raw)
	if !ok || err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return opts, &secret.ConfigError{Store: name, Key: "config.store_url", Msg: "must be an absolute http(s) URL"}
	}
	host := u.Host
	if u.Port() == "" {
		host = u.Hostname()
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	opts.HTTP.AllowedHosts = append(append([]string(nil), opts.HTTP.AllowedHosts...), host)
	if u.Scheme == "http" && !hostListed(opts.HTTP.AllowHTTP, u) {
		return opts, &secret.ConfigError{Store: name, Key: "config.store_url",
			Msg: fmt.Sprintf("uses plain http: add %q to allow_http, or use https", u.Host)}
	}
	return opts, nil
}

func hostListed(list []string, u *url.URL) bool {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	for _, h := range list {
		hh, p, err := net.SplitHostPort(h)
		if err != nil {
			hh, p = strings.Trim(h, "[]"), "80"
		}
		if strings.EqualFold(hh, u.Hostname()) && p == port {
			return true
		}
	}
	return false
}

// Get fetches req through the module. The Result carries the version the
// module recorded and the requests it made through the host, the latter
// also beside an error.
func (s *Store) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	r, err := s.mod.Get(ctx, lkruntime.Request{Name: req.Name, Version: req.Version})
	return fetched(r), err
}

// fetched is the store's Result for the module's.
func fetched(r lkruntime.Result) secret.Result {
	res := secret.Result{Value: r.Value, FetchInfo: secret.FetchInfo{Outbound: r.Outbound}}
	if r.Version != "" {
		res.SetVersion(r.Version)
	}
	return res
}

// CurrentVersion asks the module's latchkey_version export for the
// current version of req's secret: a metadata call in the module's
// backend, under the same network policy, credentials, request budget and
// limits as a fetch. A missing secret wraps [secret.ErrNotFound]. A module
// built before ABI 1.1 has no such export: CurrentVersion then fails with
// [errors.ErrUnsupported], and the store's Description says NoProbe, so
// that caches and --watch fetch instead of probing.
func (s *Store) CurrentVersion(ctx context.Context, req secret.Request) (secret.FetchInfo, error) {
	r, err := s.mod.Version(ctx, lkruntime.Request{Name: req.Name, Version: req.Version})
	return fetched(r).FetchInfo, err
}

// Module returns the loaded module, for its Info and Stats.
func (s *Store) Module() *lkruntime.Module { return s.mod }

// Describe reports the module, its pin and its network reach, and warns
// about an unpinned module and relaxed network settings. Its UsedEnv is
// usedenv.go's; its Pool reports the module's instance pool.
func (s *Store) Describe() secret.Description {
	info := s.mod.Info()
	where := info.Path
	if s.src != nil {
		where = s.src.where
	}
	if where == "" {
		where = "module from memory"
	}
	id := secret.Description{Summary: fmt.Sprintf("Wasm module %s (sha256 %s, %d bytes, %s instances); network: %s",
		where, info.SHA256, info.Size, s.opts.Isolation, reach(s.opts.HTTP)),
		UsedEnv: s.usedEnv, Pool: s.mod.Stats, NoProbe: !s.mod.CanVersion()}
	credSummary, credWarnings := describeCredentials(s.creds)
	id.Summary += credSummary
	id.Warnings = append(id.Warnings, credWarnings...)
	srcSummary, srcWarnings := s.describeSource()
	id.Summary += srcSummary
	id.Warnings = append(id.Warnings, srcWarnings...)
	capSummary, capWarnings := s.describeCapabilities()
	id.Summary += capSummary
	id.Warnings = append(id.Warnings, capWarnings...)
	if info.Unpinned && (s.src == nil || s.src.ref == nil) {
		id.Warnings = append(id.Warnings, fmt.Sprintf("module is not pinned: set sha256: %s so that a replaced file is refused", info.SHA256))
	}
	if len(s.opts.HTTP.AllowHTTP) > 0 {
		id.Warnings = append(id.Warnings, "plain http allowed for "+strings.Join(s.opts.HTTP.AllowHTTP, ", ")+": requests and answers travel unencrypted")
	}
	if s.opts.HTTP.AllowPrivateNetworks {
		id.Warnings = append(id.Warnings, "allow_private_networks lets the module reach loopback and internal addresses")
	}
	id.Warnings = append(id.Warnings, networkWarnings(s.opts.HTTP)...)
	return id
}

func reach(o hostfuncs.HTTPOptions) string {
	if len(o.AllowedHosts) == 0 {
		return "none"
	}
	return strings.Join(o.AllowedHosts, ", ")
}

// Close closes the module and its instances.
func (s *Store) Close() error {
	if s.exch != nil {
		s.exch.Close()
	}
	return s.mod.Close(context.Background())
}

var (
	_ secret.Store     = (*Store)(nil)
	_ secret.Describer = (*Store)(nil)
	_ secret.Versioner = (*Store)(nil)
)
