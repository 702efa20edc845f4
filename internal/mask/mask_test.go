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

// FuzzMask checks that a secret never reaches the output however the stream
// is cut, and that text without secrets passes through unchanged.
func FuzzMask(f *testing.F) {
	f.Add([]byte("before hunter2 after"), uint8(3))
	f.Add([]byte("hunhunter2ter2"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		const secret = "hunter2"
		var out bytes.Buffer
		w := NewWriter(&out, [][]byte{[]byte(secret)})
		step := int(cut%16) + 1
		for i := 0; i < len(data); i += step {
			w.Write(data[i:min(i+step, len(data))])
		}
		w.Flush()
		if bytes.Contains(out.Bytes(), []byte(secret)) {
			t.Fatalf("secret in output %q", out.Bytes())
		}
		if !bytes.Contains(data, []byte(secret)) && !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("text without the secret was altered: %q -> %q", data, out.Bytes())
		}
	})
}
