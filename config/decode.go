package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/knadh/koanf/v2"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/protect"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/server/serveconf"

	"github.com/latchkey/latchkey/internal/units"
)

// The merged config is decoded section by section: this package reads the
// top-level keys and splits each store's section, and every other section
// is read by the package that owns it (audit.ParseSettings,
// cache.ParseSettings, serveconf.ParseSettings, policy.ParseRule and
// ParseCallers, protect.Parse). What only the whole config can tell is
// checked here: a name one section gives that another must declare.

// loader gathers the problems of one Load, each naming the key and, for a
// key an override set, the override.
type loader struct {
	where   string            // "agent config" and the file, if any
	origins map[string]string // config key → the override that set it
	errs    []error
}

// bad reports a problem at key.
func (l *loader) bad(key, format string, args ...any) {
	l.errs = append(l.errs, fmt.Errorf("%s: key %q%s: %s", l.where, key, fromOverride(l.origins, key), fmt.Sprintf(format, args...)))
}

// fail reports a problem that names its key itself.
func (l *loader) fail(err error) { l.errs = append(l.errs, fmt.Errorf("%s: %w", l.where, err)) }

// report reports the problems a subsystem found in the section at prefix
// ("audit", "stores.app.cache"), each at its key, as every other problem.
func (l *loader) report(prefix string, err error) {
	for _, e := range unjoin(err) {
		key, msg, ok := settingOf(e)
		if !ok {
			l.fail(e)
			continue
		}
		switch {
		case key == "":
			key = prefix
		case prefix != "":
			key = prefix + "." + key
		}
		l.bad(key, "%s", msg)
	}
}

// settingOf returns the key and message of a subsystem's setting error.
func settingOf(err error) (key, msg string, ok bool) {
	switch e := err.(type) {
	case *audit.SettingError:
		return e.Key, e.Msg, true
	case *cache.SettingError:
		return e.Key, e.Msg, true
	case *serveconf.SettingError:
		return e.Key, e.Msg, true
	case *policy.SettingError:
		return e.Key, e.Msg, true
	case *secret.ConfigError:
		return e.Key, e.Msg, true
	}
	return "", "", false
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// fromKoanf decodes the merged config: the top-level settings here, each
// section by the package that owns it, then the checks across sections.
func fromKoanf(k *koanf.Koanf, path string, origins map[string]string) (*Agent, error) {
	a := &Agent{Path: path, Timeout: DefaultTimeout, Stores: map[string]resolver.StoreConfig{}, Cache: map[string]CacheConfig{}, origins: origins}
	l := &loader{where: "agent config", origins: origins}
	if path != "" {
		l.where += " " + path
	}
	raw := k.Raw()
	l.topLevel(raw, a)
	var topCache cache.Settings
	if v, ok := raw["cache"]; ok {
		var err error
		topCache, err = cache.ParseSettings(v)
		l.report("cache", err)
	}
	modules := l.modules(raw)
	stores, ok := raw["stores"].(map[string]any)
	if raw["stores"] != nil && !ok {
		l.bad("stores", "must be a map of store names to store settings")
	}
	if len(stores) == 0 {
		l.errs = append(l.errs, fmt.Errorf("%s: no stores declared: add a \"stores\" map, e.g. stores: {app: {type: env, allow: [\"APP_*\"]}}", l.where))
	}
	for _, name := range slices.Sorted(maps.Keys(stores)) {
		l.store(a, name, stores[name], modules, topCache)
	}
	l.sections(raw, a, stores)
	if err := errors.Join(l.errs...); err != nil {
		return a.partial(), err
	}
	return a, nil
}

// sections reads the sections besides the stores (serve, audit, callers,
// csi) and checks the names they give against the declared stores (when
// the stores section could be read: otherwise that is the problem).
func (l *loader) sections(raw map[string]any, a *Agent, stores map[string]any) {
	declared := slices.Sorted(maps.Keys(stores))
	isDeclared := func(name string) bool {
		_, ok := stores[name]
		return ok || stores == nil
	}
	if v, ok := raw["serve"]; ok {
		var err error
		a.Serve, err = serveconf.ParseSettings(v)
		l.report("serve", err)
		if sm := a.Serve.SecretsManagerStore; sm != "" && !isDeclared(sm) {
			l.bad("serve.secretsmanager_store", "%q is not one of the declared stores (%s)", sm, strings.Join(declared, ", "))
		}
	}
	if v, ok := raw["audit"]; ok {
		var err error
		a.Audit, err = audit.ParseSettings(v)
		l.report("audit", err)
	}
	if v, ok := raw["callers"]; ok {
		var err error
		a.Callers, err = policy.ParseCallers(v, declared)
		l.report("", err)
		l.checkCallers(a)
	}
	if v, ok := raw["csi"]; ok {
		m, isMap := v.(map[string]any)
		if !isMap {
			l.bad("csi", "must be a map of settings for `latchkey csi-provider` (docs/kubernetes.md)")
		}
		a.CSI = m
	}
	if a.DefaultStore != "" && !isDeclared(a.DefaultStore) {
		l.bad("default_store", "%q is not one of the declared stores (%s)", a.DefaultStore, strings.Join(declared, ", "))
		a.badDefault = true
	}
}

// topLevel checks the top-level keys and reads default_store, concurrency
// and timeout.
func (l *loader) topLevel(raw map[string]any, a *Agent) {
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		if !topKeys[key] {
			l.bad(key, "%s", units.UnknownKey(key, slices.Sorted(maps.Keys(topKeys))))
		}
	}
	if v, ok := raw["default_store"]; ok {
		s, isStr := v.(string)
		if !isStr {
			l.bad("default_store", "must be a store name")
		}
		a.DefaultStore = s
	}
	if v, ok := raw["concurrency"]; ok {
		n, isInt := units.Int(v)
		if !isInt || n < 1 || n > 256 {
			l.bad("concurrency", "must be a whole number from 1 to 256")
		}
		a.Concurrency = n
	}
	if v, ok := raw["timeout"]; ok {
		d, err := units.ParseDuration(v)
		if err != nil || d <= 0 {
			l.bad("timeout", "must be a positive duration such as 30s or 2m")
		}
		a.Timeout = d
	}
}

