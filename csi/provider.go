package csi

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/secrets-store-csi-driver/provider/v1alpha1"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/config"
	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/protect"
	"github.com/latchkey/latchkey/providers/aws"
	"github.com/latchkey/latchkey/providers/azure"
	"github.com/latchkey/latchkey/providers/gcp"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/safefile"
)

// Codes of MountResponse.error.code: the driver's error_type metric label.
const (
	// CodeBadParameters: the class's parameters are invalid (objects,
	// paths, modes, stores), or the driver sent no pod identity.
	CodeBadParameters = "BadParameters"
	// CodeNotAllowed: the callers rules, the class's stores list or a
	// store's secrets rule refuse the pod's service account.
	CodeNotAllowed = "NotAllowed"
	// CodeIdentityRefused: the pod's token is missing, expired, for
	// another audience or service account, or its exchange was refused.
	CodeIdentityRefused = "IdentityRefused"
	// CodePermissionDenied: the store refused the pod's identity.
	CodePermissionDenied = "PermissionDenied"
	// CodeNotFound: a secret or key does not exist.
	CodeNotFound = "NotFound"
	// CodeTooLarge: the files exceed what the driver receives (4 MiB).
	CodeTooLarge = "TooLarge"
	// CodeUnavailable: a store or identity provider could not answer in time.
	CodeUnavailable = "Unavailable"
	// CodeInternal: anything else (a bug; the log says what).
	CodeInternal = "Internal"
)

// Size limits of a Mount's response.
const (
	// MaxResponseBytes is the driver's default gRPC receive limit.
	MaxResponseBytes = 4 << 20
	// WarnResponseBytes is the most a Kubernetes Secret holds: a class
	// synced to a Secret fails above it.
	WarnResponseBytes = 1 << 20
)

// RuntimeName is VersionResponse.runtime_name.
const RuntimeName = "latchkey"

// Config configures a [Provider].
type Config struct {
	// Agent is the loaded agent config: its stores, cache, protection and
	// callers sections, and its csi section.
	Agent *config.Agent
	// Settings is the agent's csi section, from [ParseSettings].
	Settings Settings
	// Version is VersionResponse.runtime_version (semver; default 0.0.0).
	Version string
	// Logger receives what each Mount did and why a Mount failed; never a
	// value or a token (default: discard).
	Logger *slog.Logger
	// Observer, when not nil, sees every resolution (the audit log).
	Observer resolver.Observer
}

// Provider serves the driver's CSIDriverProvider API. It is safe for
// concurrent use; build it with [New] and Close it when done.
type Provider struct {
	v1alpha1.UnimplementedCSIDriverProviderServer

	agent   *config.Agent
	set     Settings
	base    resolver.Config
	callers *policy.Callers
	node    map[string]secret.Store // shared stacks of identity: node stores
	hmacKey []byte
	version string
	log     *slog.Logger
	ids     *identities
	memo    objectMemo
	closed  atomic.Bool
}

// New checks cfg, builds the stores read with the node's identity, and
// returns the provider. Per-pod stores are built on first mount.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	p := &Provider{agent: cfg.Agent, set: cfg.Settings, version: cfg.Version, log: cfg.Logger,
		node: map[string]secret.Store{}, ids: newIdentities(cfg.Settings.MaxIdentities)}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.version == "" {
		p.version = "0.0.0"
	}
	if p.ids.max == 0 {
		p.ids.max = DefaultMaxIdentities
	}
	p.base = cfg.Agent.CachedResolverConfig(p.log)
	p.base.Observer = cfg.Observer
	if len(cfg.Agent.Callers) > 0 {
		names := map[string]*secret.Naming{}
		for n := range cfg.Agent.Stores {
			names[n] = nil
		}
		c, err := policy.CompileCallers(cfg.Agent.Callers, names)
		if err != nil {
			return nil, err
		}
		p.callers = c
	}
	key, err := loadKey(cfg.Settings.HMACKeyFile)
	if err != nil {
		return nil, err
	}
	p.hmacKey = key
	// Node-identity stores: one stack (store, protection, cache) for
	// every pod, built once.
	for _, name := range slices.Sorted(maps.Keys(cfg.Settings.Stores)) {
		if cfg.Settings.Stores[name].Identity != IdentityNode {
			continue
		}
		sc := p.base.Stores[name]
		sc.Cache = nil // the shared cache is ours
		one, err := resolver.New(ctx, resolver.Config{Stores: map[string]resolver.StoreConfig{name: sc}, Logger: p.log})
		if err != nil {
			p.Close()
			return nil, err
		}
		st, _ := one.Store(name) // the store itself, beneath protection
		set := protect.Defaults(sc.Type)
		if sc.Protection != nil {
			set = *sc.Protection
		}
		var stack secret.Store = protect.Wrap(name, st, set, p.log.With("store", name))
		if c := p.base.Stores[name].Cache; c != nil {
			opts := *c
			opts.Name = name
			stack = cache.New(stack, opts)
		}
		p.node[name] = closeBoth{stack, one}
	}
	for _, w := range cfg.Settings.Warnings() {
		p.log.Warn(w)
	}
	return p, nil
}

