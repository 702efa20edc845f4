package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/latchkey/latchkey/internal/safefile"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/server/api"
	"github.com/latchkey/latchkey/server/serveconf"
)

// MinTokenBytes is the shortest token accepted: a token is a password that
// any local process may guess at, as fast as it can connect.
const MinTokenBytes = 16

// Authorizer decides whether caller may use endpoint ("resolve", "check",
// "secret", "invalidate", "secretsmanager", "metrics", "healthz",
// "readyz"), after the transport identified it and before anything is read
// or fetched. A refusal should wrap [secret.ErrNotAllowed]; its message is
// sent to the client, so it must say why without naming a secret value.
// It is called concurrently.
type Authorizer func(ctx context.Context, caller secret.Caller, endpoint string) error

// tokens holds the digests of the named tokens. Comparing digests of equal
// length, always against every token, keeps the comparison's time
// independent of the presented token.
type tokens struct {
	names   []string
	digests [][sha256.Size]byte
	// warnings name token files open to other users.
	warnings []string
	// revoked names the tokens a reload found gone, changed or unreadable
	// while it was still under way: they are refused at once, whether or
	// not the rest of the reload finishes. It is shared by the generations
	// made from one read of the tokens, and read and written atomically.
	revoked *atomic.Pointer[map[string]bool]
}

// readTokens reads every token of the serve section, reporting every
// problem at once. Errors name the token and its source, never its value.
// With revoke (a reload), a token file that is gone or empty revokes its
// token instead: it is left out, named in revoked, and the reload goes on,
// so that deleting one token's file and reloading shuts out that client
// alone.
func readTokens(srcs map[string]serveconf.TokenSource, getenv func(string) string, revoke bool) (t tokens, revoked []string, err error) {
	var errs []error
	t.revoked = new(atomic.Pointer[map[string]bool])
	names := make([]string, 0, len(srcs))
	for n := range srcs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		src := srcs[name]
		var val, where string
		if src.File != "" {
			where = "file " + src.File
			// Non-blocking and fstat'ed: a FIFO or device planted at the
			// path is refused at once instead of hanging start-up or a
			// reload.
			b, fi, err := safefile.ReadFile(src.File, safefile.Options{MaxSize: maxTokenFile})
			if revoke && (errors.Is(err, fs.ErrNotExist) || err == nil && strings.TrimSpace(string(b)) == "") {
				revoked = append(revoked, name)
				continue
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("serve token %q (file): %w", name, err))
				continue
			}
			if why := safefile.Exposed(fi); why != "" {
				t.warnings = append(t.warnings, fmt.Sprintf("serve token %q: file %s has %s (whoever reads it can call the agent over TCP)", name, src.File, why))
			}
			val = strings.TrimRight(string(b), "\r\n")
		} else {
			where = "variable " + src.Env
			val = getenv(src.Env)
		}
		if len(val) < MinTokenBytes {
			errs = append(errs, fmt.Errorf("serve token %q (%s): %d bytes, fewer than %d: make one with `head -c 32 /dev/urandom | base64`", name, where, len(val), MinTokenBytes))
			continue
		}
		t.names = append(t.names, name)
		t.digests = append(t.digests, sha256.Sum256([]byte(val)))
	}
	return t, revoked, errors.Join(errs...)
}

// maxTokenFile caps a token file's read: a token is a line.
const maxTokenFile = 64 << 10

// revokeStale refuses from now on every token of t that fresh, a newer
// read of the tokens, does not hold with the same value, and returns the
// names it revoked. A token whose source could not be read is not in fresh,
// so it is refused too (fail closed).
func (t tokens) revokeStale(fresh tokens) []string {
	if t.revoked == nil {
		return nil
	}
	for {
		old := t.revoked.Load()
		next := map[string]bool{}
		if old != nil {
			for n := range *old {
				next[n] = true
			}
		}
		var added []string
		for i, n := range t.names {
			if next[n] {
				continue
			}
			j := sort.SearchStrings(fresh.names, n)
			if j < len(fresh.names) && fresh.names[j] == n && fresh.digests[j] == t.digests[i] {
				continue
			}
			next[n] = true
			added = append(added, n)
		}
		if len(added) == 0 || t.revoked.CompareAndSwap(old, &next) {
			return added
		}
	}
}

// match returns the name of the token presented, or false.
func (t tokens) match(presented string) (string, bool) {
	d := sha256.Sum256([]byte(presented))
	found := -1
	for i := range t.digests {
		if subtle.ConstantTimeCompare(d[:], t.digests[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	if t.revoked != nil {
		if r := t.revoked.Load(); r != nil && (*r)[t.names[found]] {
			return "", false
		}
	}
	return t.names[found], true
}

// presentedToken returns the token a request carries, from the first of the
// token headers it has.
func presentedToken(r *http.Request) (string, bool) {
	for _, h := range []string{api.TokenHeader, api.AWSTokenHeader, api.VaultTokenHeader} {
		if v := r.Header.Values(h); len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}
