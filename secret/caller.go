package secret

import (
	"context"
	"fmt"
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
