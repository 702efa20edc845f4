//go:build unix

package audit

import "syscall"

// noFollow makes opening a symbolic link fail (ELOOP).
const noFollow = syscall.O_NOFOLLOW
