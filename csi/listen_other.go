//go:build !unix

package csi

import "net"

// listenPrivate creates the unix socket at path. Off Unix there is no
// umask: the socket's directory's ACL is what keeps other users out (the
// driver's provider directory is writable by administrators only). The
// CSI provider is built here so that the binary builds everywhere; it is
// run and tested on Linux nodes only.
func listenPrivate(path string) (net.Listener, error) {
	return net.Listen("unix", path)
}
