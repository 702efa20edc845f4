package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/latchkey/latchkey/config"
	"github.com/latchkey/latchkey/internal/fileperm"
	"github.com/latchkey/latchkey/secret"
)

// Token headers a TCP request may carry its token in: Latchkey's own, and
// the AWS Secrets Manager Agent's (with the Vault-style one it also
// accepts), so that clients written for that agent work unchanged.
const (
	TokenHeader      = "X-Latchkey-Token"
	AWSTokenHeader   = "X-Aws-Parameters-Secrets-Token"
	VaultTokenHeader = "X-Vault-Token"
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
	// warnings name token files any user may read.
	warnings []string
}

// readTokens reads every token of the serve section, reporting every
// problem at once. Errors name the token and its source, never its value.
// With revoke (a reload), a token file that is gone or empty revokes its
// token instead: it is left out, named in revoked, and the reload goes on,
// so that deleting one token's file and reloading shuts out that client
// alone.
func readTokens(srcs map[string]config.TokenSource, getenv func(string) string, revoke bool) (t tokens, revoked []string, err error) {
	var errs []error
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
			b, err := os.ReadFile(src.File)
			if revoke && (errors.Is(err, fs.ErrNotExist) || err == nil && strings.TrimSpace(string(b)) == "") {
				revoked = append(revoked, name)
				continue
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("serve token %q: %w", name, err))
				continue
			}
			if fi, err := os.Stat(src.File); err == nil && fileperm.Loose(fi, 0o004) {
				t.warnings = append(t.warnings, fmt.Sprintf("serve token %q: file %s is readable by every user of the machine, who could then call the agent over TCP: chmod 0600 it (0640 for the agent's group)", name, src.File))
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
	return t.names[found], true
}

// presentedToken returns the token a request carries, from the first of the
// token headers it has.
func presentedToken(r *http.Request) (string, bool) {
	for _, h := range []string{TokenHeader, AWSTokenHeader, VaultTokenHeader} {
		if v := r.Header.Values(h); len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}
