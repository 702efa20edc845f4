package azure

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/latchkey/latchkey/secret"
)

// policySubject reads a request for a secrets rule ([secret.Naming]). Key
// Vault names are case-insensitive, so the subject is folded to lower case.
// A bare name lives in the store's vault (its own scope); a secret URL in
// the URL's vault, which is the store's own only when it is the store's
// vault_name or vault_url.
func (s *Store) policySubject(req secret.Request) (secret.Subject, error) {
	t, err := s.resolve(req)
	if err != nil {
		return secret.Subject{}, err
	}
	sub := secret.Subject{Name: strings.ToLower(t.name), Scope: strings.TrimPrefix(t.vault, "https://"), Version: secret.Current}
	sub.Own = t.vault == s.vault
	if t.version != "" {
		sub.Version = strings.ToLower(t.version)
	}
	return sub, nil
}

// policyPattern reads a secrets rule's pattern ([secret.Naming]): a secret
// name pattern ("app-*") or a secret URL pattern
// (https://VAULT.vault.azure.net/secrets/NAME, host and name globs), matched
// without regard to case. Versions go in the versions list, not the URL.
func (s *Store) policyPattern(e secret.Pattern) (secret.Pattern, error) {
	p := secret.Pattern{}
	for _, v := range e.Versions {
		p.Versions = append(p.Versions, strings.ToLower(v))
	}
	name := e.Name
	if strings.Contains(name, "://") {
		u, err := url.Parse(name)
		switch {
		case err != nil:
			return p, fmt.Errorf("is not a URL")
		case !strings.EqualFold(u.Scheme, "https") || u.Host == "":
			return p, fmt.Errorf("a secret URL pattern reads https://VAULT.%s/secrets/NAME", s.domain)
		case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.RawPath != "":
			return p, fmt.Errorf("a secret URL pattern has no user, query, fragment or escapes")
		}
		parts := strings.Split(u.Path, "/")
		if len(parts) == 4 && parts[1] == "secrets" {
			return p, fmt.Errorf("give versions in the pattern's versions list, not in its URL")
		}
		if len(parts) != 3 || parts[0] != "" || parts[1] != "secrets" {
			return p, fmt.Errorf("a secret URL pattern reads https://VAULT.%s/secrets/NAME", s.domain)
		}
		p.Scope = strings.ToLower(u.Host)
		name = parts[2]
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isLetter(c) && !isDigit(c) && c != '-' && c != '*' && c != '?' {
			return p, fmt.Errorf("a Key Vault secret name pattern holds only letters, digits, dashes and the wildcards * and ?")
		}
	}
	if name == "" {
		return p, fmt.Errorf("names no secret")
	}
	p.Name = strings.ToLower(name)
	return p, nil
}
