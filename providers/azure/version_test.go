package azure_test

import (
	"errors"
	"testing"

	"github.com/latchkey/latchkey/providers/azure/azuretest"
	"github.com/latchkey/latchkey/secret"
)

func TestCurrentVersion(t *testing.T) {
	srv := azuretest.Start(t)
	v1 := srv.SetSecret("rotating", "v1-planted-value-aa01")
	st := newStore(t, spOptions(srv))

	gotInfo, err := st.CurrentVersion(ctx(t), secret.Request{Name: "rotating"})
	got := gotInfo.Version()
	if err != nil || got != v1 {
		t.Fatalf("CurrentVersion = %q, %v; want %q", got, err, v1)
	}
	v2 := srv.SetSecret("rotating", "v2-planted-value-aa02")
	tests := []struct {
		name    string
		req     secret.Request
		want    string
		gets    int // Key Vault transactions the probe costs
		wantErr error
	}{
		{name: "current after rotation", req: secret.Request{Name: "rotating"}, want: v2, gets: 1},
		{name: "by URL", req: secret.Request{Name: "https://" + srv.VaultName + "." + srv.VaultDomain + "/secrets/rotating"}, want: v2, gets: 1},
		{name: "pinned version costs nothing", req: secret.Request{Name: "rotating", Version: v1}, want: v1, gets: 0},
		{name: "missing", req: secret.Request{Name: "nope"}, gets: 1, wantErr: secret.ErrNotFound},
		{name: "bad name", req: secret.Request{Name: "bad_name"}, gets: 0, wantErr: secret.ErrInvalidConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Stats().SecretGets
			gotInfo, err := st.CurrentVersion(ctx(t), tc.req)
			got := gotInfo.Version()
			note := gotInfo
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v; want %v", err, tc.wantErr)
				}
			} else if err != nil || got != tc.want {
				t.Fatalf("CurrentVersion = %q, %v; want %q", got, err, tc.want)
			}
			if n := srv.Stats().SecretGets - before; n != tc.gets {
				t.Errorf("%d Key Vault transactions; want %d", n, tc.gets)
			}
			if tc.gets > 0 && note.Upstream < tc.gets {
				t.Errorf("note counts %d upstream calls; want at least %d", note.Upstream, tc.gets)
			}
		})
	}
}
