package runtime_test

import (
	"context"
	"testing"

	"github.com/latchkey/latchkey/internal/logbuf"
	w "github.com/latchkey/latchkey/internal/wasmtest"
	lkruntime "github.com/latchkey/latchkey/runtime"
)

// BenchmarkVersionCheck measures what the version check adds to a fetch:
// the same guest returns a small JSON document, without a version and
// with one (checked against a bound credential and the document's
// strings, in every encoding). Compare the two in one run:
//
//	go test ./runtime -run XXX -bench VersionCheck -count 3
func BenchmarkVersionCheck(b *testing.B) {
	doc := `{"username":"etl","password":"pw-S3cret-77aa11bb","host":"db.internal.example","port":5432}`
	for _, tc := range []struct {
		name string
		get  []byte
	}{
		{"without version", w.Code(storeBytes(0, doc), w.I32Const(0), w.I32Const(int32(len(doc))), w.Call(w.FnResultSet), w.Drop, w.I32Const(0))},
		{"with version", versionGuest("3f2a9c1e-0b7d-4e55-9a61-2c8d1e0f4b3a", 0, doc).Funcs[0].Body},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var logs logbuf.Buffer
			t := &testing.T{}
			opts := credOptions(t, &logs)
			opts.Name, opts.AllowUnpinned, opts.Cache = "bench", true, sharedCache
			m, err := lkruntime.LoadBytes(context.Background(), w.Guest(tc.get).Encode(), opts)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close(context.Background())
			ctx := context.Background()
			for b.Loop() {
				if _, err := m.Get(ctx, lkruntime.Request{Name: "db"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
