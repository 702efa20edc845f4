package runtime_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/hostfuncs"
	"github.com/latchkey/latchkey/internal/logbuf"
	w "github.com/latchkey/latchkey/internal/wasmtest"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

// Planted values of the version tests: the value a guest fetches and the
// credential bound to its store. Neither may reach a version, an error or
// a log line.
const (
	leakValue = "val-S3cret-9a1b2c3d"
	leakDoc   = `{"user":"app","password":"pw-S3cret-77aa11bb"}`
	leakPass  = "pw-S3cret-77aa11bb"
	leakCred  = "cred-Pl4nted-7c1e-value"
)

// versionGuest returns a guest whose latchkey_get calls version_set with
// version (traps unless the host answers want), then returns result.
func versionGuest(version string, want int32, result string) w.Module {
	get := w.Code(storeBytes(2000, version),
		expectStatus(w.Code(w.I32Const(2000), w.I32Const(int32(len(version))), w.Call(w.FnVersionSet)), want),
		setResult(result))
	m := w.Guest(get)
	m.Funcs = append(m.Funcs, w.Func{Export: "latchkey_version", Results: []byte{w.I32},
		Body: w.Code(storeBytes(0, version), w.I32Const(0), w.I32Const(int32(len(version))), w.Call(w.FnResultSet), w.Drop, w.I32Const(0))})
	return m
}

