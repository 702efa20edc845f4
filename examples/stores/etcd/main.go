// Command etcd is a Latchkey custom store, compiled to WebAssembly, that
// reads keys from etcd v3 through its JSON gateway (grpc-gateway):
//
//	POST {endpoint}/v3/kv/range   {"key": base64(prefix+name), "revision": "N"}
//
// and returns the key's value as stored. It answers version probes (ABI
// 1.1, latchkey_version) with the key's mod_revision, from the same range
// request with keys_only set, which returns no value:
//
//	POST {endpoint}/v3/kv/range   {"key": base64(prefix+name), "keys_only": true}
//
// and a fetch records the mod_revision that came with the value, so that
// the agent's cache renews an unchanged key with a keys-only read. With authentication enabled in
// etcd, it either logs in with a user name and a password credential
//
//	POST {endpoint}/v3/auth/authenticate
//	{"name": "app", "password": "{{latchkey.credential:etcd_password|json}}"}
//
// and sends the token etcd issues in the Authorization header, or sends a
// token credential the operator issued (a JWT, say) as that header. Either
// way the module only ever writes placeholders: the host substitutes the
// password or token and the module never holds them.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o etcd.wasm .
//
// Its configuration is described in README.md.
package main

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	latchkey "github.com/latchkey/latchkey/guest-sdk"
	"github.com/latchkey/latchkey/guest-sdk/jsonconfig"
	"github.com/latchkey/latchkey/guest-sdk/version"
)

type config struct {
	// Endpoint is an etcd client URL: "https://etcd.example.com:2379".
	Endpoint string `json:"endpoint"`
	// Prefix is prepended to every secret name to make the key
	// ("latchkey/" + "db" reads key "latchkey/db").
	Prefix string `json:"prefix"`
	// Username, when set, logs in with the password in the credential
	// named by PasswordCredential.
	Username string `json:"username"`
	// PasswordCredential names the store's credential holding the
	// password (default "etcd_password"). It must list
	// /v3/auth/authenticate in its body_paths.
	PasswordCredential string `json:"password_credential"`
	// TokenCredential, when set, names the store's credential holding an
	// auth token sent as is in the Authorization header.
	TokenCredential string `json:"token_credential"`
}

func init() {
	jsonconfig.Handle(get)
	version.HandleConfig(parseConfig, current)
}

// parseConfig decodes the config for the version handler, as jsonconfig
// does for fetches.
func parseConfig(doc latchkey.JSON) (*config, error) {
	c := new(config)
	if err := json.Unmarshal(doc, c); err != nil {
		return nil, latchkey.InvalidConfig("the store's config does not decode: " + err.Error())
	}
	return c, nil
}

func main() {}

// session is the token etcd issued at the last login. It lives as long as
// the instance, so that one login (a bcrypt hash on the server) serves
// many fetches; an expired token is renewed once per fetch.
var session string

// gatewayError is grpc-gateway's error body.
type gatewayError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Code    int    `json:"code"`
}

// gRPC status codes etcd returns through the gateway.
const (
	codeInvalidArgument  = 3
	codePermissionDenied = 7
	codeOutOfRange       = 11
	codeUnavailable      = 14
	codeUnauthenticated  = 16
)

func get(cfg *config, req latchkey.Request) ([]byte, error) {
	body, what, err := rangeKey(cfg, req, false)
	if err != nil {
		return nil, err
	}
	return value(body, what)
}

// current answers a version probe: the key's mod_revision, from a
// keys-only range request (at the revision asked for, if any).
func current(cfg *config, req latchkey.Request) (string, error) {
	body, what, err := rangeKey(cfg, req, true)
	if err != nil {
		return "", err
	}
	kv, err := firstKV(body, what)
	if err != nil {
		return "", err
	}
	if kv.ModRevision == "" {
		return "", latchkey.Unavailable(what + ": the gateway's answer has no mod_revision")
	}
	return kv.ModRevision, nil
}

// rangeKey asks the gateway for the key req names (its value, or only its
// metadata when keysOnly) and returns the 200 answer's body.
func rangeKey(cfg *config, req latchkey.Request, keysOnly bool) ([]byte, string, error) {
	base, err := checkConfig(cfg)
	if err != nil {
		return nil, "", err
	}
	key := cfg.Prefix + req.Name
	if key == "" {
		return nil, "", latchkey.InvalidConfig("no key: name one in the reference, e.g. secret://etcd/db")
	}
	what := "key " + strconv.Quote(key)
	body := map[string]any{"key": base64.StdEncoding.EncodeToString([]byte(key))}
	if keysOnly {
		body["keys_only"] = true
	}
	if req.Version != "" {
		n, err := strconv.ParseInt(req.Version, 10, 64)
		if err != nil || n < 1 {
			return nil, "", latchkey.InvalidConfig(what + ": version " + strconv.Quote(req.Version) + " is not a revision (a positive whole number)")
		}
		body["revision"] = strconv.FormatInt(n, 10)
		what += " at revision " + strconv.FormatInt(n, 10)
	}
	payload, _ := json.Marshal(body)
	for attempt := 0; ; attempt++ {
		header, err := authHeader(cfg, base, what, attempt > 0)
		if err != nil {
			return nil, "", err
		}
		header["Content-Type"] = "application/json"
		resp, err := latchkey.Do(latchkey.HTTPRequest{Method: "POST", URL: base + "/v3/kv/range", Header: header, Body: payload})
		if err != nil {
			return nil, "", err
		}
		if resp.Status == 200 {
			return resp.Body, what, nil
		}
		ge := parseError(resp)
		// A login token expires (auth-token-ttl): log in again, once.
		if ge.Code == codeUnauthenticated && cfg.Username != "" && attempt == 0 {
			session = ""
			continue
		}
		return nil, "", mapError(ge, resp.Status, what)
	}
}

