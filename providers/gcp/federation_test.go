package gcp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/k8stest"
	"github.com/latchkey/latchkey/providers/gcp"
	"github.com/latchkey/latchkey/providers/gcp/gcptest"
	"github.com/latchkey/latchkey/secret"
)

// TestFederation exchanges pod tokens with a loopback STS that verifies
// them against the issuer's JWKS and the provider's allowed audience, and
// reads, as the federated principal, a secret only it may read.
func TestFederation(t *testing.T) {
	is := k8stest.Start(t)
	f := gcptest.Federation{Issuer: is.URL, TokenAudience: "https://kubernetes.example/pool",
		Audience: "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/k8s/providers/cluster"}
	loader := gcptest.FederatedPrincipal(f, "system:serviceaccount:etl:loader")
	srv := gcptest.Start(t, gcptest.Options{Secrets: []gcptest.Secret{
		{Project: "proj-1", ID: "db", Versions: []gcptest.Version{{Data: []byte("pa55")}}, Readers: []string{loader}},
		{Project: "proj-1", ID: "other", Versions: []gcptest.Version{{Data: []byte("x")}}, Readers: []string{"someone@proj-1.iam.gserviceaccount.com"}},
	}})
	sts := srv.StartSTS(t, f)
	ctx := context.Background()
	st, err := gcp.NewFederated(ctx, secret.Spec{Name: "g", Type: "gcp", Settings: srv.Settings("proj-1")},
		gcp.Federation{Audience: f.Audience, TokenURL: sts.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Get(ctx, secret.Request{Name: "db"}); !errors.Is(err, gcp.ErrNoExchange) && !strings.Contains(err.Error(), gcp.ErrNoExchange.Error()) {
		t.Fatalf("Get before any exchange: %v", err)
	}
	mint := func(sa, aud string, ttl time.Duration) string {
		return is.Mint(k8stest.Token{Namespace: "etl", ServiceAccount: sa, Audience: aud, TTL: ttl})
	}
	for _, tc := range []struct{ name, token string }{
		{"wrong audience", mint("loader", "sts.amazonaws.com", time.Hour)},
		{"expired", mint("loader", f.TokenAudience, -time.Minute)},
		{"another issuer's key", k8stest.Start(t).Mint(k8stest.Token{Namespace: "etl", ServiceAccount: "loader", Audience: f.TokenAudience})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := st.Exchange(ctx, tc.token)
			if !errors.Is(err, secret.ErrPermissionDenied) || !strings.Contains(err.Error(), "invalid_grant") || strings.Contains(err.Error(), tc.token) {
				t.Fatalf("Exchange: %v; want a refusal without the token", err)
			}
		})
	}
	// Another service account's token exchanges, but its principal may
	// not read the secret.
	other, err := gcp.NewFederated(ctx, secret.Spec{Name: "g", Type: "gcp", Settings: srv.Settings("proj-1")}, gcp.Federation{Audience: f.Audience, TokenURL: sts.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Exchange(ctx, mint("other", f.TokenAudience, time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Get(ctx, secret.Request{Name: "db"}); !errors.Is(err, secret.ErrPermissionDenied) {
		t.Fatalf("another service account read the secret: %v", err)
	}
	if err := st.Exchange(ctx, mint("loader", f.TokenAudience, time.Hour)); err != nil {
		t.Fatal(err)
	}
	v, err := st.Get(ctx, secret.Request{Name: "db"})
	if err != nil || v.Value.RevealString() != "pa55" {
		t.Fatalf("Get: %v", err)
	}
	if _, err := st.Get(ctx, secret.Request{Name: "other"}); !errors.Is(err, secret.ErrPermissionDenied) {
		t.Fatalf("read a secret the principal may not: %v", err)
	}
	if !strings.Contains(st.Describe().Summary, "workload identity federation") {
		t.Errorf("Describe: %q", st.Describe().Summary)
	}
}
