package serveconf

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/units"
)

// Settings is the agent config's serve section:
//
//	serve:
//	  socket: /run/latchkey/latchkey.sock   # "none": no unix listener
//	  socket_mode: 0660                     # grants nothing to others
//	  tcp: 127.0.0.1:2773                   # loopback unless allow_non_loopback
//	  token_file: /etc/latchkey/token       # or token_env; or tokens:
//	  tokens: {etl: {file: /etc/latchkey/etl.token}, ci: {env: CI_TOKEN}}
//	  secretsmanager_store: aws
//	  grace_period: 10s
//	  max_body_bytes: 1MiB
//	  max_header_bytes: 16KiB
//	  read_header_timeout: 5s
//	  read_timeout: 10s
//	  write_timeout: 40s
//	  idle_timeout: 60s
//	  max_connections: 256
//
// The zero value of every field is the server's documented default (see
// package server and docs/serve.md); ParseSettings fills in nothing.
//
// Each field's json tag is its key in the section: the one list of the
// section's keys, with token_file and token_env, shorthands that declare
// Tokens[DefaultTokenName].
type Settings struct {
	// Socket is the unix socket path; "" is the server's default path and
	// "none" turns the unix listener off.
	Socket string `json:"socket"`
	// SocketMode is the socket file's permission bits (0 means 0660).
	SocketMode os.FileMode `json:"socket_mode"`
	// TCP is a loopback host:port to listen on as well ("" is no TCP).
	TCP string `json:"tcp"`
	// AllowNonLoopback lets TCP name an address that is not loopback.
	AllowNonLoopback bool `json:"allow_non_loopback"`
	// Tokens maps a token's name to where its value is read from. Every
	// TCP request must present one of them.
	Tokens map[string]TokenSource `json:"tokens"`
	// SecretsManagerStore is the store the AWS Secrets Manager
	// Agent–compatible endpoint reads ("" is the default store).
	SecretsManagerStore string `json:"secretsmanager_store"`
	// GracePeriod bounds how long SIGTERM waits for in-flight requests.
	GracePeriod time.Duration `json:"grace_period"`
	// MaxBodyBytes caps a request body; MaxHeaderBytes the request headers.
	MaxBodyBytes   int64 `json:"max_body_bytes"`
	MaxHeaderBytes int   `json:"max_header_bytes"`
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout bound a
	// connection's phases (slow clients).
	ReadHeaderTimeout time.Duration `json:"read_header_timeout"`
	ReadTimeout       time.Duration `json:"read_timeout"`
	WriteTimeout      time.Duration `json:"write_timeout"`
	IdleTimeout       time.Duration `json:"idle_timeout"`
	// MaxConnections caps the authorized callers' connections served at once
	// per listener (peers not yet authenticated have a pool of their own;
	// docs/serve.md).
	MaxConnections int `json:"max_connections"`
}

// TokenSource says where one token's value is read from: exactly one of a
// file (its content, trailing newline trimmed) or an environment variable.
type TokenSource struct {
	File string
	Env  string
}

// DefaultTokenName names the token that `serve.token_file` or
// `serve.token_env` declare.
const DefaultTokenName = "default"

// MaxBodyBytes is the largest `serve.max_body_bytes` accepted: a workflow
// file's own cap.
const MaxBodyBytes = 4 << 20

// SettingError is one bad serve setting; Key is its name inside the serve
// section ("tokens.ci.file"; "" for the section itself).
type SettingError struct {
	Key string
	Msg string
}

// Error implements error.
func (e *SettingError) Error() string {
	if e.Key == "" {
		return "serve settings: " + e.Msg
	}
	return fmt.Sprintf("serve setting %q: %s", e.Key, e.Msg)
}

// keys are the section's keys: Settings' tags and the token shorthands,
// sorted.
var keys = func() []string {
	keys := []string{"token_env", "token_file"}
	t := reflect.TypeFor[Settings]()
	for i := range t.NumField() {
		keys = append(keys, t.Field(i).Tag.Get("json"))
	}
	sort.Strings(keys)
	return keys
}()