func credOptions(t *testing.T, logs *logbuf.Buffer) lkruntime.Options {
	t.Helper()
	creds, err := hostfuncs.NewCredentials([]hostfuncs.Credential{{Name: "tok", Value: secret.StringValue(leakCred), Hosts: []string{"api.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	opts := lkruntime.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))}
	opts.HTTP.AllowedHosts = []string{"api.example"}
	creds.Install(&opts.HTTP)
	return opts
}

func pctEvery(s, format string) string {
	var b strings.Builder
	for i := range len(s) {
		b.WriteString(strings.ReplaceAll(format, "XX", hex.EncodeToString([]byte{s[i]})))
	}
	return b.String()
}

// TestVersionCarriesNoSecret attacks version_set as a module that writes
// what it just fetched, or a bound credential it got reflected, into its
// version, in the encodings a server or a careless module would use: the
// fetch fails with an error naming the module and the rule, wrapping
// ErrBadVersion; no version is recorded; neither the error nor the log
// holds the secret in any encoding; and the module serves the next fetch.
func TestVersionCarriesNoSecret(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		name    string
		version string
		result  string
		rule    string
		secret  string // what must appear nowhere
	}{
		{"the value", leakValue, leakValue, "holds the value", leakValue},
		{"the value inside", "v1-" + leakValue + "-x", leakValue, "holds the value", leakValue},
		{"a JSON field of the value", leakPass, leakDoc, "holds the value", leakPass},
		{"a short JSON field of the value", "rev-" + "app", `{"user":"appx","n":"12345678"}`, "", ""},
		{"an etcd revision holding a short field by chance", "1054321", `{"port":5432,"password":"` + leakPass + `"}`, "", ""},
		{"a JSON number of the value", "v-123456789012", `{"account":123456789012}`, "holds the value", "123456789012"},
		{"the value upper case", strings.ToUpper(leakValue), leakValue, "encoded", leakValue},
		{"the value in hex", hex.EncodeToString([]byte(leakValue)), leakValue, "encoded", leakValue},
		{"the value in base64", b64([]byte(leakValue)), leakValue, "encoded", leakValue},
		{"the value percent-encoded", pctEvery(leakValue, "%XX"), leakValue, "encoded", leakValue},
		{"the value in JSON \\u escapes", pctEvery(leakValue, `\u00XX`), leakValue, "encoded", leakValue},
		{"half the value", leakValue[:10], leakValue, "encoded", leakValue},
		{"the credential", leakCred, "value", `credential tok`, leakCred},
		{"the credential upper case", strings.ToUpper(leakCred), "value", `credential tok`, leakCred},
		{"the credential percent-encoded", pctEvery(leakCred, "%XX"), "value", `credential tok`, leakCred},
		{"the credential upper-case percent", strings.ToUpper(pctEvery(leakCred, "%XX")), "value", `credential tok`, leakCred},
		{"the credential in JSON \\u escapes", pctEvery(leakCred, `\u00XX`), "value", `credential tok`, leakCred},
		{"the credential in hex", hex.EncodeToString([]byte(leakCred)), "value", `credential tok`, leakCred},
		{"the credential in HEX", strings.ToUpper(hex.EncodeToString([]byte(leakCred))), "value", `credential tok`, leakCred},
		{"the credential in base64", b64([]byte(leakCred)), "value", `credential tok`, leakCred},
		{"the credential in base64url behind a prefix", base64.RawURLEncoding.EncodeToString([]byte("x:" + leakCred)), "value", `credential tok`, leakCred},
		{"half the credential", leakCred[:12], "value", `credential tok`, leakCred},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs logbuf.Buffer
			m, err := loadBytes(t, "leaky", versionGuest(tc.version, 0, tc.result).Encode(), credOptions(t, &logs))
			if err != nil {
				t.Fatal(err)
			}
			v, err := m.Get(context.Background(), lkruntime.Request{Name: "db"})
			note := v
			if tc.rule == "" { // a legitimate version
				if err != nil || note.Version != tc.version {
					t.Fatalf("Get = %v, version %q; want %q", err, note.Version, tc.version)
				}
				return
			}
			if err == nil {
				t.Fatalf("Get = %q with version %q: the version was not refused", v.Value.RevealString(), note.Version)
			}
			if !errors.Is(err, lkruntime.ErrBadVersion) || !errors.Is(err, secret.ErrBadVersion) {
				t.Errorf("error %v does not wrap ErrBadVersion", err)
			}
			msg := err.Error()
			for _, want := range []string{`wasm module "leaky": get "db": version_set`, tc.rule} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if note.Version != "" {
				t.Errorf("the refused version was recorded")
			}
			for what, text := range map[string]string{"error": msg, "log": logs.String()} {
				if leak := w.FindLeak([]byte(text), []byte(tc.secret)); leak != "" {
					t.Errorf("the %s holds the secret (%s form): %s", what, leak, text)
				}
				if strings.Contains(text, tc.version) {
					t.Errorf("the %s echoes the refused version: %s", what, text)
				}
			}
			stillServesVersioned(t, m)
		})
	}
}

// stillServesVersioned: the refusal costs the call, not the module.
func stillServesVersioned(t *testing.T, m *lkruntime.Module) {
	t.Helper()
	if s := m.Stats(); s.Created != 1 {
		t.Errorf("stats %+v: a refused version must not discard the instance", s)
	}
}

// TestVersionProbeCarriesNoCredential: latchkey_version answering a bound
// credential (as is or encoded) fails the probe, naming the module and
// the credential, never its value.
func TestVersionProbeCarriesNoCredential(t *testing.T) {
	for name, v := range map[string]string{
		"raw": leakCred, "base64": base64.StdEncoding.EncodeToString([]byte(leakCred)),
		"percent": pctEvery(leakCred, "%XX"), "hex": hex.EncodeToString([]byte(leakCred)),
	} {
		t.Run(name, func(t *testing.T) {
			var logs logbuf.Buffer
			m2, err := loadBytes(t, "leaky-probe", versionGuestProbe(v).Encode(), credOptions(t, &logs))
			if err != nil {
				t.Fatal(err)
			}
			got, err := m2.Version(context.Background(), lkruntime.Request{Name: "db"})
			if err == nil || !errors.Is(err, secret.ErrBadVersion) {
				t.Fatalf("Version = %q, %v; want ErrBadVersion", got.Version, err)
			}
			if msg := err.Error(); !strings.Contains(msg, `wasm module "leaky-probe": version "db": latchkey_version`) ||
				!strings.Contains(msg, "credential tok") || w.FindLeak([]byte(msg), []byte(leakCred)) != "" || strings.Contains(msg, v) {
				t.Fatalf("error %q: want the module, the call and the credential's name, never its value", msg)
			}
		})
	}
}

// versionGuestProbe returns a guest whose latchkey_version answers v.
func versionGuestProbe(v string) w.Module {
	m := w.Guest(setResult("value"))
	m.Funcs = append(m.Funcs, w.Func{Export: "latchkey_version", Results: []byte{w.I32},
		Body: w.Code(storeBytes(0, v), w.I32Const(0), w.I32Const(int32(len(v))), w.Call(w.FnResultSet), w.Drop, w.I32Const(0))})
	return m
}

// TestVersionSetForgery: version_set refuses (status -2 or -3, and a
// warning naming the module and the rule) a version that could forge an
// audit or log line or hide in look-alike text — control characters, a
// line break, a space, non-ASCII, an overlong one — and the log never
// holds the refused text. The fetch serves its value without a version.
func TestVersionSetForgery(t *testing.T) {
	tests := []struct {
		name    string
		version string
		status  int32
		rule    string
	}{
		{"newline", "v1\n{\"caller\":\"root\",\"forged\":1}", -2, "control character 0x0a"},
		{"carriage return", "v1\rforged=1", -2, "control character 0x0d"},
		{"NUL", "v1\x00forged", -2, "control character 0x00"},
		{"escape", "v1\x1b[2Jforged", -2, "control character 0x1b"},
		{"tab", "v1\tforged=1", -2, "control character 0x09"},
		{"DEL", "v1\x7fforged", -2, "control character 0x7f"},
		{"space", "v1 caller=forged", -2, "a space"},
		{"bidi override", "v1\u202eforged", -2, "not ASCII"},
		{"invalid UTF-8", "v1\xffforged", -2, "not ASCII"},
		{"overlong", strings.Repeat("forged", 50), -3, "over the limit of 256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs logbuf.Buffer
			m, err := loadBytes(t, "forger", versionGuest(tc.version, tc.status, "value").Encode(), credOptions(t, &logs))
			if err != nil {
				t.Fatal(err)
			}
			v, err := m.Get(context.Background(), lkruntime.Request{Name: "db"})
			note := v
			if err != nil || v.Value.RevealString() != "value" {
				t.Fatalf("Get = %q, %v (a trap means version_set did not answer %d)", v.Value.RevealString(), err, tc.status)
			}
			if note.Version != "" {
				t.Fatalf("recorded version %q", note.Version)
			}
			out := logs.String()
			if !strings.Contains(out, "version_set refused") || !strings.Contains(out, "module=forger") || !strings.Contains(out, tc.rule) {
				t.Errorf("log lacks the refusal naming the module and %q: %s", tc.rule, out)
			}
			if strings.Contains(out, "forged") {
				t.Errorf("the log holds the refused text: %s", out)
			}
			// The probe's answer goes through the same check.
			if _, err := m.Version(context.Background(), lkruntime.Request{Name: "db"}); err == nil {
				t.Errorf("latchkey_version answering %q was accepted", tc.version)
			} else if strings.Contains(err.Error(), "forged") {
				t.Errorf("the probe's error holds the refused text: %v", err)
			}
		})
	}
}
