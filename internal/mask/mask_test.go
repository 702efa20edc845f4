package mask

import (
	"bytes"
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		writes  []string
		want    string
	}{
		{"whole", []string{"hunter2"}, []string{"pw=hunter2\n"}, "pw=" + Marker + "\n"},
		{"split across writes", []string{"hunter2"}, []string{"pw=hun", "ter2!"}, "pw=" + Marker + "!"},
		{"split byte by byte", []string{"abcdef"}, strings.Split("xxabcdefyy", ""), "xx" + Marker + "yy"},
		{"false start", []string{"hunter2"}, []string{"hunt", "ing"}, "hunting"},
		{"prefix held then flushed", []string{"hunter2"}, []string{"end: hunte"}, "end: hunte"},
		{"longest wins", []string{"abc", "abcdef"}, []string{"abcdef abc"}, Marker + " " + Marker},
		{"overlap restart", []string{"aab"}, []string{"aaab"}, "a" + Marker},
		{"short ignored", []string{"ab"}, []string{"ab"}, "ab"},
		{"two secrets", []string{"s3cr3t", "t0k3n"}, []string{"s3cr", "3t t0", "k3n"}, Marker + " " + Marker},
		// A secret that starts a longer one must not be masked while the
		// longer one may still come: that would print the longer one's rest.
		{"short prefix of long, split", []string{"adm", "admin-pass"}, []string{"admin-pa", "ss\n"}, Marker + "\n"},
		{"short prefix of long, not completed", []string{"adm", "admin-pass"}, []string{"admin-pa", "rty"}, Marker + "in-party"},
		// Held bytes are masked too when the stream ends.
		{"secret inside held tail", []string{"XYZ", "aXYZb"}, []string{"aXYZ"}, "a" + Marker},
		{"short secret at end of stream", []string{"abc", "abcdef"}, []string{"xabc"}, "x" + Marker},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			var secrets [][]byte
			for _, s := range tc.secrets {
				secrets = append(secrets, []byte(s))
			}
			w := NewWriter(&out, secrets)
			for _, s := range tc.writes {
				if n, err := w.Write([]byte(s)); err != nil || n != len(s) {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Fatalf("got %q want %q", out.String(), tc.want)
			}
		})
	}
}

// FuzzMask checks that no secret reaches the output however the stream is
// cut, with two secrets that may overlap or prefix each other, and that text
// without secrets passes through unchanged.
func FuzzMask(f *testing.F) {
	f.Add([]byte("before hunter2 after"), uint8(3), "hunter2", "tok")
	f.Add([]byte("hunhunter2ter2"), uint8(1), "hunter2", "ter")
	f.Add([]byte("admin-password"), uint8(5), "adm", "admin-password")
	f.Add([]byte("aXYZ"), uint8(15), "XYZ", "aXYZb")
	f.Fuzz(func(t *testing.T, data []byte, cut uint8, s1, s2 string) {
		var secrets [][]byte
		for _, s := range []string{s1, s2} {
			if len(s) >= MinLen {
				secrets = append(secrets, []byte(s))
			}
		}
		var out bytes.Buffer
		w := NewWriter(&out, secrets)
		step := int(cut%16) + 1
		for i := 0; i < len(data); i += step {
			w.Write(data[i:min(i+step, len(data))])
		}
		w.Flush()
		// Between markers, the output is the input's own bytes: none of
		// those runs may hold a secret.
		for _, run := range bytes.Split(out.Bytes(), []byte(Marker)) {
			for _, s := range secrets {
				if bytes.Contains(run, s) {
					t.Fatalf("secret %q in output %q", s, out.Bytes())
				}
			}
		}
		for _, s := range secrets {
			if bytes.Contains(data, s) {
				return
			}
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("text without a secret was altered: %q -> %q", data, out.Bytes())
		}
	})
}
