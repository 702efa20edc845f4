//go:build unix

package csi

import (
	"net"
	"syscall"
)

// listenPrivate creates the unix socket at path with no bits for anyone
// but its owner (0600): there is no moment at which another user may
// connect.
func listenPrivate(path string) (net.Listener, error) {
	old := syscall.Umask(0o177)
	defer syscall.Umask(old)
	return net.Listen("unix", path)
}
