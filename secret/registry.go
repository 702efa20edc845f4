package secret

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sort"
	"strings"
	"sync"
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

// Decode copies s.Settings into dst, a pointer to a struct with json tags.
// Every unknown setting (with the closest known one, when one is a typo
// away) and a value of the wrong type is a [*ConfigError] naming the store
// and the setting, joined, so that a typo fails loudly and all of them are
// reported at once.
func (s Spec) Decode(dst any) error {
	var errs []error
	if known := jsonFields(dst); known != nil {
		unknown := make([]string, 0)
		for k := range s.Settings {
			if !contains(known, k) {
				unknown = append(unknown, k)
			}
		}
		sort.Strings(unknown)
		for _, k := range unknown {
			errs = append(errs, &ConfigError{Store: s.Name, Key: k,
				Msg: fmt.Sprintf("unknown setting for a store of type %q%s (known: %s)", s.Type, didYouMean(k, known), strings.Join(known, ", "))})
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
	}
	raw, err := json.Marshal(s.Settings)
	if err != nil {
		return &ConfigError{Store: s.Name, Msg: "settings cannot be encoded: " + err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			msg := fmt.Sprintf("must be a %s, not a %s", te.Type, te.Value)
			if te.Type.Kind() == reflect.String && te.Value == "number" {
				// YAML reads 0123…789 as a number, and a long one loses digits.
				msg += ": quote it (\"…\") so that the config file keeps it as written, digits and all"
			}
			return &ConfigError{Store: s.Name, Key: te.Field, Msg: msg}
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return &ConfigError{Store: s.Name, Key: strings.Trim(f, `"`),
				Msg: fmt.Sprintf("unknown setting for a store of type %q (check its spelling in docs/stores.md or docs/wasm.md)", s.Type)}
		}
		return &ConfigError{Store: s.Name, Msg: err.Error()}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Factory builds a [Store] from its [Spec]. It validates every setting and
// builds the store's clients once; it should do no network I/O, so that
// `latchkey check --offline` can build stores without reaching them.
type Factory func(ctx context.Context, spec Spec) (Store, error)

// registry maps store types to factories. It is the one piece of
// package-level state, written from init functions.
var registry = struct {
	sync.RWMutex
	m map[string]Factory
}{m: map[string]Factory{}}

// Register makes a store type available under name. Provider packages call
// it from init, so importing a provider (or providers/standard) is what
// links it in. Register panics if name is empty or already registered.
func Register(name string, f Factory) {
	registry.Lock()
	defer registry.Unlock()
	if name == "" || f == nil {
		panic("secret: Register with empty name or nil factory")
	}
	if _, dup := registry.m[name]; dup {
		panic("secret: store type " + name + " registered twice")
	}
	registry.m[name] = f
}

// Lookup returns the factory registered under name.
func Lookup(name string) (Factory, bool) {
	registry.RLock()
	defer registry.RUnlock()
	f, ok := registry.m[name]
	return f, ok
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
