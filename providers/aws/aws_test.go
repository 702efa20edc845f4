package aws

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/providers/aws/awstest"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/storetest"
)

// Planted values: no error, log or test output may contain them.
const (
	plainValue = "plain-planted-value-7731"
	jsonValue  = `{"username":"svc_etl","password":"json-planted-pw-5521"}`
	jsonKeyVal = "json-planted-pw-5521"
	prevValue  = "previous-planted-value-1187"
)

var binaryValue = []byte{0xff, 0x00, 0xfe, 'b', 'i', 'n', 0x80, 0x81, 0xc3, 0x28}

// env is a started server with one user whose keys are in the
// environment of the default credential chain, the rest of the machine's
// AWS configuration isolated away.
type env struct {
	srv   *awstest.Server
	alice awstest.Credentials
}

func start(t *testing.T) *env {
	t.Helper()
	srv := awstest.Start(t)
	srv.Isolate(t)
	alice := srv.AddUser("alice")
	t.Setenv("AWS_ACCESS_KEY_ID", alice.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", alice.SecretAccessKey)
	srv.PutString("plain", plainValue)
	srv.PutString("prod/db", jsonValue)
	srv.PutBinary("blob", binaryValue)
	srv.PutString("slow", "never-served")
	srv.Slow("slow")
	return &env{srv: srv, alice: alice}
}

// build builds a store through the registered factory, as the resolver does.
func build(t *testing.T, settings map[string]any) *Store {
	t.Helper()
	st, err := buildErr(settings)
	if err != nil {
		t.Fatalf("building store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st.(*Store)
}

func buildErr(settings map[string]any) (secret.Store, error) {
	f, ok := secret.Lookup("aws")
	if !ok {
		panic("type aws not registered")
	}
	return f(context.Background(), secret.Spec{Name: "sm", Type: "aws", Settings: settings})
}

func (e *env) settings(more ...any) map[string]any {
	m := map[string]any{"region": awstest.DefaultRegion, "endpoint": e.srv.URL, "max_attempts": 2}
	for i := 0; i+1 < len(more); i += 2 {
		m[more[i].(string)] = more[i+1]
	}
	return m
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// noLeak fails t if text holds a planted value or any credential.
func noLeak(t *testing.T, text string, creds ...awstest.Credentials) {
	t.Helper()
	vals := [][]byte{[]byte(plainValue), []byte(jsonValue), []byte(jsonKeyVal), []byte(prevValue), binaryValue}
	for _, c := range creds {
		vals = append(vals, []byte(c.SecretAccessKey), []byte(c.SessionToken))
	}
	storetest.NoLeak(t, "error", text, vals...)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *storetest.Fixture {
		e := start(t)
		return &storetest.Fixture{
			Store: build(t, e.settings()),
			Plain: secret.Request{Name: "plain"}, PlainValue: []byte(plainValue),
			JSON: secret.Request{Name: "prod/db"}, JSONValue: []byte(jsonValue),
			JSONKey: "password", JSONKeyValue: jsonKeyVal,
			Binary: secret.Request{Name: "blob"}, BinaryValue: binaryValue,
			Missing:  secret.Request{Name: "prod/missing"},
			Slow:     secret.Request{Name: "slow"},
			Upstream: func() int { return len(e.srv.Calls()) },
		}
	})
}

// TestAuthMethods fetches a secret with each auth method and checks, from
// the server's record, which key signed each request.
func TestAuthMethods(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares the server and environment and returns the
		// settings and the access key that must sign GetSecretValue.
		setup func(t *testing.T, e *env) (map[string]any, string)
		// assumes is the number of AssumeRole calls expected.
		assumes int
	}{
		{"iam default chain from the environment", func(t *testing.T, e *env) (map[string]any, string) {
			return e.settings(), e.alice.AccessKeyID
		}, 0},
		{"iam default chain from the shared credentials file", func(t *testing.T, e *env) (map[string]any, string) {
			bob := e.srv.AddUser("bob")
			f := filepath.Join(t.TempDir(), "credentials")
			writeFile(t, f, "[default]\naws_access_key_id = "+bob.AccessKeyID+"\naws_secret_access_key = "+bob.SecretAccessKey+"\n")
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", f)
			t.Setenv("AWS_ACCESS_KEY_ID", "")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "")
			return e.settings(), bob.AccessKeyID
		}, 0},
		{"assume_role on the default chain", func(t *testing.T, e *env) (map[string]any, string) {
			role := e.srv.AddRole(awstest.Role{Name: "reader", ExternalID: "ext-123", TrustedUsers: []string{"alice"}})
			// alice herself may not read the secret: only the role can.
			e.srv.Deny(e.srv.UserARN("alice"), "prod/db")
			return e.settings("auth_method", "assume_role", "role_arn", role, "external_id", "ext-123",
				"session_name", "etl-run", "duration", "30m", "sts_endpoint", e.srv.URL), "ASIA"
		}, 1},
		{"access_keys from the standard variables", func(t *testing.T, e *env) (map[string]any, string) {
			return e.settings("auth_method", "access_keys"), e.alice.AccessKeyID
		}, 0},
		{"access_keys from named variables", func(t *testing.T, e *env) (map[string]any, string) {
			carol := e.srv.AddUser("carol")
			e.srv.Deny(e.srv.UserARN("alice"), "prod/db") // the standard variables hold alice
			t.Setenv("ETL_AWS_ID", carol.AccessKeyID)
			t.Setenv("ETL_AWS_SECRET", carol.SecretAccessKey)
			return e.settings("auth_method", "access_keys", "access_key_id_env", "ETL_AWS_ID",
				"secret_access_key_env", "ETL_AWS_SECRET"), carol.AccessKeyID
		}, 0},
		{"access_keys from mounted files", func(t *testing.T, e *env) (map[string]any, string) {
			dan := e.srv.AddUser("dan")
			e.srv.Deny(e.srv.UserARN("alice"), "prod/db")
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "id"), dan.AccessKeyID+"\n")
			writeFile(t, filepath.Join(dir, "secret"), dan.SecretAccessKey+"\n")
			return e.settings("auth_method", "access_keys", "access_key_id_file", filepath.Join(dir, "id"),
				"secret_access_key_file", filepath.Join(dir, "secret")), dan.AccessKeyID
		}, 0},
		{"access_keys written literally", func(t *testing.T, e *env) (map[string]any, string) {
			erin := e.srv.AddUser("erin")
			return e.settings("auth_method", "access_keys", "access_key_id", erin.AccessKeyID,
				"secret_access_key", erin.SecretAccessKey), erin.AccessKeyID
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t)
			settings, wantKey := tc.setup(t, e)
			st := build(t, settings)
			v, err := st.Get(ctx(t), secret.Request{Name: "prod/db"})
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if v.Value.RevealString() != jsonValue {
				t.Fatalf("Get returned %d bytes, not the planted value", v.Value.Len())
			}
			var assumes int
			var issued string
			for _, c := range e.srv.Calls() {
				switch c.Action {
				case "AssumeRole":
					assumes++
					issued = c.Issued
					if c.AccessKeyID != e.alice.AccessKeyID || c.ExternalID != "ext-123" ||
						c.SessionName != "etl-run" || c.DurationSeconds != 1800 {
						t.Errorf("AssumeRole call %+v: want alice's key, the external ID, session name and 1800s", c)
					}
				case "GetSecretValue":
					if !strings.HasPrefix(c.AccessKeyID, wantKey) {
						t.Errorf("GetSecretValue signed with %s, want %s…", c.AccessKeyID, wantKey)
					}
					if tc.assumes > 0 && (c.AccessKeyID != issued ||
						c.Principal != "arn:aws:sts::123456789012:assumed-role/reader/etl-run") {
						t.Errorf("GetSecretValue after AssumeRole signed with %s as %s, want the issued key %s as the role session",
							c.AccessKeyID, c.Principal, issued)
					}
				}
			}
			if assumes != tc.assumes {
				t.Errorf("%d AssumeRole calls, want %d", assumes, tc.assumes)
			}
		})
	}
}

