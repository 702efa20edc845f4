// Package config loads the agent config: the named stores, the default store
// and the resolution limits, from a YAML, JSON or TOML file, overridden by
// LATCHKEY_… environment variables and by key=value overrides (the CLI's
// --set), in that order of precedence. It is the only package that uses koanf;
// embedders who build a [resolver.Config] themselves do not need it.
//
// # Environment variables
//
// LATCHKEY_DEFAULT_STORE=aws sets default_store; a double underscore descends
// into a map, so LATCHKEY_STORES__AWS__REGION=eu-west-1 sets
// stores.aws.region. Values are read as YAML scalars or flow lists, so
// LATCHKEY_STORES__APP__ALLOW='[APP_*, DB_*]' sets a list. LATCHKEY_CONFIG,
// LATCHKEY_WORKFLOW, LATCHKEY_LOG_LEVEL, LATCHKEY_SERVER, LATCHKEY_TOKEN and
// LATCHKEY_TOKEN_FILE belong to the CLI and are skipped.
//
// # Cache
//
// A top-level "cache" section gives every store's cache settings (enabled,
// ttl, max_entries, max_bytes, max_stale, negative_ttl, refresh_ahead,
// error_backoff); a store's own "cache" section overrides it key by key
// ([CacheConfig]).
// The one-shot CLI caches only stores whose section says enabled: true
// ([Agent.ResolverConfig]); the resident agent caches every store unless
// it says enabled: false ([Agent.CachedResolverConfig]). See docs/cache.md.
//
// # Modules
//
// A top-level "modules" section holds the signature and registry sections
// every store of type wasm gets unless it sets its own (which then
// replaces the default whole): one place to require signed modules
// (docs/modules.md).
package config

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/json"
	"github.com/knadh/koanf/parsers/toml/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/v2"
	tomlv2 "github.com/pelletier/go-toml/v2"
	yamlv3 "gopkg.in/yaml.v3"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/protect"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/safefile"
	"github.com/latchkey/latchkey/internal/units"
)

// EnvPrefix starts every environment variable that overrides a config key.
const EnvPrefix = "LATCHKEY_"

// DefaultTimeout bounds one resolution when the config sets no timeout.
const DefaultTimeout = 30 * time.Second

// Options says where to load the agent config from.
type Options struct {
	// Path is the config file; its extension (.yaml, .yml, .json, .toml)
	// picks the parser. Empty loads no file (environment and Set only).
	Path string
	// Environ is the environment to read overrides from; nil means
	// os.Environ().
	Environ []string
	// Set holds "key=value" overrides with dotted keys
	// ("stores.aws.region=eu-west-1"); they win over everything else.
	Set []string
}

// Agent is a loaded agent config.
type Agent struct {
	// Path is the file it came from, if any.
	Path         string
	DefaultStore string
	Concurrency  int
	// Timeout bounds one resolution (DefaultTimeout when unset).
	Timeout time.Duration
	Stores  map[string]resolver.StoreConfig
	// Cache holds each store's cache settings, by store name (see
	// [CacheConfig]); every declared store has one.
	Cache map[string]CacheConfig
	// Serve is the `serve:` section, read by `latchkey serve`.
	Serve Serve
	// Audit is the audit section (see [AuditConfig]).
	Audit AuditConfig
	// Callers is the callers section: who may use the resident agent, and
	// which stores and secrets each may read (docs/policy.md).
	Callers []policy.CallerSpec
	// CSI is the csi: section as written, decoded and checked by package
	// csi (`latchkey csi-provider`), which owns it; nil when absent.
	CSI map[string]any

	origins    map[string]string // config key → the override that set it
	badRules   map[string]bool   // stores whose secrets rule did not compile
	badDefault bool              // default_store names no declared store
}

var topKeys = map[string]bool{"default_store": true, "concurrency": true, "timeout": true, "stores": true, "cache": true, "serve": true,
	"audit": true, "callers": true, "modules": true, "csi": true}

// moduleKeys are the keys of the top-level "modules" section: defaults of
// every store of type wasm that does not set the key itself (a store's
// own section replaces the default whole).
var moduleKeys = map[string]bool{"signature": true, "registry": true}

