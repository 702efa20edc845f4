package aws_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/k8stest"
	"github.com/latchkey/latchkey/providers/aws"
	"github.com/latchkey/latchkey/providers/aws/awstest"
	"github.com/latchkey/latchkey/secret"
)

// TestWebIdentity exchanges pod tokens with a loopback STS that verifies
// them against the issuer's JWKS, audience, expiry and the role's trusted
// subjects, as AssumeRoleWithWebIdentity does, then reads as the role.
func TestWebIdentity(t *testing.T) {
	srv := awstest.Start(t)
	srv.Isolate(t) // no credentials in the environment: only the token
	is := k8stest.Start(t)
	role := srv.AddRole(awstest.Role{Name: "etl", WebIdentity: &awstest.WebIdentityTrust{
		Issuer: is.URL, Audience: "sts.amazonaws.com", Subjects: []string{"system:serviceaccount:etl:loader"}}})
	srv.PutString("db", "pa55")
	ctx := context.Background()
	st, err := aws.NewWebIdentity(ctx, secret.Spec{Name: "aws", Type: "aws",
		Settings: map[string]any{"region": "us-east-1", "endpoint": srv.URL}},
		aws.WebIdentity{RoleARN: role, SessionName: "latchkey-etl/loader", STSEndpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Get(ctx, secret.Request{Name: "db"}); !errors.Is(err, aws.ErrNoExchange) {
		t.Fatalf("Get before any exchange: %v, want ErrNoExchange", err)
	}
	mint := func(ns, sa, aud string, ttl time.Duration) string {
		return is.Mint(k8stest.Token{Namespace: ns, ServiceAccount: sa, Audience: aud, TTL: ttl})
	}
	refused := []struct{ name, token, code string }{
		{"wrong audience", mint("etl", "loader", "vault", time.Hour), "InvalidIdentityToken"},
		{"expired", mint("etl", "loader", "sts.amazonaws.com", -time.Minute), "ExpiredTokenException"},
		{"another service account", mint("etl", "other", "sts.amazonaws.com", time.Hour), "AccessDenied"},
		{"another issuer's key", k8stest.Start(t).Mint(k8stest.Token{Namespace: "etl", ServiceAccount: "loader", Audience: "sts.amazonaws.com"}), "InvalidIdentityToken"},
		{"not a token", "not-a-jwt", "InvalidIdentityToken"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			err := st.Exchange(ctx, tc.token)
			if !errors.Is(err, secret.ErrPermissionDenied) || !strings.Contains(err.Error(), tc.code) {
				t.Fatalf("Exchange: %v; want a refusal saying %s", err, tc.code)
			}
			if strings.Contains(err.Error(), tc.token) {
				t.Errorf("the error holds the token")
			}
		})
	}
	if _, err := st.Get(ctx, secret.Request{Name: "db"}); !errors.Is(err, aws.ErrNoExchange) {
		t.Fatalf("Get after refused exchanges: %v, want ErrNoExchange", err)
	}
	if err := st.Exchange(ctx, mint("etl", "loader", "sts.amazonaws.com", time.Hour)); err != nil {
		t.Fatal(err)
	}
	v, err := st.Get(ctx, secret.Request{Name: "db"})
	if err != nil || v.Value.RevealString() != "pa55" {
		t.Fatalf("Get: %v", err)
	}
	calls := srv.Calls()
	last := calls[len(calls)-1]
	if last.Action != "GetSecretValue" || !strings.Contains(last.Principal, "assumed-role/etl/latchkey-etl-loader") {
		t.Errorf("read as %q (%s), want the assumed role with a cleaned session name", last.Principal, last.Action)
	}
	if !strings.Contains(st.Describe().Summary, "AssumeRoleWithWebIdentity") {
		t.Errorf("Describe: %q", st.Describe().Summary)
	}
	// A refused exchange keeps the credentials a previous one gave.
	if err := st.Exchange(ctx, "not-a-jwt"); err == nil {
		t.Fatal("refused token accepted")
	}
	if _, err := st.Get(ctx, secret.Request{Name: "db"}); err != nil {
		t.Fatalf("Get after a refused exchange: %v", err)
	}
}

func TestWebIdentityConfig(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		settings map[string]any
		wi       aws.WebIdentity
		key      string
	}{
		{"auth method", map[string]any{"region": "us-east-1", "auth_method": "access_keys"}, aws.WebIdentity{RoleARN: "arn:aws:iam::1:role/r"}, "auth_method"},
		{"no role", map[string]any{"region": "us-east-1"}, aws.WebIdentity{}, "role_arn"},
		{"bad sts endpoint", map[string]any{"region": "us-east-1"}, aws.WebIdentity{RoleARN: "arn:aws:iam::1:role/r", STSEndpoint: "ftp://x"}, "sts_endpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := aws.NewWebIdentity(ctx, secret.Spec{Name: "s", Type: "aws", Settings: tc.settings}, tc.wi)
			var ce *secret.ConfigError
			if !errors.As(err, &ce) || ce.Key != tc.key {
				t.Fatalf("err %v, want a ConfigError for %s", err, tc.key)
			}
		})
	}
}
