package audit

import (
	"strings"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// SchemaVersion is the version of the record format; it changes only when
// a field changes meaning or disappears (new fields may be added).
const SchemaVersion = 1

// Schema names the record format in every line, for a SIEM's parser.
const Schema = "latchkey.audit"

// Events a record describes.
const (
	EventFetch      = "fetch"      // one secret fetched from one store
	EventResolution = "resolution" // one workflow resolved or checked
)

// Outcomes of a record.
const (
	OutcomeOK    = "ok"
	OutcomeError = "error"
)

// Record is one line of the audit log. Its JSON form is the documented
// schema; fields that do not apply are omitted.
type Record struct {
	Schema  string    `json:"schema"`
	Version int       `json:"version"`
	Time    time.Time `json:"time"`
	Event   string    `json:"event"`
	// Request correlates the records of one resolution ([WithRequest]).
	Request  string `json:"request,omitempty"`
	Caller   Caller `json:"caller"`
	Workflow string `json:"workflow"`
	// Check is true for `latchkey check` (nothing is handed to the caller).
	Check bool `json:"check,omitempty"`

	// Fetch records.
	Store     string `json:"store,omitempty"`
	StoreType string `json:"store_type,omitempty"`
	Secret    string `json:"secret,omitempty"`
	// Version is the version the reference asked for ("" for current).
	SecretVersion string `json:"secret_version,omitempty"`
	// AnsweredVersion is the version the store says it answered with.
	AnsweredVersion string     `json:"answered_version,omitempty"`
	Fields          []string   `json:"fields,omitempty"`
	Keys            []string   `json:"keys,omitempty"`
	Cache           string     `json:"cache,omitempty"`
	Upstream        *int       `json:"upstream_calls,omitempty"`
	Outbound        []Outbound `json:"outbound,omitempty"`

	// Resolution records.
	FieldCount int       `json:"field_count,omitempty"`
	Failed     []string  `json:"failed,omitempty"`
	Refused    []Refused `json:"refused,omitempty"`

	Outcome    string  `json:"outcome"`
	ErrorKind  string  `json:"error_kind,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// Caller is who asked, as the audit log records it.
type Caller struct {
	Kind  string `json:"kind"`
	UID   *int   `json:"uid,omitempty"`
	GID   *int   `json:"gid,omitempty"`
	PID   *int   `json:"pid,omitempty"`
	Exe   string `json:"exe,omitempty"`
	Token string `json:"token,omitempty"`
	// SID is a pipe client's user SID (Windows).
	SID string `json:"sid,omitempty"`
}

// CallerOf converts c, leaving out what is unknown.
func CallerOf(c secret.Caller) Caller {
	known := func(n int) *int {
		if n < 0 {
			return nil
		}
		return &n
	}
	kind := string(c.Kind)
	if kind == "" {
		kind = string(secret.CallerEmbedded)
	}
	out := Caller{Kind: kind, UID: known(c.UID), GID: known(c.GID), PID: known(c.PID), Exe: c.Exe, Token: c.Token}
	if len(c.SIDs) > 0 {
		out.SID = c.SIDs[0]
	}
	return out
}

// Outbound is one request a Wasm store's module made through the host.
type Outbound struct {
	Method string `json:"method"`
	Host   string `json:"host"`
	// Path never holds the query: it is cut at '?' even if a layer below
	// left one in.
	Path        string   `json:"path"`
	Status      int      `json:"status"`
	Credentials []string `json:"credentials,omitempty"`
	Refused     string   `json:"refused,omitempty"`
}

// OutboundOf converts o, cutting any query or fragment off its path.
func OutboundOf(o secret.Outbound) Outbound {
	path := o.Path
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	return Outbound{Method: o.Method, Host: o.Host, Path: path, Status: o.Status,
		Credentials: append([]string(nil), o.Credentials...), Refused: o.Refused}
}

// Refused is a reference a secrets rule refused while the resolution was
// planned: nothing was fetched for it.
type Refused struct {
	Field   string `json:"field,omitempty"`
	Store   string `json:"store"`
	Secret  string `json:"secret"`
	Version string `json:"version,omitempty"`
	Rule    string `json:"rule"`
	// Pattern is the deny pattern that refused it; empty when no allow
	// pattern matched.
	Pattern string `json:"deny_pattern,omitempty"`
}

// Millis returns d in milliseconds, to the microsecond.
func Millis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
