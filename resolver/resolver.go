package resolver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/protect"
	"github.com/latchkey/latchkey/secret"
)

// cancelGrace is how long a resolution whose context ended waits for the
// stores still fetching to return their own errors before it gives up on
// them. It bounds how far past its deadline Resolve can return.
const cancelGrace = 100 * time.Millisecond

// DefaultConcurrency is how many secrets a resolution fetches at once when
// [Config.Concurrency] is zero.
const DefaultConcurrency = 8

// Config configures a [Resolver]. The zero value of every field but Stores
// is a documented default.
type Config struct {
	// Stores maps store names (letters, digits, '_' and '-') to their config.
	Stores map[string]StoreConfig
	// DefaultStore names the store used by references that name none. When
	// empty and exactly one store is configured, that store is the default.
	DefaultStore string
	// Concurrency bounds the secrets fetched at once (DefaultConcurrency).
	Concurrency int
	// Logger receives debug records about fetches, never values
	// (default: discard).
	Logger *slog.Logger
	// Observer, when not nil, is told about every fetch and resolution
	// (the audit log, metrics).
	Observer Observer
	// Withheld names stores that exist but that this Resolver may not use,
	// each with the rule that withholds it ("callers.etl.stores": the
	// resident agent builds one Resolver per caller entry). A reference to
	// one fails while planning with a [*policy.Refusal] naming that rule,
	// and DefaultStore may name one.
	Withheld map[string]string
}

// StoreConfig configures one named store.
type StoreConfig struct {
	// Type is a registered store type ("env", "aws", "azure", "gcp", "wasm").
	Type string
	// Secret names the store's secret document: the secret that references
	// with an empty name read (the product's "Secret path in Secret
	// Manager"), so that fields need name only a key.
	Secret string
	// Settings holds the type's own settings, decoded by its factory.
	Settings map[string]any
	// Store, when not nil, is used as is instead of building one from Type
	// and Settings. The Resolver does not close it: its owner does.
	Store secret.Store
	// Cache, when not nil, puts a cache (package cache) in front of the
	// store, with these options (their zero values are documented
	// defaults; Name is set to the store's name). Nil means no cache: each
	// resolution fetches, as the one-shot CLI does.
	Cache *cache.Options
	// Secrets, when not nil, is the store's secrets rule: a reference it
	// refuses fails while planning, before anything is fetched. Nil lets
	// through whatever the store itself accepts (a store that requires a
	// rule, such as env, then fails to build).
	Secrets *policy.Spec
	// Caller, when not nil, is a further rule that must also let a
	// reference through: a caller entry's rule for this store, in the
	// resident agent. It is checked after Secrets, the same way.
	Caller *policy.Spec
	// Protection guards the store's backend (package protect): a rate
	// limit, an in-flight bound, retries and a circuit breaker, directly
	// around the store, under the cache. Nil means protect.Defaults of the
	// store's type for a store the Resolver builds, and no protection for
	// a Store given as is.
	Protection *protect.Settings
}

// Resolver resolves workflows against a fixed set of stores.
type Resolver struct {
	stores       map[string]*boundStore
	defaultStore string
	concurrency  int
	log          *slog.Logger
	obs          Observer
	handover     handover // stores a Rebuild took over
	// from and took are, for a Resolver that Rebuild returned, the one it
	// was rebuilt from and the stores it took over from it.
	from     *Resolver
	took     []string
	withheld map[string]string
}

type boundStore struct {
	name     string
	typ      string
	document string
	store    secret.Store // cache → protection → the store
	cache    *cache.Store // nil without a cache
	// desc is the store's Description, read once when it was built
	// (secret.Describer: fixed for the store's life).
	desc   secret.Description
	owned  bool         // the Resolver closes store
	rule   *policy.Rule // nil: no rule
	caller *policy.Rule // the caller entry's rule; nil: none
	cfg    StoreConfig  // what it was built from, for Rebuild
}

// New builds every store of cfg. It reports every bad store at once, joined,
// and closes the stores it built when any fails.
func New(ctx context.Context, cfg Config) (*Resolver, error) {
	return buildResolver(ctx, cfg, nil)
}

