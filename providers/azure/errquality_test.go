package azure_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/logbuf"
	"github.com/latchkey/latchkey/providers/azure/azuretest"
	"github.com/latchkey/latchkey/secret"
)

func TestDeadlineDuringTokenRetriesKeepsTheLastError(t *testing.T) {
	srv := azuretest.Start(t)
	fill(srv)
	srv.SetEnv(t)
	dead := closedAddr(t)
	t.Setenv("IDENTITY_ENDPOINT", "http://"+dead+"/msi/token")
	o := miOptions(srv)
	o.IdentityMaxRetries = 20
	o.IdentityRetryDelay = 50 * time.Millisecond
	var logs logbuf.Buffer
	o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := newStore(t, o)

	c, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	_, err := st.Get(c, secret.Request{Name: "plain"})
	if te := asStoreError(t, err); !strings.Contains(te.Msg, "acquiring a token") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want a token failure that wraps the deadline", err)
	}
	for _, want := range []string{"managed identity", "deadline exceeded while retrying", "last attempt: http://" + dead + "/msi/token", "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	t.Logf("error: %v", err)
	if n := strings.Count(logs.String(), "azure: token request failed"); n < 2 {
		t.Errorf("%d token attempts logged at debug; want each retry:\n%s", n, logs.String())
	}
	noLeak(t, srv, err)
}

func TestNoSuchVaultFailsAtOnce(t *testing.T) {
	srv := azuretest.Start(t)
	o := spOptions(srv)
	o.MaxRetries, o.RetryDelay = 0, 0 // the SDK's defaults: 3 retries from 800ms
	var dials atomic.Int32
	o.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		host, _, _ := net.SplitHostPort(addr)
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	o.VaultName = "nosuchvault"
	st := newStore(t, o)
	start := time.Now()
	_, err := st.Get(ctx(t), secret.Request{Name: "plain"})
	if took := time.Since(start); took > 700*time.Millisecond {
		t.Errorf("took %s: an NXDOMAIN was retried", took)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("%d dials; want 1", n)
	}
	if asStoreError(t, err); !errors.Is(err, secret.ErrUnavailable) || !strings.Contains(err.Error(), "nosuchvault."+srv.VaultDomain) ||
		!strings.Contains(err.Error(), "does not resolve") {
		t.Fatalf("err = %v; want the vault's host name and that it does not resolve", err)
	}
}
