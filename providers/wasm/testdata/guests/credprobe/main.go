// Command credprobe is a test guest for credential placeholders: it makes
// the one request its config describes, with the request's name appended
// to the URL, and returns what it received (status, header block, body) as
// JSON, so that a test can see exactly what reached the guest.
//
// Build it with (wasmtest.Build does):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o credprobe.wasm .
package main

import (
	"encoding/json"

	latchkey "github.com/latchkey/latchkey/guest-sdk"
	"github.com/latchkey/latchkey/guest-sdk/jsonconfig"
)

type config struct {
	URL    string            `json:"url"`
	Method string            `json:"method"`
	Header map[string]string `json:"header"`
	Body   string            `json:"body"`
}

func init() { jsonconfig.Handle(get) }

func main() {}

func get(cfg *config, req latchkey.Request) ([]byte, error) {
	resp, err := latchkey.Do(latchkey.HTTPRequest{Method: cfg.Method, URL: cfg.URL + req.Name, Header: cfg.Header, Body: []byte(cfg.Body)})
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"status": resp.Status, "header": resp.Header(), "body": string(resp.Body)})
}
