package latchkey

import (
	"errors"
	"testing"
)

func TestCredentialPlaceholders(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"raw", Credential("vault_token"), "{{latchkey.credential:vault_token}}"},
		{"json", CredentialJSON("pw"), "{{latchkey.credential:pw|json}}"},
		{"url", CredentialURL("pw"), "{{latchkey.credential:pw|url}}"},
		{"base64", CredentialBase64("basic"), "{{latchkey.credential:basic|base64}}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
	err := &HostError{Op: "http GET https://x", Code: HostErrCredential}
	if !errors.Is(err, ErrCredential) || errors.Is(err, ErrNotAllowed) {
		t.Error("a credential refusal matches ErrCredential only")
	}
	if c, _ := toError(err); c != CodeNotAllowed {
		t.Errorf("a credential refusal is reported as %v, want not allowed", c)
	}
}
