package env

import (
	"testing"

	"github.com/latchkey/latchkey/secret"
)

func TestSecretKey(t *testing.T) {
	st, err := New("e", Options{Allow: []string{"APP_*"}, LookupEnv: fakeEnv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		a, b secret.Request
		same bool
	}{
		{"same name", secret.Request{Name: "APP_X"}, secret.Request{Name: "APP_X"}, true},
		{"case sensitive", secret.Request{Name: "APP_X"}, secret.Request{Name: "app_x"}, false},
		{"a version keys apart", secret.Request{Name: "APP_X"}, secret.Request{Name: "APP_X", Version: "1"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := st.Describe().Key(tc.a) == st.Describe().Key(tc.b); got != tc.same {
				t.Fatalf("same = %v, want %v", got, tc.same)
			}
		})
	}
}
