// Command vault-kv is a Latchkey custom store, compiled to WebAssembly, that
// reads secrets from a HashiCorp Vault KV version 2 secrets engine:
//
//	GET {vault_addr}/v1/{mount}/data/{name}[?version=N]
//	X-Vault-Token: {{latchkey.credential:vault_token}}
//	X-Vault-Namespace: {namespace}            (when configured)
//
// It also answers version probes (ABI 1.1, latchkey_version) from the
// secret's metadata, without its data:
//
//	GET {vault_addr}/v1/{mount}/metadata/{name}
//
// whose current_version (or, for a request that names a version, that
// version's entry) is the version; a fetch records the version Vault
// returned with the data (data.metadata.version), so that the agent's
// cache renews an unchanged secret with one metadata call. The token's
// policy needs "read" on {mount}/metadata/{name} for probes; without it a
// probe is refused and the agent fetches instead.
//
// The token is a credential the operator declares on the store; the module
// sends only its placeholder and never holds the value. It returns the
// secret's data (data.data) as JSON, for the agent to look keys up in, or
// one field of it when "field" is configured.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o vault-kv.wasm .
//
// Its configuration is described in README.md.
package main

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	latchkey "github.com/latchkey/latchkey/guest-sdk"
	"github.com/latchkey/latchkey/guest-sdk/jsonconfig"
	"github.com/latchkey/latchkey/guest-sdk/version"
)

type config struct {
	// VaultAddr is Vault's address, as in VAULT_ADDR:
	// "https://vault.example.com:8200".
	VaultAddr string `json:"vault_addr"`
	// Mount is the path the KV v2 engine is mounted at (default "secret").
	Mount string `json:"mount"`
	// Namespace is sent as X-Vault-Namespace (Vault Enterprise, HCP).
	Namespace string `json:"namespace"`
	// TokenCredential names the store's credential that holds the Vault
	// token (default "vault_token").
	TokenCredential string `json:"token_credential"`
	// Field, if set, returns this one key of the secret's data (a string
	// as is, anything else as JSON) instead of the whole data object.
	Field string `json:"field"`
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

// kvResponse is Vault's answer to a KV v2 read; Data.Data is kept raw so
// that the secret's JSON reaches the agent byte for byte.
type kvResponse struct {
	Errors []string `json:"errors"`
	Data   *struct {
		Data     json.RawMessage `json:"data"`
		Metadata *struct {
			DeletionTime string `json:"deletion_time"`
			Destroyed    bool   `json:"destroyed"`
			Version      int    `json:"version"`
		} `json:"metadata"`
	} `json:"data"`
}

func get(cfg *config, req latchkey.Request) ([]byte, error) {
	base, err := checkConfig(cfg)
	if err != nil {
		return nil, err
	}
	name := strings.Trim(req.Name, "/")
	if name == "" {
		return nil, latchkey.InvalidConfig("no secret path: name one in the reference, e.g. secret://vault/app/db#password")
	}
	what := "secret " + strconv.Quote(cfg.Mount+"/"+name)
	u := base + "/v1/" + escapePath(cfg.Mount) + "/data/" + escapePath(name)
	if req.Version != "" {
		n, err := strconv.Atoi(req.Version)
		if err != nil || n < 1 {
			return nil, latchkey.InvalidConfig(what + ": version " + strconv.Quote(req.Version) + " is not a positive whole number")
		}
		u += "?version=" + strconv.Itoa(n)
		what += " version " + strconv.Itoa(n)
	}
	resp, err := latchkey.Get(u, vaultHeader(cfg))
	if err != nil {
		return nil, err
	}
	var kv kvResponse
	parsed := json.Unmarshal(resp.Body, &kv) == nil
	switch {
	case resp.Status == 200 && parsed && kv.Data != nil:
		if isNull(kv.Data.Data) {
			return nil, gone(what, &kv)
		}
		if m := kv.Data.Metadata; m != nil && m.Version > 0 {
			// The version Vault answered with, for the cache's later
			// probes; a refusal only costs a fetch instead.
			_ = latchkey.SetResultVersion(strconv.Itoa(m.Version))
		}
		return pick(cfg, what, kv.Data.Data)
	case resp.Status == 404:
		if parsed && kv.Data != nil && kv.Data.Metadata != nil {
			return nil, gone(what, &kv)
		}
		return nil, latchkey.NotFound(what + " does not exist (or the mount is not KV version 2)")
	case resp.Status == 401 || resp.Status == 403:
		return nil, latchkey.PermissionDenied(what + ": Vault refused the token: " + vaultErrors(&kv, resp.Status))
	case resp.Status == 400:
		return nil, latchkey.InvalidConfig(what + ": Vault rejected the request: " + vaultErrors(&kv, resp.Status))
	case resp.Status == 200:
		return nil, latchkey.Unavailable(what + ": Vault's answer is not a KV version 2 read")
	}
	// 429, 500, 502, 503 (sealed, standby without forwarding)…
	return nil, latchkey.Unavailable(what + ": " + vaultErrors(&kv, resp.Status))
}

func vaultHeader(cfg *config) map[string]string {
	header := map[string]string{
		"X-Vault-Token":   latchkey.Credential(cfg.TokenCredential),
		"X-Vault-Request": "true",
		"Accept":          "application/json",
	}
	if cfg.Namespace != "" {
		header["X-Vault-Namespace"] = cfg.Namespace
	}
	return header
}

// metadataResponse is Vault's answer to a KV v2 metadata read.
type metadataResponse struct {
	Errors []string `json:"errors"`
	Data   *struct {
		CurrentVersion int `json:"current_version"`
		Versions       map[string]struct {
			DeletionTime string `json:"deletion_time"`
			Destroyed    bool   `json:"destroyed"`
		} `json:"versions"`
	} `json:"data"`
}

// current answers a version probe from the secret's metadata: the current
// version (or the one asked for) while its data exists. A deleted or
// destroyed version is not found, as a fetch of it would be.
func current(cfg *config, req latchkey.Request) (string, error) {
	base, err := checkConfig(cfg)
	if err != nil {
		return "", err
	}
	name := strings.Trim(req.Name, "/")
	if name == "" {
		return "", latchkey.InvalidConfig("no secret path: name one in the reference, e.g. secret://vault/app/db#password")
	}
	what := "secret " + strconv.Quote(cfg.Mount+"/"+name)
	want := 0
	if req.Version != "" {
		n, err := strconv.Atoi(req.Version)
		if err != nil || n < 1 {
			return "", latchkey.InvalidConfig(what + ": version " + strconv.Quote(req.Version) + " is not a positive whole number")
		}
		want = n
	}
	resp, err := latchkey.Get(base+"/v1/"+escapePath(cfg.Mount)+"/metadata/"+escapePath(name), vaultHeader(cfg))
	if err != nil {
		return "", err
	}
	var md metadataResponse
	parsed := json.Unmarshal(resp.Body, &md) == nil
	kv := &kvResponse{Errors: md.Errors}
	switch {
	case resp.Status == 200 && parsed && md.Data != nil:
	case resp.Status == 404:
		return "", latchkey.NotFound(what + " does not exist (or the mount is not KV version 2)")
	case resp.Status == 401 || resp.Status == 403:
		return "", latchkey.PermissionDenied(what + ": Vault refused the token reading the metadata (the policy needs read on " +
			cfg.Mount + "/metadata/" + name + "): " + vaultErrors(kv, resp.Status))
	case resp.Status == 400:
		return "", latchkey.InvalidConfig(what + ": Vault rejected the request: " + vaultErrors(kv, resp.Status))
	case resp.Status == 200:
		return "", latchkey.Unavailable(what + ": Vault's answer is not a KV version 2 metadata read")
	default:
		return "", latchkey.Unavailable(what + ": " + vaultErrors(kv, resp.Status))
	}
	n := md.Data.CurrentVersion
	if want != 0 {
		n = want
		what += " version " + strconv.Itoa(n)
	}
	v, ok := md.Data.Versions[strconv.Itoa(n)]
	switch {
	case n < 1 || !ok:
		return "", latchkey.NotFound(what + " does not exist")
	case v.Destroyed:
		return "", latchkey.NotFound(what + ": version " + strconv.Itoa(n) + " was destroyed")
	case v.DeletionTime != "":
		return "", latchkey.NotFound(what + ": version " + strconv.Itoa(n) + " was deleted at " + v.DeletionTime)
	}
	return strconv.Itoa(n), nil
}

func checkConfig(cfg *config) (string, error) {
	if cfg.Mount == "" {
		cfg.Mount = "secret"
	}
	cfg.Mount = strings.Trim(cfg.Mount, "/")
	if cfg.TokenCredential == "" {
		cfg.TokenCredential = "vault_token"
	}
	u, err := url.Parse(cfg.VaultAddr)
	if cfg.VaultAddr == "" || err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" {
		return "", latchkey.InvalidConfig(`"vault_addr" must be Vault's address, e.g. https://vault.example.com:8200`)
	}
	return strings.TrimSuffix(cfg.VaultAddr, "/"), nil
}

