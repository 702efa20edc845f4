package hostfuncs

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/latchkey/latchkey/internal/egress"
	"github.com/latchkey/latchkey/internal/redact"
	"github.com/latchkey/latchkey/secret"
)

// Input is what a guest call is asked: the store's config and the secret.
type Input struct {
	Config  []byte // the store's JSON config
	Name    string
	Key     string // dot-joined key path, for information
	Version string
}

// CallLimits caps what one guest call may hand to the host. Zero values are
// the documented defaults.
type CallLimits struct {
	// MaxResult caps the bytes of the result (default 1 MiB).
	MaxResult int
	// MaxLog caps the bytes logged per call through the log function
	// (default 8 KiB); the rest is dropped and counted.
	MaxLog int
}

// Defaults of [CallLimits].
const (
	DefaultMaxResult = 1 << 20
	DefaultMaxLog    = 8 << 10
	maxErrorMessage  = 1 << 10
	// MaxRefusalLogs is how many refusals of one call are logged; the
	// rest are counted, and [Call.Finish] logs how many.
	MaxRefusalLogs = 8
	// MaxOutbound is how many requests one call records ([Call.Outbound]),
	// well above any sensible request budget: a guest given a huge budget
	// cannot make the host hold a record per refused attempt. The rest are
	// counted, and [Call.Finish] logs how many.
	MaxOutbound = 1024
)

// Call is the state of one guest call: its input, its limits, the store's
// HTTP client, and what the guest set. Make a new Call for every guest call
// and pass it with [WithCall]; a Call is used by one goroutine at a time.
type Call struct {
	// Module names the module in logs and errors (usually the store's name).
	Module string
	// Input is what the call is asked; the guest reads it with input_read.
	Input Input
	// Limits caps the result and the log of the call.
	Limits CallLimits
	// HTTP is the store's client (internal/egress, built by the runtime
	// from the store's [HTTPOptions]); nil refuses every request.
	HTTP *egress.Client
	// Logger receives the guest's log records and the host's refusals; nil
	// discards them. When HTTP redacts responses, every record is redacted
	// the same way before it reaches Logger (internal/redact.LogHandler).
	Logger *slog.Logger
	// VersionCall says the call serves [VersionExport]: its result is a
	// version string (at most [MaxVersion] bytes), and version_set is out
	// of order.
	VersionCall bool

	version    string
	hasVersion bool
	result     []byte
	hasResult  bool
	errCode    int32
	errMsg     string
	hasError   bool
	fault      error
	refusal    string
	requests   int
	resp       *egress.Response
	logged     int
	dropped    int
	refusals   int // refusals so far
	suppressed int // refusals not logged, past MaxRefusalLogs
	log        *slog.Logger
	outbound   []secret.Outbound
	unrecorded int // requests past MaxOutbound
}

type callKey struct{}

// WithCall returns a context carrying c, for the guest function call whose
// host calls it serves.
func WithCall(ctx context.Context, c *Call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

func callFrom(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}

// Outbound returns the requests made for the call, in order, refused
// ones included: the guest's hops, and the exchanges of brokered
// credentials recorded with [AddOutbound]; at most [MaxOutbound]. Read it
// once the guest function returned; the runtime reports it with the
// call's result.
func (c *Call) Outbound() []secret.Outbound { return c.outbound }

func (c *Call) addOutbound(o secret.Outbound) {
	if len(c.outbound) >= MaxOutbound {
		c.unrecorded++
		return
	}
	c.outbound = append(c.outbound, o)
}

// AddOutbound records o as a request made for the guest call ctx serves
// ([WithCall]), so that it is reported with the call's result: a brokered
// credential's implementation calls it for the exchanges it makes during
// a hop (a login, a token request). It does nothing when ctx serves no
// call. It must be called from the goroutine running the call's hop, as
// every use of a [Call] is.
func AddOutbound(ctx context.Context, o secret.Outbound) {
	if c := callFrom(ctx); c != nil {
		c.addOutbound(o)
	}
}

// Result returns the bytes the guest set with result_set, if it did.
func (c *Call) Result() ([]byte, bool) { return c.result, c.hasResult }

// Version returns the version the guest recorded with version_set for the
// result it returned, if it did.
func (c *Call) Version() (string, bool) { return c.version, c.hasVersion }

// GuestError returns the code and message the guest set with error_set.
func (c *Call) GuestError() (code int32, msg string, ok bool) { return c.errCode, c.errMsg, c.hasError }

// Fault returns the first limit the guest broke in a way the host must
// report even if the guest carried on (a result over the cap), or nil.
func (c *Call) Fault() error { return c.fault }

// Refusal returns the reason of the last request the network policy
// refused during the call, or "". It holds no header or body.
func (c *Call) Refusal() string { return c.refusal }

// LogDropped returns how many bytes of guest log the cap dropped.
func (c *Call) LogDropped() int { return c.dropped }

func (c *Call) maxResult() int {
	if c.VersionCall {
		return MaxVersion
	}
	if c.Limits.MaxResult > 0 {
		return c.Limits.MaxResult
	}
	return DefaultMaxResult
}

func (c *Call) maxLog() int {
	if c.Limits.MaxLog > 0 {
		return c.Limits.MaxLog
	}
	return DefaultMaxLog
}

// logger is the only way the host logs for a call: every record passes
// through the client's redactor, so that no text the host builds from what
// a server or the guest sent (a refusal, a transport error quoting a header
// line, a redirect's URL) can carry a credential into the log.
func (c *Call) logger() *slog.Logger {
	if c.log != nil {
		return c.log
	}
	switch {
	case c.Logger == nil:
		c.log = slog.New(slog.DiscardHandler)
	case c.HTTP != nil && c.HTTP.Redact() != nil:
		c.log = slog.New(redact.LogHandler(c.Logger.Handler(), c.HTTP.Redact()))
	default:
		c.log = c.Logger
	}
	return c.log
}

// scrub passes host-built text through the client's redactor.
func (c *Call) scrub(s string) string {
	if c.HTTP == nil || c.HTTP.Redact() == nil || s == "" {
		return s
	}
	return string(c.HTTP.Redact()([]byte(s)))
}

// Finish ends the call's accounting: it logs how many refusals went
// unlogged past [MaxRefusalLogs], and how many requests went unrecorded
// past [MaxOutbound]. Call it once the guest function returned.
func (c *Call) Finish() {
	if n := c.suppressed; n > 0 {
		c.logger().Warn("further refusals of the host's network policy in this call were not logged",
			"suppressed", n, "store", c.Module)
	}
	if n := c.unrecorded; n > 0 {
		c.logger().Warn("further requests of this call were not recorded for the audit trail",
			"unrecorded", n, "recorded", MaxOutbound, "store", c.Module)
	}
}

// Refusals returns how many requests the host refused during the call.
func (c *Call) Refusals() int { return c.refusals }

func (c *Call) setFault(format string, args ...any) {
	if c.fault == nil {
		c.fault = fmt.Errorf(format, args...)
	}
}