// TestAssumeRoleCache checks that a role session's credentials are reused
// while valid and refreshed before they expire.
func TestAssumeRoleCache(t *testing.T) {
	e := start(t)
	role := e.srv.AddRole(awstest.Role{Name: "reader"})
	// Credentials usable for 1 to 2 s before the refresh window (the
	// Expiration STS sends has whole seconds).
	e.srv.SetSessionLifetime(CredentialExpiryWindow + 2*time.Second)
	st := build(t, e.settings("auth_method", "assume_role", "role_arn", role, "sts_endpoint", e.srv.URL))
	get := func() {
		t.Helper()
		if _, err := st.Get(ctx(t), secret.Request{Name: "plain"}); err != nil {
			t.Fatal(err)
		}
	}
	get()
	get()
	issued := func() (keys []string, lastGet string) {
		for _, c := range e.srv.Calls() {
			if c.Action == "AssumeRole" {
				keys = append(keys, c.Issued)
			} else {
				lastGet = c.AccessKeyID
			}
		}
		return keys, lastGet
	}
	if keys, _ := issued(); len(keys) != 1 {
		t.Fatalf("two fetches made %d AssumeRole calls, want 1 (credentials not cached)", len(keys))
	}
	time.Sleep(2100 * time.Millisecond)
	get()
	keys, last := issued()
	if len(keys) != 2 {
		t.Fatalf("%d AssumeRole calls after the first session neared expiry, want 2", len(keys))
	}
	if last != keys[1] {
		t.Fatalf("last GetSecretValue signed with %s, want the refreshed key %s", last, keys[1])
	}
}

