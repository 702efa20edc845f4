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

	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/server/serveconf"

	"github.com/latchkey/latchkey/internal/safefile"
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
	// Serve is the serve section, read by `latchkey serve`; package
	// server owns it ([serveconf.Settings]).
	Serve serveconf.Settings
	// Audit is the audit section (see [AuditConfig]).
	Audit AuditConfig
	// Callers is the callers section: who may use the resident agent, and
	// which stores and secrets each may read (docs/policy.md); package
	// policy owns it ([policy.ParseCallers]).
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
