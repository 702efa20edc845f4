package awstest_test

import (
	"testing"

	"github.com/latchkey/latchkey/providers/aws/awstest"
)

// TestDocsSnippet runs docs/stores.md's awstest snippet, kept identical to
// it by internal/doccheck.
func TestDocsSnippet(t *testing.T) {
	srv := awstest.Start(t)
	alice := srv.AddUser("alice")
	role := srv.AddRole(awstest.Role{Name: "reader"}) // for assume_role
	srv.PutString("prod/etl/db", `{"password":"…"}`)
	srv.Setenv(t, alice) // or pass srv.Env(alice) to a child process

	if role == "" || alice.AccessKeyID == "" {
		t.Fatalf("role %q, user %+v", role, alice)
	}
}
