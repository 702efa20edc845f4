package config

import (
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/latchkey/latchkey/secret"
)

// fromOverride returns " (from LATCHKEY_…)" or " (from --set …)" when key,
// or a map above it, was set by an override, and "" when it came from the
// file.
func fromOverride(origins map[string]string, key string) string {
	for k := key; k != ""; {
		if o, ok := origins[k]; ok {
			return " (from " + o + ")"
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i]
	}
	// A map reported as a whole (stores.aws) may hold an override below it.
	var below []string
	for k := range origins {
		if strings.HasPrefix(k, key+".") {
			below = append(below, k)
		}
	}
	if len(below) == 0 {
		return ""
	}
	sort.Strings(below)
	return " (" + below[0] + " from " + origins[below[0]] + ")"
}

func (a *Agent) badRule(store string) {
	if a.badRules == nil {
		a.badRules = map[string]bool{}
	}
	a.badRules[store] = true
}

// partial returns a copy of a without what already failed in a way that
// building the stores would report again: stores whose secrets rule did not
// compile, and a default_store that names no store.
func (a *Agent) partial() *Agent {
	p := *a
	p.Stores = maps.Clone(a.Stores)
	for name := range a.badRules {
		delete(p.Stores, name)
	}
	if a.badDefault {
		p.DefaultStore = ""
	}
	return &p
}

// Annotate adds to every [*secret.ConfigError] in err — a problem of a
// store's setting, found when the store was built — the LATCHKEY_ variable
// or --set flag the setting came from, when an override set it. Call it
// before wrapping err further. Where a wrapper has already fixed its
// message (fmt.Errorf does), the origin is added as a line of its own.
func (a *Agent) Annotate(err error) error {
	if a == nil || err == nil || len(a.origins) == 0 {
		return err
	}
	type note struct{ shown, line string }
	var notes []note
	var walk func(error)
	walk = func(e error) {
		switch x := e.(type) {
		case nil:
		case *secret.ConfigError:
			if x.Key == "" {
				return
			}
			if o := fromOverride(a.origins, "stores."+x.Store+"."+x.Key); o != "" && !strings.HasSuffix(x.Msg, o) {
				x.Msg += o
				notes = append(notes, note{shown: x.Error(), line: fmt.Sprintf("store %q: setting %q%s", x.Store, x.Key, o)})
			}
		case interface{ Unwrap() []error }:
			for _, inner := range x.Unwrap() {
				walk(inner)
			}
		default:
			walk(errors.Unwrap(e))
		}
	}
	walk(err)
	msg := err.Error()
	var hidden []error
	for _, n := range notes {
		if !strings.Contains(msg, n.shown) {
			hidden = append(hidden, errors.New(n.line))
		}
	}
	if len(hidden) == 0 {
		return err
	}
	return errors.Join(append([]error{err}, hidden...)...)
}
