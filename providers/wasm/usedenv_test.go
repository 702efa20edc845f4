package wasm

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestUsedEnv checks that a store names the variables its credentials are
// read from (and not the files), so that exec drops them.
func TestUsedEnv(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("a-file-credential-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) (string, bool) { return "an-env-credential-value", k == "VAULT_TOKEN" }
	_, infos, err := credentials(context.Background(), "vault", map[string]credentialSettings{
		"token": {Env: "VAULT_TOKEN", Hosts: []string{"vault.example.com"}},
		"other": {File: file, Hosts: []string{"vault.example.com"}},
	}, getenv, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{name: "vault", creds: infos}
	if got := s.usedEnv(); !reflect.DeepEqual(got, []string{"VAULT_TOKEN"}) {
		t.Fatalf("UsedEnv() = %v, want [VAULT_TOKEN]", got)
	}
}
