package wasm

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/internal/logbuf"
	"github.com/latchkey/latchkey/internal/wasmtest"
	"github.com/latchkey/latchkey/secret"
)

// plantedCred is the credential value of these tests: it must reach the
// bound server and never the guest, an error, a log line or Describe.
const plantedCred = "cred-Pl4nted-7c1e-value"

const credEnv = "LATCHKEY_WASM_TEST_CRED"

// echoServer answers as a careless API would: it echoes the X-Token header
// in a response header and, plain and base64, in the body. /away redirects
// to the URL in ?to=.
type echoServer struct {
	*httptest.Server
	host string
	mu   sync.Mutex
	got  []string
}

func startEcho(t *testing.T) *echoServer {
	s := &echoServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Token")
		s.mu.Lock()
		s.got = append(s.got, r.URL.Path+" "+tok)
		s.mu.Unlock()
		if r.URL.Path == "/away" {
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
			return
		}
		w.Header().Set("X-Echo", tok)
		w.Write([]byte("you sent " + tok + " / " + base64.StdEncoding.EncodeToString([]byte(tok))))
	}))
	t.Cleanup(s.Close)
	s.host = strings.TrimPrefix(s.URL, "http://")
	return s
}

func (s *echoServer) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

// probeStore builds a wasm store running the credprobe guest against
// target, with credential "tok" bound to bound, both servers allowed, and one
// instance, so that the instance a test scans is the one that served.
func probeStore(t *testing.T, target string, bound, other *echoServer, header map[string]any, logs *logbuf.Buffer) *Store {
	t.Helper()
	t.Setenv(credEnv, plantedCred)
	module := wasmtest.Build(t, "providers/wasm/testdata/guests/credprobe")
	settings := map[string]any{
		"module":         module,
		"allow_unpinned": true,
		"config":         map[string]any{"url": target, "header": header},
		"allowed_hosts":  []any{bound.host, other.host},
		"allow_http":     []any{bound.host, other.host},
		"allow_networks": []any{"127.0.0.1/32"},
		"limits":         map[string]any{"instances": 1},
		"credentials": map[string]any{
			"tok": map[string]any{"env": credEnv, "hosts": []any{"http://" + bound.host}},
		},
	}
	spec := secret.Spec{Name: "probe", Type: "wasm", Settings: settings}
	if logs != nil {
		spec.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	st, err := fromSpec(context.Background(), spec, sharedCache)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// assertNotInGuest scans the store's only instance: the credential, in
// any of the forms the host could have handled, is not in linear memory,
// while marker (something the guest did receive) is.
func assertNotInGuest(t *testing.T, st *Store, marker string) {
	t.Helper()
	n := st.Module().ScanIdleMemory(func(mem []byte) {
		if leak := wasmtest.FindLeak(mem, []byte(plantedCred)); leak != "" {
			t.Errorf("the credential (%s form) is in the guest's linear memory", leak)
		}
		if marker != "" && !bytes.Contains(mem, []byte(marker)) {
			t.Errorf("the scan does not find %q, which the guest received: it proves nothing", marker)
		}
	})
	if n != 1 {
		t.Fatalf("scanned %d instances, want 1", n)
	}
}

func noValue(t *testing.T, what, s string) {
	t.Helper()
	if leak := wasmtest.FindLeak([]byte(s), []byte(plantedCred)); leak != "" {
		t.Errorf("%s holds the credential (%s form): %s", what, leak, s)
	}
}

// TestCredentialNeverInGuest sends a placeholder to a bound host that
// echoes it back: the server receives the value, the guest receives it
// redacted, and its whole linear memory holds no trace of it.
func TestCredentialNeverInGuest(t *testing.T) {
	bound, other := startEcho(t), startEcho(t)
	st := probeStore(t, bound.URL, bound, other, map[string]any{"X-Token": "{{latchkey.credential:tok}}"}, nil)
	v, err := st.Get(context.Background(), secret.Request{Name: "/echo"})
	if err != nil {
		t.Fatal(err)
	}
	if got := bound.received(); len(got) != 1 || got[0] != "/echo "+plantedCred {
		t.Fatalf("the bound server did not receive the credential: %d requests", len(got))
	}
	out := v.Value.RevealString()
	for _, want := range []string{`"Name":"X-Echo","Value":"[REDACTED:tok]"`, `you sent [REDACTED:tok] / [REDACTED:tok]`} {
		if !strings.Contains(out, want) {
			t.Errorf("the guest's view lacks %s: %s", want, out)
		}
	}
	noValue(t, "the guest's result", out)
	assertNotInGuest(t, st, "you sent [REDACTED:tok]")
}

// TestCredentialRefused covers the refusals: a host the credential is not
// bound to, a redirect from the bound host to such a host, and an unknown
// credential. Each is an error the guest handles (here: reports as not
// allowed), logged under the module's name with the credential and host,
// never the value; nothing reaches the unbound host; the guest's memory
// stays clean.
func TestCredentialRefused(t *testing.T) {
	bound, other := startEcho(t), startEcho(t)
	tests := []struct {
		name   string
		target string // the probe's URL
		req    string // the request's name, appended to it
		header string
		log    []string
	}{
		{"unbound host", other.URL, "/echo", "{{latchkey.credential:tok}}", []string{`credential \"tok\" is not bound to http://` + other.host}},
		{"redirect to an unbound host", bound.URL, "/away?to=" + other.URL + "/echo", "{{latchkey.credential:tok}}", []string{`credential \"tok\" is not bound to http://` + other.host}},
		{"unknown credential", bound.URL, "/echo", "{{latchkey.credential:nope}}", []string{`unknown credential \"nope\"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs logbuf.Buffer
			st := probeStore(t, tc.target, bound, other, map[string]any{"X-Token": tc.header}, &logs)
			name := tc.req
			_, err := st.Get(context.Background(), secret.Request{Name: name})
			if !errors.Is(err, secret.ErrNotAllowed) {
				t.Fatalf("Get: %v, want ErrNotAllowed", err)
			}
			if !strings.Contains(err.Error(), "credential") {
				t.Errorf("the error does not say a credential was refused: %v", err)
			}
			noValue(t, "error", err.Error())
			l := logs.String()
			for _, want := range append(tc.log, "module=probe", "store=probe") {
				if !strings.Contains(l, want) {
					t.Errorf("log lacks %s: %s", want, l)
				}
			}
			noValue(t, "log", l)
			for _, r := range other.received() {
				noValue(t, "a request to the unbound host", r)
			}
			assertNotInGuest(t, st, "")
		})
	}
}

func TestCredentialSettings(t *testing.T) {
	module := wasmtest.Build(t, "providers/wasm/testdata/guests/credprobe")
	dir := t.TempDir()
	good := filepath.Join(dir, "token")
	os.WriteFile(good, []byte(plantedCred+"\n"), 0o600)
	loose := filepath.Join(dir, "loose")
	os.WriteFile(loose, []byte(plantedCred), 0o644)
	os.Chmod(loose, 0o644)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	group := filepath.Join(dir, "group")
	os.WriteFile(group, []byte(plantedCred), 0o600)
	os.Chmod(group, 0o640)
	groupW := filepath.Join(dir, "group-writable")
	os.WriteFile(groupW, []byte(plantedCred), 0o600)
	os.Chmod(groupW, 0o620)
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err != nil {
		fifo = "/dev/null" // no FIFOs here: the device case stands in
	}
	t.Setenv(credEnv, plantedCred)
	t.Setenv("LATCHKEY_WASM_TEST_SHORT", "short")
	hosts := []any{"vault.example.com"}
	tests := []struct {
		name     string
		cred     map[string]any
		errs     []string // substrings of the error; none: no error
		summary  []string
		warnings []string
	}{
		{name: "env", cred: map[string]any{"env": credEnv, "hosts": hosts},
			summary: []string{"credentials: c (env " + credEnv + " → vault.example.com)"}},
		{name: "file", cred: map[string]any{"file": good, "hosts": hosts, "body_paths": []any{"/v1/auth/login"}},
			summary: []string{"c (file " + good + " → vault.example.com; in bodies to /v1/auth/login)"}},
		{name: "literal", cred: map[string]any{"value": plantedCred, "hosts": hosts},
			warnings: []string{"credential c is a literal value"}},
		{name: "file readable by others", cred: map[string]any{"file": loose, "hosts": hosts},
			warnings: []string{"every user of the machine can read it"}},
		{name: "file shared with the group", cred: map[string]any{"file": group, "hosts": hosts}},
		{name: "file the group may write", cred: map[string]any{"file": groupW, "hosts": hosts},
			warnings: []string{"others than its owner can write it"}},
		{name: "fifo as file", cred: map[string]any{"file": fifo, "hosts": hosts}, errs: []string{"credentials.c.file", fifo, "not a regular file"}},
		{name: "device as file", cred: map[string]any{"file": "/dev/zero", "hosts": hosts}, errs: []string{"credentials.c.file", "is a character device"}},
		{name: "directory as file", cred: map[string]any{"file": dir, "hosts": hosts}, errs: []string{"credentials.c.file", "is a directory"}},
		{name: "two sources", cred: map[string]any{"env": credEnv, "file": good, "hosts": hosts}, errs: []string{"credentials.c", "exactly one of env"}},
		{name: "no source", cred: map[string]any{"hosts": hosts}, errs: []string{"exactly one of env"}},
		{name: "unset env", cred: map[string]any{"env": "LATCHKEY_WASM_TEST_UNSET", "hosts": hosts}, errs: []string{"credentials.c.env", "LATCHKEY_WASM_TEST_UNSET is not set"}},
		{name: "missing file", cred: map[string]any{"file": filepath.Join(dir, "nope"), "hosts": hosts}, errs: []string{"credentials.c.file", "cannot be read"}},
		{name: "empty file", cred: map[string]any{"file": empty, "hosts": hosts}, errs: []string{"is empty"}},
		{name: "short", cred: map[string]any{"env": "LATCHKEY_WASM_TEST_SHORT", "hosts": hosts}, errs: []string{"at least 8"}},
		{name: "no hosts", cred: map[string]any{"env": credEnv}, errs: []string{"bound to no host"}},
		{name: "unknown key", cred: map[string]any{"env": credEnv, "hosts": hosts, "scope": "x"}, errs: []string{"scope"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := fromSpec(context.Background(), secret.Spec{Name: "probe", Type: "wasm", Settings: map[string]any{
				"module": module, "allow_unpinned": true, "credentials": map[string]any{"c": tc.cred},
			}}, sharedCache)
			if len(tc.errs) > 0 {
				if err == nil {
					st.Close()
					t.Fatal("no error")
				}
				if !errors.Is(err, secret.ErrInvalidConfig) {
					t.Errorf("error does not wrap ErrInvalidConfig: %v", err)
				}
				for _, want := range tc.errs {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error lacks %q: %v", want, err)
					}
				}
				noValue(t, "error", err.Error())
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			id := st.Describe()
			all := id.Summary + "\n" + strings.Join(id.Warnings, "\n")
			for _, want := range tc.summary {
				if !strings.Contains(id.Summary, want) {
					t.Errorf("summary lacks %q: %s", want, id.Summary)
				}
			}
			for _, want := range tc.warnings {
				if !strings.Contains(strings.Join(id.Warnings, "\n"), want) {
					t.Errorf("warnings lack %q: %v", want, id.Warnings)
				}
			}
			if len(tc.warnings) == 0 && strings.Contains(strings.Join(id.Warnings, "\n"), "its file has") {
				t.Errorf("a permission warning for a file the rule allows: %v", id.Warnings)
			}
			noValue(t, "Describe", all)
		})
	}
}
