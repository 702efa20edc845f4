package serveconf

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"slices"
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
	GracePeriod time.Duration `json:"grace_period" units:"positive"`
	// MaxBodyBytes caps a request body; MaxHeaderBytes the request headers.
	MaxBodyBytes   int64 `json:"max_body_bytes" units:"size"`
	MaxHeaderBytes int   `json:"max_header_bytes" units:"size"`
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout bound a
	// connection's phases (slow clients).
	ReadHeaderTimeout time.Duration `json:"read_header_timeout" units:"positive"`
	ReadTimeout       time.Duration `json:"read_timeout" units:"positive"`
	WriteTimeout      time.Duration `json:"write_timeout" units:"positive"`
	IdleTimeout       time.Duration `json:"idle_timeout" units:"positive"`
	// MaxConnections caps the authorized callers' connections served at once
	// per listener (peers not yet authenticated have a pool of their own;
	// docs/serve.md).
	MaxConnections int `json:"max_connections" units:"str"`
}

// TokenSource says where one token's value is read from: exactly one of a
// file (its content, trailing newline trimmed) or an environment variable.
type TokenSource struct {
	File string `json:"file"`
	Env  string `json:"env"`
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

// section is the serve section as written: Settings' tagged fields, the
// token shorthands, and socket_mode as given, since permission bits are
// read from a number or from a string of octal digits ([fileMode]).
type section struct {
	Settings
	SocketMode any    `json:"socket_mode"`
	TokenFile  string `json:"token_file"`
	TokenEnv   string `json:"token_env"`
}

// msgs is what each key says of a value it cannot take, whether the value
// does not decode, is missing or is out of range.
var msgs = map[string]string{
	"socket":               "must be a non-empty string",
	"tcp":                  "must be a non-empty string",
	"secretsmanager_store": "must be a non-empty string",
	"token_file":           "must be a non-empty string",
	"token_env":            "must be a non-empty string",
	"socket_mode":          "must be permission bits such as 0660 (in JSON the string \"0660\") that grant nothing to others: the socket's mode is its access check",
	"allow_non_loopback":   "must be true or false",
	"tokens":               "must map token names to {file: PATH} or {env: VARIABLE}",
	"grace_period":         durationMsg,
	"read_header_timeout":  durationMsg,
	"read_timeout":         durationMsg,
	"write_timeout":        durationMsg,
	"idle_timeout":         durationMsg,
	"max_body_bytes":       sizeMsg(1024, MaxBodyBytes),
	"max_header_bytes":     sizeMsg(1024, 1<<20),
	"max_connections":      "must be a whole number from 1 to 65536",
}

const durationMsg = "must be a positive duration such as 10s or 2m"

func sizeMsg(lo, hi int64) string {
	return fmt.Sprintf("must be a size from %d to %d bytes (a number, or with KiB or MiB)", lo, hi)
}

// parser reads one serve section, gathering its problems in the order of
// the section's keys (as the docs list them), each check after the
// problems decoding found with its key.
type parser struct {
	m      map[string]any
	failed map[string][]*units.DecodeError // by key; a token's by "tokens.NAME"
	errs   []error
}

func (p *parser) bad(key, format string, args ...any) {
	p.errs = append(p.errs, &SettingError{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// check reports key's decoding problems, or a key written without a value
// (null, or "" for a string), with key's message; it reports whether key
// is set to a value that decoded.
func (p *parser) check(key string) bool {
	v, set := p.m[key]
	switch {
	case !set:
		return false
	case len(p.failed[key]) > 0 || v == nil || v == "":
		p.bad(key, "%s", msgs[key])
		return false
	}
	return true
}

// ParseSettings decodes the serve section as the config file, environment
// or overrides gave it (a map of decoded values), strictly (units.Decode),
// and checks it. Every problem is reported, joined, as a *[SettingError];
// the Settings hold what could be read. Whether SecretsManagerStore and
// the callers' tokens are declared is for the config loader to check: it
// sees every section.
func ParseSettings(raw any) (Settings, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return Settings{}, &SettingError{Msg: "must be a map of settings (socket, tcp, tokens, …)"}
	}
	var in section
	p := &parser{m: m, failed: map[string][]*units.DecodeError{}}
	if err := units.Decode(m, &in); err != nil {
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			de := e.(*units.DecodeError)
			switch top := de.Path[0]; {
			case de.Known != nil && len(de.Path) == 1:
				p.bad(de.Key, "%s", de.Msg) // unknown keys come first
			case top == "tokens" && len(de.Path) > 1:
				p.failed["tokens."+de.Path[1]] = append(p.failed["tokens."+de.Path[1]], de)
			default:
				p.failed[top] = append(p.failed[top], de)
			}
		}
	}
	s := in.Settings
	p.check("socket")
	if _, set := m["socket_mode"]; set {
		mode, okMode := fileMode(in.SocketMode)
		if !okMode || mode == 0 || mode&^0o777 != 0 || mode&0o007 != 0 {
			p.bad("socket_mode", "%s", msgs["socket_mode"])
		}
		s.SocketMode = mode
	}
	p.check("tcp")
	p.check("allow_non_loopback")
	if s.TCP != "" {
		if err := checkTCP(s.TCP, s.AllowNonLoopback); err != nil {
			p.bad("tcp", "%v", err)
		}
	}
	s.Tokens = p.tokens(in)
	if s.TCP != "" && len(s.Tokens) == 0 {
		p.bad("tcp", "TCP needs a token: set serve.token_file or serve.token_env (or serve.tokens), since any local process can connect to a TCP port")
	}
	p.check("secretsmanager_store")
	for _, k := range []string{"grace_period", "read_header_timeout", "read_timeout", "write_timeout", "idle_timeout"} {
		p.check(k)
	}
	for _, r := range []struct {
		key     string
		n, l, h int64
	}{{"max_body_bytes", s.MaxBodyBytes, 1024, MaxBodyBytes}, {"max_header_bytes", int64(s.MaxHeaderBytes), 1024, 1 << 20},
		{"max_connections", int64(s.MaxConnections), 1, 65536}} {
		if p.check(r.key) && (r.n < r.l || r.n > r.h) {
			p.bad(r.key, "%s", msgs[r.key])
		}
	}
	return s, errors.Join(p.errs...)
}

// tokens checks token_file, token_env and tokens, and returns the tokens
// they declare.
func (p *parser) tokens(in section) map[string]TokenSource {
	out := map[string]TokenSource{}
	_, hasFile := p.m["token_file"].(string)
	_, hasEnv := p.m["token_env"].(string)
	p.check("token_file")
	p.check("token_env")
	switch {
	case hasFile && hasEnv:
		p.bad("token_file", "give token_file or token_env, not both")
	case in.TokenFile != "":
		out[DefaultTokenName] = TokenSource{File: in.TokenFile}
	case in.TokenEnv != "":
		out[DefaultTokenName] = TokenSource{Env: in.TokenEnv}
	}
	if _, set := p.m["tokens"]; !set {
		return out
	}
	tm, isMap := p.m["tokens"].(map[string]any)
	if !isMap {
		p.bad("tokens", "%s", msgs["tokens"])
		return out
	}
	for _, name := range slices.Sorted(maps.Keys(tm)) {
		key := "tokens." + name
		if _, dup := out[name]; dup {
			p.bad(key, "token %q is also declared by token_file or token_env", name)
			continue
		}
		entry, isMap := tm[name].(map[string]any)
		if !isMap {
			p.bad(key, "must be {file: PATH} or {env: VARIABLE}")
			continue
		}
		// The entry's problems, in the order of its keys.
		var problems []*SettingError
		for _, de := range p.failed[key] {
			msg := "must be a non-empty string"
			if de.Known != nil {
				msg = de.Msg
			}
			problems = append(problems, &SettingError{Key: de.Key, Msg: msg})
		}
		for _, k := range []string{"env", "file"} {
			if v, set := entry[k]; set && (v == nil || v == "") {
				problems = append(problems, &SettingError{Key: key + "." + k, Msg: "must be a non-empty string"})
			}
		}
		slices.SortStableFunc(problems, func(a, b *SettingError) int { return strings.Compare(a.Key, b.Key) })
		for _, e := range problems {
			p.errs = append(p.errs, e)
		}
		ts := in.Tokens[name]
		if (ts.File == "") == (ts.Env == "") {
			p.bad(key, "give exactly one of file or env")
			continue
		}
		out[name] = ts
	}
	return out
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
