package secret_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/secret"
)

// plain implements the data path only.
type plain struct{}

func (plain) Get(context.Context, secret.Request) (secret.Result, error) {
	return secret.Result{Value: secret.StringValue("x")}, nil
}
func (plain) Close() error { return nil }

// folding is a store whose names are case-insensitive: it says so with a
// Key, and who it is with a Summary.
type folding struct{ plain }

func (folding) Describe() secret.Description {
	return secret.Description{
		Summary: "a case-insensitive store",
		Key:     func(req secret.Request) string { return strings.ToLower(req.Name) + "\x00" + req.Version },
		UsedEnv: func() []string { return []string{"FOLDING_TOKEN"} },
	}
}

// wrapper is a decorator: it forwards the data path and unwraps.
type wrapper struct{ secret.Store }

func (w wrapper) Unwrap() secret.Store { return w.Store }

func TestDescriptionDefaults(t *testing.T) {
	tests := []struct {
		name string
		st   secret.Store
	}{
		{"Get and Close only", plain{}},
		{"under a decorator", wrapper{plain{}}},
		{"nil", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := secret.As[secret.Describer](tc.st); ok {
				t.Fatal("a store without Describe has a Describer")
			}
			d := secret.DescriptionOf(tc.st)
			if !reflect.DeepEqual(d, secret.Description{}) {
				t.Errorf("DescriptionOf = %+v; want the zero Description (the defaults)", d)
			}
			// The default key is the request as written: versions and
			// letter case keep requests apart.
			keys := map[string]bool{}
			for _, req := range []secret.Request{{Name: "db"}, {Name: "DB"}, {Name: "db", Version: "v2"}, {Name: "db\x00v2"}} {
				keys[d.SecretKey(req)] = true
			}
			if len(keys) != 4 {
				t.Errorf("the default key merged distinct requests: %d keys for 4", len(keys))
			}
			first, again := d.SecretKey(secret.Request{Name: "db", Version: "v2"}), d.SecretKey(secret.Request{Name: "db", Version: "v2"})
			if first != again {
				t.Error("the default key differs for equal requests")
			}
		})
	}
}

func TestDescriptionOfUnwraps(t *testing.T) {
	d := secret.DescriptionOf(wrapper{wrapper{folding{}}})
	if d.Summary != "a case-insensitive store" {
		t.Fatalf("Summary = %q: the decorators hid the store's Description", d.Summary)
	}
	if d.SecretKey(secret.Request{Name: "DB"}) != d.SecretKey(secret.Request{Name: "db"}) {
		t.Error("SecretKey ignored the store's Key")
	}
	if got := d.UsedEnv(); !reflect.DeepEqual(got, []string{"FOLDING_TOKEN"}) {
		t.Errorf("UsedEnv() = %q", got)
	}
}

// A store says what it is once, in Describe; callers find it through any
// decorators with DescriptionOf, and get the defaults from a store that
// says nothing.
func ExampleDescriber() {
	st := wrapper{folding{}} // e.g. a cache in front of the store
	d := secret.DescriptionOf(st)
	fmt.Println(d.Summary)
	fmt.Println(d.SecretKey(secret.Request{Name: "DB"}) == d.SecretKey(secret.Request{Name: "db"}))
	fmt.Println(d.UsedEnv())

	none := secret.DescriptionOf(plain{})
	fmt.Printf("%q %v %v\n", none.Summary, none.Check == nil, none.Principal == nil)
	// Output:
	// a case-insensitive store
	// true
	// [FOLDING_TOKEN]
	// "" true true
}
