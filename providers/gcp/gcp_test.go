package gcp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc/codes"

	"github.com/latchkey/latchkey/providers/gcp"
	"github.com/latchkey/latchkey/providers/gcp/gcptest"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/storetest"
)

const project = "demo-project"

// Planted values: no error or log may contain them.
var (
	plainV1  = []byte("plain-planted-value-one")
	plainV2  = []byte("plain-planted-value-two")
	doc      = []byte(`{"username":"admin","password":"json-planted-pw"}`)
	binValue = []byte{0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 'b', 'i', 'n', 0x00, 0x9f}
	planted  = [][]byte{plainV1, plainV2, doc, []byte("json-planted-pw"), binValue,
		[]byte("corrupt-planted-value"), []byte("nosum-planted-value"), []byte("disabled-planted-value"),
		[]byte("regional-planted-value"), []byte("restricted-planted-value")}
)

// TestMain keeps the client library from looking for credentials anywhere
// but where a test puts them: no gcloud login from the real home directory,
// and metadata server look-ups sent to a loopback port where nothing listens
// instead of 169.254.169.254.
func TestMain(m *testing.M) {
	home, err := os.MkdirTemp("", "gcp-test-home")
	if err != nil {
		panic(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	unused := l.Addr().String()
	l.Close()
	for k, v := range map[string]string{
		"HOME": home, "CLOUDSDK_CONFIG": home, "GCE_METADATA_HOST": unused,
		"GOOGLE_APPLICATION_CREDENTIALS": "", "GOOGLE_CLOUD_PROJECT": "", "GOOGLE_CLOUD_QUOTA_PROJECT": "",
	} {
		if v == "" {
			os.Unsetenv(k)
		} else {
			os.Setenv(k, v)
		}
	}
	code := m.Run()
	os.RemoveAll(home)
	os.Exit(code)
}

// seed is the secrets every test server holds.
func seed() []gcptest.Secret {
	enabled := func(b []byte) gcptest.Version { return gcptest.Version{Data: b} }
	return []gcptest.Secret{
		{Project: project, ID: "plain", Versions: []gcptest.Version{enabled(plainV1), enabled(plainV2)},
			Aliases: map[string]int64{"prod": 1}},
		{Project: project, ID: "doc", Versions: []gcptest.Version{enabled(doc)}},
		{Project: project, ID: "bin", Versions: []gcptest.Version{enabled(binValue)}},
		{Project: project, ID: "slow", Versions: []gcptest.Version{enabled([]byte("slow-planted"))}, Slow: true},
		{Project: project, ID: "corrupt", Versions: []gcptest.Version{{Data: []byte("corrupt-planted-value"), Checksum: gcptest.ChecksumCorrupt}}},
		{Project: project, ID: "nosum", Versions: []gcptest.Version{{Data: []byte("nosum-planted-value"), Checksum: gcptest.ChecksumMissing}}},
		{Project: project, ID: "disabled", Versions: []gcptest.Version{
			enabled([]byte("disabled-planted-value")),
			{Data: []byte("disabled-planted-value"), State: secretmanagerpb.SecretVersion_DISABLED},
			{State: secretmanagerpb.SecretVersion_DESTROYED},
		}},
		{Project: project, ID: "empty"},
		{Project: project, Location: "europe-west1", ID: "regional", Versions: []gcptest.Version{enabled([]byte("regional-planted-value"))}},
		{Project: project, ID: "restricted", Versions: []gcptest.Version{enabled([]byte("restricted-planted-value"))},
			Readers: []string{"someone-else@demo-project.iam.gserviceaccount.com"}},
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// build makes a store of type "gcp" from settings through the registry, as
// the agent config does.
func build(t *testing.T, settings map[string]any) secret.Store {
	t.Helper()
	f, ok := secret.Lookup("gcp")
	if !ok {
		t.Fatal(`store type "gcp" is not registered`)
	}
	st, err := f(ctx(t), secret.Spec{Name: "gcp", Type: "gcp", Settings: settings})
	if err != nil {
		t.Fatalf("building the store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// fastRetries makes retries quick for tests.
func fastRetries(m map[string]any) map[string]any {
	m["max_attempts"] = 3
	m["initial_backoff"] = "1ms"
	m["max_backoff"] = "5ms"
	return m
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *storetest.Fixture {
		srv := gcptest.Start(t, gcptest.Options{Secrets: seed()})
		return &storetest.Fixture{
			Store: build(t, fastRetries(srv.Settings(project))),
			Plain: secret.Request{Name: "plain"}, PlainValue: plainV2,
			JSON: secret.Request{Name: "projects/" + project + "/secrets/doc"}, JSONValue: doc,
			JSONKey: "password", JSONKeyValue: "json-planted-pw",
			Binary: secret.Request{Name: "bin"}, BinaryValue: binValue,
			Missing:  secret.Request{Name: "projects/" + project + "/secrets/missing"},
			Slow:     secret.Request{Name: "slow"},
			Upstream: func() int { return srv.Count("AccessSecretVersion") + srv.Count("GetSecretVersion") },
		}
	})
}

func noLeak(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		storetest.NoLeak(t, "error", err.Error(), planted...)
	}
}

func TestNameForms(t *testing.T) {
	srv := gcptest.Start(t, gcptest.Options{Secrets: seed()})
	st := build(t, srv.Settings(project))
	number := srv.ProjectNumber(project)
	tests := []struct {
		name string
		req  secret.Request
		want []byte
		sent string // the name the server received
	}{
		{"short", secret.Request{Name: "plain"}, plainV2, "projects/demo-project/secrets/plain/versions/latest"},
		{"short with version", secret.Request{Name: "plain", Version: "1"}, plainV1, "projects/demo-project/secrets/plain/versions/1"},
		{"short with alias", secret.Request{Name: "plain", Version: "prod"}, plainV1, "projects/demo-project/secrets/plain/versions/prod"},
		{"short with latest", secret.Request{Name: "plain", Version: "latest"}, plainV2, "projects/demo-project/secrets/plain/versions/latest"},
		{"secret name", secret.Request{Name: "projects/demo-project/secrets/plain"}, plainV2, "projects/demo-project/secrets/plain/versions/latest"},
		{"secret name with version", secret.Request{Name: "projects/demo-project/secrets/plain", Version: "1"}, plainV1, "projects/demo-project/secrets/plain/versions/1"},
		{"version name", secret.Request{Name: "projects/demo-project/secrets/plain/versions/1"}, plainV1, "projects/demo-project/secrets/plain/versions/1"},
		{"version in name and request", secret.Request{Name: "projects/demo-project/secrets/plain/versions/2", Version: "2"}, plainV2, "projects/demo-project/secrets/plain/versions/2"},
		{"project number", secret.Request{Name: "projects/" + number + "/secrets/plain/versions/2"}, plainV2, "projects/" + number + "/secrets/plain/versions/2"},
		{"regional", secret.Request{Name: "projects/demo-project/locations/europe-west1/secrets/regional"}, []byte("regional-planted-value"),
			"projects/demo-project/locations/europe-west1/secrets/regional/versions/latest"},
		{"regional version", secret.Request{Name: "projects/demo-project/locations/europe-west1/secrets/regional/versions/1"}, []byte("regional-planted-value"),
			"projects/demo-project/locations/europe-west1/secrets/regional/versions/1"},
		{"older version of a disabled latest", secret.Request{Name: "disabled", Version: "1"}, []byte("disabled-planted-value"),
			"projects/demo-project/secrets/disabled/versions/1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(srv.Requests())
			v, err := st.Get(ctx(t), tc.req)
			if err != nil {
				t.Fatalf("Get(%+v): %v", tc.req, err)
			}
			if !bytes.Equal(v.Value.Reveal(), tc.want) {
				t.Errorf("Get(%+v) returned %d bytes, not the planted %d", tc.req, v.Value.Len(), len(tc.want))
			}
			reqs := srv.Requests()
			if len(reqs) != before+1 || reqs[len(reqs)-1] != tc.sent {
				t.Errorf("server received %q, want one call for %q", reqs[before:], tc.sent)
			}
		})
	}
}

func TestRegionalStore(t *testing.T) {
	srv := gcptest.Start(t, gcptest.Options{Secrets: seed()})
	settings := srv.Settings(project)
	settings["location"] = "europe-west1"
	st := build(t, settings)
	v, err := st.Get(ctx(t), secret.Request{Name: "regional"})
	if err != nil || v.Value.RevealString() != "regional-planted-value" {
		t.Fatalf("short name in a regional store: %v", err)
	}
	if got := srv.Requests(); got[0] != "projects/demo-project/locations/europe-west1/secrets/regional/versions/latest" {
		t.Errorf("server received %q", got[0])
	}
	// The same secret ID exists globally, but not in the region.
	_, err = st.Get(ctx(t), secret.Request{Name: "plain"})
	if se := asStoreError(t, err); se.Kind != secret.ErrNotFound || !strings.Contains(err.Error(), `location "europe-west1"`) {
		t.Fatalf("want a not-found StoreError naming the location, got %v", err)
	}
}

// TestGoogleEndpointLocations checks that, against Google's own endpoints,
// which serve one location each, a name for another location is refused
// before any call (the client is built but never used: no network).
func TestGoogleEndpointLocations(t *testing.T) {
	tests := []struct {
		name     string
		location string
		req      string
		msg      string
	}{
		{"regional name, global store", "", "projects/demo-project/locations/us-east1/secrets/db", "location: us-east1"},
		{"other region", "europe-west1", "projects/demo-project/locations/us-east1/secrets/db", "through its regional endpoint"},
		{"global name, regional store", "europe-west1", "projects/demo-project/secrets/db", "read a global secret through a store without location"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := gcp.New(ctx(t), "g", gcp.Config{Location: tc.location, Auth: gcp.AuthADC, Project: project})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			_, err = st.Get(ctx(t), secret.Request{Name: tc.req})
			if !errors.Is(err, secret.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Get(%q) = %v, want ErrInvalidConfig mentioning %q", tc.req, err, tc.msg)
			}
		})
	}
}

func TestKeyLookupThroughResolver(t *testing.T) {
	srv := gcptest.Start(t, gcptest.Options{Secrets: seed()})
	r, err := resolver.New(ctx(t), resolver.Config{Stores: map[string]resolver.StoreConfig{
		"gsm": {Type: "gcp", Secret: "projects/demo-project/secrets/doc", Settings: srv.Settings(project)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	field := func(name, ref string) resolver.Field {
		f, err := resolver.ParseField(name, ref)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	res, err := r.Resolve(ctx(t), resolver.Workflow{Name: "wf", Fields: []resolver.Field{
		field("user", "secret://gsm/#username"),
		field("password", "secret://gsm/doc#password"),
		field("old", "secret://gsm/plain?version=prod"),
		field("full", "secret://gsm/projects/demo-project/secrets/plain/versions/2"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"user": "admin", "password": "json-planted-pw", "old": string(plainV1), "full": string(plainV2)} {
		if v, ok := res.Get(name); !ok || v.RevealString() != want {
			t.Errorf("field %q resolved to %d bytes, not the planted value", name, v.Len())
		}
	}
}

func TestErrors(t *testing.T) {
	srv := gcptest.Start(t, gcptest.Options{Secrets: seed()})
	st := build(t, fastRetries(srv.Settings(project)))
	tests := []struct {
		name     string
		req      secret.Request
		sentinel error
		check    func(t *testing.T, err error)
		msg      []string
		noCall   bool // refused before any call
	}{
		{"missing secret", secret.Request{Name: "nope"}, secret.ErrNotFound, func(t *testing.T, err error) {
			if e := asStoreError(t, err); e.Secret != "projects/"+project+"/secrets/nope/versions/latest" ||
				!strings.Contains(err.Error(), `secret "nope" version "latest" not found in project "`+project+`"`) {
				t.Errorf("want a StoreError for %s/nope, got %#v", project, err)
			}
		}, []string{`"nope"`, `project "demo-project"`, "NotFound"}, false},
		{"secret without versions", secret.Request{Name: "empty"}, secret.ErrNotFound, nil, []string{`"empty"`, "has no versions"}, false},
		{"missing version", secret.Request{Name: "plain", Version: "9"}, secret.ErrNotFound, nil, []string{`"plain"`, `version "9"`}, false},
		{"unknown alias", secret.Request{Name: "plain", Version: "staging"}, secret.ErrNotFound, nil, []string{`version "staging"`}, false},
		{"unknown project", secret.Request{Name: "projects/nosuch-project/secrets/plain"}, secret.ErrPermissionDenied, func(t *testing.T, err error) {
			if e := asStoreError(t, err); e.Secret != "projects/nosuch-project/secrets/plain/versions/latest" ||
				e.Principal == "" || strings.Contains(err.Error(), "did not authenticate") {
				t.Errorf("want a permission-denied StoreError naming the principal, got %#v", err)
			}
		}, []string{"secretmanager.versions.access", "roles/secretmanager.secretAccessor", "anonymous"}, false},
		{"disabled version", secret.Request{Name: "disabled", Version: "2"}, secret.ErrNotFound, func(t *testing.T, err error) {
			if e := asStoreError(t, err); e.Secret != "projects/demo-project/secrets/disabled/versions/2" || e.Err == nil {
				t.Errorf("want a StoreError wrapping the status, got %#v", err)
			}
		}, []string{"DISABLED", "disabled or destroyed"}, false},
		{"destroyed latest version", secret.Request{Name: "disabled"}, secret.ErrNotFound, func(t *testing.T, err error) {
			if e := asStoreError(t, err); e.Secret != "projects/demo-project/secrets/disabled/versions/latest" {
				t.Errorf("want a StoreError, got %#v", err)
			}
		}, []string{"DESTROYED", "versions/3"}, false},
		{"corrupt checksum", secret.Request{Name: "corrupt"}, secret.ErrUnavailable, func(t *testing.T, err error) {
			if e := asStoreError(t, err); !strings.Contains(e.Secret, "/secrets/corrupt/versions/1") || strings.Contains(err.Error(), "require_checksum") {
				t.Errorf("want a StoreError for a mismatch, got %#v", err)
			}
		}, []string{"CRC32C", "discarded"}, false},
		{"versions disagree", secret.Request{Name: "projects/demo-project/secrets/plain/versions/1", Version: "2"}, secret.ErrInvalidConfig, nil,
			[]string{"in one place"}, true},
		{"malformed name", secret.Request{Name: "projects/demo-project/secret/plain"}, secret.ErrInvalidConfig, nil, []string{"not a Secret Manager name"}, true},
		{"bad secret id", secret.Request{Name: "db password"}, secret.ErrInvalidConfig, nil, []string{"not a secret ID"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(srv.Requests())
			v, err := st.Get(ctx(t), tc.req)
			if err == nil {
				t.Fatalf("Get(%+v) returned %d bytes and no error", tc.req, v.Value.Len())
			}
			if !errors.Is(err, tc.sentinel) {
				t.Errorf("Get(%+v) = %v, want it to wrap %v", tc.req, err, tc.sentinel)
			}
			for _, m := range append(tc.msg, `gcp store "gcp"`) {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error does not mention %q: %v", m, err)
				}
			}
			if tc.check != nil {
				tc.check(t, err)
			}
			if calls := len(srv.Requests()) - before; tc.noCall && calls != 0 || !tc.noCall && calls != 1 {
				t.Errorf("the store made %d call(s)", calls)
			}
			noLeak(t, err)
		})
	}
}

func TestChecksumMissing(t *testing.T) {
	srv := gcptest.Start(t, gcptest.Options{Secrets: seed()})
	v, err := build(t, srv.Settings(project)).Get(ctx(t), secret.Request{Name: "nosum"})
	if err != nil || v.Value.RevealString() != "nosum-planted-value" {
		t.Fatalf("a payload without checksum is accepted by default: %v", err)
	}
	settings := srv.Settings(project)
	settings["require_checksum"] = true
	_, err = build(t, settings).Get(ctx(t), secret.Request{Name: "nosum"})
	if asStoreError(t, err); !strings.Contains(err.Error(), "sent no data_crc32c") || !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("with require_checksum, want a StoreError saying the checksum is missing, got %v", err)
	}
	noLeak(t, err)
	// A payload that has its checksum passes either way.
	if _, err := build(t, settings).Get(ctx(t), secret.Request{Name: "plain"}); err != nil {
		t.Fatal(err)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name     string
		code     codes.Code
		failures int
		wantErr  bool
		calls    int
	}{
		{"unavailable then success", codes.Unavailable, 2, false, 3},
		{"resource exhausted then success", codes.ResourceExhausted, 1, false, 2},
		{"unavailable throughout", codes.Unavailable, 5, true, 3},
		{"internal is not retried", codes.Internal, 1, true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := gcptest.Start(t, gcptest.Options{Secrets: seed()})
			st := build(t, fastRetries(srv.Settings(project)))
			srv.FailNext(tc.code, tc.failures)
			v, err := st.Get(ctx(t), secret.Request{Name: "plain"})
			if got := len(srv.Requests()); got != tc.calls {
				t.Errorf("made %d calls, want %d", got, tc.calls)
			}
			if !tc.wantErr {
				if err != nil || !bytes.Equal(v.Value.Reveal(), plainV2) {
					t.Fatalf("want the value after retries, got %v", err)
				}
				return
			}
			if asStoreError(t, err); !strings.Contains(err.Error(), fmt.Sprintf("failed after %d attempt(s)", tc.calls)) || !errors.Is(err, secret.ErrUnavailable) {
				t.Fatalf("want an unavailable StoreError after %d attempts, got %v", tc.calls, err)
			}
			if !strings.Contains(err.Error(), srv.Addr) || !strings.Contains(err.Error(), tc.code.String()) {
				t.Errorf("error does not name the endpoint and code: %v", err)
			}
		})
	}
}

func TestAttemptTimeout(t *testing.T) {
	srv := gcptest.Start(t, gcptest.Options{Secrets: seed()})
	settings := fastRetries(srv.Settings(project))
	settings["max_attempts"] = 2
	settings["attempt_timeout"] = "50ms"
	start := time.Now()
	_, err := build(t, settings).Get(ctx(t), secret.Request{Name: "slow"})
	if asStoreError(t, err); !strings.Contains(err.Error(), "failed after 2 attempt(s)") || !strings.Contains(err.Error(), "DeadlineExceeded") {
		t.Fatalf("want an unavailable StoreError after 2 timed-out attempts, got %v", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Error("an attempt's timeout is not the caller's deadline")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
}

func TestCallerDeadlineDuringBackoff(t *testing.T) {
	srv := gcptest.Start(t, gcptest.Options{Secrets: seed()})
	settings := srv.Settings(project)
	settings["initial_backoff"] = "10s"
	st := build(t, settings)
	srv.FailNext(codes.Unavailable, 1)
	c, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := st.Get(c, secret.Request{Name: "plain"})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("want the caller's deadline to end the backoff, got %v after %v", err, time.Since(start))
	}
}

func TestServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	st := build(t, fastRetries(map[string]any{"endpoint": addr, "insecure": true, "project": project}))
	_, err = st.Get(ctx(t), secret.Request{Name: "plain"})
	if asStoreError(t, err); !strings.Contains(err.Error(), "failed after 3 attempt(s)") || !strings.Contains(err.Error(), "Unavailable") {
		t.Fatalf("want an unavailable StoreError after 3 attempts, got %v", err)
	}
}

// TestTLSUnlessInsecure checks that without insecure the store speaks TLS,
// even to a loopback endpoint: the plaintext test server cannot answer it.
func TestTLSUnlessInsecure(t *testing.T) {
	sa := gcptest.NewServiceAccount(t, "reader@demo-project.iam.gserviceaccount.com", project)
	srv := gcptest.Start(t, gcptest.Options{Secrets: seed()})
	st := build(t, fastRetries(map[string]any{"endpoint": srv.Addr, "auth_method": "service_account_key", "credentials_file": sa.KeyFile}))
	_, err := st.Get(ctx(t), secret.Request{Name: "plain"})
	if !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("want a TLS failure reported as unavailable, got %v", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("the server answered %d plaintext call(s)", n)
	}
}

func TestAuth(t *testing.T) {
	reader := gcptest.NewServiceAccount(t, "reader@demo-project.iam.gserviceaccount.com", project)
	stranger := gcptest.NewServiceAccount(t, "stranger@other-project.iam.gserviceaccount.com", "other-project")
	srv := gcptest.Start(t, gcptest.Options{Secrets: seed(), Accounts: []*gcptest.ServiceAccount{reader}})
	keyStore := func(sa *gcptest.ServiceAccount, project string) secret.Store {
		settings := srv.Settings(project)
		settings["auth_method"] = "service_account_key"
		settings["credentials_file"] = sa.KeyFile
		return build(t, settings)
	}

	t.Run("service account key", func(t *testing.T) {
		// No project setting: short names take the key file's project_id.
		v, err := keyStore(reader, "").Get(ctx(t), secret.Request{Name: "plain"})
		if err != nil || !bytes.Equal(v.Value.Reveal(), plainV2) {
			t.Fatalf("Get with a service account key: %v", err)
		}
	})
	t.Run("application default credentials", func(t *testing.T) {
		t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", reader.KeyFile)
		settings := srv.Settings("")
		settings["auth_method"] = "adc"
		st := build(t, settings)
		v, err := st.Get(ctx(t), secret.Request{Name: "doc"})
		if err != nil || !bytes.Equal(v.Value.Reveal(), doc) {
			t.Fatalf("Get with ADC: %v", err)
		}
		_, err = st.Get(ctx(t), secret.Request{Name: "restricted"})
		if !errors.Is(err, secret.ErrPermissionDenied) || !strings.Contains(err.Error(), reader.Email) {
			t.Fatalf("want a permission error naming the ADC account %s, got %v", reader.Email, err)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		_, err := build(t, srv.Settings(project)).Get(ctx(t), secret.Request{Name: "plain"})
		if asStoreError(t, err); !strings.Contains(err.Error(), "did not authenticate") || !errors.Is(err, secret.ErrPermissionDenied) {
			t.Fatalf("want an unauthenticated StoreError, got %v", err)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		_, err := keyStore(stranger, project).Get(ctx(t), secret.Request{Name: "plain"})
		if pe := asStoreError(t, err); !strings.Contains(err.Error(), "did not authenticate") || !strings.Contains(pe.Principal, stranger.Email) ||
			!strings.Contains(err.Error(), stranger.Email) {
			t.Fatalf("want an unauthenticated StoreError naming %s, got %v", stranger.Email, err)
		}
	})
	t.Run("not a reader", func(t *testing.T) {
		_, err := keyStore(reader, project).Get(ctx(t), secret.Request{Name: "restricted"})
		if pe := asStoreError(t, err); strings.Contains(err.Error(), "did not authenticate") || !strings.Contains(pe.Principal, reader.Email) ||
			!strings.Contains(err.Error(), reader.Email) || !errors.Is(err, secret.ErrPermissionDenied) {
			t.Fatalf("want a permission-denied StoreError naming %s, got %v", reader.Email, err)
		}
		noLeak(t, err)
	})
	t.Run("ADC not found", func(t *testing.T) {
		t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "absent.json"))
		settings := srv.Settings(project)
		settings["auth_method"] = "adc"
		before := len(srv.Requests())
		_, err := build(t, settings).Get(ctx(t), secret.Request{Name: "plain"})
		if !errors.Is(err, secret.ErrInvalidConfig) || !strings.Contains(err.Error(), "Application Default Credentials") {
			t.Fatalf("want a plain error about ADC, got %v", err)
		}
		// A configuration error, not an outage.
		if errors.Is(err, secret.ErrUnavailable) || strings.Contains(err.Error(), "attempt(s)") || !strings.Contains(err.Error(), "invalid configuration") {
			t.Errorf("no credentials reads like an outage: %v", err)
		}
		if len(srv.Requests()) != before {
			t.Error("the store called the service without credentials")
		}
	})
}

// TestFactoryDoesNoNetworkIO points the metadata server at a loopback
// listener and checks that building an ADC store leaves it untouched (no
// token or project look-up), while the first Get looks for credentials
// there. With GCE_METADATA_HOST set the library skips its "am I on GCE?"
// probe, so TestADCSearchIsDeferred checks that the search itself waits.
func TestFactoryDoesNoNetworkIO(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{}, 100)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close() })
	t.Setenv("GCE_METADATA_HOST", l.Addr().String())

	tests := []map[string]any{
		{},
		{"project": project},
		{"auth_method": "impersonate", "impersonate_service_account": "target@demo-project.iam.gserviceaccount.com"},
		{"location": "europe-west1"},
	}
	for _, settings := range tests {
		st := build(t, settings)
		if d, ok := st.(secret.Describer); !ok || !strings.Contains(d.Describe().Summary, "Application Default Credentials") {
			t.Errorf("Describe does not name ADC")
		}
	}
	select {
	case <-accepted:
		t.Fatal("building a store reached the metadata server")
	case <-time.After(50 * time.Millisecond):
	}

	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = build(t, map[string]any{}).Get(c, secret.Request{Name: "plain"})
	if err == nil {
		t.Fatal("Get without a project or a reachable metadata server succeeded")
	}
	select {
	case <-accepted:
	default:
		t.Errorf("the first Get did not look for credentials on the metadata server (error: %v)", err)
	}
}

func TestDescribe(t *testing.T) {
	sa := gcptest.NewServiceAccount(t, "reader@demo-project.iam.gserviceaccount.com", project)
	if err := os.Chmod(sa.KeyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		settings map[string]any
		summary  []string
		warnings []string
	}{
		{"adc", map[string]any{"project": project}, []string{"secretmanager.googleapis.com:443", "project demo-project", "Application Default Credentials"}, nil},
		{"regional", map[string]any{"location": "us-east1"}, []string{"secretmanager.us-east1.rep.googleapis.com:443", "location us-east1"}, nil},
		{"key file", map[string]any{"auth_method": "service_account_key", "credentials_file": sa.KeyFile},
			[]string{"reader@demo-project.iam.gserviceaccount.com", sa.KeyFile}, []string{"every user of the machine can read it"}},
		{"impersonate", map[string]any{"auth_method": "impersonate", "impersonate_service_account": "target@demo-project.iam.gserviceaccount.com", "credentials_file": sa.KeyFile},
			[]string{"target@demo-project.iam.gserviceaccount.com (impersonated, using service account reader@"}, []string{"every user of the machine can read it"}},
		{"psc endpoint", map[string]any{"endpoint": "secretmanager-psc.p.googleapis.com:443"}, []string{"secretmanager-psc.p.googleapis.com:443"}, nil},
		{"insecure", map[string]any{"endpoint": "127.0.0.1:9", "insecure": true}, []string{"127.0.0.1:9", "no credentials"}, []string{"plaintext"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := build(t, tc.settings).(secret.Describer).Describe()
			for _, s := range tc.summary {
				if !strings.Contains(d.Summary, s) {
					t.Errorf("summary %q does not mention %q", d.Summary, s)
				}
			}
			all := strings.Join(d.Warnings, "\n")
			for _, w := range tc.warnings {
				if !strings.Contains(all, w) {
					t.Errorf("warnings %q do not mention %q", d.Warnings, w)
				}
			}
			if len(tc.warnings) == 0 && len(d.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", d.Warnings)
			}
			if strings.Contains(d.Summary+all, "PRIVATE KEY") {
				t.Error("Describe shows the key")
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	userCreds := filepath.Join(dir, "user.json")
	if err := os.WriteFile(userCreds, []byte(`{"type":"authorized_user","client_id":"x","client_secret":"planted-client-secret","refresh_token":"y"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	notJSON := filepath.Join(dir, "key.txt")
	if err := os.WriteFile(notJSON, []byte("planted-not-json"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		settings map[string]any
		keys     []string // every setting that must be reported
	}{
		{"unknown setting", map[string]any{"projct": "x"}, []string{"projct"}},
		{"wrong type", map[string]any{"insecure": "yes"}, []string{"insecure"}},
		{"unknown auth method", map[string]any{"auth_method": "kerberos"}, []string{"auth_method"}},
		{"key method without file", map[string]any{"auth_method": "service_account_key"}, []string{"credentials_file"}},
		{"key file missing", map[string]any{"auth_method": "service_account_key", "credentials_file": filepath.Join(dir, "absent.json")}, []string{"credentials_file"}},
		{"key file not JSON", map[string]any{"auth_method": "service_account_key", "credentials_file": notJSON}, []string{"credentials_file"}},
		{"user credentials as key", map[string]any{"auth_method": "service_account_key", "credentials_file": userCreds}, []string{"credentials_file"}},
		{"credentials file with adc", map[string]any{"credentials_file": userCreds}, []string{"credentials_file"}},
		{"impersonate without target", map[string]any{"auth_method": "impersonate"}, []string{"impersonate_service_account"}},
		{"impersonate target not an email", map[string]any{"auth_method": "impersonate", "impersonate_service_account": "target"}, []string{"impersonate_service_account"}},
		{"target without impersonate", map[string]any{"impersonate_service_account": "t@p.iam.gserviceaccount.com"}, []string{"impersonate_service_account"}},
		{"none without insecure", map[string]any{"auth_method": "none"}, []string{"auth_method"}},
		{"insecure without endpoint", map[string]any{"insecure": true}, []string{"insecure"}},
		{"insecure to Google", map[string]any{"insecure": true, "endpoint": "secretmanager.googleapis.com:443"}, []string{"insecure"}},
		{"insecure to localhost by name", map[string]any{"insecure": true, "endpoint": "localhost:8085"}, []string{"insecure"}},
		{"insecure to a private address", map[string]any{"insecure": true, "endpoint": "10.1.2.3:8085"}, []string{"insecure"}},
		{"endpoint with scheme", map[string]any{"endpoint": "https://secretmanager.googleapis.com:443"}, []string{"endpoint"}},
		{"endpoint without port", map[string]any{"endpoint": "secretmanager.googleapis.com"}, []string{"endpoint"}},
		{"bad project", map[string]any{"project": "My Project"}, []string{"project"}},
		{"bad location", map[string]any{"location": "Europe/West"}, []string{"location"}},
		{"zero attempts", map[string]any{"max_attempts": 0}, []string{"max_attempts"}},
		{"bad duration", map[string]any{"initial_backoff": "soon", "attempt_timeout": "-1s"}, []string{"initial_backoff", "attempt_timeout"}},
		{"backoffs reversed", map[string]any{"initial_backoff": "2s", "max_backoff": "1s"}, []string{"initial_backoff"}},
		{"every problem at once", map[string]any{"auth_method": "service_account_key", "insecure": true, "project": "X", "max_backoff": "later"},
			[]string{"credentials_file", "insecure", "project", "max_backoff"}},
	}
	f, _ := secret.Lookup("gcp")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := f(ctx(t), secret.Spec{Name: "bad", Type: "gcp", Settings: tc.settings})
			if err == nil {
				st.Close()
				t.Fatalf("settings %v were accepted", tc.settings)
			}
			if !errors.Is(err, secret.ErrInvalidConfig) {
				t.Errorf("error does not wrap ErrInvalidConfig: %v", err)
			}
			for _, key := range tc.keys {
				if !strings.Contains(err.Error(), `setting "`+key+`"`) {
					t.Errorf("error does not name setting %q: %v", key, err)
				}
			}
			var ce *secret.ConfigError
			if !errors.As(err, &ce) || ce.Store != "bad" {
				t.Errorf("want a *secret.ConfigError for store \"bad\", got %v", err)
			}
			storetest.NoLeak(t, "config error", err.Error(), []byte("planted-client-secret"), []byte("planted-not-json"))
		})
	}
}

func TestLoopbackAddresses(t *testing.T) {
	for _, ep := range []string{"127.0.0.1:8085", "127.9.9.9:1", "[::1]:8085"} {
		st, err := gcp.New(ctx(t), "ok", gcp.Config{Endpoint: ep, Insecure: true})
		if err != nil {
			t.Errorf("insecure to %s: %v", ep, err)
			continue
		}
		st.Close()
	}
}

// asStoreError returns err's *secret.StoreError of this provider, failing
// the test when there is none.
func asStoreError(t *testing.T, err error) *secret.StoreError {
	t.Helper()
	var se *secret.StoreError
	if !errors.As(err, &se) || se.Type != "gcp" {
		t.Fatalf("want a gcp *secret.StoreError, got %v", err)
	}
	return se
}
