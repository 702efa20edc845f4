package secret

import "time"

// Result is what [Store.Get] answers: the secret's value, and what the
// layers of the store stack learned while fetching it ([FetchInfo]).
//
// Get returns a Result with its error, as [io.Reader.Read] returns n with
// err: on failure Value is empty, but the FetchInfo may still say what is
// known (the upstream calls made before the store gave up, the requests a
// Wasm module made and the host refused, how the cache answered). A caller
// that reports fetches reads it whatever the error.
type Result struct {
	Value Value
	FetchInfo
}

// FetchInfo is what the layers of a store stack (the store, protection, the
// cache) learned while answering one call: the version the store answered
// with, how the cache answered, how many calls reached the backing service
// and the requests a Wasm store's module made. It never holds a secret
// value: the resolver hands it to its observers (audit, metrics) as it is.
//
// A FetchInfo travels up the stack as a return value: each layer builds its
// own from the one the layer beneath returned, so no layer writes into
// another's and none needs a lock. The zero FetchInfo says nothing was
// learned.
type FetchInfo struct {
	// Detail is what the store said about the version it answered with,
	// beyond its ID; nil when it said nothing. It is shared, not copied,
	// by the layers that pass it on (a cache hands every hit the entry's),
	// so it must not be modified once set.
	Detail *VersionDetail
	// Cache says how a cache answered ([CacheNone] when no cache answered).
	Cache CacheStatus
	// Upstream counts the calls made to the backing service, a retry being
	// another; 0 when the store counts none of its own.
	Upstream int
	// Outbound lists the requests a Wasm store's module made through the
	// host, refused ones included, in order.
	Outbound []Outbound
	// VersionRefused says why a version the store reported was dropped by
	// [FetchInfo.SetVersion], or nil. It never holds the version.
	VersionRefused error

	version string // passed CheckVersion
}

// SetVersion records the version the store answered with. Every store's
// version passes here on its way to the cache, the audit trail and the
// agent's answers, so here it is checked: a version that breaks
// [CheckVersion] is not recorded (the FetchInfo keeps any version recorded
// before, and [FetchInfo.VersionRefused] says why).
func (f *FetchInfo) SetVersion(v string) {
	if err := CheckVersion(v); err != nil {
		f.VersionRefused = err
		return
	}
	f.version = v
}

// Version returns the recorded version, which passed [CheckVersion], or ""
// when the store said none (or only ones that were refused).
func (f FetchInfo) Version() string { return f.version }

// CacheStatus says how a cache answered one fetch.
type CacheStatus string

// Cache statuses of a [FetchInfo].
const (
	CacheNone     CacheStatus = ""         // no cache in the stack
	CacheHit      CacheStatus = "hit"      // a fresh entry answered
	CacheMiss     CacheStatus = "miss"     // the store was asked
	CacheStale    CacheStatus = "stale"    // the store failed; a stale entry answered
	CacheShared   CacheStatus = "shared"   // joined another caller's fetch in flight
	CacheRefresh  CacheStatus = "refresh"  // the caller asked to bypass the cache
	CacheNegative CacheStatus = "negative" // a cached not-found answered
)

// Outbound is one request a Wasm store's module made through the host,
// as the audit trail records it: never a query, a header value or a body.
type Outbound struct {
	Method string
	Host   string
	Path   string // without the query
	Status int    // 0 when no response came (refused or failed)
	// Credentials names the credentials the host substituted into it.
	Credentials []string
	// Refused says why the host refused it, when it did.
	Refused string
}

// VersionDetail is what a store said about the version it answered with,
// beyond its ID, when it says (the aws store does: GetSecretValue's answer
// carries it). The cache keeps it with the value, and the resident agent's
// AWS Secrets Manager Agent endpoint answers with it. Zero fields are
// unknown. A VersionDetail is not modified once recorded: a
// [FetchInfo] holds a pointer to it that the layers above share.
type VersionDetail struct {
	// Name is the secret's name as the store knows it, however the
	// request spelled it (AWS: the name, when asked by ARN).
	Name string
	// ID is the secret's full identifier (AWS: its full ARN, when asked
	// by name or by partial ARN).
	ID string
	// Stages are the labels the version carries (AWS: AWSCURRENT,
	// AWSPREVIOUS…); nil when the store did not say.
	Stages []string
	// Created is when the version was created.
	Created time.Time
	// Stored is how the store keeps the value: StoredText or StoredBinary;
	// "" when it did not say.
	Stored string
}

// How a store keeps a value ([VersionDetail.Stored]).
const (
	StoredText   = "text"
	StoredBinary = "binary"
)
