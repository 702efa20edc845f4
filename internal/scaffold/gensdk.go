//go:build ignore

// gensdk copies the guest SDK (../../guest-sdk) into _sdk, the copy that
// package scaffold embeds and `latchkey module init` writes into new
// projects. Run it with `go generate ./internal/scaffold` after changing
// the SDK; TestEmbeddedSDKIsCurrent fails until then.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/latchkey/latchkey/internal/scaffold/sdksource"
)

func main() {
	files, err := sdksource.Files("../../guest-sdk")
	if err == nil {
		err = os.RemoveAll("_sdk")
	}
	for name, data := range files {
		if err != nil {
			break
		}
		p := filepath.Join("_sdk", filepath.FromSlash(name))
		if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
			err = os.WriteFile(p, data, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gensdk:", err)
		os.Exit(1)
	}
}
