package azure

// sdkCredentialEnv are the variables holding secrets that azidentity's
// credentials read: a service principal's secret or certificate password,
// a user's password, a workload identity token file, and the App Service
// managed identity header secrets.
var sdkCredentialEnv = []string{
	"AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_PASSWORD",
	"AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_HEADER", "MSI_SECRET",
}

// usedEnv is the store's [secret.Description.UsedEnv]: the SDK's
// secret-holding variables, and the one client_secret_env names.
func (s *Store) usedEnv() []string {
	out := append([]string(nil), sdkCredentialEnv...)
	if s.secretEnv != "" {
		out = append(out, s.secretEnv)
	}
	return out
}
