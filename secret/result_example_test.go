package secret_test

import (
	"context"
	"fmt"

	"github.com/latchkey/latchkey/secret"
)

// mapStore is a store that says which version it answered with.
type mapStore map[string]string

func (m mapStore) Get(_ context.Context, req secret.Request) (secret.Result, error) {
	v, ok := m[req.Name]
	if !ok {
		return secret.Result{}, fmt.Errorf("map store: secret %q: %w", req.Name, secret.ErrNotFound)
	}
	r := secret.Result{Value: secret.StringValue(v)}
	r.SetVersion("v1")
	return r, nil
}

func (mapStore) Close() error { return nil }

// A store returns the value and what it learned fetching it; the value
// never prints.
func ExampleResult() {
	var st secret.Store = mapStore{"db": "s3cr3t"}
	r, err := st.Get(context.Background(), secret.Request{Name: "db"})
	fmt.Println(r.Value, r.Version(), err)
	_, err = st.Get(context.Background(), secret.Request{Name: "api"})
	fmt.Println(err)
	// Output:
	// [REDACTED] v1 <nil>
	// map store: secret "api": secret not found
}

// A version that breaks the rules of CheckVersion is not recorded, and
// the refusal says why without quoting it.
func ExampleFetchInfo_SetVersion() {
	var info secret.FetchInfo
	info.SetVersion("v1")
	info.SetVersion("v2\n{\"forged\":true}")
	fmt.Println(info.Version())
	fmt.Println(info.VersionRefused)
	// Output:
	// v1
	// version refused: byte 2 is the control character 0x0a; a version is printable ASCII ('!' to '~', no space)
}
