package azure_test

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/providers/azure/azuretest"
	"github.com/latchkey/latchkey/secret"
)

// TestVersionDetail: a fetch tells what Key Vault said about the version:
// when it was created (its attributes), and that the value is text.
func TestVersionDetail(t *testing.T) {
	srv := azuretest.Start(t)
	before := time.Now().Truncate(time.Second)
	v1 := srv.SetSecret("dated", "v1-planted-value-dd01")
	after := time.Now()
	st := newStore(t, spOptions(srv))
	note, err := st.Get(ctx(t), secret.Request{Name: "dated"})
	if err != nil {
		t.Fatal(err)
	}
	d := note.Detail
	if d == nil {
		t.Fatal("the fetch said nothing about the version")
	}
	if note.Version() != v1 || d.Stored != secret.StoredText || d.Created.Before(before) || d.Created.After(after) {
		t.Fatalf("version %q, detail %+v; want %s, text, created between %v and %v", note.Version(), d, v1, before, after)
	}
}