// modules reads the top-level modules section: the defaults of every wasm
// store.
func (l *loader) modules(raw map[string]any) map[string]any {
	modules, ok := raw["modules"].(map[string]any)
	if raw["modules"] != nil && !ok {
		l.bad("modules", "must be a map with signature and registry sections, the defaults of every wasm store")
	}
	for _, k := range slices.Sorted(maps.Keys(modules)) {
		if !moduleKeys[k] {
			l.bad("modules."+k, "%s", units.UnknownKey(k, slices.Sorted(maps.Keys(moduleKeys))))
		}
	}
	return modules
}

// store reads one store's section into a.Stores and a.Cache. The keys
// Latchkey reads itself (type, secret, secrets, cache, protection) are
// taken out and read by their owners; the rest are the store type's own
// settings, checked when the store is built.
func (l *loader) store(a *Agent, name string, v any, modules map[string]any, topCache cache.Settings) {
	key := "stores." + name
	m, ok := v.(map[string]any)
	if !ok {
		l.bad(key, "must be a map of settings with at least a type")
		return
	}
	if err := secret.ValidateStoreName(name); err != nil {
		l.bad(key, "%v", err)
		return
	}
	sc, storeCache, protection := l.storeKeys(key, m)
	if sc.Type == "" {
		l.bad(key+".type", "missing: every store needs a type (%s)", strings.Join(secret.Types(), ", "))
		return
	}
	if sc.Type == "wasm" {
		for k, v := range modules {
			if _, own := sc.Settings[k]; !own && moduleKeys[k] {
				sc.Settings[k] = v
			}
		}
	}
	l.secretsAlias(key, &sc)
	if sc.Secrets != nil {
		// The patterns' syntax and overlaps, now, so that they are
		// reported with every other problem; the store's own reading of
		// its names is checked again when it is built.
		if _, err := policy.Compile(*sc.Secrets, name, nil); err != nil {
			l.fail(err)
			a.badRule(name)
		}
	}
	set, err := protect.Parse(name, sc.Type, protection)
	l.report(key, err)
	if err == nil {
		sc.Protection = &set
	}
	a.Stores[name] = sc
	merged := storeCache.Over(topCache)
	cc := CacheConfig{Enabled: merged.Enabled, Options: merged.Options()}
	a.Cache[name] = cc
	// Settings fine alone but not together (refresh_ahead beyond half the
	// TTL), once the store's section is over the top-level one.
	l.report(key+".cache", cc.Options.Validate())
}