// section reads one serve section, gathering its problems.
type section struct {
	m    map[string]any
	errs []error
}

func (p *section) bad(key, format string, args ...any) {
	p.errs = append(p.errs, &SettingError{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// ParseSettings decodes the serve section as the config file, environment
// or overrides gave it (a map of decoded values) and checks it. Every
// problem is reported, joined, as a *[SettingError]; the Settings hold
// what could be read. Whether SecretsManagerStore and the callers' tokens
// are declared is for the config loader to check: it sees every section.
func ParseSettings(raw any) (Settings, error) {
	var s Settings
	m, ok := raw.(map[string]any)
	if !ok {
		return s, &SettingError{Msg: "must be a map of settings (socket, tcp, tokens, …)"}
	}
	p := &section{m: m}
	for _, k := range sortedKeys(m) {
		if i := sort.SearchStrings(keys, k); i == len(keys) || keys[i] != k {
			p.bad(k, "%s", units.UnknownKey(k, keys))
		}
	}
	s.Socket = p.str("socket")
	if v, ok := m["socket_mode"]; ok {
		mode, okMode := fileMode(v)
		if !okMode || mode == 0 || mode&^0o777 != 0 || mode&0o007 != 0 {
			p.bad("socket_mode", "must be permission bits such as 0660 (in JSON the string \"0660\") that grant nothing to others: the socket's mode is its access check")
		}
		s.SocketMode = mode
	}
	s.TCP = p.str("tcp")
	if v, ok := m["allow_non_loopback"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			p.bad("allow_non_loopback", "must be true or false")
		}
		s.AllowNonLoopback = b
	}
	if s.TCP != "" {
		if err := checkTCP(s.TCP, s.AllowNonLoopback); err != nil {
			p.bad("tcp", "%v", err)
		}
	}
	s.Tokens = p.tokens()
	if s.TCP != "" && len(s.Tokens) == 0 {
		p.bad("tcp", "TCP needs a token: set serve.token_file or serve.token_env (or serve.tokens), since any local process can connect to a TCP port")
	}
	s.SecretsManagerStore = p.str("secretsmanager_store")
	for _, d := range []struct {
		key string
		dst *time.Duration
	}{{"grace_period", &s.GracePeriod}, {"read_header_timeout", &s.ReadHeaderTimeout}, {"read_timeout", &s.ReadTimeout},
		{"write_timeout", &s.WriteTimeout}, {"idle_timeout", &s.IdleTimeout}} {
		*d.dst = p.duration(d.key)
	}
	s.MaxBodyBytes = p.size("max_body_bytes", 1024, MaxBodyBytes)
	s.MaxHeaderBytes = int(p.size("max_header_bytes", 1024, 1<<20))
	if v, ok := m["max_connections"]; ok {
		n, isInt := units.Int(v)
		if !isInt || n < 1 || n > 65536 {
			p.bad("max_connections", "must be a whole number from 1 to 65536")
		}
		s.MaxConnections = n
	}
	return s, errors.Join(p.errs...)
}

// str reads a non-empty string ("" when unset).
func (p *section) str(key string) string {
	v, ok := p.m[key]
	if !ok {
		return ""
	}
	s, isStr := v.(string)
	if !isStr || s == "" {
		p.bad(key, "must be a non-empty string")
	}
	return s
}

// duration reads a positive duration (0 when unset).
func (p *section) duration(key string) time.Duration {
	v, ok := p.m[key]
	if !ok {
		return 0
	}
	d, err := units.ParseDuration(v)
	if err != nil || d <= 0 {
		p.bad(key, "must be a positive duration such as 10s or 2m")
	}
	return d
}

// size reads a size from lo to hi bytes (0 when unset).
func (p *section) size(key string, lo, hi int64) int64 {
	v, ok := p.m[key]
	if !ok {
		return 0
	}
	n, err := units.ParseSize(v)
	if err != nil || n < lo || n > hi {
		p.bad(key, "must be a size from %d to %d bytes (a number, or with KiB or MiB)", lo, hi)
	}
	return n
}

// tokens reads token_file, token_env and tokens.
func (p *section) tokens() map[string]TokenSource {
	out := map[string]TokenSource{}
	file, hasFile := p.m["token_file"].(string)
	env, hasEnv := p.m["token_env"].(string)
	for _, k := range []string{"token_file", "token_env"} {
		if v, ok := p.m[k]; ok {
			if s, isStr := v.(string); !isStr || s == "" {
				p.bad(k, "must be a non-empty string")
			}
		}
	}
	switch {
	case hasFile && hasEnv:
		p.bad("token_file", "give token_file or token_env, not both")
	case hasFile && file != "":
		out[DefaultTokenName] = TokenSource{File: file}
	case hasEnv && env != "":
		out[DefaultTokenName] = TokenSource{Env: env}
	}
	v, ok := p.m["tokens"]
	if !ok {
		return out
	}
	tm, isMap := v.(map[string]any)
	if !isMap {
		p.bad("tokens", "must map token names to {file: PATH} or {env: VARIABLE}")
		return out
	}
	for _, name := range sortedKeys(tm) {
		key := "tokens." + name
		if _, dup := out[name]; dup {
			p.bad(key, "token %q is also declared by token_file or token_env", name)
			continue
		}
		if ts, ok := p.token(key, tm[name]); ok {
			out[name] = ts
		}
	}
	return out
}

// token reads one entry of tokens: {file: PATH} or {env: VARIABLE}.
func (p *section) token(key string, v any) (TokenSource, bool) {
	var ts TokenSource
	src, isMap := v.(map[string]any)
	if !isMap {
		p.bad(key, "must be {file: PATH} or {env: VARIABLE}")
		return ts, false
	}
	for _, k := range sortedKeys(src) {
		s, isStr := src[k].(string)
		switch {
		case k != "file" && k != "env":
			p.bad(key+"."+k, "%s", units.UnknownKey(k, []string{"env", "file"}))
		case !isStr || s == "":
			p.bad(key+"."+k, "must be a non-empty string")
		case k == "file":
			ts.File = s
		default:
			ts.Env = s
		}
	}
	if (ts.File == "") == (ts.Env == "") {
		p.bad(key, "give exactly one of file or env")
		return ts, false
	}
	return ts, true
}

// checkTCP refuses an address that is not host:port, or whose host is not
// loopback unless allowNonLoopback. "localhost" counts as loopback; other
// host names are refused since what they resolve to can change.
func checkTCP(addr string, allowNonLoopback bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:2773): %w", addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%q: port %q is not a number from 0 to 65535", addr, port)
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		if host == "" {
			return fmt.Errorf("%q listens on every interface: name a loopback address such as 127.0.0.1 (or set serve.allow_non_loopback: true)", addr)
		}
		return fmt.Errorf("%q: host must be an IP address or localhost, not a name", addr)
	}
	if !ip.IsLoopback() && !allowNonLoopback {
		return fmt.Errorf("%q is not a loopback address: any host on the network could reach it; use 127.0.0.1 or ::1, or set serve.allow_non_loopback: true", addr)
	}
	return nil
}

// fileMode reads permission bits: a number as YAML and TOML read 0660
// (octal), or a string of octal digits ("0660", "0o660").
func fileMode(v any) (os.FileMode, bool) {
	if s, ok := v.(string); ok {
		n, err := strconv.ParseUint(strings.TrimPrefix(s, "0o"), 8, 32)
		return os.FileMode(n), err == nil
	}
	n, ok := units.Int(v)
	return os.FileMode(n), ok && n >= 0
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
