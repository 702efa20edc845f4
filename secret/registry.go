package secret

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/latchkey/latchkey/internal/units"
)

// Spec is what a [Factory] receives to build one store: its name and type
// from the agent config, its type-specific settings, and a logger.
type Spec struct {
	Name     string
	Type     string
	Settings map[string]any
	// Logger is never nil when the resolver calls a Factory.
	Logger *slog.Logger
}

// Decode copies s.Settings into dst, a pointer to a struct whose json tags
// name the settings, strictly: every unknown setting (with the closest
// known one, when one is a typo away), every value of the wrong type and
// every malformed one is a [*ConfigError] naming the store and the
// setting, joined, so that a typo fails loudly and all of them are
// reported at once. A setting that is absent or null leaves its field as
// it is, so dst may hold defaults. The native providers decode straight
// into their Options this way.
//
// Besides the JSON kinds (numbers into any integer or float field, checked
// for range and fractions), Decode reads a time.Duration from a string
// such as "15m" (a bare number is refused for want of a unit) and a byte
// size from 4096 or "64MiB" into an integer field tagged `units:"size"`.
// Tags shape the rest:
//
//	units:"positive"   a duration must be more than zero
//	units:"seconds"    a duration may be a bare number of seconds
//	units:"off"        a duration may be "off", read as -1
//	units:"str"        a bool or whole number may be a string ("true", "30")
//	eg:"15m or 1h"     the example a bad duration's message suggests
//	secret:"true"      never quote the value in a message
//
// A message quotes the value it refuses only when the setting is not a
// secret: not tagged secret:"true", its name holding none of "secret",
// "password", "token", "key" or "credential", and not inside such a
// setting.
func (s Spec) Decode(dst any) error {
	err := units.Decode(s.Settings, dst)
	if err == nil {
		return nil
	}
	var errs []error
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		de := e.(*units.DecodeError)
		msg := de.Msg
		if de.Known != nil {
			word := de.Path[len(de.Path)-1]
			msg = fmt.Sprintf("unknown setting for a store of type %q%s (known: %s)", s.Type, didYouMean(word, de.Known), strings.Join(de.Known, ", "))
		}
		errs = append(errs, &ConfigError{Store: s.Name, Key: de.Key, Msg: msg})
	}
	return errors.Join(errs...)
}

// Factory builds a [Store] from its [Spec]. It validates every setting and
// builds the store's clients once; it should do no network I/O, so that
// `latchkey check --offline` can build stores without reaching them.
type Factory func(ctx context.Context, spec Spec) (Store, error)

// Type is a store type as a provider registers it: the factory that builds
// its stores and the facts about the type that the layers above a store
// (protection, config) need, so that none of them switches on type names.
// Registering costs a map entry: New builds clients only when a store of
// the type is configured.
type Type struct {
	// Name is the type's name in the agent config ("aws", "env").
	Name string
	// New builds a store of the type.
	New Factory
	// Protection describes the type's backend to the protection layer
	// (package protect), which derives its default settings from it.
	Protection Protection
	// SecretsAlias, when set, names a setting that is an older spelling of
	// the store's secrets.allow rule (env's "allow"): the agent config moves
	// it there.
	SecretsAlias string
	// NamesAreARNs says a secret may be named by the backend's own ARN
	// (aws: "arn:aws:secretsmanager:…"). Where such a store did not report
	// the ARN of what it read ([VersionDetail].ID), the agent's Secrets
	// Manager endpoint answers with the ARN the caller asked for rather
	// than one of its own making.
	NamesAreARNs bool
}

// Protection is what a store type tells the protection layer about its
// backend: the call rate that keeps one agent well under the service's
// published limits, and whether the type's own client retries. The zero
// value describes a backend nothing is known about (a Wasm module's): the
// protection layer's generic rate, and retries of its own.
//
// It lives here, not in package protect, so that a provider states it
// without importing protect: protect reads it from the registry, and
// both arrows point down to this package.
type Protection struct {
	// Off says the type has no backend to protect (env reads the agent's
	// own environment): protection is disabled by default.
	Off bool
	// Rate and Burst are the default sustained calls per second and the
	// token bucket's size; zero means the generic default.
	Rate  float64
	Burst int
	// ProbeRate and ProbeBurst are the defaults for version probes, when
	// the backend counts them under a quota of their own; zero means they
	// follow Rate and Burst.
	ProbeRate  float64
	ProbeBurst int
	// ClientRetries says the type's client (its SDK) already retries
	// unavailable answers, so protection adds no retries of its own that
	// would multiply them.
	ClientRetries bool
}

// registry maps store type names to their [Type]. It is the one piece of
// package-level state, written from init functions.
var registry = struct {
	sync.RWMutex
	m map[string]Type
}{m: map[string]Type{}}

// Register makes a store type available under t.Name. Provider packages
// call it from init, so importing a provider (or providers/standard) is
// what links it in. Register panics if the name is empty, New is nil, or
// the name is already registered.
func Register(t Type) {
	registry.Lock()
	defer registry.Unlock()
	if t.Name == "" || t.New == nil {
		panic("secret: Register with empty name or nil factory")
	}
	if _, dup := registry.m[t.Name]; dup {
		panic("secret: store type " + t.Name + " registered twice")
	}
	registry.m[t.Name] = t
}

// Lookup returns the factory of the type registered under name.
func Lookup(name string) (Factory, bool) {
	t, ok := LookupType(name)
	return t.New, ok
}

// LookupType returns the type registered under name, with its facts.
func LookupType(name string) (Type, bool) {
	registry.RLock()
	defer registry.RUnlock()
	t, ok := registry.m[name]
	return t, ok
}

// Types returns the registered store types, sorted.
func Types() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, 0, len(registry.m))
	for k := range registry.m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
