package runtime

import (
	"testing"

	"github.com/latchkey/latchkey/hostfuncs"
	"github.com/latchkey/latchkey/secret"
)

// BenchmarkCheckVersionParts splits what checkVersion costs a fetch of
// BenchmarkVersionCheck's document: the rules on the text, the bound
// credential, the value's strings (as the call log's redaction finds
// them, and as the check does), and the whole check. Compare in one
// run:
//
//	go test ./runtime -run XXX -bench CheckVersionParts -benchmem
func BenchmarkCheckVersionParts(b *testing.B) {
	doc := []byte(`{"username":"etl","password":"pw-S3cret-77aa11bb","host":"db.internal.example","port":5432}`)
	const v = "3f2a9c1e-0b7d-4e55-9a61-2c8d1e0f4b3a"
	creds, err := hostfuncs.NewCredentials([]hostfuncs.Credential{{Name: "tok", Value: secret.StringValue("cred-Pl4nted-7c1e-value"), Hosts: []string{"api.example"}}})
	if err != nil {
		b.Fatal(err)
	}
	var opts Options
	creds.Install(&opts.HTTP)
	m := &Module{name: "bench", redact: opts.HTTP.Redact}
	b.Run("rules", func(b *testing.B) {
		for b.Loop() {
			_ = hostfuncs.CheckVersion(v)
		}
	})
	b.Run("credential", func(b *testing.B) {
		for b.Loop() {
			_ = m.redact([]byte(v))
		}
	})
	b.Run("strings/secretsIn", func(b *testing.B) {
		for b.Loop() {
			_ = secretsIn(doc)
		}
	})
	b.Run("strings/valueStrings", func(b *testing.B) {
		for b.Loop() {
			_ = valueStrings(doc)
		}
	})
	b.Run("check", func(b *testing.B) {
		for b.Loop() {
			if err := m.checkVersion(v, doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
