package latchkey

// The placeholder syntax is part of the ABI (see ABI.md, "Credentials").
const (
	placeholderPrefix = "{{latchkey.credential:"
	placeholderSuffix = "}}"
)

// Credential returns the placeholder of the operator-declared credential
// name, e.g. "{{latchkey.credential:vault_token}}". Put it in a request
// header value:
//
//	latchkey.Get(url, map[string]string{"X-Vault-Token": latchkey.Credential("vault_token")})
//
// The host replaces it with the credential's value on the way out, only
// for hosts the operator bound the credential to; the module never holds
// the value. A request that names an unknown credential, or goes (or is
// redirected) to a host the credential is not bound to, is refused: [Do]
// returns a [*HostError] matching [ErrCredential].
func Credential(name string) string {
	return placeholderPrefix + name + placeholderSuffix
}

// CredentialJSON is [Credential] for the inside of a JSON string in a
// request body: the host escapes the value for JSON. Body placeholders are
// substituted only for the URL paths the operator listed in the
// credential's body_paths (a login endpoint, say).
func CredentialJSON(name string) string {
	return placeholderPrefix + name + "|json" + placeholderSuffix
}

// CredentialURL is [Credential] query-escaped, for a form-encoded request
// body (same rules as [CredentialJSON]).
func CredentialURL(name string) string {
	return placeholderPrefix + name + "|url" + placeholderSuffix
}

// CredentialBase64 is [Credential] in standard base64, e.g. for
// "Authorization: Basic" when the credential's value is "user:password".
func CredentialBase64(name string) string {
	return placeholderPrefix + name + "|base64" + placeholderSuffix
}

// ErrCredential matches, with errors.Is, a request the host refused because
// of a credential placeholder. The host logged which credential and which
// host; a handler usually reports it as is (it becomes [CodeNotAllowed]).
var ErrCredential = &HostError{Code: HostErrCredential}
