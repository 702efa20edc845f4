package ssmtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/latchkey/latchkey/examples/stores/ssmtest"
	"github.com/latchkey/latchkey/internal/logbuf"
	"github.com/latchkey/latchkey/internal/wasmtest"
	_ "github.com/latchkey/latchkey/providers/wasm"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

const (
	pwV1 = "ssm-v1-Pl4nted-password"
	pwV2 = "ssm-v2-Pl4nted-password"
)

func params() map[string][]ssmtest.Param {
	return map[string][]ssmtest.Param{
		"/app/db/password": {{Value: pwV1, Labels: []string{"old"}}, {Value: pwV2}},
		"/app/plain":       {{Value: "plain-value", Type: "String"}},
	}
}

// keys are the values the host holds for the module and must never hand
// it: the secret key, the session token, and the key's ID.
var keys = []string{ssmtest.DefaultSecretAccessKey, ssmtest.DefaultSessionToken, ssmtest.DefaultAccessKeyID}

func newStore(t testing.TB, settings map[string]any, logs *logbuf.Buffer) secret.Store {
	t.Helper()
	factory, _ := secret.Lookup("wasm")
	b, _ := json.Marshal(settings)
	var s map[string]any
	json.Unmarshal(b, &s)
	spec := secret.Spec{Name: "ssm", Type: "wasm", Settings: s}
	if logs != nil {
		spec.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	st, err := factory(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// module returns the store's module, for memory scans.
func module(st secret.Store) *lkruntime.Module {
	return st.(interface{ Module() *lkruntime.Module }).Module()
}

// TestGetParameter reads parameters through the Rust module, its requests
// signed by the host: the server verified every signature by signing the
// request again with the same keys; versions and labels select; a missing
// parameter is not found; and the module's memory and the log hold no key.
func TestGetParameter(t *testing.T) {
	srv := ssmtest.Start(t, ssmtest.Options{Parameters: params()})
	srv.SetEnv(t)
	var logs logbuf.Buffer
	settings := srv.Settings(t, ssmtest.BuildModule(t))
	settings["limits"] = map[string]any{"instances": 1}
	st := newStore(t, settings, &logs)
	ctx := context.Background()
	tests := []struct {
		name, version, want string
		err                 error
	}{
		{"/app/db/password", "", pwV2, nil},
		{"app/db/password", "1", pwV1, nil},
		{"/app/db/password", "old", pwV1, nil},
		{"/app/plain", "", "plain-value", nil},
		{"/app/missing", "", "", secret.ErrNotFound},
		{"/app/db/password", "9", "", secret.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name+"@"+tc.version, func(t *testing.T) {
			v, err := st.Get(ctx, secret.Request{Name: tc.name, Version: tc.version})
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || v.Value.RevealString() != tc.want {
				t.Fatalf("got %d bytes, %v; want %q", v.Value.Len(), err, tc.want)
			}
		})
	}
	if srv.Calls.Load() != int64(len(tests)) || srv.Refused.Load() != 0 {
		t.Errorf("%d verified and %d refused requests, want %d and 0", srv.Calls.Load(), srv.Refused.Load(), len(tests))
	}
	n := module(st).ScanIdleMemory(func(mem []byte) {
		for _, k := range keys {
			if leak := wasmtest.FindLeak(mem, []byte(k)); leak != "" {
				t.Errorf("the module's memory holds an AWS credential (%s form)", leak)
			}
		}
		if !strings.Contains(string(mem), "AmazonSSM.GetParameter") {
			t.Error("the scan does not see what the module sent")
		}
	})
	if n != 1 {
		t.Fatalf("scanned %d instances", n)
	}
	for _, k := range keys {
		if leak := wasmtest.FindLeak([]byte(logs.String()), []byte(k)); leak != "" {
			t.Errorf("the log holds an AWS credential (%s form)", leak)
		}
	}
}

// TestServerChecksSignatures proves the loopback server checks what AWS
// checks, with the AWS SDK's own SSM client: the right keys read a
// parameter, a wrong secret key or session token is refused, and an
// unsigned request (the module's, without the host's signer) too.
func TestServerChecksSignatures(t *testing.T) {
	srv := ssmtest.Start(t, ssmtest.Options{Parameters: params()})
	client := func(secretKey, session string) *ssm.Client {
		return ssm.New(ssm.Options{Region: srv.Region(), BaseEndpoint: aws.String(srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider(ssmtest.DefaultAccessKeyID, secretKey, session)})
	}
	ctx := context.Background()
	out, err := client(ssmtest.DefaultSecretAccessKey, ssmtest.DefaultSessionToken).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db/password"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(out.Parameter.Value) != pwV2 || out.Parameter.Version != 2 {
		t.Fatalf("the SDK's client: %v", err)
	}
	for _, tc := range []struct{ name, key, session, want string }{
		{"wrong secret key", "wrong/secret/key/wrong/secret/key/wrong000", ssmtest.DefaultSessionToken, "InvalidSignatureException"},
		{"wrong session token", ssmtest.DefaultSecretAccessKey, "another-token", "UnrecognizedClientException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client(tc.key, tc.session).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db/password")})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %s", err, tc.want)
			}
		})
	}
	// The module without the host's signer: its request goes unsigned.
	settings := srv.Settings(t, ssmtest.BuildModule(t))
	delete(settings, "credentials")
	_, err = newStore(t, settings, nil).Get(ctx, secret.Request{Name: "/app/db/password"})
	if !errors.Is(err, secret.ErrPermissionDenied) {
		t.Fatalf("an unsigned request: %v, want permission denied", err)
	}
}

