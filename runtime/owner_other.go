//go:build !unix

package runtime

import "os"

func checkOwner(os.FileInfo) error { return nil }
