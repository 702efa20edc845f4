package gcptest_test

import (
	"testing"

	"github.com/latchkey/latchkey/providers/gcp/gcptest"
)

// TestDocsSnippet runs docs/stores.md's gcptest snippet, kept identical to
// it by internal/doccheck.
func TestDocsSnippet(t *testing.T) {
	srv := gcptest.Start(t, gcptest.Options{Secrets: []gcptest.Secret{
		{Project: "demo-project", ID: "db", Versions: []gcptest.Version{{Data: []byte(`{"password":"pw"}`)}}},
	}})
	settings := srv.Settings("demo-project") // {"endpoint": srv.Addr, "insecure": true, "project": "demo-project"}

	if settings["endpoint"] != srv.Addr || settings["insecure"] != true || settings["project"] != "demo-project" {
		t.Fatalf("settings %v", settings)
	}
}
