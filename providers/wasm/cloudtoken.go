package wasm

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"cloud.google.com/go/auth"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	lkazure "github.com/latchkey/latchkey/providers/azure"
	lkgcp "github.com/latchkey/latchkey/providers/gcp"
	"github.com/latchkey/latchkey/secret"
)

// azureTokenSettings declares bearer tokens for the bound hosts, minted
// for Scope by the azidentity chain an "azure" store with the same
// settings would use (auth_method managed_identity, service_principal,
// default; see docs/stores.md).
type azureTokenSettings struct {
	// Scope is what the token is for, e.g. https://vault.azure.net/.default
	// or https://management.azure.com/.default.
	Scope string         `json:"scope"`
	Azure map[string]any `json:"azure"`
}

// azureBearer is a [hostfuncs.Signer] writing Authorization: Bearer with a
// token from azidentity (which caches and refreshes it).
type azureBearer struct {
	store, name, scope string
	cred               azcore.TokenCredential
}

func (a *azureBearer) Sign(ctx context.Context, req *http.Request, _ []byte) ([]secret.Value, error) {
	tok, err := a.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{a.scope}})
	if err != nil {
		// azidentity's errors quote the identity endpoint's answer, which
		// holds no token; the host redacts them anyway.
		return nil, &stepError{a.store, a.name, "Azure token", err}
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	return []secret.Value{secret.StringValue(tok.Token)}, nil
}

func newAzureBearer(ctx context.Context, store, name string, s azureTokenSettings) (*azureBearer, string, []string, error) {
	if s.Scope == "" {
		return nil, "", nil, errors.New("scope is required, e.g. https://vault.azure.net/.default")
	}
	st, err := lkazure.FromSpec(ctx, secret.Spec{Name: store + ".credentials." + name + ".azure_token", Type: "azure", Settings: s.Azure})
	if err != nil {
		return nil, "", nil, err
	}
	return &azureBearer{store: store, name: name, scope: s.Scope, cred: st.TokenCredential()},
		fmt.Sprintf("Azure token for %s, as %s", s.Scope, st.Who()), st.Describe().UsedEnv(), nil
}

// gcpTokenSettings declares bearer tokens for the bound hosts from the
// credentials a "gcp" store with the same settings would use
// (auth_method adc — workload identity included — service_account_key,
// impersonate; see docs/stores.md), for the cloud-platform scope.
type gcpTokenSettings struct {
	GCP map[string]any `json:"gcp"`
}

// gcpBearer is a [hostfuncs.Signer] writing Authorization with a token
// from Google's auth library (which caches and refreshes it).
type gcpBearer struct {
	store, name string
	creds       *auth.Credentials
}

func (g *gcpBearer) Sign(ctx context.Context, req *http.Request, _ []byte) ([]secret.Value, error) {
	tok, err := g.creds.Token(ctx)
	if err != nil {
		return nil, &stepError{g.store, g.name, "Google token", err}
	}
	typ := tok.Type
	if typ == "" {
		typ = "Bearer"
	}
	req.Header.Set("Authorization", typ+" "+tok.Value)
	return []secret.Value{secret.StringValue(tok.Value)}, nil
}

func newGCPBearer(ctx context.Context, store, name string, s gcpTokenSettings) (*gcpBearer, string, []string, error) {
	st, err := lkgcp.FromSpec(ctx, secret.Spec{Name: store + ".credentials." + name + ".gcp_token", Type: "gcp", Settings: s.GCP})
	if err != nil {
		return nil, "", nil, err
	}
	defer st.Close()
	creds := st.TokenCredentials()
	if creds == nil {
		return nil, "", nil, errors.New("auth_method none mints no token")
	}
	return &gcpBearer{store: store, name: name, creds: creds}, "Google token as " + st.Who(), st.Describe().UsedEnv(), nil
}