func checkConfig(cfg *config) (string, error) {
	if cfg.PasswordCredential == "" {
		cfg.PasswordCredential = "etcd_password"
	}
	u, err := url.Parse(cfg.Endpoint)
	if cfg.Endpoint == "" || err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" {
		return "", latchkey.InvalidConfig(`"endpoint" must be an etcd client URL, e.g. https://etcd.example.com:2379`)
	}
	if cfg.Username != "" && cfg.TokenCredential != "" {
		return "", latchkey.InvalidConfig(`set "username" (password login) or "token_credential", not both`)
	}
	return strings.TrimSuffix(cfg.Endpoint, "/"), nil
}

// authHeader returns the headers that authenticate a request: none, the
// token credential's placeholder, or the session token of a login.
func authHeader(cfg *config, base, what string, renew bool) (map[string]string, error) {
	switch {
	case cfg.TokenCredential != "":
		return map[string]string{"Authorization": latchkey.Credential(cfg.TokenCredential)}, nil
	case cfg.Username == "":
		return map[string]string{}, nil
	}
	if session == "" || renew {
		if err := login(cfg, base, what); err != nil {
			return nil, err
		}
	}
	return map[string]string{"Authorization": session}, nil
}

func login(cfg *config, base, what string) error {
	name, _ := json.Marshal(cfg.Username)
	// The placeholder sits inside a JSON string: the host escapes the
	// password for JSON ("|json").
	body := `{"name":` + string(name) + `,"password":"` + latchkey.CredentialJSON(cfg.PasswordCredential) + `"}`
	resp, err := latchkey.Do(latchkey.HTTPRequest{Method: "POST", URL: base + "/v3/auth/authenticate",
		Header: map[string]string{"Content-Type": "application/json"}, Body: []byte(body)})
	if err != nil {
		return err
	}
	if resp.Status != 200 {
		ge := parseError(resp)
		if ge.Code == codeInvalidArgument || ge.Code == codePermissionDenied || ge.Code == codeUnauthenticated {
			return latchkey.PermissionDenied(what + ": login as " + strconv.Quote(cfg.Username) + " failed: " + ge.text(resp.Status))
		}
		return mapError(ge, resp.Status, what+": login")
	}
	var out struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(resp.Body, &out) != nil || out.Token == "" {
		return latchkey.Unavailable(what + ": login answered without a token")
	}
	session = out.Token
	return nil
}

// kv is one key of a range answer. The gateway renders int64 fields as
// JSON strings.
type kv struct {
	Value       string `json:"value"`
	ModRevision string `json:"mod_revision"`
}

func firstKV(body []byte, what string) (kv, error) {
	var out struct {
		KVs []kv `json:"kvs"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return kv{}, latchkey.Unavailable(what + ": the gateway's answer is not JSON")
	}
	if len(out.KVs) == 0 {
		return kv{}, latchkey.NotFound(what + " does not exist")
	}
	return out.KVs[0], nil
}

func value(body []byte, what string) ([]byte, error) {
	kv, err := firstKV(body, what)
	if err != nil {
		return nil, err
	}
	v, err := base64.StdEncoding.DecodeString(kv.Value)
	if err != nil {
		return nil, latchkey.Unavailable(what + ": the value is not base64")
	}
	if kv.ModRevision != "" {
		// The revision that came with the value, for the cache's later
		// probes; a refusal only costs a fetch instead.
		_ = latchkey.SetResultVersion(kv.ModRevision)
	}
	return v, nil
}

func parseError(resp *latchkey.HTTPResponse) gatewayError {
	var ge gatewayError
	_ = json.Unmarshal(resp.Body, &ge)
	return ge
}

func (ge gatewayError) text(status int) string {
	msg := ge.Message
	if msg == "" {
		msg = ge.Error
	}
	if msg == "" {
		return "HTTP " + strconv.Itoa(status)
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}

func mapError(ge gatewayError, status int, what string) error {
	msg := what + ": " + ge.text(status)
	switch {
	case ge.Code == codeOutOfRange: // compacted, or a future revision
		return latchkey.NotFound(msg)
	case ge.Code == codePermissionDenied || ge.Code == codeUnauthenticated || status == 401 || status == 403:
		return latchkey.PermissionDenied(msg)
	case ge.Code == codeInvalidArgument && strings.Contains(ge.Message, "user name is empty"):
		return latchkey.PermissionDenied(msg + " (authentication is enabled: configure username or token_credential)")
	case ge.Code == codeInvalidArgument:
		return latchkey.InvalidConfig(msg)
	case ge.Code == codeUnavailable:
		return latchkey.Unavailable(msg)
	}
	return latchkey.Unavailable(msg)
}
