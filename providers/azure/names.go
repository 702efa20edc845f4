package azure

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/latchkey/latchkey/secret"
)

// target is one secret to fetch: the vault's base URL ("https://host"), the
// secret's name and its version ("" for the current one).
type target struct {
	vault   string
	name    string
	version string
}

// validVaultName reports whether s is a Key Vault name: 3 to 24 letters,
// digits and dashes, starting with a letter, ending with a letter or digit,
// with no two dashes in a row.
func validVaultName(s string) bool {
	if len(s) < 3 || len(s) > 24 || !isLetter(s[0]) || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && c != '-' {
			return false
		}
	}
	return true
}

// validSecretName reports whether s is a Key Vault secret name: 1 to 127
// letters, digits and dashes.
func validSecretName(s string) bool {
	if len(s) == 0 || len(s) > 127 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && c != '-' {
			return false
		}
	}
	return true
}

// validVersion reports whether s can be a secret version: Key Vault uses
// 32 hexadecimal digits; any run of up to 64 letters and digits is let
// through so that the vault, not the store, says whether it exists.
func validVersion(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// validHostPort reports whether s is a DNS name with an optional port,
// as vault_domain holds.
func validHostPort(s string) bool {
	if s == "" || strings.ContainsAny(s, "/?#@ \\") {
		return false
	}
	u, err := url.Parse("https://" + s)
	return err == nil && u.Host == s && u.Hostname() != "" && !strings.HasPrefix(u.Hostname(), ".") && !strings.HasSuffix(u.Hostname(), ".")
}

// parseVaultURL checks a vault base URL and returns it as "https://host".
func parseVaultURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", fmt.Errorf("is not a URL")
	case u.Scheme != "https":
		return "", fmt.Errorf("must start with https:// (Key Vault accepts tokens only over TLS)")
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("has no host")
	case u.User != nil, u.RawQuery != "", u.Fragment != "", u.ForceQuery:
		return "", fmt.Errorf("must be just https://HOST, with no user, query or fragment")
	case u.Path != "" && u.Path != "/":
		return "", fmt.Errorf("must be just https://HOST; give secrets as names, or as full URLs in references")
	}
	return "https://" + strings.ToLower(u.Host), nil
}

// resolve turns a request into the vault, name and version to fetch. A name
// is either a bare secret name, fetched from the store's vault, or a full
// secret URL https://VAULT.DOMAIN/secrets/NAME[/VERSION], whose host must be
// the store's vault or lie in its vault domain: a reference cannot send the
// store's token to an arbitrary host.
func (s *Store) resolve(req secret.Request) (target, error) {
	name := req.Name
	if !strings.Contains(name, "://") {
		if !validSecretName(name) {
			return target{}, fmt.Errorf("azure store %q: %q is not a Key Vault secret name (1 to 127 letters, digits and dashes) nor a secret URL https://VAULT.%s/secrets/NAME: %w",
				s.name, name, s.domain, secret.ErrInvalidConfig)
		}
		if s.vault == "" {
			return target{}, fmt.Errorf("azure store %q: secret %q is a bare name but the store has no vault_name or vault_url; set one, or give the secret's full URL: %w",
				s.name, name, secret.ErrInvalidConfig)
		}
		t := target{vault: s.vault, name: name, version: req.Version}
		if t.version != "" && !validVersion(t.version) {
			return target{}, fmt.Errorf("azure store %q: secret %q: %q is not a Key Vault version (letters and digits): %w", s.name, name, t.version, secret.ErrInvalidConfig)
		}
		return t, nil
	}
	t, err := s.parseSecretURL(name)
	if err != nil {
		return target{}, err
	}
	switch {
	case req.Version == "":
	case t.version == "":
		if !validVersion(req.Version) {
			return target{}, fmt.Errorf("azure store %q: secret %q: %q is not a Key Vault version (letters and digits): %w", s.name, name, req.Version, secret.ErrInvalidConfig)
		}
		t.version = req.Version
	case t.version != req.Version:
		return target{}, fmt.Errorf("azure store %q: secret URL %q names version %q but the reference asks for version %q: %w",
			s.name, name, t.version, req.Version, secret.ErrInvalidConfig)
	}
	return t, nil
}

func (s *Store) parseSecretURL(raw string) (target, error) {
	bad := func(why string) error {
		return fmt.Errorf("azure store %q: secret URL %q %s (want https://VAULT.%s/secrets/NAME[/VERSION]): %w",
			s.name, raw, why, s.domain, secret.ErrInvalidConfig)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return target{}, bad("is not a URL")
	case !strings.EqualFold(u.Scheme, "https"):
		return target{}, bad("must use https")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || u.RawPath != "":
		return target{}, bad("must have no user, query, fragment or escapes")
	}
	host := strings.ToLower(u.Host)
	vault := "https://" + host
	if vault != s.vault {
		label, ok := strings.CutSuffix(host, "."+s.domain)
		if !ok || !validVaultName(label) {
			return target{}, fmt.Errorf("azure store %q: secret URL %q: host %q is not a vault in the store's vault domain %q (set vault_domain, or vault_url for a vault elsewhere): %w",
				s.name, raw, u.Host, s.domain, secret.ErrNotAllowed)
		}
	}
	parts := strings.Split(strings.TrimSuffix(u.Path, "/"), "/")
	if len(parts) < 3 || len(parts) > 4 || parts[0] != "" || parts[1] != "secrets" {
		return target{}, bad("has the wrong path")
	}
	t := target{vault: vault, name: parts[2]}
	if !validSecretName(t.name) {
		return target{}, bad("has an invalid secret name")
	}
	if len(parts) == 4 {
		if !validVersion(parts[3]) {
			return target{}, bad("has an invalid version")
		}
		t.version = parts[3]
	}
	return t, nil
}
