package azure

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// The messages below are those the package's former error types
// (NotFoundError, AccessDeniedError… before secret.StoreError) printed for
// the same facts, captured from that code: the one shape changes no byte a
// user sees, nor what errors.Is answers.

func TestErrorMessagesUnchanged(t *testing.T) {
	refused := &tokenError{method: "managed_identity", identity: "managed identity (system-assigned)", reason: "no endpoint", err: errors.New("x")}
	tests := []struct {
		name string
		err  *secret.StoreError
		msg  string
		kind error // errors.Is answers true; the other kinds false
	}{
		{"no such host", vaultUnreachable("kv", "https://v.vault.azure.net", "db", true, 0, 0, errors.New("lookup v: no such host")),
			"azure store \"kv\": vault https://v.vault.azure.net not found: its host name does not resolve (check vault_name, vault_domain or the secret URL): lookup v: no such host",
			secret.ErrUnavailable},
		{"throttled", vaultUnreachable("kv", "https://v.vault.azure.net", "db", false, 429, time.Second, errors.New("HTTP 429 Throttled: slow")),
			"azure store \"kv\": vault https://v.vault.azure.net throttled the request (Key Vault allows 4,000 secret transactions per 10 s per vault; lower protection.rate or spread secrets over vaults): HTTP 429 Throttled: slow",
			secret.ErrUnavailable},
		{"503", vaultUnreachable("kv", "https://v.vault.azure.net", "db", false, 503, 0, errors.New("HTTP 503 ServiceUnavailable: down")),
			"azure store \"kv\": vault https://v.vault.azure.net unavailable: HTTP 503 ServiceUnavailable: down",
			secret.ErrUnavailable},
		{"unreachable", vaultUnreachable("kv", "https://v.vault.azure.net", "db", false, 0, 0, errors.New("dial tcp: refused")),
			"azure store \"kv\": vault https://v.vault.azure.net unreachable: dial tcp: refused",
			secret.ErrUnavailable},
		{"not found", secretNotFound("kv", "https://v.vault.azure.net", "db", ""),
			"azure store \"kv\": vault https://v.vault.azure.net has no secret \"db\"",
			secret.ErrNotFound},
		{"version not found", secretNotFound("kv", "https://v.vault.azure.net", "db", "abc"),
			"azure store \"kv\": vault https://v.vault.azure.net has no secret \"db\" with version \"abc\"",
			secret.ErrNotFound},
		{"403", forbidden("kv", "https://v.vault.azure.net", "db", "managed identity (system-assigned)", 403, "Forbidden", "Caller: appid=1"),
			"azure store \"kv\": vault https://v.vault.azure.net refused access to secret \"db\" to managed identity (system-assigned) (HTTP 403 Forbidden): Caller: appid=1",
			secret.ErrPermissionDenied},
		{"401", forbidden("kv", "https://v.vault.azure.net", "db", "sp", 401, "", ""),
			"azure store \"kv\": vault https://v.vault.azure.net rejected the token presented for secret \"db\" by sp (HTTP 401)",
			secret.ErrPermissionDenied},
		{"disabled", secretDisabled("kv", "https://v.vault.azure.net", "db", ""),
			"azure store \"kv\": vault https://v.vault.azure.net: secret \"db\" is disabled (its current version); enable it or ask for another version",
			secret.ErrPermissionDenied},
		{"version disabled", secretDisabled("kv", "https://v.vault.azure.net", "db", "abc"),
			"azure store \"kv\": vault https://v.vault.azure.net: secret \"db\" is disabled (version \"abc\"); enable it or ask for another version",
			secret.ErrPermissionDenied},
		{"token refused", tokenFailed("kv", "https://v.vault.azure.net", "db", refused),
			"azure store \"kv\": vault https://v.vault.azure.net: secret \"db\": acquiring a token with auth_method managed_identity as managed identity (system-assigned) failed: no endpoint",
			secret.ErrPermissionDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.err
			if e.Error() != tc.msg {
				t.Errorf("message changed:\n got %q\nwant %q", e.Error(), tc.msg)
			}
			if e.Type != "azure" || e.Store != "kv" || e.Secret != "db" {
				t.Errorf("Type %q Store %q Secret %q", e.Type, e.Store, e.Secret)
			}
			for _, k := range []error{secret.ErrNotFound, secret.ErrPermissionDenied, secret.ErrUnavailable, secret.ErrInvalidConfig, context.Canceled} {
				if got := errors.Is(e, k); got != (k == tc.kind) {
					t.Errorf("errors.Is(err, %v) = %v", k, got)
				}
			}
		})
	}
	unreachable := *refused
	unreachable.unreachable = true
	if e := tokenFailed("kv", "https://v.vault.azure.net", "db", &unreachable); !errors.Is(e, secret.ErrUnavailable) || errors.Is(e, secret.ErrPermissionDenied) ||
		e.Principal != "managed identity (system-assigned)" || !errors.Is(e, refused.err) {
		t.Errorf("an unreachable identity endpoint: %#v", e)
	}
	if e := vaultUnreachable("kv", "https://v.vault.azure.net", "db", false, 429, 3*time.Second, errors.New("slow")); e.RetryAfter() != 3*time.Second {
		t.Errorf("the vault's Retry-After is lost: %v", e.RetryAfter())
	}
}
