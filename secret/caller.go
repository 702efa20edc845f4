package secret

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// CallerKind says how a [Caller] was identified.
type CallerKind string

// Kinds of caller.
const (
	// CallerCLI is the one-shot `latchkey` command acting for its own user.
	CallerCLI CallerKind = "cli"
	// CallerUnix is a client of the resident agent's unix socket, known by
	// the kernel's SO_PEERCRED answer.
	CallerUnix CallerKind = "unix"
	// CallerPipe is a client of the resident agent's Windows named pipe,
	// known by the SIDs of its access token.
	CallerPipe CallerKind = "pipe"
	// CallerToken is a client that presented one of the agent's named tokens.
	CallerToken CallerKind = "token"
	// CallerEmbedded is a Go program that uses the packages as a library and
	// set no caller.
	CallerEmbedded CallerKind = "embedded"
	// CallerPod is a Kubernetes pod mounting secrets through the Secrets
	// Store CSI Driver (package csi), known by the namespace and service
	// account the driver names.
	CallerPod CallerKind = "pod"
)

// Caller is who asked for a resolution. It travels in the context
// ([WithCaller]); policy and audit read it, stores never do.
type Caller struct {
	Kind CallerKind
	// UID, GID and PID are the peer's credentials (CallerUnix) or the
	// process's own (CallerCLI); -1 when unknown.
	UID, GID, PID int
	// Exe is the peer's executable path when it could be read, else "".
	Exe string
	// Token is the name of the token presented (CallerToken), never the
	// token itself.
	Token string
	// SIDs are a pipe client's user SID followed by the SIDs of the groups
	// enabled in its access token (CallerPipe), in string form ("S-1-5-…").
	SIDs []string
	// Namespace, ServiceAccount and Pod name a CallerPod.
	Namespace, ServiceAccount, Pod string
}

// String names the caller for logs and errors, without any secret.
func (c Caller) String() string {
	switch c.Kind {
	case CallerUnix:
		return fmt.Sprintf("unix peer uid=%d gid=%d pid=%d", c.UID, c.GID, c.PID)
	case CallerPipe:
		sid := "unknown"
		if len(c.SIDs) > 0 {
			sid = c.SIDs[0]
		}
		return fmt.Sprintf("pipe client sid=%s pid=%d", sid, c.PID)
	case CallerToken:
		return fmt.Sprintf("token %q", c.Token)
	case CallerPod:
		return fmt.Sprintf("service account %s/%s (pod %s)", c.Namespace, c.ServiceAccount, c.Pod)
	case "":
		return string(CallerEmbedded)
	default:
		return string(c.Kind)
	}
}

type callerKey struct{}

// WithCaller returns a copy of ctx that carries c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller ctx carries, or a Caller of kind
// [CallerEmbedded] and false when it carries none.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	if !ok {
		return Caller{Kind: CallerEmbedded, UID: -1, GID: -1, PID: -1}, false
	}
	return c, true
}

// CacheStatus says how a cache answered one fetch.
type CacheStatus string

// Cache statuses recorded in a [FetchNote].
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

// FetchNote collects what the layers of a store stack (cache, protection,
// the store itself) learn while answering one Get, so that the resolver can
// report it to its observers. The resolver puts one in the context of each
// fetch ([WithFetchNote]); a layer that has something to say calls
// [NoteFrom] and, when it is not nil, records into it. Its methods may be
// called concurrently.
type FetchNote struct {
	mu       sync.Mutex
	cache    CacheStatus
	upstream int
	outbound []Outbound
	version  string
	detail   VersionDetail
	refused  error // why a version was refused (CheckVersion)
}

// VersionDetail is what a store said about the version it answered with,
// beyond its ID, when it says (the aws store does: GetSecretValue's answer
// carries it). The cache keeps it with the value, and the resident agent's
// AWS Secrets Manager Agent endpoint answers with it. Zero fields are
// unknown. A VersionDetail is not modified once recorded.
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

// SetCache records how the cache answered.
func (n *FetchNote) SetCache(s CacheStatus) {
	n.mu.Lock()
	n.cache = s
	n.mu.Unlock()
}

// AddUpstream counts one call to the backing service (a retry is another).
func (n *FetchNote) AddUpstream() {
	n.mu.Lock()
	n.upstream++
	n.mu.Unlock()
}

// AddOutbound records one request a Wasm module made.
func (n *FetchNote) AddOutbound(o Outbound) {
	n.mu.Lock()
	n.outbound = append(n.outbound, o)
	n.mu.Unlock()
}

// SetVersion records the version the store answered with, when it says.
// Every store's version passes here on its way to the audit trail and the
// agent's answers, so here it is checked: a version that breaks
// [CheckVersion] is not recorded (the note keeps any version recorded
// before, and [FetchNote.VersionRefused] says why).
func (n *FetchNote) SetVersion(v string) {
	err := CheckVersion(v)
	n.mu.Lock()
	if err != nil {
		n.refused = err
	} else {
		n.version = v
	}
	n.mu.Unlock()
}

// SetDetail records what the store said about the version it answered
// with.
func (n *FetchNote) SetDetail(d VersionDetail) {
	n.mu.Lock()
	n.detail = d
	n.mu.Unlock()
}

// Detail returns the recorded version detail, or the zero VersionDetail.
func (n *FetchNote) Detail() VersionDetail {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.detail
}

// RefuseVersion records that a version was refused, for err (a layer
// that ran the store under a note of its own passes on what that note's
// [FetchNote.VersionRefused] said). err must not hold the version.
func (n *FetchNote) RefuseVersion(err error) {
	n.mu.Lock()
	n.refused = err
	n.mu.Unlock()
}

// VersionRefused returns why the last version refused by
// [FetchNote.SetVersion] was, or nil. The error never holds the version.
func (n *FetchNote) VersionRefused() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.refused
}

// Cache returns the recorded cache status.
func (n *FetchNote) Cache() CacheStatus {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cache
}

// Upstream returns the number of upstream calls recorded.
func (n *FetchNote) Upstream() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.upstream
}

// Outbound returns a copy of the recorded module requests.
func (n *FetchNote) Outbound() []Outbound {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Outbound(nil), n.outbound...)
}

// Version returns the recorded version, or "".
func (n *FetchNote) Version() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.version
}

type noteKey struct{}

// WithFetchNote returns a copy of ctx that carries n.
func WithFetchNote(ctx context.Context, n *FetchNote) context.Context {
	return context.WithValue(ctx, noteKey{}, n)
}

// NoteFrom returns the note ctx carries, or nil.
func NoteFrom(ctx context.Context) *FetchNote {
	n, _ := ctx.Value(noteKey{}).(*FetchNote)
	return n
}
