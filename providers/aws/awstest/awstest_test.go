package awstest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const planted = "awstest-planted-value-6617"

// signedRequest builds a GetSecretValue request for "db" signed with c,
// letting mutate change the request before (pre) and after (post) signing.
func signedRequest(t *testing.T, srv *Server, c Credentials, region, service string, when time.Time,
	pre, post func(*http.Request, *[]byte)) *http.Request {
	t.Helper()
	body := []byte(`{"SecretId":"db"}`)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", jsonContentType)
	req.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
	if pre != nil {
		pre(req, &body)
	}
	req.ContentLength = int64(len(body))
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, region, when); err != nil {
		t.Fatal(err)
	}
	if post != nil {
		post(req, &body)
	}
	req.ContentLength = int64(len(body))
	req.Body = io.NopCloser(bytes.NewReader(body))
	return req
}

func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("response is not JSON: %v", err)
	}
	return resp.StatusCode, out
}

// TestSignatureChecks proves the server refuses what AWS refuses: each case
// is a request that differs from a valid one in one way.
func TestSignatureChecks(t *testing.T) {
	srv := Start(t)
	alice := srv.AddUser("alice")
	srv.PutString("db", planted)
	now := time.Now()
	tests := []struct {
		name      string
		creds     Credentials
		region    string
		service   string
		when      time.Time
		pre, post func(*http.Request, *[]byte)
		status    int
		code      string
		msg       string
	}{
		{name: "valid", status: 200},
		{name: "wrong secret key", creds: Credentials{AccessKeyID: alice.AccessKeyID, SecretAccessKey: "guessed"},
			status: 400, code: "InvalidSignatureException", msg: "does not match"},
		{name: "unknown access key", creds: Credentials{AccessKeyID: "AKIAXXXXXXXXXXXXXXXX", SecretAccessKey: alice.SecretAccessKey},
			status: 400, code: "UnrecognizedClientException", msg: "security token included in the request is invalid"},
		{name: "body changed after signing", post: func(r *http.Request, b *[]byte) { *b = []byte(`{"SecretId":"dc"}`) },
			status: 400, code: "InvalidSignatureException"},
		{name: "signed header changed after signing", post: func(r *http.Request, b *[]byte) {
			r.Header.Set("Content-Type", "application/x-amz-json-1.0")
		}, status: 400, code: "UnknownOperationException"},
		{name: "target changed after signing", pre: func(r *http.Request, b *[]byte) {
			r.Header.Set("X-Amz-Target", "secretsmanager.DeleteSecret")
		}, post: func(r *http.Request, b *[]byte) { r.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue") },
			status: 400, code: "InvalidSignatureException"},
		{name: "unsigned x-amz header", post: func(r *http.Request, b *[]byte) { r.Header.Set("X-Amz-Extra", "1") },
			status: 400, code: "InvalidSignatureException", msg: "'x-amz-extra' must be a signed header"},
		{name: "no signature", post: func(r *http.Request, b *[]byte) { r.Header.Del("Authorization") },
			status: 400, code: "MissingAuthenticationTokenException"},
		{name: "signed 20 minutes ago", when: now.Add(-20 * time.Minute),
			status: 400, code: "InvalidSignatureException", msg: "Signature expired"},
		{name: "scoped to another region", region: "eu-west-1",
			status: 400, code: "InvalidSignatureException", msg: "scoped to a valid region"},
		{name: "scoped to another service", service: "sts",
			status: 400, code: "InvalidSignatureException", msg: "scoped to correct service"},
		{name: "session token on long-term key", creds: Credentials{AccessKeyID: alice.AccessKeyID,
			SecretAccessKey: alice.SecretAccessKey, SessionToken: "forged"},
			status: 400, code: "UnrecognizedClientException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, region, service, when := tc.creds, tc.region, tc.service, tc.when
			if c.AccessKeyID == "" {
				c = alice
			}
			if region == "" {
				region = srv.Region
			}
			if service == "" {
				service = "secretsmanager"
			}
			if when.IsZero() {
				when = now
			}
			status, out := do(t, signedRequest(t, srv, c, region, service, when, tc.pre, tc.post))
			if status != tc.status || (tc.code != "" && out["__type"] != tc.code) {
				t.Fatalf("got %d %v, want %d %s", status, out, tc.status, tc.code)
			}
			if msg, _ := out["Message"].(string); !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q lacks %q", msg, tc.msg)
			}
			if tc.status == 200 && out["SecretString"] != planted {
				t.Errorf("valid request did not return the secret")
			}
			if tc.status != 200 && strings.Contains(jsonString(out), planted) {
				t.Errorf("refusal holds the secret value")
			}
		})
	}
}

