package config

import (
	"testing"

	"github.com/latchkey/latchkey/server"
)

// TestDefaultTimeoutIsTheServers: the config's default timeout and the
// server's (an embedder's Spec with no Timeout) are one documented value,
// kept in two layers that do not import each other.
func TestDefaultTimeoutIsTheServers(t *testing.T) {
	if DefaultTimeout != server.DefaultTimeout {
		t.Fatalf("config.DefaultTimeout %v, server.DefaultTimeout %v: docs/configuration.md gives one default", DefaultTimeout, server.DefaultTimeout)
	}
}