// closeBoth closes a shared stack and the Resolver that built its store.
type closeBoth struct {
	secret.Store
	owner *resolver.Resolver
}

func (c closeBoth) Unwrap() secret.Store { return c.Store }

func (c closeBoth) CurrentVersion(ctx context.Context, req secret.Request) (secret.FetchInfo, error) {
	if v, ok := c.Store.(secret.Versioner); ok {
		return v.CurrentVersion(ctx, req)
	}
	return secret.FetchInfo{}, errors.ErrUnsupported
}

func (c closeBoth) Close() error { return errors.Join(c.Store.Close(), c.owner.Close()) }

func loadKey(file string) ([]byte, error) {
	if file == "" {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		return k, nil
	}
	b, _, err := safefile.ReadFile(file, safefile.Options{})
	if err != nil {
		return nil, fmt.Errorf("csi.hmac_key_file: %w", err)
	}
	b = []byte(strings.TrimSpace(string(b)))
	if len(b) < 32 {
		return nil, fmt.Errorf("csi.hmac_key_file: %s holds %d bytes; the key needs 32 or more (e.g. head -c 48 /dev/urandom | base64): %w", file, len(b), secret.ErrInvalidConfig)
	}
	return b, nil
}

// Close closes every store the provider built.
func (p *Provider) Close() error {
	p.closed.Store(true)
	p.ids.closeAll()
	var errs []error
	for _, st := range p.node {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// Version implements the driver's health check.
func (p *Provider) Version(context.Context, *v1alpha1.VersionRequest) (*v1alpha1.VersionResponse, error) {
	return &v1alpha1.VersionResponse{Version: "v1alpha1", RuntimeName: RuntimeName, RuntimeVersion: p.version}, nil
}

// mountError is a failed Mount: its code and why.
type mountError struct {
	code string
	err  error
}

func (e *mountError) Error() string { return e.code + ": " + e.err.Error() }
func (e *mountError) Unwrap() error { return e.err }

func fail(code string, err error) error {
	var me *mountError
	if errors.As(err, &me) && me.code == code {
		return err // said once
	}
	return &mountError{code, err}
}

// Mount answers the driver with the class's files, read as the pod. A
// refusal or failure is MountResponse.error.code (logged with why); the
// gRPC call itself succeeds.
func (p *Provider) Mount(ctx context.Context, req *v1alpha1.MountRequest) (*v1alpha1.MountResponse, error) {
	start := time.Now()
	resp, params, err := p.mount(ctx, req)
	if err != nil {
		var me *mountError
		code := CodeInternal
		if errors.As(err, &me) {
			code = me.code
		}
		attrs := []any{"code", code, "err", err, "took", time.Since(start)}
		if params != nil {
			attrs = append(attrs, "namespace", params.Namespace, "service_account", params.ServiceAccount, "pod", params.Pod, "class", params.Class)
		}
		p.log.WarnContext(ctx, "mount refused", attrs...)
		return &v1alpha1.MountResponse{Error: &v1alpha1.Error{Code: code}}, nil
	}
	p.log.InfoContext(ctx, "mounted", "namespace", params.Namespace, "service_account", params.ServiceAccount,
		"pod", params.Pod, "class", params.Class, "objects", len(resp.ObjectVersion), "took", time.Since(start))
	return resp, nil
}

// MountError returns the error a Mount would log for req, and its code
// ("" when it succeeds): for tests and `latchkey csi-provider --check`.
func (p *Provider) MountError(ctx context.Context, req *v1alpha1.MountRequest) (string, error) {
	_, _, err := p.mount(ctx, req)
	var me *mountError
	if errors.As(err, &me) {
		return me.code, err
	}
	if err != nil {
		return CodeInternal, err
	}
	return "", nil
}

// mount answers one Mount: it parses the request's parameters, matches
// the pod against the callers section, checks every store the objects use,
// checks the pod's tokens, resolves the objects with the identity the pod
// maps to, and builds the files. It returns the parameters whenever they
// parse, for the audit log.
func (p *Provider) mount(ctx context.Context, req *v1alpha1.MountRequest) (*v1alpha1.MountResponse, *Params, error) {
	if p.closed.Load() {
		return nil, nil, fail(CodeUnavailable, errClosed)
	}
	params, err := parseParams(req.GetAttributes(), req.GetPermission(), &p.memo)
	if err != nil {
		return nil, params, fail(CodeBadParameters, err)
	}
	if p.set.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.set.Timeout)
		defer cancel()
	}
	caller := secret.Caller{Kind: secret.CallerPod, UID: -1, GID: -1, PID: -1,
		Namespace: params.Namespace, ServiceAccount: params.ServiceAccount, Pod: params.Pod}
	ctx = secret.WithCaller(ctx, caller)
	// The maps are made here and filled by the checks, so that they stay
	// on mount's stack.
	entry := ""
	var allowed map[string]bool // nil: every store
	if p.callers != nil {
		allowed = map[string]bool{}
		if entry, err = p.matchCaller(allowed, caller, params); err != nil {
			return nil, params, err
		}
	}
	used := map[string]bool{}
	if err := p.checkStores(used, params, caller, entry, allowed); err != nil {
		return nil, params, err
	}
	tokens := map[string]string{}
	if err := p.podTokens(tokens, params, used); err != nil {
		return nil, params, err
	}
	key := identityKey(params, entry)
	id, err := p.ids.acquire(ctx, key, func(ctx context.Context) (*identity, error) { return p.buildIdentity(ctx, key, params, entry) })
	if err != nil {
		return nil, params, fail(codeOf(err, CodeInternal), err)
	}
	defer p.ids.release(id)
	mt, err := exchangeTokens(ctx, id, tokens)
	if err != nil {
		return nil, params, err
	}
	ctx = context.WithValue(ctx, mountTokensKey{}, mt)
	wf := resolver.Workflow{Name: "csi:" + params.Namespace + "/" + params.Class}
	for _, o := range params.Objects {
		wf.Fields = append(wf.Fields, resolver.Field{Name: o.Path, Source: secret.Source{Ref: &o.ref}, Where: "objects " + o.Path})
	}
	res, err := id.res.Resolve(ctx, wf)
	if err != nil {
		return nil, params, fail(codeOf(err, CodeInternal), err)
	}
	if len(req.GetCurrentObjectVersion()) > 0 {
		// A republish: an object whose store now reports another version
		// than the one just answered is fetched again; unchanged objects
		// cost this probe (and the cache's answer).
		if res, err = p.recheck(ctx, id.res, wf, res); err != nil {
			return nil, params, fail(codeOf(err, CodeInternal), err)
		}
	}
	resp, err := p.mountResponse(ctx, params, res)
	if err != nil {
		return nil, params, err
	}
	return resp, params, nil
}