// TestAssumeRoleWire calls AssumeRole with the real STS client and uses the
// issued credentials, with and without their token and after expiry.
func TestAssumeRoleWire(t *testing.T) {
	srv := Start(t)
	alice := srv.AddUser("alice")
	role := srv.AddRole(Role{Name: "reader", ExternalID: "ext"})
	srv.PutString("db", planted)
	client := sts.New(sts.Options{
		Region: srv.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: alice.AccessKeyID, SecretAccessKey: alice.SecretAccessKey}, nil
		})),
	})
	out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(role), RoleSessionName: aws.String("s1"), ExternalId: aws.String("ext"), DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::123456789012:assumed-role/reader/s1" {
		t.Errorf("AssumedRoleUser.Arn = %s", got)
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 14*time.Minute || d > 16*time.Minute {
		t.Errorf("credentials expire in %v, want 15m", d)
	}
	issued := Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey), SessionToken: aws.ToString(out.Credentials.SessionToken)}

	withToken := signedRequest(t, srv, issued, srv.Region, "secretsmanager", time.Now(), nil, nil)
	if status, body := do(t, withToken); status != 200 || body["SecretString"] != planted {
		t.Fatalf("issued credentials refused: %d %v", status, body["__type"])
	}
	noToken := issued
	noToken.SessionToken = ""
	if status, body := do(t, signedRequest(t, srv, noToken, srv.Region, "secretsmanager", time.Now(), nil, nil)); status != 400 ||
		body["__type"] != "UnrecognizedClientException" {
		t.Fatalf("temporary key without its token: %d %v", status, body)
	}

	srv.SetSessionLifetime(time.Nanosecond)
	out, err = client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(role), RoleSessionName: aws.String("s2"), ExternalId: aws.String("ext"),
	})
	if err != nil {
		t.Fatal(err)
	}
	expired := Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey), SessionToken: aws.ToString(out.Credentials.SessionToken)}
	if status, body := do(t, signedRequest(t, srv, expired, srv.Region, "secretsmanager", time.Now(), nil, nil)); status != 400 ||
		body["__type"] != "ExpiredTokenException" {
		t.Fatalf("expired session: %d %v", status, body)
	}

	// Refusals come back as the STS XML error the SDK decodes.
	tests := []struct {
		name string
		in   sts.AssumeRoleInput
		code string
	}{
		{"wrong external ID", sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s0"), ExternalId: aws.String("x")}, "AccessDenied"},
		{"no such role", sts.AssumeRoleInput{RoleArn: aws.String(role + "2"), RoleSessionName: aws.String("s0"), ExternalId: aws.String("ext")}, "AccessDenied"},
		{"too long", sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s0"), ExternalId: aws.String("ext"),
			DurationSeconds: aws.Int32(7200)}, "ValidationError"},
		{"bad session name", sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("a b"), ExternalId: aws.String("ext")}, "ValidationError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.AssumeRole(context.Background(), &tc.in, func(o *sts.Options) { o.RetryMaxAttempts = 1 })
			if err == nil || !strings.Contains(err.Error(), "api error "+tc.code) {
				t.Fatalf("want %s, got %v", tc.code, err)
			}
		})
	}
}

func TestEnv(t *testing.T) {
	srv := Start(t)
	c := srv.AddUser("u")
	env := srv.Env(c)
	for k, want := range map[string]string{
		"AWS_ACCESS_KEY_ID": c.AccessKeyID, "AWS_SECRET_ACCESS_KEY": c.SecretAccessKey, "AWS_REGION": srv.Region,
		"AWS_ENDPOINT_URL": srv.URL, "AWS_EC2_METADATA_DISABLED": "true",
	} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Errorf("server is not on loopback: %s", srv.URL)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
