package gcp_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/gcp"
	"github.com/latchkey/latchkey/providers/gcp/gcptest"
	"github.com/latchkey/latchkey/secret"
)

func TestPrincipal(t *testing.T) {
	reader := gcptest.NewServiceAccount(t, "reader@demo-project.iam.gserviceaccount.com", project)
	srv := gcptest.Start(t, gcptest.Options{Secrets: seed(), Accounts: []*gcptest.ServiceAccount{reader}})
	settings := fastRetries(srv.Settings(project))
	settings["auth_method"] = "service_account_key"
	settings["credentials_file"] = reader.KeyFile
	st := build(t, settings).(secret.Describer)
	who, err := st.Describe().Principal(ctx(t))
	if err != nil || !strings.Contains(who, reader.Email) {
		t.Errorf("Principal = %q, %v; want %s", who, err, reader.Email)
	}
}

// TestRefusedImpersonation: IAM refuses the caller the impersonated
// account's token (403 PERMISSION_DENIED from generateAccessToken). The
// error names the caller and the target and calls it permission denied.
func TestRefusedImpersonation(t *testing.T) {
	caller := gcptest.NewServiceAccount(t, "caller@demo-project.iam.gserviceaccount.com", project)
	target := "target@demo-project.iam.gserviceaccount.com"
	srv := gcptest.Start(t, gcptest.Options{Secrets: seed()})
	var asked []string
	iam := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"error":{"code":403,"message":"Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).","status":"PERMISSION_DENIED"}}`))
	}))
	defer iam.Close()
	// Every host the credentials dial is the fake IAM server.
	tr := iam.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, iam.Listener.Addr().String())
	}
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the test's own server
	cfg := gcp.Config{Endpoint: srv.Addr, Insecure: true, Project: project, MaxAttempts: 1,
		Auth: gcp.AuthImpersonate, CredentialsFile: caller.KeyFile, ImpersonateServiceAccount: target,
		TokenClient: &http.Client{Transport: tr}}
	st, err := gcp.New(context.Background(), "gsm", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = st.Get(ctx(t), secret.Request{Name: "plain"})
	if len(asked) == 0 || !strings.Contains(asked[0], target+":generateAccessToken") {
		t.Fatalf("the IAM Credentials API was not asked: %v (err %v)", asked, err)
	}
	if ie := asStoreError(t, err); !strings.Contains(ie.Principal, caller.Email) || !errorsIs(err, secret.ErrPermissionDenied) {
		t.Fatalf("err = %v; want a permission-denied StoreError naming the caller %s", err, caller.Email)
	}
	for _, want := range []string{`gcp store "gsm"`, caller.Email, "may not impersonate", target, "permission denied", "roles/iam.serviceAccountTokenCreator"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "Unauthenticated") || strings.Contains(err.Error(), "did not authenticate") {
		t.Errorf("a refused impersonation reads as bad credentials: %v", err)
	}
	if !errorsIs(err, secret.ErrPermissionDenied) {
		t.Errorf("err does not wrap ErrPermissionDenied: %v", err)
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
