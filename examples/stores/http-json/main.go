// Command http-json is a Latchkey custom store, compiled to WebAssembly: it
// fetches a secret with an HTTP GET and optionally selects one field of the
// JSON document it receives.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o http-json.wasm .
//
// Its configuration (the store's "config" setting) is described in
// README.md.
package main

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	latchkey "github.com/latchkey/latchkey/guest-sdk"
)

type config struct {
	// StoreURL is where secrets live. "{name}" and "{version}" are replaced
	// by the path-escaped secret name and version; without "{name}" the
	// name is appended as a path segment.
	StoreURL string `json:"store_url"`
	// SecretName is the secret fetched when the request names none.
	SecretName string `json:"secret_name"`
	// Header is sent with every request (e.g. an Authorization header).
	Header map[string]string `json:"header"`
	// Field selects a field of the JSON response, as a dot-separated path;
	// a string field is returned as is, anything else as JSON.
	Field string `json:"field"`
	// VersionParam is the query parameter carrying the version when
	// StoreURL has no "{version}" (default "version").
	VersionParam string `json:"version_param"`
}

func init() { latchkey.HandleJSON(get) }

func main() {}

func get(cfg *config, req latchkey.Request) ([]byte, error) {
	if cfg.StoreURL == "" {
		return nil, latchkey.InvalidConfig(`"store_url" is required`)
	}
	name := req.Name
	if name == "" {
		name = cfg.SecretName
	}
	if name == "" {
		return nil, latchkey.InvalidConfig(`no secret name: the request names none and "secret_name" is not set`)
	}
	u, err := secretURL(cfg, name, req.Version)
	if err != nil {
		return nil, err
	}
	resp, err := latchkey.Do(latchkey.HTTPRequest{Method: "GET", URL: u, Header: cfg.Header})
	if err != nil {
		return nil, err
	}
	switch {
	case resp.Status == 404:
		return nil, latchkey.NotFound("secret " + strconv.Quote(name) + " (HTTP 404)")
	case resp.Status == 401 || resp.Status == 403:
		return nil, latchkey.PermissionDenied("secret " + strconv.Quote(name) + ": HTTP " + strconv.Itoa(resp.Status))
	case resp.Status < 200 || resp.Status > 299:
		return nil, latchkey.Unavailable("secret " + strconv.Quote(name) + ": HTTP " + strconv.Itoa(resp.Status))
	}
	if cfg.Field == "" {
		return resp.Body, nil
	}
	return selectField(resp.Body, cfg.Field, name)
}

func secretURL(cfg *config, name, version string) (string, error) {
	u := cfg.StoreURL
	if strings.Contains(u, "{name}") {
		u = strings.ReplaceAll(u, "{name}", url.PathEscape(name))
	} else {
		u = strings.TrimSuffix(u, "/") + "/" + url.PathEscape(name)
	}
	if strings.Contains(u, "{version}") {
		u = strings.ReplaceAll(u, "{version}", url.PathEscape(version))
	} else if version != "" {
		p := cfg.VersionParam
		if p == "" {
			p = "version"
		}
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + url.QueryEscape(p) + "=" + url.QueryEscape(version)
	}
	// The host parses and checks the URL; a malformed one fails with
	// latchkey.HostError (invalid argument).
	return u, nil
}

// selectField walks a dot-separated path into a JSON document. Error
// messages name keys, never values.
func selectField(doc []byte, path, name string) ([]byte, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, latchkey.Unavailable("secret " + strconv.Quote(name) + ": the response is not JSON, so field " + strconv.Quote(path) + " cannot be selected")
	}
	for _, seg := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, latchkey.NotFound("secret " + strconv.Quote(name) + ": field " + strconv.Quote(path) + ": " + strconv.Quote(seg) + " is not inside an object")
		}
		if v, ok = m[seg]; !ok {
			return nil, latchkey.NotFound("secret " + strconv.Quote(name) + ": field " + strconv.Quote(path) + " not in the response")
		}
	}
	if s, ok := v.(string); ok {
		return []byte(s), nil
	}
	return json.Marshal(v)
}
