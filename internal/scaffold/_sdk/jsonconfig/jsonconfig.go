// Package jsonconfig registers a Latchkey store handler whose JSON config is
// decoded into a struct by encoding/json, with the usual struct tags:
//
//	type config struct {
//		StoreURL string `json:"store_url"`
//	}
//
//	func init() { jsonconfig.Handle(get) }
//
//	func get(cfg *config, req latchkey.Request) ([]byte, error) { … }
//
// It is a package of its own because encoding/json adds about half a
// megabyte to a module, which the host validates and compiles before the
// module's first call: a store whose config is a few strings starts
// noticeably faster with [latchkey.HandleConfig] and the reflection-free
// [latchkey.JSON].
package jsonconfig

import (
	"encoding/json"

	latchkey "github.com/latchkey/latchkey/guest-sdk"
)

// Handle registers h as the module's handler, decoding the store's JSON
// config into a C with encoding/json once, at the first call, and handing
// the same *C to every call. Unknown keys are ignored, as json.Unmarshal
// does. A config that does not decode fails every call with
// [latchkey.CodeInvalidConfig].
func Handle[C any](h func(cfg *C, req latchkey.Request) ([]byte, error)) {
	latchkey.HandleConfig(func(doc latchkey.JSON) (*C, error) {
		c := new(C)
		if err := json.Unmarshal(doc, c); err != nil {
			return nil, latchkey.InvalidConfig("the store's config does not decode: " + err.Error())
		}
		return c, nil
	}, h)
}
