package gcptest_test

import (
	"context"
	"hash/crc32"
	"testing"
	"time"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/latchkey/latchkey/providers/gcp/gcptest"
)

// client returns the real Secret Manager client talking to srv, without the
// store in between, so that the server's own checks are what is tested.
func client(t *testing.T, srv *gcptest.Server) *secretmanager.Client {
	t.Helper()
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	c, err := secretmanager.NewClient(context.Background(), option.WithGRPCConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	c.CallOptions.AccessSecretVersion = nil // no retries
	t.Cleanup(func() { c.Close() })
	return c
}

func TestServer(t *testing.T) {
	srv := gcptest.Start(t, gcptest.Options{
		Projects: []string{"empty-project"},
		Secrets: []gcptest.Secret{
			{Project: "demo-project", ID: "db", Aliases: map[string]int64{"stable": 1}, Versions: []gcptest.Version{
				{Data: []byte("one")}, {Data: []byte("two")},
				{Data: []byte("three"), State: secretmanagerpb.SecretVersion_DISABLED},
			}},
			{Project: "demo-project", Location: "us-east1", ID: "db", Versions: []gcptest.Version{{Data: []byte("regional")}}},
			{Project: "demo-project", ID: "nosum", Versions: []gcptest.Version{{Data: []byte("x"), Checksum: gcptest.ChecksumMissing}}},
			{Project: "demo-project", ID: "corrupt", Versions: []gcptest.Version{{Data: []byte("x"), Checksum: gcptest.ChecksumCorrupt}}},
		},
	})
	c := client(t, srv)
	num := srv.ProjectNumber("demo-project")
	tests := []struct {
		name     string
		req      string
		code     codes.Code
		data     string
		resolved string // the name the server answers with
	}{
		{"number", "projects/demo-project/secrets/db/versions/2", codes.OK, "two", "projects/" + num + "/secrets/db/versions/2"},
		{"alias", "projects/demo-project/secrets/db/versions/stable", codes.OK, "one", "projects/" + num + "/secrets/db/versions/1"},
		{"by project number", "projects/" + num + "/secrets/db/versions/1", codes.OK, "one", "projects/" + num + "/secrets/db/versions/1"},
		{"regional", "projects/demo-project/locations/us-east1/secrets/db/versions/latest", codes.OK, "regional", "projects/" + num + "/locations/us-east1/secrets/db/versions/1"},
		{"latest is disabled", "projects/demo-project/secrets/db/versions/latest", codes.FailedPrecondition, "", ""},
		{"no version segment", "projects/demo-project/secrets/db", codes.InvalidArgument, "", ""},
		{"bad project", "projects/Demo/secrets/db/versions/1", codes.InvalidArgument, "", ""},
		{"bad secret id", "projects/demo-project/secrets/d.b/versions/1", codes.InvalidArgument, "", ""},
		{"version zero", "projects/demo-project/secrets/db/versions/0", codes.InvalidArgument, "", ""},
		{"alias starting with a digit", "projects/demo-project/secrets/db/versions/1a", codes.InvalidArgument, "", ""},
		{"empty", "", codes.InvalidArgument, "", ""},
		{"unknown project", "projects/nosuch-project/secrets/db/versions/1", codes.PermissionDenied, "", ""},
		{"unknown secret", "projects/empty-project/secrets/db/versions/1", codes.NotFound, "", ""},
		{"secret only global", "projects/demo-project/locations/us-east1/secrets/nosum/versions/1", codes.NotFound, "", ""},
		{"unknown version", "projects/demo-project/secrets/db/versions/4", codes.NotFound, "", ""},
		{"unknown alias", "projects/demo-project/secrets/db/versions/beta", codes.NotFound, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.AccessSecretVersion(context.Background(), &secretmanagerpb.AccessSecretVersionRequest{Name: tc.req})
			if got := status.Code(err); got != tc.code {
				t.Fatalf("AccessSecretVersion(%q): code %v (%v), want %v", tc.req, got, err, tc.code)
			}
			if tc.code != codes.OK {
				return
			}
			p := resp.GetPayload()
			if string(p.GetData()) != tc.data || resp.GetName() != tc.resolved {
				t.Errorf("got %q named %q, want %q named %q", p.GetData(), resp.GetName(), tc.data, tc.resolved)
			}
			if p.DataCrc32C == nil || uint32(p.GetDataCrc32C()) != crc32.Checksum(p.GetData(), crc32.MakeTable(crc32.Castagnoli)) {
				t.Errorf("checksum missing or wrong")
			}
		})
	}

	access := func(name string) *secretmanagerpb.SecretPayload {
		resp, err := c.AccessSecretVersion(context.Background(), &secretmanagerpb.AccessSecretVersionRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetPayload()
	}
	if p := access("projects/demo-project/secrets/nosum/versions/1"); p.DataCrc32C != nil {
		t.Error("ChecksumMissing sent a checksum")
	}
	if p := access("projects/demo-project/secrets/corrupt/versions/1"); p.DataCrc32C == nil ||
		uint32(p.GetDataCrc32C()) == crc32.Checksum(p.GetData(), crc32.MakeTable(crc32.Castagnoli)) {
		t.Error("ChecksumCorrupt sent no checksum or a valid one")
	}

	srv.FailNext(codes.Unavailable, 1)
	if _, err := c.AccessSecretVersion(context.Background(), &secretmanagerpb.AccessSecretVersionRequest{Name: "projects/demo-project/secrets/db/versions/1"}); status.Code(err) != codes.Unavailable {
		t.Errorf("FailNext: got %v", err)
	}
	if len(srv.Requests()) != len(tests)+3 {
		t.Errorf("Requests holds %d names, want %d", len(srv.Requests()), len(tests)+3)
	}
}

func TestServerAuth(t *testing.T) {
	sa := gcptest.NewServiceAccount(t, "reader@demo-project.iam.gserviceaccount.com", "demo-project")
	srv := gcptest.Start(t, gcptest.Options{
		Accounts: []*gcptest.ServiceAccount{sa},
		Secrets:  []gcptest.Secret{{Project: "demo-project", ID: "db", Versions: []gcptest.Version{{Data: []byte("v")}}}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := client(t, srv).AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: "projects/demo-project/secrets/db/versions/1"})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("a call without a token: got %v, want Unauthenticated", err)
	}
}
