package azure_test

import (
	"fmt"

	"github.com/latchkey/latchkey/providers/azure"
)

// New builds a store without network I/O; Describe says who it will act as.
func ExampleNew() {
	st, err := azure.New("kv", azure.Options{
		VaultName:               "myvault",
		ManagedIdentityClientID: "6f1e2d3c-0000-4000-8000-000000000001",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	fmt.Println(st.Describe().Summary)
	// Output: Azure Key Vault https://myvault.vault.azure.net, as managed identity (user-assigned, client ID 6f1e2d3c-0000-4000-8000-000000000001)
}

// Every bad option is reported at once.
func ExampleNew_errors() {
	_, err := azure.New("kv", azure.Options{VaultName: "my_vault", AuthMethod: azure.ServicePrincipal, TenantID: "t1",
		LookupEnv: func(string) (string, bool) { return "", false }})
	fmt.Println(err)
	// Output:
	// store "kv": setting "vault_name": "my_vault" is not a Key Vault name (3 to 24 letters, digits and dashes, starting with a letter)
	// store "kv": setting "client_id": is required for auth_method service_principal (or set AZURE_CLIENT_ID)
	// store "kv": setting "client_secret_env": auth_method service_principal needs exactly one of client_secret_env, client_secret_file, client_certificate_file or client_secret (0 given)
}
