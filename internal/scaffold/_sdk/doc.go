// Package latchkey is the guest SDK for Latchkey custom stores: a store
// written in Go, compiled to a WebAssembly reactor module, and run by the
// Latchkey agent inside its sandbox.
//
// A module author implements one function and registers it from init:
//
//	package main
//
//	import latchkey "github.com/latchkey/latchkey/guest-sdk"
//
//	type config struct {
//		storeURL string
//	}
//
//	func parseConfig(doc latchkey.JSON) (*config, error) {
//		v, ok, _ := doc.Lookup("store_url") // the host hands over a JSON object
//		url, err := v.Unquote()
//		if !ok || err != nil {
//			return nil, latchkey.InvalidConfig(`"store_url" must be a string`)
//		}
//		return &config{storeURL: url}, nil
//	}
//
//	func init() {
//		latchkey.HandleConfig(parseConfig, func(cfg *config, req latchkey.Request) ([]byte, error) {
//			resp, err := latchkey.Get(cfg.storeURL+"/"+req.Name, nil)
//			if err != nil {
//				return nil, err // a refusal is "not allowed", a network failure "unavailable"
//			}
//			if resp.Status == 404 {
//				return nil, latchkey.NotFound("secret " + req.Name)
//			}
//			return resp.Body, nil
//		})
//	}
//
//	func main() {}
//
// and builds it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o store.wasm .
//
// The module reaches the network only through [Do] (and [Get]), which ask
// the host to make the request; the host enforces the operator's allow list
// and refuses private addresses. A refusal is an [*HostError] the handler
// can inspect, never a crash.
//
// # Notes
//
//   - The handler is called once per secret fetch, one call at a time per
//     module instance, so it needs no locking. The host may run several
//     instances of a module at once and discards an instance that crashed.
//   - The module's configuration never changes during an instance's life;
//     [HandleConfig] parses it once and reuses it. Package jsonconfig
//     decodes it into a struct with encoding/json instead.
//   - The host validates and compiles every byte of a module before its
//     first call, so a smaller module starts faster: [JSON] reads JSON
//     without reflection, and a module that avoids encoding/json, fmt and
//     net/url is about half the size of one that uses them.
//   - Go code in Wasm pays for every allocation and every loop iteration
//     (the host checks at each loop for the call's time limit), so the
//     SDK's own work per call is a handful of host calls and allocations.
//   - Nothing a handler returns in an error message may contain a secret
//     value: the host logs and prints those messages.
//
// The wire-level contract between module and host is described byte for
// byte in ABI.md, for authors using other languages.
package latchkey
