package config

import (
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

// Serve is the agent config's `serve:` section: how `latchkey serve`
// listens and the limits it applies. The zero value of every field is the
// server's documented default (see package server); Load fills in nothing.
//
// Each field's json tag is its key in the section: the one list of the
// section's keys, with token_file and token_env, shorthands that declare
// Tokens["default"].
type Serve struct {
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

// MaxServeBodyBytes is the largest `serve.max_body_bytes` accepted: a
// workflow file's own cap.
const MaxServeBodyBytes = 4 << 20

// serveKeys are the serve section's keys: Serve's tags and the token
// shorthands, sorted.
var serveKeys = func() []string {
	keys := []string{"token_env", "token_file"}
	t := reflect.TypeFor[Serve]()
	for i := range t.NumField() {
		keys = append(keys, t.Field(i).Tag.Get("json"))
	}
	sort.Strings(keys)
	return keys
}()

// parseServe decodes the serve section; bad reports each problem.
func parseServe(v any, bad func(key, format string, args ...any)) Serve {
	var s Serve
	m, ok := v.(map[string]any)
	if !ok {
		bad("serve", "must be a map of settings (socket, tcp, tokens, …)")
		return s
	}
	known := map[string]bool{}
	for _, k := range serveKeys {
		known[k] = true
	}
	for _, k := range sortedKeys(m) {
		if !known[k] {
			bad("serve."+k, "unknown key (known: %s)", strings.Join(serveKeys, ", "))
		}
	}
	str := func(key string) string {
		v, ok := m[key]
		if !ok {
			return ""
		}
		s, isStr := v.(string)
		if !isStr || s == "" {
			bad("serve."+key, "must be a non-empty string")
		}
		return s
	}
	dur := func(key string) time.Duration {
		v, ok := m[key]
		if !ok {
			return 0
		}
		d, err := units.ParseDuration(v)
		if err != nil || d <= 0 {
			bad("serve."+key, "must be a positive duration such as 10s or 2m")
		}
		return d
	}
	size := func(key string, lo, hi int64) int64 {
		v, ok := m[key]
		if !ok {
			return 0
		}
		n, ok := toBytes(v)
		if !ok || n < lo || n > hi {
			bad("serve."+key, "must be a size from %d to %d bytes (a number, or with KiB or MiB)", lo, hi)
		}
		return n
	}
	s.Socket = str("socket")
	if v, ok := m["socket_mode"]; ok {
		mode, okMode := fileMode(v)
		if !okMode || mode == 0 || mode&^0o777 != 0 || mode&0o007 != 0 {
			bad("serve.socket_mode", "must be permission bits such as 0660 (in JSON the string \"0660\") that grant nothing to others: the socket's mode is its access check")
		}
		s.SocketMode = mode
	}
	s.TCP = str("tcp")
	if v, ok := m["allow_non_loopback"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			bad("serve.allow_non_loopback", "must be true or false")
		}
		s.AllowNonLoopback = b
	}
	if s.TCP != "" {
		if err := checkTCP(s.TCP, s.AllowNonLoopback); err != nil {
			bad("serve.tcp", "%v", err)
		}
	}
	s.Tokens = parseTokens(m, bad)
	if s.TCP != "" && len(s.Tokens) == 0 {
		bad("serve.tcp", "TCP needs a token: set serve.token_file or serve.token_env (or serve.tokens), since any local process can connect to a TCP port")
	}
	s.SecretsManagerStore = str("secretsmanager_store")
	s.GracePeriod = dur("grace_period")
	s.ReadHeaderTimeout = dur("read_header_timeout")
	s.ReadTimeout = dur("read_timeout")
	s.WriteTimeout = dur("write_timeout")
	s.IdleTimeout = dur("idle_timeout")
	s.MaxBodyBytes = size("max_body_bytes", 1024, MaxServeBodyBytes)
	s.MaxHeaderBytes = int(size("max_header_bytes", 1024, 1<<20))
	if v, ok := m["max_connections"]; ok {
		n, isInt := toInt(v)
		if !isInt || n < 1 || n > 65536 {
			bad("serve.max_connections", "must be a whole number from 1 to 65536")
		}
		s.MaxConnections = n
	}
	return s
}

func parseTokens(m map[string]any, bad func(key, format string, args ...any)) map[string]TokenSource {
	out := map[string]TokenSource{}
	file, hasFile := m["token_file"].(string)
	env, hasEnv := m["token_env"].(string)
	for _, k := range []string{"token_file", "token_env"} {
		if v, ok := m[k]; ok {
			if s, isStr := v.(string); !isStr || s == "" {
				bad("serve."+k, "must be a non-empty string")
			}
		}
	}
	switch {
	case hasFile && hasEnv:
		bad("serve.token_file", "give token_file or token_env, not both")
	case hasFile && file != "":
		out[DefaultTokenName] = TokenSource{File: file}
	case hasEnv && env != "":
		out[DefaultTokenName] = TokenSource{Env: env}
	}
	v, ok := m["tokens"]
	if !ok {
		return out
	}
	tm, isMap := v.(map[string]any)
	if !isMap {
		bad("serve.tokens", "must map token names to {file: PATH} or {env: VARIABLE}")
		return out
	}
	names := make([]string, 0, len(tm))
	for n := range tm {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		key := "serve.tokens." + name
		if _, dup := out[name]; dup {
			bad(key, "token %q is also declared by token_file or token_env", name)
			continue
		}
		src, isMap := tm[name].(map[string]any)
		if !isMap {
			bad(key, "must be {file: PATH} or {env: VARIABLE}")
			continue
		}
		var ts TokenSource
		for k, v := range src {
			s, isStr := v.(string)
			switch {
			case k != "file" && k != "env":
				bad(key+"."+k, "unknown key (known: env, file)")
			case !isStr || s == "":
				bad(key+"."+k, "must be a non-empty string")
			case k == "file":
				ts.File = s
			default:
				ts.Env = s
			}
		}
		if (ts.File == "") == (ts.Env == "") {
			bad(key, "give exactly one of file or env")
			continue
		}
		out[name] = ts
	}
	return out
}

// checkTCP refuses an address that is not host:port, or whose host is not
// loopback unless allowed. "localhost" counts as loopback; other host
// names are refused since what they resolve to can change.
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
	n, ok := toInt(v)
	return os.FileMode(n), ok && n >= 0
}