// matchCaller finds the callers entry naming the pod's service account,
// returns its name, and adds the stores it may use to allowed.
func (p *Provider) matchCaller(allowed map[string]bool, caller secret.Caller, params *Params) (entry string, err error) {
	rule, err := p.callers.Match(caller)
	if err != nil {
		return "", fail(CodeNotAllowed, fmt.Errorf("%w (callers.NAME.service_accounts: [%s/%s])", err, params.Namespace, params.ServiceAccount))
	}
	for _, s := range rule.Stores() {
		allowed[s] = true
	}
	return rule.Name(), nil
}

// checkStores checks every store the objects use before anything is read
// (declared, in the class's stores, in allowed unless it is nil, readable
// for a pod) and adds each to used. Of several problems it returns the
// first with the most telling code ([firstCode]).
func (p *Provider) checkStores(used map[string]bool, params *Params, caller secret.Caller, entry string, allowed map[string]bool) error {
	var errs []error
	for i, o := range params.Objects {
		st := p.storeOf(o.ref.Store)
		where := fmt.Sprintf("objects[%d] (%s)", i, o.Path)
		sc, ok := p.agent.Stores[st]
		switch {
		case st == "":
			errs = append(errs, fail(CodeBadParameters, fmt.Errorf("%s: the ref names no store and the agent has no default_store", where)))
		case !ok:
			errs = append(errs, fail(CodeBadParameters, fmt.Errorf("%s: store %q is not declared in the agent config", where, st)))
		case len(params.Stores) > 0 && !contains(params.Stores, st):
			errs = append(errs, fail(CodeNotAllowed, fmt.Errorf("%s: store %q is not in the class's stores parameter [%s]", where, st, strings.Join(params.Stores, ", "))))
		case allowed != nil && !allowed[st]:
			errs = append(errs, fail(CodeNotAllowed, fmt.Errorf("%s: %s may not use store %q: rule callers.%s.stores does not list it", where, caller, st, entry)))
		case sc.Type == "env":
			errs = append(errs, fail(CodeNotAllowed, fmt.Errorf("%s: store %q is of type env, which a mount may never read (it would hand pods the agent's own environment)", where, st)))
		case p.mode(st) == "":
			errs = append(errs, fail(CodeNotAllowed, fmt.Errorf("%s: store %q (type %s) cannot be read as a pod; the agent config must say csi.stores.%s.identity: node to read it with the agent's own identity", where, st, sc.Type, st)))
		case p.callers == nil && p.mode(st) == IdentityNode:
			errs = append(errs, fail(CodeNotAllowed, fmt.Errorf("%s: store %q is read with the node's identity, so only service accounts named in the agent's callers section may mount it; there is none", where, st)))
		default:
			used[st] = true
		}
	}
	return firstCode(errs)
}

