package secret

import "context"

// Describer is implemented by a [Store] that says more about itself than
// its data path does: who it acts as, which environment variables it uses,
// how it spells its secrets. It is the one optional capability besides
// [Versioner]; callers reach it through a store's decorators with [As] (or
// [DescriptionOf]). A store without it gets the zero [Description], whose
// fields are the documented defaults.
//
// Describe does no I/O and may be called concurrently. What it returns is
// fixed for the life of the store: the resolver calls it once, when it
// builds the store, and keeps the answer. What changes while the store
// serves (the variables an env store has read, the principal a token
// named, a pool's counters) is reached through the Description's
// functions, which are called when needed.
type Describer interface {
	Describe() Description
}

// Description is what a store says about itself beyond Get and Close. Every
// field is optional: the zero value of each is the default stated on it, so
// a store fills in only what applies. Its functions may be called
// concurrently, and none but Principal may do I/O.
type Description struct {
	// Summary says, without any secret, who the store acts as: "AWS
	// Secrets Manager in eu-west-1, as the default credential chain",
	// "managed identity (client ID …)". `latchkey check` prints it. Empty:
	// the store does not say.
	Summary string
	// Warnings lists configuration a user should change, such as a
	// credential written as a literal or an unpinned Wasm module. Nil:
	// none.
	Warnings []string

	// UsedEnv returns the names of the agent's environment variables the
	// store uses: those it (or its SDK) authenticates with, fixed names and
	// those its settings name, and, for a store that serves variables as
	// secrets, those it has read so far. `latchkey exec` leaves them out of
	// its command's environment, so that running a workflow does not hand
	// the agent's own credentials to the workflow's process. It returns a
	// slice the caller may keep. Nil: the store uses none.
	UsedEnv func() []string

	// Key maps a request to one canonical identity per secret, so that a
	// secret named several ways (by name, by full or partial ARN, with the
	// default version stage spelled out) is fetched and cached once.
	// Requests with equal keys must name the same value; Key must return
	// equal keys for equal requests. Nil: requests are keyed as written
	// (see [Description.SecretKey]).
	Key func(req Request) string

	// Check reports a request the store can never serve — a version on a
	// store that has none, a name it cannot hold — so that the resolver
	// refuses it while planning (and `latchkey check --offline` reports it
	// as a configuration problem) instead of failing the fetch. Its error
	// says what to write instead and wraps [ErrInvalidConfig]. Nil: every
	// request may be tried.
	Check func(req Request) error

	// Principal reports the principal the store actually acts as — an
	// ARN, an application and object ID, a service account's email — which
	// a configuration that names a default credential chain does not say.
	// It may call the backend (AWS GetCallerIdentity), so it takes ctx and
	// must honour it, or report what the store's last authentication
	// learned; it never returns a credential. `latchkey check` (online)
	// prints it. Nil: the store cannot say.
	Principal func(ctx context.Context) (string, error)

	// Naming is the store's reading of the names of its secrets, for
	// secrets rules (package policy). The zero Naming matches names
	// exactly as written, in the store's own scope.
	Naming Naming

	// RequiresAllow is true for a store that must be given a secrets rule
	// with at least one allow pattern (the env store: the agent's own
	// credentials live in its environment). False: a rule is optional.
	RequiresAllow bool

	// Pool returns the counters of the store's pool of instances (a Wasm
	// module's), which the agent exports as metrics. Nil: the store has no
	// pool.
	Pool func() PoolStats

	// NoProbe is true for a store that implements [Versioner] but whose
	// backend cannot answer version probes (a Wasm module without the
	// latchkey_version export): its CurrentVersion always fails with
	// [errors.ErrUnsupported], and [VersionerOf] reports no probe, so that
	// caches and --watch fetch instead. False: a store that implements
	// Versioner answers probes.
	NoProbe bool
}

// SecretKey returns d.Key(req), or, when d.Key is nil, the request as
// written: its name and version.
func (d Description) SecretKey(req Request) string {
	if d.Key != nil {
		return d.Key(req)
	}
	return req.Name + "\x00" + req.Version
}

// DescriptionOf returns the Description of the first [Describer] in st's
// chain ([As]), or the zero Description, whose fields are the defaults,
// when there is none.
func DescriptionOf(st Store) Description {
	if d, ok := As[Describer](st); ok {
		return d.Describe()
	}
	return Description{}
}

// Current is the version, in a [Subject] or a [Pattern], of a request or
// pattern that names no version: the word "current" a secrets rule
// writes. A store with a name for it (AWS AWSCURRENT, GCP latest) maps it
// to its own.
const Current = "current"

// Naming is a store's reading of the names of its secrets: which secret a
// request denotes and what a pattern written in any spelling the store
// accepts (a name, an ARN, a URL, with '*' and '?' inside) covers, so that
// a secrets rule matches a secret however a reference spells it. Neither
// function does I/O; both may be called concurrently.
//
// A nil Subject reads a request's name exactly, in the store's own scope,
// and refuses a name with a "." or ".." segment (a store that uses names as
// paths could resolve it outside the rule's patterns). A nil Pattern takes
// a pattern as written.
type Naming struct {
	// Subject reads a request; an error says why the name cannot be read,
	// and the request is then refused.
	Subject func(req Request) (Subject, error)
	// Pattern reads a pattern as written (Name and Versions; Scope empty)
	// and returns it canonical, with its Scope; an error says what the
	// pattern should look like.
	Pattern func(p Pattern) (Pattern, error)
}

// Subject is a request as a [Naming] reads it: the canonical name that
// patterns are matched against and where the secret lives.
type Subject struct {
	// Name is the canonical secret name (case-folded where the store is
	// case-insensitive).
	Name string
	// Aliases are other names the request could denote (an AWS ARN whose
	// name ends like a random suffix); deny patterns are matched against
	// them too.
	Aliases []string
	// Scope says where the secret lives in the store's terms
	// ("aws:eu-west-1:123456789012", a vault host, a project), "" when the
	// request does not say.
	Scope string
	// Own is true when the secret is in the store's own scope: a bare
	// name, or a full name whose scope is the store's.
	Own bool
	// Version is the canonical version; [Current] for none.
	Version string
}

// Pattern is a secrets rule's pattern, as written or as a [Naming] reads
// it: globs over the scope, the name and the versions of a [Subject].
type Pattern struct {
	// Scope is a glob over [Subject.Scope]; "" means the store's own scope.
	Scope string
	// Name is a glob over [Subject.Name].
	Name string
	// Versions are globs over [Subject.Version]; empty means every
	// version. As written, [Current] stands for a request without one.
	Versions []string
}

// PoolStats are the counters of a store's pool of instances, as
// [Description.Pool] reports them.
type PoolStats struct {
	Created  int64 // instances started
	Crashed  int64 // calls that trapped, exited or timed out (instance discarded)
	Recycled int64 // instances discarded because their memory grew
	Calls    int64 // successful calls
	Idle     int   // instances waiting for a call
	// IdleMemory is the linear memory of the idle instances, in bytes.
	IdleMemory uint64
}
