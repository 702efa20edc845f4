//go:build windows

package runtime

import (
	"os"

	"github.com/latchkey/latchkey/internal/fileperm"
)

// checkOwner refuses a cache directory whose owner is not latchkey's own
// account, SYSTEM or Administrators: the owner may rewrite its ACL. st
// comes from fileperm.Stat, which read the owner.
func checkOwner(st os.FileInfo) error { return fileperm.CheckOwner(st) }