// storeOf returns the store an object whose ref names the store named
// reads: that one, else the agent's default store, else the only store
// declared, else "".
func (p *Provider) storeOf(named string) string {
	if named != "" {
		return named
	}
	st := p.agent.DefaultStore
	if st == "" && len(p.agent.Stores) == 1 {
		for n := range p.agent.Stores {
			st = n
		}
	}
	return st
}

// podTokens adds to tokens, for each used store read with the pod's
// identity, the pod's token for that store's audience, checked and bound
// to its service account.
func (p *Provider) podTokens(tokens map[string]string, params *Params, used map[string]bool) error {
	now := time.Now()
	for _, st := range slices.Sorted(maps.Keys(used)) {
		if p.mode(st) != IdentityPod {
			continue
		}
		tok, err := checkToken(params, st, p.set.Stores[st].Audience, now)
		if err != nil {
			return fail(CodeIdentityRefused, err)
		}
		tokens[st] = tok
	}
	return nil
}

// exchangeTokens exchanges each pod token for the store's credentials on
// id, in store order, and returns their digests for the mount's context.
func exchangeTokens(ctx context.Context, id *identity, tokens map[string]string) (mountTokens, error) {
	mt := mountTokens{}
	for _, st := range slices.Sorted(maps.Keys(tokens)) {
		if err := id.exchange(ctx, st, tokens[st]); err != nil {
			return nil, fail(codeOf(err, CodeIdentityRefused), err)
		}
		mt[st] = sha256.Sum256([]byte(tokens[st]))
	}
	return mt, nil
}

// mountResponse builds the files and object versions of a resolution,
// refusing one the driver could not receive and warning about one that a
// Kubernetes Secret could not hold.
func (p *Provider) mountResponse(ctx context.Context, params *Params, res *resolver.Result) (*v1alpha1.MountResponse, error) {
	resp := &v1alpha1.MountResponse{}
	for i, o := range params.Objects {
		f := res.Fields[i]
		resp.Files = append(resp.Files, &v1alpha1.File{Path: o.Path, Mode: o.Mode, Contents: f.Value.Reveal()})
		resp.ObjectVersion = append(resp.ObjectVersion, &v1alpha1.ObjectVersion{Id: o.Path, Version: p.objectVersion(o, f)})
	}
	size := proto.Size(resp)
	if size > MaxResponseBytes-4096 {
		return nil, fail(CodeTooLarge, fmt.Errorf("the class's %d files hold %d bytes, more than the driver receives (4 MiB): split the class", len(resp.Files), size))
	}
	if size > WarnResponseBytes {
		p.log.WarnContext(ctx, "mount is larger than a Kubernetes Secret holds (1 MiB): syncing this class to a Secret will fail",
			"namespace", params.Namespace, "class", params.Class, "bytes", size)
	}
	return resp, nil
}

