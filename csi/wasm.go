package csi

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// errNoToken is a Get on a wasm pod store without a token of its own.
var errNoToken = errors.New("no pod token was handed to this store for this mount")

// maxWasmTokens bounds the tokens (so the module instances) a wasm pod
// store keeps for one identity.
const maxWasmTokens = 8

// mountTokens is what a Mount's context carries: the hash of the pod's
// token per store, so that a wasm pod store fetches with this pod's token
// and no other.
type mountTokens map[string][32]byte

type mountTokensKey struct{}

// wasmPodStore is a wasm store that holds the pod's token as a credential
// the host substitutes into the module's requests (csi.stores.NAME.credential),
// so that a module logs in as the pod (Vault's kubernetes auth, Conjur's
// authn-jwt) without ever holding the token. A Wasm store's credentials
// are fixed when it is built, so it is built once per token (the module's
// compilation is cached), and each Get uses the store of its own mount's
// token: a pod never fetches with another pod's token, and, as these
// stores are not cached, a pod whose token the backend refuses gets
// nothing. It is safe for concurrent use.
type wasmPodStore struct {
	spec  secret.Spec
	cred  string
	hosts []string

	mu      sync.Mutex
	byToken map[[32]byte]*wasmToken
}

type wasmToken struct {
	st   secret.Store
	used time.Time
}

// Exchange builds the store for token, unless it has one.
func (w *wasmPodStore) Exchange(ctx context.Context, token string) error {
	h := sha256.Sum256([]byte(token))
	w.mu.Lock()
	_, have := w.byToken[h]
	w.mu.Unlock()
	if have {
		return nil
	}
	settings := maps.Clone(w.spec.Settings)
	creds := map[string]any{}
	if c, ok := settings["credentials"].(map[string]any); ok {
		creds = maps.Clone(c)
	}
	if _, taken := creds[w.cred]; taken {
		return fmt.Errorf("store %q: credentials.%s is declared in the store's settings and named by csi.stores.%s.credential: %w", w.spec.Name, w.cred, w.spec.Name, secret.ErrInvalidConfig)
	}
	hosts := make([]any, len(w.hosts))
	for i, h := range w.hosts {
		hosts[i] = h
	}
	creds[w.cred] = map[string]any{"value": token, "hosts": hosts}
	settings["credentials"] = creds
	f, ok := secret.Lookup("wasm")
	if !ok {
		return fmt.Errorf("store %q: the wasm store type is not linked: %w", w.spec.Name, secret.ErrInvalidConfig)
	}
	spec := w.spec
	spec.Settings = settings
	st, err := f(ctx, spec)
	if err != nil {
		return fmt.Errorf("store %q: building the module with the pod's token: %w", w.spec.Name, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byToken == nil {
		w.byToken = map[[32]byte]*wasmToken{}
	}
	if _, raced := w.byToken[h]; raced {
		_ = st.Close()
		return nil
	}
	for len(w.byToken) >= maxWasmTokens {
		var oldest [32]byte
		var at time.Time
		for k, e := range w.byToken {
			if at.IsZero() || e.used.Before(at) {
				oldest, at = k, e.used
			}
		}
		// A Get still using it fails, as the Store contract allows.
		_ = w.byToken[oldest].st.Close()
		delete(w.byToken, oldest)
	}
	w.byToken[h] = &wasmToken{st: st, used: time.Now()}
	return nil
}

func (w *wasmPodStore) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	toks, _ := ctx.Value(mountTokensKey{}).(mountTokens)
	h, ok := toks[w.spec.Name]
	w.mu.Lock()
	e := w.byToken[h]
	if e != nil {
		e.used = time.Now()
	}
	w.mu.Unlock()
	if !ok || e == nil {
		return secret.Result{}, fmt.Errorf("store %q: %w: %w", w.spec.Name, errNoToken, secret.ErrPermissionDenied)
	}
	return e.st.Get(ctx, req)
}

func (w *wasmPodStore) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	for k, e := range w.byToken {
		errs = append(errs, e.st.Close())
		delete(w.byToken, k)
	}
	return errors.Join(errs...)
}
