// Command conjur is a Latchkey custom store, compiled to WebAssembly, that
// reads variables from CyberArk Conjur (Conjur Open Source, Conjur Cloud,
// Conjur Enterprise's followers) with the REST API:
//
//	GET {appliance_url}/secrets/{account}/variable/{id}[?version=N]
//	Authorization: Token token="{{latchkey.credential:conjur_token}}"
//
// The access token is a credential the agent obtains itself with a login
// exchange (POST /authn/{account}/{login}/authenticate with the host's API
// key) and writes base64-encoded into the header: the module never holds
// the API key nor the token. Conjur answers with the variable's value as
// is, which the module returns.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o conjur.wasm .
//
// Its configuration is described in README.md.
package main

import (
	"net/url"
	"strconv"
	"strings"

	latchkey "github.com/latchkey/latchkey/guest-sdk"
	"github.com/latchkey/latchkey/guest-sdk/jsonconfig"
)

type config struct {
	// ApplianceURL is Conjur's address: "https://conjur.example.com"
	// (Conjur Cloud: "https://TENANT.secretsmgr.cyberark.cloud/api").
	ApplianceURL string `json:"appliance_url"`
	// Account is the Conjur organization account ("conjur" for Cloud).
	Account string `json:"account"`
	// TokenCredential names the store's credential holding the access
	// token, base64-encoded (default "conjur_token").
	TokenCredential string `json:"token_credential"`
}

func init() { jsonconfig.Handle(get) }

func main() {}

func get(cfg *config, req latchkey.Request) ([]byte, error) {
	base := strings.TrimRight(cfg.ApplianceURL, "/")
	if base == "" || cfg.Account == "" {
		return nil, latchkey.InvalidConfig(`"appliance_url" and "account" are required`)
	}
	if cfg.TokenCredential == "" {
		cfg.TokenCredential = "conjur_token"
	}
	id := strings.Trim(req.Name, "/")
	if id == "" {
		return nil, latchkey.InvalidConfig("no variable: name one in the reference, e.g. secret://conjur/prod/db/password")
	}
	what := "variable " + strconv.Quote(id)
	u := base + "/secrets/" + url.PathEscape(cfg.Account) + "/variable/" + url.PathEscape(id)
	if req.Version != "" {
		n, err := strconv.Atoi(req.Version)
		if err != nil || n < 1 {
			return nil, latchkey.InvalidConfig(what + ": version " + strconv.Quote(req.Version) + " is not a positive whole number")
		}
		u += "?version=" + strconv.Itoa(n)
		what += " version " + strconv.Itoa(n)
	}
	resp, err := latchkey.Get(u, map[string]string{
		"Authorization": `Token token="` + latchkey.Credential(cfg.TokenCredential) + `"`,
	})
	if err != nil {
		return nil, err
	}
	switch resp.Status {
	case 200:
		return resp.Body, nil
	case 404:
		return nil, latchkey.NotFound(what + " does not exist or has no value")
	case 401:
		return nil, latchkey.PermissionDenied(what + ": Conjur refused the access token (HTTP 401)")
	case 403:
		return nil, latchkey.PermissionDenied(what + ": the host's role may not execute it (HTTP 403)")
	case 422:
		return nil, latchkey.InvalidConfig(what + ": Conjur rejected the request (HTTP 422)")
	}
	return nil, latchkey.Unavailable(what + ": HTTP " + strconv.Itoa(resp.Status))
}