// recheck probes each secret of wf and fetches again those whose store
// reports a version other than the one res was answered with.
func (p *Provider) recheck(ctx context.Context, r *resolver.Resolver, wf resolver.Workflow, res *resolver.Result) (*resolver.Result, error) {
	vers, err := r.Versions(ctx, wf)
	if err != nil {
		return nil, err
	}
	plan, err := r.Plan(wf)
	if err != nil {
		return nil, err
	}
	stale := 0
	for i, st := range plan.Steps {
		v, ok := vers.ByFetch[st.Store+"/"+st.Request.Name+"?version="+st.Request.Version]
		if ok && v != res.Fields[i].Version {
			req := st.Request
			if _, err := r.Invalidate(st.Store, &req); err == nil {
				stale++
			}
		}
	}
	if stale == 0 {
		return res, nil
	}
	return r.Resolve(ctx, wf)
}

// objectVersion is the object's version for the driver: the store's
// version where it reports one, else an HMAC of the content under the
// provider's key; either way tied to the reference, so that a class
// pointing a path at another secret changes it.
func (p *Provider) objectVersion(o Object, f resolver.Resolved) string {
	refTag := sha256.Sum256([]byte(o.Ref))
	if f.Version != "" {
		return f.Version + "@" + hex.EncodeToString(refTag[:4])
	}
	m := hmac.New(sha256.New, p.hmacKey)
	m.Write([]byte(o.Ref))
	m.Write([]byte{0})
	m.Write(f.Value.Reveal())
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil)[:16])
}

// mode is how a mount reads store: IdentityPod, IdentityNode, or "" when
// it may not.
func (p *Provider) mode(store string) string {
	if si, ok := p.set.Stores[store]; ok {
		return si.Identity
	}
	if podTypes[p.agent.Stores[store].Type] {
		return IdentityPod
	}
	return ""
}

// identityKey names the principal a mount reads as: the service account
// and what the class asks to assume.
func identityKey(p *Params, entry string) string {
	return p.Namespace + "/" + p.ServiceAccount + "\x00" + entry + "\x00" + p.RoleARN + "\x00" + p.ClientID
}

// buildIdentity builds the Resolver a principal reads with: pod stores of
// its own (each with its own cache), the shared node stores, the callers
// entry's rules.
func (p *Provider) buildIdentity(ctx context.Context, key string, params *Params, entry string) (*identity, error) {
	id := &identity{key: key, pods: map[string]podStore{}, proven: map[string]map[[32]byte]bool{}}
	rc := resolver.Config{Stores: map[string]resolver.StoreConfig{}, Withheld: map[string]string{},
		DefaultStore: p.base.DefaultStore, Concurrency: p.base.Concurrency, Logger: p.log, Observer: p.base.Observer}
	var entrySpec *policy.CallerSpec
	for i := range p.agent.Callers {
		if p.agent.Callers[i].Name == entry {
			entrySpec = &p.agent.Callers[i]
		}
	}
	for name, sc := range p.base.Stores {
		if entrySpec != nil {
			spec, ok := entrySpec.Stores[name]
			if !ok {
				rc.Withheld[name] = "callers." + entry + ".stores"
				continue
			}
			if spec != nil {
				c := *spec
				if c.Origin == "" {
					c.Origin = "callers." + entry + ".stores." + name
				}
				sc.Caller = &c
			}
		}
		switch p.mode(name) {
		case IdentityNode:
			sc.Store, sc.Cache, sc.Protection = p.node[name], nil, nil
		case IdentityPod:
			st, err := p.buildPodStore(ctx, name, sc, params)
			if err != nil {
				id.closePods()
				return nil, err
			}
			id.pods[name] = st
			sc.Store = st
			if sc.Type == "wasm" {
				// Only the module's backend checks the token, on each
				// fetch: no cache may answer a pod that fetched nothing.
				sc.Cache = nil
			}
			if sc.Protection == nil {
				d := protect.Defaults(sc.Type)
				sc.Protection = &d
			}
		default:
			rc.Withheld[name] = "csi.stores." + name
			continue
		}
		rc.Stores[name] = sc
	}
	if _, ok := rc.Stores[rc.DefaultStore]; !ok {
		rc.DefaultStore = ""
	}
	r, err := resolver.New(ctx, rc)
	if err != nil {
		id.closePods()
		return nil, fail(CodeInternal, err)
	}
	id.res = r
	return id, nil
}