// TestEndpointFromEnvironment checks the SDK's endpoint variables are
// honoured when the store sets no endpoint.
func TestEndpointFromEnvironment(t *testing.T) {
	tests := []struct {
		name     string
		vars     []string
		settings func(e *env) map[string]any
	}{
		{"AWS_ENDPOINT_URL_SECRETS_MANAGER", []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER"},
			func(e *env) map[string]any { return map[string]any{"region": awstest.DefaultRegion} }},
		{"AWS_ENDPOINT_URL for both services", []string{"AWS_ENDPOINT_URL"},
			func(e *env) map[string]any {
				return map[string]any{"auth_method": "assume_role", "role_arn": e.srv.AddRole(awstest.Role{Name: "r"})}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t)
			t.Setenv("AWS_REGION", awstest.DefaultRegion)
			for _, v := range tc.vars {
				t.Setenv(v, e.srv.URL)
			}
			st := build(t, tc.settings(e))
			if v, err := st.Get(ctx(t), secret.Request{Name: "plain"}); err != nil || v.Value.RevealString() != plainValue {
				t.Fatalf("Get through the environment's endpoint: %v", err)
			}
		})
	}
}

func TestNamesAndVersions(t *testing.T) {
	e := start(t)
	prevID := e.srv.PutString("rotating", prevValue)
	curID := e.srv.PutString("rotating", "current-value-2209")
	e.srv.PutString("rotating", "pending-value-4410", "AWSPENDING")
	e.srv.PutString("rotating", "blue-value-9931", "blue")
	st := build(t, e.settings())
	arn := e.srv.ARN("rotating")
	tests := []struct {
		name      string
		req       secret.Request
		want      string
		sentID    string
		sentStage string
	}{
		{"name, current", secret.Request{Name: "rotating"}, "current-value-2209", "", ""},
		{"full ARN", secret.Request{Name: arn}, "current-value-2209", "", ""},
		{"partial ARN", secret.Request{Name: arn[:len(arn)-7]}, "current-value-2209", "", ""},
		{"stage AWSPREVIOUS", secret.Request{Name: "rotating", Version: "AWSPREVIOUS"}, prevValue, "", "AWSPREVIOUS"},
		{"stage AWSCURRENT", secret.Request{Name: "rotating", Version: "AWSCURRENT"}, "current-value-2209", "", "AWSCURRENT"},
		{"stage AWSPENDING", secret.Request{Name: "rotating", Version: "AWSPENDING"}, "pending-value-4410", "", "AWSPENDING"},
		{"custom stage", secret.Request{Name: "rotating", Version: "blue"}, "blue-value-9931", "", "blue"},
		{"stage: prefix", secret.Request{Name: "rotating", Version: "stage:blue"}, "blue-value-9931", "", "blue"},
		{"UUID is a version ID", secret.Request{Name: arn, Version: prevID}, prevValue, prevID, ""},
		{"id: prefix", secret.Request{Name: "rotating", Version: "id:" + curID}, "current-value-2209", curID, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := st.Get(ctx(t), tc.req)
			if err != nil {
				t.Fatalf("Get(%+v): %v", tc.req, err)
			}
			if v.Value.RevealString() != tc.want {
				t.Errorf("Get(%+v) returned the wrong version", tc.req)
			}
			calls := e.srv.Calls()
			last := calls[len(calls)-1]
			if last.SecretID != tc.req.Name || last.VersionID != tc.sentID || last.VersionStage != tc.sentStage {
				t.Errorf("sent SecretId %q VersionId %q VersionStage %q, want %q %q %q",
					last.SecretID, last.VersionID, last.VersionStage, tc.req.Name, tc.sentID, tc.sentStage)
			}
		})
	}
}

