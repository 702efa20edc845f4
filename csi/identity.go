package csi

import (
	"container/list"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// podStore is a store that authenticates with a pod's token: it holds no
// credentials until Exchange succeeds ([aws.WebIdentityStore]).
type podStore interface {
	secret.Store
	Exchange(ctx context.Context, token string) error
}

// maxProven bounds the tokens remembered as exchanged, per store and
// identity: a pod's token is renewed about hourly, so this is many pods.
const maxProven = 512

// identity is what one principal (namespace, service account, class
// overrides) reads with: its own Resolver, whose pod-identity stores and
// caches no other principal shares. Its methods may be called concurrently.
type identity struct {
	key  string
	res  *resolver.Resolver
	pods map[string]podStore // store name → its pod-identity store

	mu     sync.Mutex
	proven map[string]map[[32]byte]bool // store → tokens exchanged successfully
	refs   int                          // mounts using it
	gone   bool                         // evicted: closed when refs is 0
}

// exchange makes sure token was exchanged successfully for store, asking
// the store's identity provider when it was not: a pod whose own exchange
// did not succeed is never answered from this identity's cache.
func (id *identity) exchange(ctx context.Context, store, token string) error {
	if w, ok := id.pods[store].(*wasmPodStore); ok {
		return w.Exchange(ctx, token) // its own bookkeeping per token
	}
	h := sha256.Sum256([]byte(token))
	id.mu.Lock()
	done := id.proven[store][h]
	id.mu.Unlock()
	if done {
		return nil
	}
	if err := id.pods[store].Exchange(ctx, token); err != nil {
		return err
	}
	id.mu.Lock()
	defer id.mu.Unlock()
	m := id.proven[store]
	if m == nil || len(m) >= maxProven {
		m = map[[32]byte]bool{}
		id.proven[store] = m
	}
	m[h] = true
	return nil
}

func (id *identity) close() {
	_ = id.res.Close()
	for _, st := range id.pods {
		_ = st.Close()
	}
}

// identities is a bounded LRU of identities. Its methods may be called
// concurrently.
type identities struct {
	max   int
	mu    sync.Mutex
	ll    *list.List // of *identity, most recent first
	byKey map[string]*list.Element
	build singleflight
}

func newIdentities(max int) *identities {
	return &identities{max: max, ll: list.New(), byKey: map[string]*list.Element{}}
}

// acquire returns the identity of key, building it with build on first
// use; release must be called when the mount is done with it.
func (c *identities) acquire(ctx context.Context, key string, build func(context.Context) (*identity, error)) (*identity, error) {
	if id, ok := c.take(key); ok {
		return id, nil
	}
	built, err := c.build.do(key, func() (*identity, error) {
		if id, ok := c.take(key); ok { // stored while we waited
			c.release(id)
			return id, nil
		}
		id, err := build(ctx)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.byKey[key] = c.ll.PushFront(id)
		for c.ll.Len() > c.max {
			last := c.ll.Back()
			old := last.Value.(*identity)
			c.ll.Remove(last)
			delete(c.byKey, old.key)
			old.mu.Lock()
			old.gone = true
			idle := old.refs == 0
			old.mu.Unlock()
			if idle {
				old.close()
			}
		}
		return id, nil
	})
	if err != nil {
		return nil, err
	}
	_ = built
	if id, ok := c.take(key); ok {
		return id, nil
	}
	// Evicted between its build and now: more identities mount at once
	// than max_identities keeps.
	return nil, fmt.Errorf("more identities mount at once than csi.max_identities (%d) keeps; raise it: %w", c.max, secret.ErrUnavailable)
}

// take returns the identity of key with a reference taken, if it is kept.
func (c *identities) take(key string) (*identity, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(e)
	id := e.Value.(*identity)
	id.mu.Lock()
	id.refs++
	id.mu.Unlock()
	return id, true
}

func (c *identities) release(id *identity) {
	id.mu.Lock()
	id.refs--
	closeNow := id.gone && id.refs == 0
	id.mu.Unlock()
	if closeNow {
		id.close()
	}
}

// len returns the number of identities kept.
func (c *identities) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

func (c *identities) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.ll.Front(); e != nil; e = e.Next() {
		id := e.Value.(*identity)
		id.mu.Lock()
		id.gone = true
		idle := id.refs == 0
		id.mu.Unlock()
		if idle {
			id.close()
		}
	}
	c.ll.Init()
	c.byKey = map[string]*list.Element{}
}

// singleflight builds each identity once when mounts of it race.
type singleflight struct {
	mu sync.Mutex
	m  map[string]*call
}

type call struct {
	done chan struct{}
	id   *identity
	err  error
}

func (g *singleflight) do(key string, fn func() (*identity, error)) (*identity, error) {
	g.mu.Lock()
	if g.m == nil {
		g.m = map[string]*call{}
	}
	if c, ok := g.m[key]; ok {
		g.mu.Unlock()
		<-c.done
		return c.id, c.err
	}
	c := &call{done: make(chan struct{})}
	g.m[key] = c
	g.mu.Unlock()
	c.id, c.err = fn()
	close(c.done)
	g.mu.Lock()
	delete(g.m, key)
	g.mu.Unlock()
	return c.id, c.err
}

// TokenError is a pod token that cannot be used for a store: missing,
// expired, for another audience or another service account than the
// driver named. It never holds the token.
type TokenError struct {
	Store, Audience, Msg string
}

// Error implements error.
func (e *TokenError) Error() string {
	return fmt.Sprintf("store %q: the pod's service-account token for audience %q %s", e.Store, e.Audience, e.Msg)
}

// Unwrap returns [secret.ErrPermissionDenied].
func (e *TokenError) Unwrap() error { return secret.ErrPermissionDenied }

// checkToken reads the token's claims (without checking the signature:
// the store's identity provider does that on the exchange) and refuses a
// token that is not the named service account's, not for the audience,
// or expired: the exchange proves the token, these checks bind it to the
// namespace and service account the callers rules matched.
func checkToken(p *Params, store, audience string, now time.Time) (string, error) {
	tk, ok := p.Tokens[audience]
	if !ok || tk.Token == "" {
		return "", &TokenError{store, audience, "was not passed by the driver: add the audience to the CSIDriver's tokenRequests (deploy/kubernetes/csidriver.yaml)"}
	}
	var claims jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tk.Token, &claims); err != nil {
		return "", &TokenError{store, audience, "is not a JWT"}
	}
	want := "system:serviceaccount:" + p.Namespace + ":" + p.ServiceAccount
	if claims.Subject != want {
		return "", &TokenError{store, audience, fmt.Sprintf("is for subject %q, not %q", claims.Subject, want)}
	}
	audOK := false
	for _, a := range claims.Audience {
		audOK = audOK || a == audience
	}
	if !audOK {
		return "", &TokenError{store, audience, fmt.Sprintf("carries audience %s", strings.Join(claims.Audience, ", "))}
	}
	if claims.ExpiresAt == nil || !now.Before(claims.ExpiresAt.Time) {
		return "", &TokenError{store, audience, "has expired"}
	}
	return tk.Token, nil
}

var errClosed = errors.New("the provider is closed")