func (id *identity) closePods() {
	for _, st := range id.pods {
		_ = st.Close()
	}
}

// buildPodStore builds the store name for the pod's principal.
func (p *Provider) buildPodStore(ctx context.Context, name string, sc resolver.StoreConfig, params *Params) (podStore, error) {
	si := p.set.Stores[name]
	spec := secret.Spec{Name: name, Type: sc.Type, Settings: sc.Settings, Logger: p.log.With("store", name, "namespace", params.Namespace, "service_account", params.ServiceAccount)}
	switch sc.Type {
	case "aws":
		role := si.RoleARN
		if params.RoleARN != "" {
			role = params.RoleARN
		}
		if role == "" {
			return nil, fail(CodeBadParameters, fmt.Errorf("store %q: no role to assume with the pod's token: set csi.stores.%s.role_arn or the class's roleArn parameter", name, name))
		}
		session := si.SessionName
		if session == "" {
			session = "latchkey-" + params.Namespace + "-" + params.ServiceAccount
		}
		st, err := aws.NewWebIdentity(ctx, spec, aws.WebIdentity{RoleARN: role, SessionName: session, STSEndpoint: si.STSEndpoint})
		if err != nil {
			return nil, fail(CodeBadParameters, err)
		}
		return st, nil
	case "azure":
		client := si.ClientID
		if params.ClientID != "" {
			client = params.ClientID
		}
		if client == "" || si.TenantID == "" {
			return nil, fail(CodeBadParameters, fmt.Errorf("store %q: no application to act as with the pod's token: set csi.stores.%s.tenant_id and client_id (or the class's clientID parameter)", name, name))
		}
		st, err := azure.NewWorkloadIdentity(spec, azure.WorkloadIdentityApp{TenantID: si.TenantID, ClientID: client})
		if err != nil {
			return nil, fail(CodeBadParameters, err)
		}
		return st, nil
	case "wasm":
		return &wasmPodStore{spec: spec, cred: si.Credential, hosts: si.Hosts}, nil
	case "gcp":
		st, err := gcp.NewFederated(ctx, spec, gcp.Federation{Audience: si.WorkloadIdentityProvider, TokenURL: si.TokenURL,
			ImpersonateServiceAccount: si.ImpersonateServiceAccount})
		if err != nil {
			return nil, fail(CodeBadParameters, err)
		}
		return st, nil
	}
	return nil, fail(CodeInternal, fmt.Errorf("store %q: type %s has no pod identity", name, sc.Type))
}

// codeOf maps an error to a Code.
func codeOf(err error, def string) string {
	var me *mountError
	var ref *policy.Refusal
	var cr *policy.CallerRefusal
	switch {
	case errors.As(err, &me):
		return me.code
	case errors.As(err, &ref), errors.As(err, &cr), errors.Is(err, secret.ErrNotAllowed):
		return CodeNotAllowed
	case errors.Is(err, secret.ErrNotFound):
		return CodeNotFound
	case errors.Is(err, secret.ErrPermissionDenied):
		if def == CodeIdentityRefused {
			return def
		}
		return CodePermissionDenied
	case errors.Is(err, aws.ErrNoExchange), errors.Is(err, azure.ErrNoExchange), errors.Is(err, gcp.ErrNoExchange):
		return CodeIdentityRefused
	case errors.Is(err, secret.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return CodeUnavailable
	case errors.Is(err, secret.ErrInvalidConfig):
		return CodeBadParameters
	}
	return def
}

// firstCode joins errs under the code of the first.
func firstCode(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	inner := make([]error, len(errs))
	for i, e := range errs {
		inner[i] = e
		var me *mountError
		if errors.As(e, &me) {
			inner[i] = me.err // the code is said once, in front
		}
	}
	return fail(codeOf(errs[0], CodeInternal), errors.Join(inner...))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
