// Command memo is a test guest that remembers, in its instance's memory,
// the last name it was asked to remember, so that a test can tell whether
// two callers were served by the same instance. Build it (the tests do)
// with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o memo.wasm .
package main

import (
	"strings"

	latchkey "github.com/latchkey/latchkey/guest-sdk"
)

func init() { latchkey.Handle(handle) }

func main() {}

// memory is what this instance was last asked to remember.
var memory = "nothing"

func handle(req latchkey.Request) ([]byte, error) {
	if what, ok := strings.CutPrefix(req.Name, "remember:"); ok {
		memory = what
		return []byte("remembered"), nil
	}
	if req.Name == "recall" {
		return []byte(memory), nil
	}
	return nil, latchkey.NotFound("memo knows only remember:X and recall")
}