// storeKeys splits a store's section: the keys Latchkey reads (type,
// secret; secrets and cache, read by packages policy and cache; protection,
// returned as written for package protect) and the type's own settings.
func (l *loader) storeKeys(key string, m map[string]any) (sc resolver.StoreConfig, c cache.Settings, protection any) {
	sc.Settings = map[string]any{}
	for sk, sv := range m {
		var err error
		switch sk {
		case "protection":
			protection = sv
		case "cache":
			c, err = cache.ParseSettings(sv)
			l.report(key+".cache", err)
		case "type":
			s, ok := sv.(string)
			if !ok || s == "" {
				l.bad(key+".type", "must be a store type name")
			}
			sc.Type = s
		case "secret":
			s, ok := sv.(string)
			if !ok {
				l.bad(key+".secret", "must be the name of the store's secret document")
			}
			sc.Secret = s
		case "secrets":
			sc.Secrets, err = policy.ParseRule(key+".secrets", sv)
			l.report("", err)
		default:
			sc.Settings[sk] = sv
		}
	}
	return sc, c, protection
}

// secretsAlias moves the type's older spelling of its secrets rule's allow
// list (env's allow), said by the type when it registered, into
// sc.Secrets.
func (l *loader) secretsAlias(key string, sc *resolver.StoreConfig) {
	t, _ := secret.LookupType(sc.Type)
	if t.SecretsAlias == "" {
		return
	}
	allow, ok := sc.Settings[t.SecretsAlias]
	if !ok {
		return
	}
	delete(sc.Settings, t.SecretsAlias)
	if sc.Secrets != nil {
		l.bad(key+"."+t.SecretsAlias, "give the %s store's patterns once: %s is an older spelling of secrets.allow; move them there", sc.Type, t.SecretsAlias)
		return
	}
	var err error
	sc.Secrets, err = policy.ParseAllowList(key+"."+t.SecretsAlias, allow)
	l.report("", err)
}

// checkCallers checks the callers section against the stores (overlaps and
// patterns) and the serve section's tokens.
func (l *loader) checkCallers(a *Agent) {
	names := map[string]*secret.Naming{}
	for n := range a.Stores {
		names[n] = nil
	}
	// Overlaps and patterns, with every other problem; the stores' own
	// reading of their names is checked when the agent builds them.
	if _, err := policy.CompileCallers(cloneCallers(a.Callers), names); err != nil {
		l.fail(err)
	}
	for _, c := range a.Callers {
		for _, tok := range c.Tokens {
			if _, ok := a.Serve.Tokens[tok]; !ok {
				l.bad("callers."+c.Name+".tokens", "no token %q is declared in serve.tokens (declared: %s)", tok, strings.Join(slices.Sorted(maps.Keys(a.Serve.Tokens)), ", "))
			}
		}
	}
}

// cloneCallers copies specs deeply enough that compiling them (which fills
// in rule origins) leaves the originals as loaded.
func cloneCallers(specs []policy.CallerSpec) []policy.CallerSpec {
	out := make([]policy.CallerSpec, len(specs))
	for i, sp := range specs {
		out[i] = sp
		out[i].Stores = map[string]*policy.Spec{}
		for k, v := range sp.Stores {
			if v != nil {
				c := *v
				v = &c
			}
			out[i].Stores[k] = v
		}
	}
	return out
}