// Load reads and validates the agent config. Every problem found is
// reported, joined; errors name the file and the key, and for a key set by
// an override the LATCHKEY_ variable or --set flag it came from.
//
// When the config parses but holds problems, Load returns them together
// with an Agent holding what could be read (the stores without problems in
// their secrets rule), so that a caller can build those stores and report
// their settings' problems in the same round, as the CLI does; see
// [Agent.Annotate].
func Load(opts Options) (*Agent, error) {
	k := koanf.New(".")
	origins := map[string]string{}
	if opts.Path != "" {
		parser, err := parserFor(opts.Path)
		if err != nil {
			return nil, err
		}
		// Read without blocking and only from a regular file: a FIFO at
		// the path would otherwise hang start-up and every SIGHUP reload.
		data, _, err := safefile.ReadFile(opts.Path, safefile.Options{MaxSize: maxConfigSize})
		if err != nil {
			return nil, fmt.Errorf("agent config: %w (give the file with --config or LATCHKEY_CONFIG)", err)
		}
		if err := k.Load(rawBytes(data), parser); err != nil {
			return nil, fmt.Errorf("agent config %s: %s%w", opts.Path, position(opts.Path, err), err)
		}
	}
	environ := opts.Environ
	if environ == nil {
		environ = os.Environ()
	}
	if err := k.Load(env.Provider(".", env.Opt{
		Prefix:      EnvPrefix,
		EnvironFunc: func() []string { return environ },
		TransformFunc: func(name, v string) (string, any) {
			key, val := envKey(name, v)
			if key != "" {
				origins[key] = name
			}
			return key, val
		},
	}), nil); err != nil {
		return nil, fmt.Errorf("agent config from environment: %w", err)
	}
	if len(opts.Set) > 0 {
		m := map[string]any{}
		for _, kv := range opts.Set {
			key, val, ok := strings.Cut(kv, "=")
			if !ok || key == "" {
				return nil, fmt.Errorf("--set %q: want key=value, e.g. stores.aws.region=eu-west-1", kv)
			}
			m[key] = scalar(val)
			origins[key] = "--set " + key + "=…"
		}
		if err := k.Load(confmap.Provider(m, "."), nil); err != nil {
			return nil, fmt.Errorf("--set: %w", err)
		}
	}
	return fromKoanf(k, opts.Path, origins)
}

func parserFor(path string) (koanf.Parser, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return yaml.Parser(), nil
	case ".json":
		return json.Parser(), nil
	case ".toml":
		return toml.Parser(), nil
	}
	return nil, fmt.Errorf("agent config %s: unknown extension %q (use .yaml, .yml, .json or .toml)", path, filepath.Ext(path))
}

// position returns "line L: " (and column) for a JSON or TOML syntax error,
// whose messages, unlike YAML's, do not say where the problem is.
func position(path string, err error) string {
	var de *tomlv2.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return fmt.Sprintf("line %d column %d: ", row, col)
	}
	var se *stdjson.SyntaxError
	if errors.As(err, &se) {
		data, _, rerr := safefile.ReadFile(path, safefile.Options{MaxSize: maxConfigSize})
		if rerr != nil {
			return ""
		}
		off := min(int(se.Offset), len(data))
		return fmt.Sprintf("line %d: ", bytes.Count(data[:off], []byte("\n"))+1)
	}
	return ""
}

// envKey maps LATCHKEY_STORES__AWS__REGION to stores.aws.region.
func envKey(k, v string) (string, any) {
	switch k {
	case "LATCHKEY_CONFIG", "LATCHKEY_WORKFLOW", "LATCHKEY_LOG_LEVEL", "LATCHKEY_SERVER", "LATCHKEY_TOKEN", "LATCHKEY_TOKEN_FILE":
		return "", nil
	}
	k = strings.ToLower(strings.TrimPrefix(k, EnvPrefix))
	return strings.ReplaceAll(k, "__", "."), scalar(v)
}

// scalar reads an override value as YAML (numbers, booleans, flow lists),
// falling back to the raw string.
func scalar(s string) any {
	var v any
	if err := yamlv3.Unmarshal([]byte(s), &v); err != nil || v == nil {
		return s
	}
	switch v.(type) {
	case map[string]any:
		return s
	}
	return v
}

// loader gathers the problems of one Load, each naming the key and, for a
// key an override set, the override.
type loader struct {
	where   string            // "agent config" and the file, if any
	origins map[string]string // config key → the override that set it
	errs    []error
}

// bad reports a problem at key.
func (l *loader) bad(key, format string, args ...any) {
	msg := suggestKnown(key, fmt.Sprintf(format, args...))
	l.errs = append(l.errs, fmt.Errorf("%s: key %q%s: %s", l.where, key, fromOverride(l.origins, key), msg))
}

// fail reports a problem that names its key itself.
func (l *loader) fail(err error) { l.errs = append(l.errs, fmt.Errorf("%s: %w", l.where, err)) }

