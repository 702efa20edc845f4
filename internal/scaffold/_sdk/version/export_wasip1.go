//go:build wasip1

package version

import latchkey "github.com/latchkey/latchkey/guest-sdk"

// latchkeyVersion is the optional entry point (ABI 1.1) the host calls to
// learn a secret's current version.
//
//go:wasmexport latchkey_version
func latchkeyVersion() int32 {
	latchkey.ServeVersion(handler)
	return 0
}
