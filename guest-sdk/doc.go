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
//		StoreURL string `json:"store_url"`
//	}
//
//	func init() {
//		latchkey.HandleJSON(func(cfg *config, req latchkey.Request) ([]byte, error) {
//			resp, err := latchkey.Get(cfg.StoreURL+"/"+req.Name, nil)
//			if err != nil {
//				return nil, latchkey.Unavailable("fetch %s: %v", req.Name, err)
//			}
//			if resp.Status == 404 {
//				return nil, latchkey.NotFound("secret %q", req.Name)
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
//     [HandleJSON] decodes it once and reuses it.
//   - Nothing a handler returns in an error message may contain a secret
//     value: the host logs and prints those messages.
//
// The wire-level contract between module and host is described byte for
// byte in ABI.md, for authors using other languages.
package latchkey