// TestKeyThroughResolver resolves a workflow field by JSON key from a
// secret addressed by ARN, as `latchkey resolve` does.
func TestKeyThroughResolver(t *testing.T) {
	e := start(t)
	r, err := resolver.New(ctx(t), resolver.Config{Stores: map[string]resolver.StoreConfig{
		"sm": {Type: "aws", Secret: e.srv.ARN("prod/db"), Settings: e.settings()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	parse := func(s string) secret.Source {
		src, err := secret.ParseSource(s)
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	res, err := r.Resolve(ctx(t), resolver.Workflow{Name: "etl", Fields: []resolver.Field{
		{Name: "password", Source: parse("secret://sm/#password")},
		{Name: "user", Source: parse("secret://sm/prod%2Fdb#username?version=AWSCURRENT")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := res.Get("password"); v.RevealString() != jsonKeyVal {
		t.Error("password field did not resolve to the planted key value")
	}
	if v, _ := res.Get("user"); v.RevealString() != "svc_etl" {
		t.Error("user field did not resolve")
	}
}

func TestErrors(t *testing.T) {
	type check func(t *testing.T, err error)
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env) secret.Request
		want  error
		check check
	}{
		{"resource not found names secret and region", func(t *testing.T, e *env) secret.Request {
			return secret.Request{Name: "prod/nope"}
		}, secret.ErrNotFound, func(t *testing.T, err error) {
			if se := asStoreError(t, err); se.Secret != "prod/nope" || se.Kind != secret.ErrNotFound {
				t.Fatalf("want a not-found StoreError for prod/nope, got %#v", se)
			}
			mustContain(t, err, "prod/nope", "us-east-1", "can't find")
		}},
		{"missing stage is not found", func(t *testing.T, e *env) secret.Request {
			return secret.Request{Name: "plain", Version: "AWSPREVIOUS"}
		}, secret.ErrNotFound, func(t *testing.T, err error) {
			mustContain(t, err, "stage AWSPREVIOUS", "plain")
		}},
		{"access denied names the principal", func(t *testing.T, e *env) secret.Request {
			e.srv.Deny(e.srv.UserARN("alice"), "plain")
			return secret.Request{Name: "plain"}
		}, secret.ErrPermissionDenied, func(t *testing.T, err error) {
			if se := asStoreError(t, err); se.Principal != "arn:aws:iam::123456789012:user/alice" || se.Kind != secret.ErrPermissionDenied {
				t.Fatalf("want a StoreError naming alice, got %#v", se)
			}
			mustContain(t, err, "access denied to arn:aws:iam::123456789012:user/alice (AccessDeniedException)")
		}},
		{"decryption failure", func(t *testing.T, e *env) secret.Request {
			e.srv.FailNext("plain", 1, awstest.DecryptionFailure)
			return secret.Request{Name: "plain"}
		}, secret.ErrPermissionDenied, func(t *testing.T, err error) {
			asStoreError(t, err)
			mustContain(t, err, `secret "plain" in region us-east-1 cannot be decrypted`, "kms:Decrypt")
		}},
		{"throttled after retries", func(t *testing.T, e *env) secret.Request {
			e.srv.FailNext("plain", 5, awstest.ThrottlingException)
			return secret.Request{Name: "plain"}
		}, secret.ErrUnavailable, func(t *testing.T, err error) {
			asStoreError(t, err)
			mustContain(t, err, "Secrets Manager throttled the request (ThrottlingException) after 2 attempt(s)")
		}},
		{"5xx after retries", func(t *testing.T, e *env) secret.Request {
			e.srv.FailNext("plain", 5, awstest.InternalServiceError)
			return secret.Request{Name: "plain"}
		}, secret.ErrUnavailable, func(t *testing.T, err error) {
			if se := asStoreError(t, err); se.Err == nil {
				t.Fatalf("want a StoreError wrapping the SDK's error, got %#v", se)
			}
			mustContain(t, err, "AWS unavailable")
		}},
		{"marked for deletion", func(t *testing.T, e *env) secret.Request {
			e.srv.FailNext("plain", 1, awstest.MarkedForDeletion)
			return secret.Request{Name: "plain"}
		}, secret.ErrInvalidConfig, func(t *testing.T, err error) {
			asStoreError(t, err)
			mustContain(t, err, "invalid request (InvalidRequestException)")
		}},
		{"ARN of another region", func(t *testing.T, e *env) secret.Request {
			return secret.Request{Name: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:plain-AbCdEf"}
		}, secret.ErrInvalidConfig, func(t *testing.T, err error) {
			if se := asStoreError(t, err); se.Kind != secret.ErrInvalidConfig {
				t.Fatalf("want an invalid-config StoreError, got %#v", se)
			}
			mustContain(t, err, "eu-west-1", "us-east-1")
		}},
		{"invalid ARN", func(t *testing.T, e *env) secret.Request {
			return secret.Request{Name: "arn:aws:s3:::bucket/key"}
		}, secret.ErrInvalidConfig, func(t *testing.T, err error) {
			mustContain(t, err, "not a Secrets Manager secret ARN")
		}},
		{"invalid name", func(t *testing.T, e *env) secret.Request {
			return secret.Request{Name: "has space"}
		}, secret.ErrInvalidConfig, nil},
		{"invalid version ID", func(t *testing.T, e *env) secret.Request {
			return secret.Request{Name: "plain", Version: "id:short"}
		}, secret.ErrInvalidConfig, nil},
		{"wrong secret key", func(t *testing.T, e *env) secret.Request {
			t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-key-the-server-issued")
			return secret.Request{Name: "plain"}
		}, secret.ErrPermissionDenied, func(t *testing.T, err error) {
			asStoreError(t, err)
			mustContain(t, err, "(InvalidSignatureException)")
		}},
		{"unknown access key", func(t *testing.T, e *env) secret.Request {
			t.Setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWN000000000")
			return secret.Request{Name: "plain"}
		}, secret.ErrPermissionDenied, func(t *testing.T, err error) {
			asStoreError(t, err)
			mustContain(t, err, "(UnrecognizedClientException)")
		}},
		{"no credentials at all", func(t *testing.T, e *env) secret.Request {
			t.Setenv("AWS_ACCESS_KEY_ID", "")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "")
			return secret.Request{Name: "plain"}
		}, secret.ErrPermissionDenied, func(t *testing.T, err error) {
			if se := asStoreError(t, err); se.Err == nil {
				t.Fatalf("want a StoreError wrapping the chain's error, got %#v", se)
			}
			mustContain(t, err, `aws store "sm": no credentials (auth_method `)
			// The SDK names only the last source it tried; ours says
			// every source and what to set.
			for _, want := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "instance metadata", "auth_method: access_keys"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error does not name %s:\n%v", want, err)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t)
			req := tc.setup(t, e)
			st := build(t, e.settings())
			start := time.Now()
			_, err := st.Get(ctx(t), req)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Get(%+v): want an error wrapping %v, got %v", req, tc.want, err)
			}
			if !strings.Contains(err.Error(), `"sm"`) {
				t.Errorf("error does not name the store: %v", err)
			}
			if tc.check != nil {
				tc.check(t, err)
			}
			noLeak(t, err.Error(), e.alice)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestRetrySucceeds(t *testing.T) {
	e := start(t)
	e.srv.FailNext("plain", 1, awstest.InternalServiceError)
	st := build(t, e.settings("max_attempts", 3))
	v, err := st.Get(ctx(t), secret.Request{Name: "plain"})
	if err != nil || v.Value.RevealString() != plainValue {
		t.Fatalf("Get after one 500: %v", err)
	}
	var statuses []int
	for _, c := range e.srv.Calls() {
		statuses = append(statuses, c.Status)
	}
	if len(statuses) != 2 || statuses[0] != 500 || statuses[1] != 200 {
		t.Fatalf("answers %v, want [500 200]", statuses)
	}
}

func TestAssumeRoleErrors(t *testing.T) {
	tests := []struct {
		name      string
		settings  func(t *testing.T, e *env, role string) map[string]any
		code      string
		principal string
	}{
		{"wrong external ID", func(t *testing.T, e *env, role string) map[string]any {
			return e.settings("auth_method", "assume_role", "role_arn", role, "external_id", "wrong-ext", "sts_endpoint", e.srv.URL)
		}, "AccessDenied", "arn:aws:iam::123456789012:user/alice"},
		{"role that does not trust the user", func(t *testing.T, e *env, role string) map[string]any {
			return e.settings("auth_method", "assume_role", "role_arn", "arn:aws:iam::123456789012:role/other", "sts_endpoint", e.srv.URL)
		}, "AccessDenied", "arn:aws:iam::123456789012:user/alice"},
		{"base key unknown to STS", func(t *testing.T, e *env, role string) map[string]any {
			t.Setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWN000000000")
			return e.settings("auth_method", "assume_role", "role_arn", role, "external_id", "ext-1", "sts_endpoint", e.srv.URL)
		}, "InvalidClientTokenId", ""},
		{"base key signature wrong", func(t *testing.T, e *env, role string) map[string]any {
			t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
			return e.settings("auth_method", "assume_role", "role_arn", role, "external_id", "ext-1", "sts_endpoint", e.srv.URL)
		}, "SignatureDoesNotMatch", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t)
			e.srv.AddRole(awstest.Role{Name: "other", TrustedUsers: []string{"nobody"}})
			role := e.srv.AddRole(awstest.Role{Name: "reader", ExternalID: "ext-1"})
			settings := tc.settings(t, e, role)
			st := build(t, settings)
			_, err := st.Get(ctx(t), secret.Request{Name: "plain"})
			se := asStoreError(t, err)
			if !errors.Is(err, secret.ErrPermissionDenied) || se.Principal != tc.principal {
				t.Errorf("got %v principal %q, want permission denied to %q", err, se.Principal, tc.principal)
			}
			mustContain(t, err, "STS refused assuming role "+settings["role_arn"].(string), "("+tc.code+")")
			noLeak(t, err.Error(), e.alice)
			for _, c := range e.srv.Calls() {
				if c.Service == "secretsmanager" {
					t.Errorf("Secrets Manager was called although the role could not be assumed: %+v", c)
				}
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	srv := awstest.Start(t)
	srv.Isolate(t)
	dir := t.TempDir()
	tests := []struct {
		name     string
		settings map[string]any
		keys     []string // the settings the errors must name
	}{
		{"unknown setting", map[string]any{"regoin": "eu-west-1"}, []string{"regoin"}},
		{"wrong type", map[string]any{"region": "eu-west-1", "max_attempts": "three"}, []string{"max_attempts"}},
		{"no region anywhere", map[string]any{}, []string{"region"}},
		{"bad region", map[string]any{"region": "Europe"}, []string{"region"}},
		{"unknown auth method", map[string]any{"region": "eu-west-1", "auth_method": "password"}, []string{"auth_method"}},
		{"assume_role without role", map[string]any{"region": "eu-west-1", "auth_method": "assume_role"}, []string{"role_arn"}},
		{"every assume_role problem at once", map[string]any{"region": "eu-west-1", "auth_method": "assume_role",
			"role_arn": "arn:aws:s3:::bucket", "external_id": "x", "session_name": "has space", "duration": "5m",
			"endpoint": "ftp://x", "max_attempts": 99},
			[]string{"role_arn", "external_id", "session_name", "duration", "endpoint", "max_attempts"}},
		{"duration not a duration", map[string]any{"region": "eu-west-1", "auth_method": "assume_role",
			"role_arn": "arn:aws:iam::1:role/r", "duration": "an hour"}, []string{"duration"}},
		{"role settings without assume_role", map[string]any{"region": "eu-west-1", "role_arn": "arn:aws:iam::1:role/r",
			"sts_endpoint": "http://127.0.0.1:1"}, []string{"role_arn"}},
		{"key settings without access_keys", map[string]any{"region": "eu-west-1", "access_key_id_env": "X",
			"secret_access_key": "y"}, []string{"access_key_id_env", "secret_access_key"}},
		{"two sources for one key", map[string]any{"region": "eu-west-1", "auth_method": "access_keys",
			"access_key_id_env": "X", "access_key_id_file": "/f", "secret_access_key_env": "1BAD"},
			[]string{"access_key_id_file", "secret_access_key_env"}},
		{"key variable not set", map[string]any{"region": "eu-west-1", "auth_method": "access_keys",
			"access_key_id_env": "LATCHKEY_TEST_UNSET_ID"}, []string{"access_key_id_env"}},
		{"key file missing", map[string]any{"region": "eu-west-1", "auth_method": "access_keys",
			"access_key_id_file": filepath.Join(dir, "nope"), "secret_access_key_file": filepath.Join(dir, "nope")},
			[]string{"access_key_id_file"}},
		{"endpoint with a query", map[string]any{"region": "eu-west-1", "endpoint": "https://x/?a=b"}, []string{"endpoint"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := buildErr(tc.settings)
			if !errors.Is(err, secret.ErrInvalidConfig) {
				t.Fatalf("want a configuration error, got %v", err)
			}
			got := map[string]bool{}
			collect(err, got)
			for _, k := range tc.keys {
				if !got[k] {
					t.Errorf("no *secret.ConfigError for %q in %v", k, err)
				}
			}
			if !strings.Contains(err.Error(), `"sm"`) {
				t.Errorf("error does not name the store: %v", err)
			}
		})
	}
}

// collect records the Key of every *secret.ConfigError in err's tree.
func collect(err error, keys map[string]bool) {
	if ce, ok := err.(*secret.ConfigError); ok {
		keys[ce.Key] = true
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			collect(e, keys)
		}
	case interface{ Unwrap() error }:
		if e := u.Unwrap(); e != nil {
			collect(e, keys)
		}
	}
}

func TestDescribe(t *testing.T) {
	srv := awstest.Start(t)
	srv.Isolate(t)
	user := srv.AddUser("u")
	// Key files: private, readable by every user, writable by others.
	dir := t.TempDir()
	keyFile := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, user.AccessKeyID+"\n")
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	private, readable, writable := keyFile("private", 0o600), keyFile("readable", 0o644), keyFile("writable", 0o622)
	tests := []struct {
		name     string
		settings map[string]any
		summary  []string
		warnings []string
	}{
		{"access_keys private files", map[string]any{"region": "eu-west-1", "auth_method": "access_keys",
			"access_key_id_file": private, "secret_access_key_file": private}, []string{"file " + private}, nil},
		{"access_keys exposed files", map[string]any{"region": "eu-west-1", "auth_method": "access_keys",
			"access_key_id_file": readable, "secret_access_key_file": writable}, []string{"file " + readable},
			[]string{"access_key_id_file " + readable + " has mode 0644: every user of the machine can read it",
				"secret_access_key_file " + writable + " has mode 0622: others than its owner can write it"}},
		{"iam", map[string]any{"region": "eu-west-1"}, []string{"eu-west-1", "default AWS credential chain"}, nil},
		{"assume_role", map[string]any{"region": "eu-west-1", "auth_method": "assume_role",
			"role_arn": "arn:aws:iam::123456789012:role/r", "external_id": "ext-99"},
			[]string{"role arn:aws:iam::123456789012:role/r", "session latchkey-sm", "external ID set"}, nil},
		{"access_keys env", map[string]any{"region": "eu-west-1", "auth_method": "access_keys",
			"access_key_id_env": "PATH", "secret_access_key_env": "HOME"}, []string{"$PATH", "$HOME"}, nil},
		{"access_keys literal", map[string]any{"region": "eu-west-1", "auth_method": "access_keys",
			"access_key_id": user.AccessKeyID, "secret_access_key": user.SecretAccessKey},
			[]string{"literal secret_access_key"}, []string{"access_key_id is written literally", "secret_access_key is written literally"}},
		{"plain http endpoint", map[string]any{"region": "eu-west-1", "endpoint": "http://secrets.internal"},
			[]string{"endpoint http://secrets.internal"}, []string{"plain http"}},
		{"loopback http endpoint", map[string]any{"region": "eu-west-1", "endpoint": srv.URL}, []string{srv.URL}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := build(t, tc.settings).Describe()
			for _, s := range tc.summary {
				if !strings.Contains(id.Summary, s) {
					t.Errorf("summary %q lacks %q", id.Summary, s)
				}
			}
			if len(id.Warnings) != len(tc.warnings) {
				t.Fatalf("warnings %q, want %d", id.Warnings, len(tc.warnings))
			}
			for i, w := range tc.warnings {
				if !strings.Contains(id.Warnings[i], w) {
					t.Errorf("warning %q lacks %q", id.Warnings[i], w)
				}
			}
			noLeak(t, id.Summary+strings.Join(id.Warnings, " "), user)
		})
	}
}

func TestClosed(t *testing.T) {
	e := start(t)
	st := build(t, e.settings())
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx(t), secret.Request{Name: "plain"}); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("Get after Close: %v", err)
	}
}

func mustContain(t *testing.T, err error, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error lacks %q: %v", p, err)
		}
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// asStoreError returns err's *secret.StoreError of this provider, failing
// the test when there is none.
func asStoreError(t *testing.T, err error) *secret.StoreError {
	t.Helper()
	var se *secret.StoreError
	if !errors.As(err, &se) || se.Type != "aws" {
		t.Fatalf("want an aws *secret.StoreError, got %v", err)
	}
	return se
}