// TestSignatureEchoRedacted: a server that refuses the signature and
// quotes the canonical request, session token included (as AWS's
// InvalidSignatureException does), hands the module the answer with the
// token redacted; the module's error, its memory and the log hold no key.
func TestSignatureEchoRedacted(t *testing.T) {
	srv := ssmtest.Start(t, ssmtest.Options{Parameters: params(), RejectAll: true, EchoCanonical: true})
	srv.SetEnv(t)
	var logs logbuf.Buffer
	settings := srv.Settings(t, ssmtest.BuildModule(t))
	settings["limits"] = map[string]any{"instances": 1}
	st := newStore(t, settings, &logs)
	_, err := st.Get(context.Background(), secret.Request{Name: "/app/db/password"})
	if !errors.Is(err, secret.ErrPermissionDenied) || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Fatalf("error %v, want InvalidSignatureException as permission denied", err)
	}
	module(st).ScanIdleMemory(func(mem []byte) {
		if !strings.Contains(string(mem), "[REDACTED:aws]") {
			t.Error("the module did not read the redacted echo: the test proves nothing")
		}
		for _, k := range keys[:2] {
			if leak := wasmtest.FindLeak(mem, []byte(k)); leak != "" {
				t.Errorf("the module's memory holds an AWS credential (%s form)", leak)
			}
		}
	})
	for _, k := range keys[:2] {
		if leak := wasmtest.FindLeak([]byte(err.Error()+logs.String()), []byte(k)); leak != "" {
			t.Errorf("the error or log holds an AWS credential (%s form)", leak)
		}
	}
}

// TestRustUnitTests runs the module's own #[test]s natively.
func TestRustUnitTests(t *testing.T) { wasmtest.RustTest(t, "examples/stores/ssm-rs/main.rs") }

// TestUsedEnv: the store names the variables its signer's chain reads, so
// that `latchkey exec` drops them from the child's environment.
func TestUsedEnv(t *testing.T) {
	srv := ssmtest.Start(t, ssmtest.Options{Parameters: params()})
	srv.SetEnv(t)
	st := newStore(t, srv.Settings(t, ssmtest.BuildModule(t)), nil)
	got := strings.Join(secret.DescriptionOf(st).UsedEnv(), " ")
	for _, want := range []string{ssmtest.KeyIDEnv, ssmtest.SecretEnv, ssmtest.SessionEnv} {
		if !strings.Contains(got, want) {
			t.Errorf("UsedEnv() = %s, lacks %s", got, want)
		}
	}
}
