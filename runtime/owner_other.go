//go:build !unix && !windows

package runtime

import "os"

func checkOwner(os.FileInfo) error { return nil }
