package audittest

import (
	"fmt"
	"testing"
)

// recorder is a testing.TB that keeps its errors instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Helper() {}

func TestRecordsCatches(t *testing.T) {
	good := `{"schema":"latchkey.audit","version":1,"time":"2026-12-01T09:28:57Z","event":"resolution","caller":{"kind":"cli"},"workflow":"w","outcome":"ok","duration_ms":1}`
	tests := []struct {
		name    string
		log     string
		planted string
		errs    int
	}{
		{"valid", good + "\n", "", 0},
		{"planted value anywhere", good + "\n", "w\",\"outcome", 1},
		{"not JSON", "{oops\n", "", 1},
		{"unknown field", `{"schema":"latchkey.audit","version":1,"time":"2026-12-01T09:28:57Z","event":"resolution","caller":{"kind":"cli"},"workflow":"w","outcome":"ok","duration_ms":1,"value":"x"}` + "\n", "", 1},
		{"error without kind", `{"schema":"latchkey.audit","version":1,"time":"2026-12-01T09:28:57Z","event":"resolution","caller":{"kind":"cli"},"workflow":"w","outcome":"error","duration_ms":1}` + "\n", "", 1},
		{"query in an outbound path", `{"schema":"latchkey.audit","version":1,"time":"2026-12-01T09:28:57Z","event":"fetch","caller":{"kind":"cli"},"workflow":"w","store":"s","store_type":"wasm","secret":"x","fields":["f"],"keys":[""],"cache":"none","outbound":[{"method":"GET","host":"h","path":"/a?token=x","status":200}],"outcome":"ok","duration_ms":1}` + "\n", "", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			var planted [][]byte
			if tc.planted != "" {
				planted = append(planted, []byte(tc.planted))
			}
			Records(r, []byte(tc.log), planted...)
			if len(r.errs) != tc.errs {
				t.Fatalf("%d errors, want %d: %v", len(r.errs), tc.errs, r.errs)
			}
		})
	}
}
