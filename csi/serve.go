package csi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"google.golang.org/grpc"
	"sigs.k8s.io/secrets-store-csi-driver/provider/v1alpha1"
)

// Listen opens dir/latchkey.sock, mode 0600 (the driver runs as root on
// the node; no one else may ask for secrets). A stale socket file left by
// a previous run is replaced; a live one (another provider answers on it)
// or a path that is not a socket is refused.
func Listen(dir string) (net.Listener, error) {
	path := filepath.Join(dir, SocketName)
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("csi: %s exists and is not a socket; remove it or choose another --socket-dir", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			_ = c.Close()
			return nil, fmt.Errorf("csi: another process serves %s; stop it first", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("csi: removing the stale socket %s: %w", path, err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("csi: socket directory: %w", err)
	}
	l, err := listenPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("csi: listening on %s: %w", path, err)
	}
	return l, nil
}

// Serve answers the driver on l until ctx ends, then stops gracefully
// (Mounts in flight finish).
func (p *Provider) Serve(ctx context.Context, l net.Listener) error {
	srv := grpc.NewServer(grpc.MaxSendMsgSize(MaxResponseBytes + 1<<20))
	v1alpha1.RegisterCSIDriverProviderServer(srv, p)
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			srv.GracefulStop()
		case <-done:
		}
	}()
	err := srv.Serve(l)
	close(done)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}
