// Command http-json is a Latchkey custom store, compiled to WebAssembly: it
// fetches a secret with an HTTP GET and optionally selects one field of the
// JSON document it receives.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o http-json.wasm .
//
// Its configuration (the store's "config" setting) is described in
// README.md. It reads its config and responses with the guest SDK's JSON
// reader rather than encoding/json, and escapes URLs itself rather than
// with net/url: both packages would double the module's size, and the host
// validates and compiles every byte of a module before its first fetch.
package main

import (
	"strconv"
	"strings"

	latchkey "github.com/latchkey/latchkey/guest-sdk"
)

type config struct {
	// storeURL is where secrets live. "{name}" and "{version}" are replaced
	// by the path-escaped secret name and version; without "{name}" the
	// name is appended as a path segment.
	storeURL string
	// secretName is the secret fetched when the request names none.
	secretName string
	// header is sent with every request (e.g. an Authorization header).
	header map[string]string
	// field selects a field of the JSON response, as a dot-separated path;
	// a string field is returned as is, anything else as JSON.
	field []string
	// versionParam is the query parameter carrying the version when
	// storeURL has no "{version}" (default "version").
	versionParam string

	// The URL of the last secret fetched: a store is asked for the same
	// few secrets again and again, and building a URL is not free in Wasm.
	lastName, lastVersion, lastURL string
}

func init() { latchkey.HandleConfig(parseConfig, get) }

func main() {}

// parseConfig reads the store's config. Unknown keys are errors, so that a
// misspelt key does not go unnoticed. Messages name keys, never values.
func parseConfig(doc latchkey.JSON) (*config, error) {
	c := &config{versionParam: "version"}
	err := doc.Members(func(key string, v latchkey.JSON) error {
		var err error
		switch key {
		case "store_url":
			c.storeURL, err = v.Unquote()
		case "secret_name":
			c.secretName, err = v.Unquote()
		case "version_param":
			c.versionParam, err = v.Unquote()
		case "field":
			var f string
			if f, err = v.Unquote(); err == nil && f != "" {
				c.field = strings.Split(f, ".")
			}
		case "header":
			c.header = map[string]string{}
			err = v.Members(func(name string, v latchkey.JSON) error {
				s, err := v.Unquote()
				if err != nil {
					return latchkey.InvalidConfig(`"header": the value of ` + strconv.Quote(name) + " is not a string")
				}
				c.header[name] = s
				return nil
			})
		default:
			return latchkey.InvalidConfig("unknown key " + strconv.Quote(key))
		}
		if _, typed := err.(*latchkey.Error); err != nil && !typed {
			return latchkey.InvalidConfig(strconv.Quote(key) + ": want a string")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if c.storeURL == "" {
		return nil, latchkey.InvalidConfig(`"store_url" is required`)
	}
	return c, nil
}

func get(cfg *config, req latchkey.Request) ([]byte, error) {
	name := req.Name
	if name == "" {
		name = cfg.secretName
	}
	if name == "" {
		return nil, latchkey.InvalidConfig(`no secret name: the request names none and "secret_name" is not set`)
	}
	resp, err := latchkey.Do(latchkey.HTTPRequest{Method: "GET", URL: cfg.secretURL(name, req.Version), Header: cfg.header})
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
	if cfg.field == nil {
		return resp.Body, nil
	}
	return selectField(resp.Body, cfg.field, name)
}

// secretURL returns the URL of secret name at version. The host parses and
// checks it; a malformed one fails with latchkey.HostError (invalid
// argument).
func (c *config) secretURL(name, version string) string {
	if c.lastURL != "" && name == c.lastName && version == c.lastVersion {
		return c.lastURL
	}
	u := c.storeURL
	if strings.Contains(u, "{name}") {
		u = strings.ReplaceAll(u, "{name}", escape(name, false))
	} else {
		u = strings.TrimSuffix(u, "/") + "/" + escape(name, false)
	}
	if strings.Contains(u, "{version}") {
		u = strings.ReplaceAll(u, "{version}", escape(version, false))
	} else if version != "" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + escape(c.versionParam, true) + "=" + escape(version, true)
	}
	c.lastName, c.lastVersion, c.lastURL = name, version, u
	return u
}

// escape escapes s for a URL path segment, or for a query name or value,
// as net/url's PathEscape and QueryEscape do.
func escape(s string, query bool) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		keep := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0 ||
			!query && strings.IndexByte("$&+:=@", c) >= 0
		switch {
		case keep && b == nil:
			continue
		case b == nil:
			b = append(make([]byte, 0, len(s)+8), s[:i]...)
		}
		switch {
		case keep:
			b = append(b, c)
		case query && c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	if b == nil {
		return s
	}
	return string(b)
}

// selectField walks path into a JSON document. Error messages name keys,
// never values.
func selectField(doc []byte, path []string, name string) ([]byte, error) {
	field := strconv.Quote(strings.Join(path, "."))
	v, ok, err := latchkey.JSON(doc).Lookup(path...)
	switch {
	case err != nil:
		return nil, latchkey.Unavailable("secret " + strconv.Quote(name) + ": the response is not JSON, so field " + field + " cannot be selected")
	case !ok:
		return nil, latchkey.NotFound("secret " + strconv.Quote(name) + ": field " + field + " not in the response")
	}
	if s, err := v.Unquote(); err == nil {
		return []byte(s), nil
	}
	return v, nil
}
