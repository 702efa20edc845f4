package azure

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/secret"
)

// FuzzResolve checks that any name either resolves to a well-formed target
// in an allowed vault or is refused with ErrInvalidConfig or ErrNotAllowed.
func FuzzResolve(f *testing.F) {
	for _, seed := range []string{
		"db-password", "https://myvault.vault.azure.net/secrets/db", "https://myvault.vault.azure.net/secrets/db/0123456789abcdef0123456789abcdef",
		"https://other.vault.azure.net/secrets/db/", "HTTPS://MYVAULT.VAULT.AZURE.NET/secrets/db", "https://evil.example/secrets/db",
		"https://myvault.vault.azure.net.evil.example/secrets/db", "https://a.b.vault.azure.net/secrets/db", "http://myvault.vault.azure.net/secrets/db",
		"https://myvault.vault.azure.net/secrets/d%62", "https://u@myvault.vault.azure.net/secrets/db", "https://myvault.vault.azure.net:443/secrets/db",
		"", "://", "db/1", "https://myvault.vault.azure.net/secrets/db?api-version=1",
	} {
		f.Add(seed, "")
		f.Add(seed, "0123456789abcdef0123456789abcdef")
	}
	s, err := New("kv", Options{VaultName: "myvault", LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name, version string) {
		tg, err := s.resolve(secret.Request{Name: name, Version: version})
		if err != nil {
			if !errors.Is(err, secret.ErrInvalidConfig) && !errors.Is(err, secret.ErrNotAllowed) {
				t.Fatalf("resolve(%q, %q): unexpected error kind: %v", name, version, err)
			}
			return
		}
		if !validSecretName(tg.name) || tg.version != "" && !validVersion(tg.version) {
			t.Fatalf("resolve(%q, %q) = %+v: malformed name or version", name, version, tg)
		}
		if version != "" && tg.version != version {
			t.Fatalf("resolve(%q, %q) = %+v: version dropped", name, version, tg)
		}
		u, err := url.Parse(tg.vault)
		if err != nil || u.Scheme != "https" || u.Path != "" {
			t.Fatalf("resolve(%q) vault %q is not https://HOST", name, tg.vault)
		}
		label, ok := strings.CutSuffix(u.Host, ".vault.azure.net")
		if !ok || !validVaultName(label) {
			t.Fatalf("resolve(%q) left the vault domain: %q", name, tg.vault)
		}
	})
}

func TestResolveFixed(t *testing.T) {
	s, err := New("kv", Options{VaultName: "myvault", LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in, version string
		want              target
	}{
		{"bare", "db", "", target{"https://myvault.vault.azure.net", "db", ""}},
		{"bare with version", "db", "abc", target{"https://myvault.vault.azure.net", "db", "abc"}},
		{"other vault", "https://Other.vault.azure.net/secrets/db/abc", "", target{"https://other.vault.azure.net", "db", "abc"}},
		{"upper-case scheme and host", "HTTPS://MYVAULT.VAULT.AZURE.NET/secrets/db", "", target{"https://myvault.vault.azure.net", "db", ""}},
		{"URL version and same request version", "https://myvault.vault.azure.net/secrets/db/abc", "abc", target{"https://myvault.vault.azure.net", "db", "abc"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.resolve(secret.Request{Name: tc.in, Version: tc.version})
			if err != nil || got != tc.want {
				t.Fatalf("resolve(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
}
