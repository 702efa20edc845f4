package gcp_test

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/latchkey/latchkey/providers/gcp/gcptest"
	"github.com/latchkey/latchkey/secret"
)

func TestCurrentVersion(t *testing.T) {
	srv := gcptest.Start(t, gcptest.Options{Secrets: seed()})
	st := build(t, fastRetries(srv.Settings(project))).(secret.Versioner)
	num := srv.ProjectNumber(project)
	tests := []struct {
		name    string
		req     secret.Request
		want    string
		wantErr error
	}{
		{name: "latest", req: secret.Request{Name: "plain"}, want: "projects/" + num + "/secrets/plain/versions/2"},
		{name: "alias resolves to its number", req: secret.Request{Name: "plain", Version: "prod"}, want: "projects/" + num + "/secrets/plain/versions/1"},
		{name: "pinned number", req: secret.Request{Name: "projects/" + project + "/secrets/plain/versions/1"}, want: "projects/" + num + "/secrets/plain/versions/1"},
		{name: "regional", req: secret.Request{Name: "projects/" + project + "/locations/europe-west1/secrets/regional"},
			want: "projects/" + num + "/locations/europe-west1/secrets/regional/versions/1"},
		{name: "disabled version", req: secret.Request{Name: "disabled", Version: "2"}, wantErr: secret.ErrNotFound},
		{name: "missing", req: secret.Request{Name: "missing"}, wantErr: secret.ErrNotFound},
		{name: "no versions", req: secret.Request{Name: "empty"}, wantErr: secret.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gotInfo, err := st.CurrentVersion(ctx(t), tc.req)
			got := gotInfo.Version()
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v; want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("CurrentVersion = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if n := srv.Count("AccessSecretVersion"); n != 0 {
		t.Errorf("version probes made %d AccessSecretVersion calls; want 0 (no payload)", n)
	}

	before := srv.Count("GetSecretVersion")
	srv.AddVersion(t, project, "", "plain", []byte("plain-planted-value-three"))
	gotInfo, err := st.CurrentVersion(ctx(t), secret.Request{Name: "plain"})
	got := gotInfo.Version()
	if want := "projects/" + num + "/secrets/plain/versions/3"; err != nil || got != want {
		t.Fatalf("after AddVersion: %q, %v; want %q", got, err, want)
	}
	if n := srv.Count("GetSecretVersion") - before; n != 1 {
		t.Errorf("one probe made %d GetSecretVersion calls", n)
	}
}

func TestCurrentVersionRetriesAndNote(t *testing.T) {
	srv := gcptest.Start(t, gcptest.Options{Secrets: seed()})
	st := build(t, fastRetries(srv.Settings(project))).(secret.Versioner)
	srv.FailNext(codes.Unavailable, 1)
	note, err := st.CurrentVersion(ctx(t), secret.Request{Name: "plain"})
	fetched, ferr := st.(secret.Store).Get(ctx(t), secret.Request{Name: "plain"})
	if err != nil || ferr != nil || note.Upstream != 2 || note.Version() == "" || note.Version() != fetched.Version() {
		t.Fatalf("err %v (fetch %v); note upstream %d version %q; want 2 calls (one retry) and the version %q", err, ferr, note.Upstream, note.Version(), fetched.Version())
	}
}

func TestCurrentVersionNeedsViewer(t *testing.T) {
	sa := gcptest.NewServiceAccount(t, "reader@demo-project.iam.gserviceaccount.com", project)
	secrets := seed()
	for i := range secrets {
		secrets[i].Viewers = []string{"someone-else@demo-project.iam.gserviceaccount.com"}
	}
	srv := gcptest.Start(t, gcptest.Options{Secrets: secrets, Accounts: []*gcptest.ServiceAccount{sa}})
	settings := fastRetries(srv.Settings(project))
	settings["auth_method"] = "service_account_key"
	settings["credentials_file"] = sa.KeyFile
	st := build(t, settings)
	if _, err := st.Get(ctx(t), secret.Request{Name: "plain"}); err != nil {
		t.Fatalf("the accessor may read the value: %v", err)
	}
	_, err := st.(secret.Versioner).CurrentVersion(ctx(t), secret.Request{Name: "plain"})
	if pe := asStoreError(t, err); pe.Principal == "" || !errors.Is(err, secret.ErrPermissionDenied) {
		t.Fatalf("err = %v; want a permission-denied StoreError naming the principal", err)
	}
	if !strings.Contains(err.Error(), "roles/secretmanager.viewer") || !strings.Contains(err.Error(), "secretmanager.versions.get") {
		t.Errorf("a refused probe names the wrong role: %v", err)
	}
}
