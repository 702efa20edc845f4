// Package azure is the store of type "azure": it reads secrets from Azure
// Key Vault with the Azure SDK for Go (azsecrets and azidentity),
// authenticating as the host's managed identity (the default), as a service
// principal, or through azidentity's default credential chain.
//
// A secret is named either by its full URL,
//
//	https://VAULT.vault.azure.net/secrets/NAME[/VERSION]
//
// (any vault in the store's vault_domain, so sovereign clouds too), or by
// its bare NAME in the vault given by the vault_name or vault_url setting.
// The version comes from the reference (?version=) or the URL. Key Vault
// holds text: the store returns it as stored, and JSON keys are looked up
// by the resolver.
//
// Settings (docs/stores.md, section "azure", has the full table and examples):
//
//	vault_name: myvault              # or vault_url: https://myvault.vault.azure.net
//	auth_method: managed_identity    # | service_principal | default
//	managed_identity_client_id: …    # user-assigned identity (optional)
//	tenant_id: …                     # service_principal
//	client_id: …
//	client_secret_env: KV_SECRET     # or client_secret_file / client_certificate_file
//
// # Errors
//
// [Store.Get] returns a [*secret.StoreError] of Type "azure" for the
// failures a user can act on; each names the store, vault and secret. Its
// Kind is secret.ErrNotFound (no such secret or version),
// secret.ErrPermissionDenied (a disabled secret; a 403 or a rejected token,
// with the identity as Principal; a refused token request) or
// secret.ErrUnavailable (the vault unreachable, failing or throttling, with
// its Retry-After as Wait; the identity endpoint unreachable).
//
// Package azuretest runs fakes of Key Vault, Entra ID and a managed
// identity endpoint on loopback for tests.
package azure