// buildResolver builds a Resolver for cfg, taking a store from reuse when it
// returns one instead of building it.
func buildResolver(ctx context.Context, cfg Config, reuse func(name string, sc StoreConfig) *boundStore) (*Resolver, error) {
	r := &Resolver{
		stores:       map[string]*boundStore{},
		defaultStore: cfg.DefaultStore,
		concurrency:  cfg.Concurrency,
		log:          cfg.Logger,
		obs:          cfg.Observer,
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.concurrency <= 0 {
		r.concurrency = DefaultConcurrency
	}
	var errs []error
	names := make([]string, 0, len(cfg.Stores))
	for name := range cfg.Stores {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		errs = append(errs, r.addStore(ctx, name, cfg.Stores[name], reuse)...)
	}
	r.withheld = cfg.Withheld
	if r.defaultStore == "" && len(cfg.Stores) == 1 {
		r.defaultStore = names[0]
	}
	if r.defaultStore != "" {
		if _, ok := cfg.Stores[r.defaultStore]; !ok && cfg.Withheld[r.defaultStore] == "" {
			errs = append(errs, fmt.Errorf("default_store %q is not a declared store (declared: %s)", r.defaultStore, list(names)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		_ = r.closeBuilt() // not the stores it took over: they still serve
		return nil, err
	}
	return r, nil
}

// addStore checks the store's name and adds the store to r, taken from
// reuse or built with its protection, cache and rules. It returns the
// store's problems; a store whose rules fail to compile is still added,
// so that closeBuilt closes it.
func (r *Resolver) addStore(ctx context.Context, name string, sc StoreConfig, reuse func(name string, sc StoreConfig) *boundStore) []error {
	if name == "" {
		return []error{errors.New("a store has an empty name")}
	}
	if err := secret.ValidateStoreName(name); err != nil {
		return []error{err}
	}
	if reuse != nil {
		if b := reuse(name, sc); b != nil {
			r.stores[name] = b
			r.took = append(r.took, name)
			return nil
		}
	}
	b, err := r.bindStore(ctx, name, sc)
	if err != nil {
		return []error{err}
	}
	r.stores[name] = b
	return b.compileRules(name, sc)
}

// bindStore builds the store sc names (or takes the one it holds) and
// wraps it in its protection and its cache, reading its description once.
func (r *Resolver) bindStore(ctx context.Context, name string, sc StoreConfig) (*boundStore, error) {
	b := &boundStore{name: name, typ: sc.Type, document: sc.Secret, store: sc.Store, cfg: sc}
	if b.store == nil {
		st, err := build(ctx, name, sc, r.log)
		if err != nil {
			return nil, err
		}
		b.store, b.owned = st, true
	} else if b.typ == "" {
		b.typ = fmt.Sprintf("%T", sc.Store)
	}
	if pr := sc.Protection; pr != nil || b.owned {
		set := protect.Defaults(b.typ)
		if pr != nil {
			set = *pr
		}
		if err := set.Validate(name); err != nil {
			if b.owned {
				_ = b.store.Close()
			}
			return nil, err
		}
		b.store = protect.Wrap(name, b.store, set, r.log.With("store", name))
	}
	if sc.Cache != nil {
		opts := *sc.Cache
		opts.Name = name
		if opts.Logger == nil {
			opts.Logger = r.log.With("store", name)
		}
		opts.LeaveOpen = !b.owned // its owner closes it, not the cache
		b.cache = cache.New(b.store, opts)
		b.store, b.owned = b.cache, true
	}
	b.desc = secret.DescriptionOf(b.store)
	return b, nil
}

// compileRules compiles the store's policy rule and its caller entry's
// rule, returning the problems of both.
func (b *boundStore) compileRules(name string, sc StoreConfig) []error {
	var errs []error
	rule, err := compileRule(name, sc, b.desc)
	if err != nil {
		errs = append(errs, err)
	}
	b.rule = rule
	if sc.Caller != nil {
		if b.caller, err = policy.Compile(*sc.Caller, name, &b.desc.Naming); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func build(ctx context.Context, name string, sc StoreConfig, log *slog.Logger) (secret.Store, error) {
	if sc.Type == "" {
		return nil, &secret.ConfigError{Store: name, Key: "type", Msg: fmt.Sprintf("missing (known types: %s)", list(secret.Types()))}
	}
	f, ok := secret.Lookup(sc.Type)
	if !ok {
		return nil, &secret.ConfigError{Store: name, Key: "type",
			Msg: fmt.Sprintf("unknown store type %q (known types: %s)", sc.Type, list(secret.Types()))}
	}
	st, err := f(ctx, secret.Spec{Name: name, Type: sc.Type, Settings: sc.Settings,
		Logger: log.With("store", name, "type", sc.Type)})
	if err != nil {
		if namesStore(err, name) {
			return nil, err // every problem already says `store "NAME": setting …`
		}
		return nil, fmt.Errorf("store %q (type %s): %w", name, sc.Type, err)
	}
	return st, nil
}

// compileRule compiles the store's secrets rule with the store's own idea
// of names, and checks that a store that needs a rule has one.
func compileRule(name string, sc StoreConfig, desc secret.Description) (*policy.Rule, error) {
	var rule *policy.Rule
	if sc.Secrets != nil {
		var err error
		if rule, err = policy.Compile(*sc.Secrets, name, &desc.Naming); err != nil {
			return nil, err
		}
	}
	if desc.RequiresAllow && (rule == nil || !rule.HasAllow()) {
		return nil, &secret.ConfigError{Store: name, Key: "secrets",
			Msg: `needs allow patterns: this store would otherwise hand out the agent's own credentials; list what workflows may read, e.g. secrets: {allow: ["APP_*"]}`}
	}
	return rule, nil
}

// Rule describes the named store's secrets rule without any value, and
// where it was written; ok is false when the store has none.
func (r *Resolver) Rule(store string) (desc, origin string, ok bool) {
	b, found := r.stores[store]
	if !found || b.rule == nil {
		return "", "", false
	}
	return b.rule.String(), b.rule.Origin(), true
}

func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// Close closes every store the Resolver built (and every cache), returning
// their errors joined.
func (r *Resolver) Close() error {
	var errs []error
	for _, b := range r.stores {
		if b.owned && !r.handover.has(b.name) {
			if err := b.store.Close(); err != nil {
				errs = append(errs, fmt.Errorf("closing store %q: %w", b.name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// StoreNames returns the configured store names, sorted.
func (r *Resolver) StoreNames() []string {
	out := make([]string, 0, len(r.stores))
	for n := range r.stores {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Description returns what the named store says about itself
// ([secret.Describer]; the zero Description, whose fields are the
// defaults, for a store that says nothing), as read when the store was
// built; ok is false when no store has that name.
func (r *Resolver) Description(store string) (secret.Description, bool) {
	b, ok := r.stores[store]
	if !ok {
		return secret.Description{}, false
	}
	return b.desc, true
}

// fetchKey identifies one fetch: the same secret from the same store. id
// is the store's canonical key ([secret.Description.Key]) when it has one,
// so a secret spelled two ways in one workflow is fetched once.
type fetchKey struct {
	store string
	id    string
}

// secretID returns the identity of req in store b.
func (b *boundStore) secretID(req secret.Request) string {
	return b.desc.SecretKey(req)
}

type fetchResult struct {
	val  secret.Value
	ver  string                // the version the store said it answered with, if it did
	det  *secret.VersionDetail // nil: the store said nothing
	err  error
	doc  *document // parsed on first key look-up
	done bool
}

// Resolve resolves every field of wf. It returns all fields or an [*Error]
// listing every failed one; never a partial result.
func (r *Resolver) Resolve(ctx context.Context, wf Workflow) (*Result, error) {
	start := time.Now()
	plan, err := r.Plan(wf)
	if err != nil {
		return nil, r.resolved(ctx, wf, false, start, nil, err)
	}
	res, statuses := r.run(ctx, wf.Name, plan)
	var ferrs []*FieldError
	for _, st := range statuses {
		if st.Outcome == Failed {
			ferrs = append(ferrs, st.Err)
		}
	}
	if len(ferrs) > 0 {
		return nil, r.resolved(ctx, wf, false, start, statuses, &Error{Fields: ferrs})
	}
	if err := r.resolved(ctx, wf, false, start, statuses, nil); err != nil {
		return nil, err
	}
	return res, nil
}

// resolved tells the observer about a resolution and returns err, or the
// observer's own error when it refuses the resolution (fail closed).
func (r *Resolver) resolved(ctx context.Context, wf Workflow, check bool, start time.Time, statuses []FieldStatus, err error) error {
	if r.obs == nil {
		return err
	}
	caller, _ := secret.CallerFrom(ctx)
	ev := ResolutionEvent{Caller: caller, Workflow: wf.Name, Check: check, Fields: len(wf.Fields),
		Start: start, Took: time.Since(start), Err: err, Kind: ErrorKind(err)}
	for _, st := range statuses {
		if st.Outcome == Failed {
			ev.Failed = append(ev.Failed, st.Step.Field)
		}
	}
	if oerr := r.obs.Resolved(ctx, ev); oerr != nil && err == nil {
		return oerr
	}
	return err
}

// Outcome is how one field of a workflow resolved.
type Outcome int

// Outcomes of [Resolver.Check].
const (
	Found     Outcome = iota // a literal, or the secret (or key) was found
	Defaulted                // absent; the reference's default was used
	Omitted                  // absent; the reference is optional
	Failed                   // see FieldStatus.Err
)

// FieldStatus is how one field resolved, without its value.
type FieldStatus struct {
	Step    Step
	Outcome Outcome
	Err     *FieldError // when Outcome is Failed
}

// Check resolves wf as [Resolver.Resolve] does but reports each field's
// outcome, and never a value: what `latchkey check` prints. Its error is a
// plan error (an undeclared store, a duplicate field…); fetch failures are
// in the statuses.
func (r *Resolver) Check(ctx context.Context, wf Workflow) ([]FieldStatus, error) {
	start := time.Now()
	plan, err := r.Plan(wf)
	if err != nil {
		return nil, r.resolved(ctx, wf, true, start, nil, err)
	}
	_, statuses := r.run(ctx, wf.Name, plan)
	if err := r.resolved(ctx, wf, true, start, statuses, nil); err != nil {
		return nil, err
	}
	return statuses, nil
}

// run fetches what plan needs and works out every field.
func (r *Resolver) run(ctx context.Context, workflow string, plan *Plan) (*Result, []FieldStatus) {
	results := r.fetchAll(ctx, workflow, plan)
	res := &Result{}
	statuses := make([]FieldStatus, 0, len(plan.Steps))
	for _, step := range plan.Steps {
		st := FieldStatus{Step: step}
		switch {
		case step.Ref == nil:
			res.Fields = append(res.Fields, Resolved{Name: step.Field, Env: step.Env, Value: secret.StringValue(step.Literal)})
		default:
			fr := results[step.key()]
			val, err := lookup(fr, step.Ref.Key)
			switch {
			case err == nil:
				r := Resolved{Name: step.Field, Env: step.Env, Value: val, Ref: step.Ref, Secret: true, Version: fr.ver}
				if fr.det != nil {
					r.Detail = *fr.det
				}
				res.Fields = append(res.Fields, r)
			case errors.Is(err, secret.ErrNotFound) && step.Ref.HasDefault:
				res.Fields = append(res.Fields, Resolved{Name: step.Field, Env: step.Env, Value: secret.StringValue(step.Ref.Default), Ref: step.Ref, Defaulted: true})
				st.Outcome = Defaulted
			case errors.Is(err, secret.ErrNotFound) && step.Ref.Optional:
				st.Outcome = Omitted
			default:
				st.Outcome = Failed
				st.Err = &FieldError{Field: step.Field, Store: step.Store, Secret: step.Request.Name, Key: step.Ref.Key, Err: err}
			}
			if st.Outcome == Defaulted || st.Outcome == Omitted {
				r.log.DebugContext(ctx, "field missing, using its default or omitting it", "field", step.Field, "store", step.Store, "secret", step.Request.Name)
			}
		}
		statuses = append(statuses, st)
	}
	return res, statuses
}

// fetchAll fetches each distinct secret of plan once, at most r.concurrency
// at a time. It returns when all fetches end or ctx is done, whichever comes
// first: a store that ignores ctx cannot hang the caller.
func (r *Resolver) fetchAll(ctx context.Context, workflow string, plan *Plan) map[fetchKey]*fetchResult {
	results, order, reqs := distinctFetches(plan)
	order = r.answerFromCache(ctx, workflow, plan, results, order, reqs)
	if len(order) == 0 {
		return results
	}
	ch := r.startFetches(ctx, workflow, plan, order, reqs)
	awaitFetches(ctx, ch, len(order), results)
	return results
}

// distinctFetches lists the distinct secrets plan's steps read, in the
// order they first appear, each with an empty result and the request of its
// first spelling.
func distinctFetches(plan *Plan) (map[fetchKey]*fetchResult, []fetchKey, map[fetchKey]secret.Request) {
	results := map[fetchKey]*fetchResult{}
	var order []fetchKey
	reqs := map[fetchKey]secret.Request{} // the first spelling of each
	for _, s := range plan.Steps {
		if s.Ref == nil {
			continue
		}
		k := s.key()
		if _, ok := results[k]; !ok {
			results[k] = &fetchResult{}
			reqs[k] = s.Request
			order = append(order, k)
		}
	}
	return results, order, reqs
}

// answerFromCache fills in the results that the cache holds and returns
// the keys it did not hold, in order. Cache hits answer at once, without a
// goroutine each: a cached resolution costs what its look-ups cost.
func (r *Resolver) answerFromCache(ctx context.Context, workflow string, plan *Plan, results map[fetchKey]*fetchResult, order []fetchKey, reqs map[fetchKey]secret.Request) []fetchKey {
	misses := order[:0:0]
	for _, k := range order {
		if res, ok := r.lookupOne(ctx, workflow, plan, k, reqs[k]); ok {
			fr := results[k]
			fr.val, fr.ver, fr.det, fr.done = res.Value, res.Version(), res.Detail, true
			continue
		}
		misses = append(misses, k)
	}
	return misses
}

// fetchDone is one fetch's answer, sent from its goroutine to awaitFetches.
type fetchDone struct {
	k   fetchKey
	val secret.Value
	ver string
	det *secret.VersionDetail
	err error
}

// startFetches fetches the secrets of order, each in its own goroutine and
// at most r.concurrency at a time, and sends every answer on the channel it
// returns, which has room for all of them. A fetch not started when ctx is
// done answers ctx's error.
func (r *Resolver) startFetches(ctx context.Context, workflow string, plan *Plan, order []fetchKey, reqs map[fetchKey]secret.Request) <-chan fetchDone {
	ch := make(chan fetchDone, len(order))
	sem := make(chan struct{}, r.concurrency)
	go func() {
		for _, k := range order {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				ch <- fetchDone{k: k, err: ctx.Err()}
				continue
			}
			go func(k fetchKey) {
				defer func() { <-sem }()
				ch <- r.fetchLogged(ctx, workflow, plan, k, reqs[k])
			}(k)
		}
	}()
	return ch
}

// fetchLogged fetches one secret, logs how it went and tells the observer.
func (r *Resolver) fetchLogged(ctx context.Context, workflow string, plan *Plan, k fetchKey, req secret.Request) fetchDone {
	start := time.Now()
	res, err := r.fetchOne(ctx, k.store, req)
	took := time.Since(start)
	r.log.DebugContext(ctx, "fetched secret", "store", k.store, "secret", req.Name,
		"version", req.Version, "duration", took, "ok", err == nil)
	if bad := res.VersionRefused; bad != nil {
		r.log.WarnContext(ctx, "the store answered a version that breaks the rules; it was not used", "store", k.store, "secret", req.Name, "error", bad)
	}
	if r.obs != nil {
		r.observeFetch(ctx, workflow, plan, k, req, start, took, res.FetchInfo, err)
	}
	return fetchDone{k: k, val: res.Value, ver: res.Version(), det: res.Detail, err: err}
}

// awaitFetches records the pending answers from ch into results until all
// are in or ctx is done. When ctx is done, stores that honour ctx answer
// within moments, with errors that say more than ours would (which call,
// which retry): they are given cancelGrace. Only stores still at work after
// that are given up on, with ctx's error; answers already in are kept.
func awaitFetches(ctx context.Context, ch <-chan fetchDone, pending int, results map[fetchKey]*fetchResult) {
	for ; pending > 0; pending-- {
		select {
		case d := <-ch:
			recordFetch(results, d)
		case <-ctx.Done():
			grace := time.NewTimer(cancelGrace)
			defer grace.Stop()
		wait:
			for ; pending > 0; pending-- {
				select {
				case d := <-ch:
					recordFetch(results, d)
				case <-grace.C:
					break wait
				}
			}
			why := "store did not answer before the deadline"
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				why = "canceled while waiting for the store"
			}
			for _, fr := range results {
				if !fr.done {
					fr.err, fr.done = fmt.Errorf("%s: %w", why, ctx.Err()), true
				}
			}
			return
		}
	}
}

// recordFetch stores one fetch's answer in its result.
func recordFetch(results map[fetchKey]*fetchResult, d fetchDone) {
	fr := results[d.k]
	fr.val, fr.ver, fr.det, fr.err, fr.done = d.val, d.ver, d.det, d.err, true
}

// observeFetch tells the observer about one fetch and the fields it feeds.
func (r *Resolver) observeFetch(ctx context.Context, workflow string, plan *Plan, k fetchKey, req secret.Request, start time.Time, took time.Duration, info secret.FetchInfo, err error) {
	caller, _ := secret.CallerFrom(ctx)
	ev := FetchEvent{Caller: caller, Workflow: workflow, Store: k.store, StoreType: r.stores[k.store].typ,
		Request: req, Start: start, Took: took, Err: err, Kind: ErrorKind(err), Info: &info}
	for _, s := range plan.Steps {
		if s.Ref != nil && s.key() == k {
			ev.Fields = append(ev.Fields, s.Field)
			ev.Keys = append(ev.Keys, strings.Join(s.Ref.Key, "."))
		}
	}
	r.obs.Fetched(ctx, ev)
}

// lookupOne answers k from its store's cache when the cache holds a fresh
// value, telling the observer as a fetch would, and reports whether it
// did. It is used only when the cache is the outermost layer of the store:
// a layer in front of it (policy) must see every request.
func (r *Resolver) lookupOne(ctx context.Context, workflow string, plan *Plan, k fetchKey, req secret.Request) (secret.Result, bool) {
	b := r.stores[k.store]
	if b.cache == nil || b.store != secret.Store(b.cache) {
		return secret.Result{}, false
	}
	start := time.Now()
	res, ok := b.cache.Lookup(ctx, req)
	if !ok {
		return secret.Result{}, false
	}
	took := time.Since(start)
	r.log.DebugContext(ctx, "fetched secret", "store", k.store, "secret", req.Name,
		"version", req.Version, "duration", took, "ok", true, "cache", "hit")
	if r.obs != nil {
		r.observeFetch(ctx, workflow, plan, k, req, start, took, res.FetchInfo, nil)
	}
	return res, true
}

// fetchOne fetches req from store. (Cache hits are answered by lookupOne
// instead: a check added here belongs there too.)
func (r *Resolver) fetchOne(ctx context.Context, store string, req secret.Request) (res secret.Result, err error) {
	if err := ctx.Err(); err != nil {
		return secret.Result{}, err
	}
	defer func() {
		// A store bug must not take the agent down. The panic value is not
		// reported: it could hold a secret.
		if p := recover(); p != nil {
			err = fmt.Errorf("store panicked (a bug in the store; report it): %w", secret.ErrUnavailable)
		}
	}()
	return r.stores[store].store.Get(ctx, req)
}

// Result holds the resolved fields of a workflow, in workflow order.
type Result struct {
	Fields []Resolved
}

// Resolved is one resolved field.
type Resolved struct {
	Name string
	// Env is the environment variable name the workflow asked for, if any.
	Env   string
	Value secret.Value
	// Ref is the reference the value came from; nil for a literal.
	Ref *secret.Ref
	// Secret reports that Value came from a store (so it should be masked).
	Secret bool
	// Defaulted reports that the reference's default was used.
	Defaulted bool
	// Version is the version the store said it answered with (an AWS
	// version ID, a GCP version number…), or "" when it did not say.
	Version string
	// Detail is what the store said about that version besides its ID
	// (the aws store: the secret's name and ARN, the version's stages and
	// creation date, whether the value is stored as text or bytes).
	Detail secret.VersionDetail
}

// Get returns the field named name.
func (r *Result) Get(name string) (secret.Value, bool) {
	for _, f := range r.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return secret.Value{}, false
}

// Secrets returns the values that came from stores, for masking output.
func (r *Result) Secrets() []secret.Value {
	var out []secret.Value
	for _, f := range r.Fields {
		if f.Secret && f.Value.Len() > 0 {
			out = append(out, f.Value)
		}
	}
	return out
}

var _ io.Closer = (*Resolver)(nil)