// fromKoanf decodes the merged config: the top-level settings here, each
// section by its own reader, then the checks across sections.
func fromKoanf(k *koanf.Koanf, path string, origins map[string]string) (*Agent, error) {
	a := &Agent{Path: path, Timeout: DefaultTimeout, Stores: map[string]resolver.StoreConfig{}, Cache: map[string]CacheConfig{}}
	l := &loader{where: "agent config", origins: origins}
	if path != "" {
		l.where += " " + path
	}
	raw := k.Raw()
	l.topLevel(raw, a)
	var topCache cacheSection
	if v, ok := raw["cache"]; ok {
		topCache = parseCache("cache", v, l.bad)
	}
	modules := l.modules(raw)
	stores, ok := raw["stores"].(map[string]any)
	if raw["stores"] != nil && !ok {
		l.bad("stores", "must be a map of store names to store settings")
	}
	if len(stores) == 0 {
		l.errs = append(l.errs, fmt.Errorf("%s: no stores declared: add a \"stores\" map, e.g. stores: {app: {type: env, allow: [\"APP_*\"]}}", l.where))
	}
	for _, name := range sortedKeys(stores) {
		l.store(a, name, stores[name], modules, topCache)
	}
	if v, ok := raw["serve"]; ok {
		a.Serve = parseServe(v, l.bad)
		if sm := a.Serve.SecretsManagerStore; sm != "" && stores != nil {
			if _, ok := stores[sm]; !ok {
				l.bad("serve.secretsmanager_store", "%q is not one of the declared stores (%s)", sm, strings.Join(sortedKeys(stores), ", "))
			}
		}
	}
	if v, ok := raw["audit"]; ok {
		var err error
		a.Audit, err = audit.ParseSettings(v)
		for _, e := range unjoin(err) {
			if se, ok := e.(*audit.SettingError); ok {
				l.bad(strings.TrimSuffix("audit."+se.Key, "."), "%s", se.Msg)
			}
		}
	}
	if v, ok := raw["callers"]; ok {
		l.callers(a, v, stores)
	}
	if v, ok := raw["csi"]; ok {
		m, isMap := v.(map[string]any)
		if !isMap {
			l.bad("csi", "must be a map of settings for `latchkey csi-provider` (docs/kubernetes.md)")
		}
		a.CSI = m
	}
	if a.DefaultStore != "" && stores != nil {
		if _, ok := stores[a.DefaultStore]; !ok {
			l.bad("default_store", "%q is not one of the declared stores (%s)", a.DefaultStore, strings.Join(sortedKeys(stores), ", "))
			a.badDefault = true
		}
	}
	a.origins = origins
	if err := errors.Join(l.errs...); err != nil {
		return a.partial(), err
	}
	return a, nil
}

// topLevel checks the top-level keys and reads default_store, concurrency
// and timeout.
func (l *loader) topLevel(raw map[string]any, a *Agent) {
	for _, key := range sortedKeys(raw) {
		if !topKeys[key] {
			l.bad(key, "unknown key (known: %s)", strings.Join(sortedKeys(topKeys), ", "))
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
		n, isInt := toInt(v)
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
	for _, k := range sortedKeys(modules) {
		if !moduleKeys[k] {
			l.bad("modules."+k, "unknown key (known: %s)", strings.Join(sortedKeys(moduleKeys), ", "))
		}
	}
	return modules
}

// store reads one store's section into a.Stores and a.Cache. The keys
// Latchkey reads itself (type, secret, secrets, cache, protection) are
// taken out; the rest are the store type's own settings, checked when the
// store is built.
func (l *loader) store(a *Agent, name string, v any, modules map[string]any, topCache cacheSection) {
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
	sc := resolver.StoreConfig{Settings: map[string]any{}}
	var storeCache cacheSection
	var protection any
	for sk, sv := range m {
		switch sk {
		case "protection":
			protection = sv
		case "cache":
			storeCache = parseCache(key+".cache", sv, l.bad)
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
			sc.Secrets = parseRule(key+".secrets", sv, l.bad)
		default:
			sc.Settings[sk] = sv
		}
	}
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
	if set, err := protect.Parse(name, sc.Type, protection); err != nil {
		// Reported by key, as every other config problem is.
		for _, e := range unjoin(err) {
			if ce, ok := e.(*secret.ConfigError); ok {
				l.bad(key+"."+ce.Key, "%s", ce.Msg)
			} else {
				l.fail(e)
			}
		}
	} else {
		sc.Protection = &set
	}
	a.Stores[name] = sc
	a.Cache[name] = storeCache.over(topCache).config()
	checkCache(name, a.Cache[name], l.bad)
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
	} else {
		sc.Secrets = envAllow(key+"."+t.SecretsAlias, allow, l.bad)
	}
}

// callers reads the callers section and checks it against the stores and
// serve.tokens.
func (l *loader) callers(a *Agent, v any, stores map[string]any) {
	a.Callers = parseCallers(v, stores, l.bad)
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
				l.bad("callers."+c.Name+".tokens", "no token %q is declared in serve.tokens (declared: %s)", tok, strings.Join(sortedKeys(a.Serve.Tokens), ", "))
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

func toInt(v any) (int, bool) { return units.Int(v) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ResolverConfig returns the [resolver.Config] for this agent config, as
// the one-shot CLI uses it: a store gets a cache only when its cache
// section (or the top-level one) says enabled: true. The resident agent
// uses [Agent.CachedResolverConfig].
func (a *Agent) ResolverConfig(log *slog.Logger) resolver.Config {
	return a.resolverConfig(log, false)
}

// maxConfigSize caps the agent config file's read.
const maxConfigSize = 16 << 20

// rawBytes is a koanf provider of a file's bytes already read.
type rawBytes []byte

func (b rawBytes) ReadBytes() ([]byte, error) { return b, nil }

func (b rawBytes) Read() (map[string]any, error) {
	return nil, errors.New("agent config: the raw provider needs a parser")
}