// gone explains a version that Vault keeps the metadata of but not the
// data: deleted (recoverable with undelete) or destroyed.
func gone(what string, kv *kvResponse) error {
	m := kv.Data.Metadata
	switch {
	case m == nil:
		return latchkey.NotFound(what + " has no data")
	case m.Destroyed:
		return latchkey.NotFound(what + ": version " + strconv.Itoa(m.Version) + " was destroyed")
	case m.DeletionTime != "":
		return latchkey.NotFound(what + ": version " + strconv.Itoa(m.Version) + " was deleted at " + m.DeletionTime)
	}
	return latchkey.NotFound(what + " has no data")
}

func pick(cfg *config, what string, data json.RawMessage) ([]byte, error) {
	if cfg.Field == "" {
		return data, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, latchkey.Unavailable(what + ": the secret's data is not a JSON object")
	}
	v, ok := fields[cfg.Field]
	if !ok {
		return nil, latchkey.NotFound(what + " has no field " + strconv.Quote(cfg.Field))
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return []byte(s), nil
	}
	return v, nil
}

func isNull(b json.RawMessage) bool {
	return len(b) == 0 || string(b) == "null"
}

// vaultErrors renders Vault's {"errors": […]} list on one line. Vault's
// messages describe the failure, not secrets; they are capped anyway.
func vaultErrors(kv *kvResponse, status int) string {
	var parts []string
	for _, e := range kv.Errors {
		if e = strings.Join(strings.Fields(e), " "); e != "" {
			parts = append(parts, e)
		}
	}
	msg := "HTTP " + strconv.Itoa(status)
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, "; ")
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// escapePath escapes each segment of a slash-separated path.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
