package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// describe checks the store's [secret.Description] against the contract of
// [secret.Describer]: a store without one gets the defaults; Describe's
// answer is the same on every call; Key gives equal keys to equal requests
// and different keys to different secrets; Check passes the requests the
// store serves; UsedEnv answers the same twice and hands out a slice of the
// caller's own; none of them (nor Naming's functions) makes a request to
// the backend, names a secret's value, or races with Get.
func describe(t testing.TB, fx *Fixture) {
	d, ok := secret.As[secret.Describer](fx.Store)
	if !ok {
		if got := secret.DescriptionOf(fx.Store); !reflect.DeepEqual(got, secret.Description{}) {
			t.Fatalf("a store without Describe gets %+v, not the zero Description", got)
		}
		return
	}
	reqs := []secret.Request{fx.Plain, fx.JSON}
	if fx.Binary.Name != "" {
		reqs = append(reqs, fx.Binary)
	}
	upstream := func() int {
		if fx.Upstream == nil {
			return 0
		}
		return fx.Upstream()
	}
	before := upstream()
	a, b := d.Describe(), d.Describe()
	if a.Summary != b.Summary || !slices.Equal(a.Warnings, b.Warnings) || a.RequiresAllow != b.RequiresAllow {
		t.Errorf("two Describe calls differ: %q %q %v, then %q %q %v", a.Summary, a.Warnings, a.RequiresAllow, b.Summary, b.Warnings, b.RequiresAllow)
	}
	for _, f := range []struct {
		name   string
		ga, gb bool
	}{
		{"UsedEnv", a.UsedEnv != nil, b.UsedEnv != nil}, {"Key", a.Key != nil, b.Key != nil},
		{"Check", a.Check != nil, b.Check != nil}, {"Principal", a.Principal != nil, b.Principal != nil},
		{"Naming.Subject", a.Naming.Subject != nil, b.Naming.Subject != nil},
		{"Naming.Pattern", a.Naming.Pattern != nil, b.Naming.Pattern != nil}, {"Pool", a.Pool != nil, b.Pool != nil},
	} {
		if f.ga != f.gb {
			t.Errorf("Description.%s is set by one Describe call and not by the next", f.name)
		}
	}
	shown := a.Summary + "\n" + strings.Join(a.Warnings, "\n")

	keys := map[string]secret.Request{}
	for _, req := range reqs {
		again := secret.Request{Name: strings.Clone(req.Name), Version: strings.Clone(req.Version)}
		k := a.SecretKey(req)
		if k != a.SecretKey(again) || k != b.SecretKey(req) {
			t.Errorf("Key(%+v) differs between equal requests or Describe calls", req)
		}
		if prev, dup := keys[k]; dup {
			t.Errorf("Key gives %+v and %+v, two secrets, one key", prev, req)
		}
		keys[k] = req
		shown += "\n" + k
		if a.Check != nil {
			if err := a.Check(req); err != nil {
				t.Errorf("Check(%+v) refuses a request the store serves: %v", req, err)
			} else if a.Check(again) != nil {
				t.Errorf("Check(%+v) answers differently for an equal request", req)
			}
		}
		if a.Naming.Subject != nil {
			s1, err1 := a.Naming.Subject(req)
			s2, err2 := a.Naming.Subject(again)
			if err1 != nil {
				t.Errorf("Naming.Subject(%+v) cannot read a request the store serves: %v", req, err1)
			} else if err2 != nil || !reflect.DeepEqual(s1, s2) {
				t.Errorf("Naming.Subject(%+v) answers differently for an equal request: %+v, then %+v %v", req, s1, s2, err2)
			}
		}
	}
	if a.UsedEnv != nil {
		e1 := a.UsedEnv()
		slices.Sort(e1)
		if len(e1) > 0 {
			e1[0] = "TAMPERED_BY_THE_CALLER"
		}
		e2, e3 := a.UsedEnv(), b.UsedEnv()
		slices.Sort(e2)
		slices.Sort(e3)
		if slices.Contains(e2, "TAMPERED_BY_THE_CALLER") {
			t.Error("UsedEnv hands out a slice the store keeps: a caller's change shows in the next answer")
		}
		if !slices.Equal(e2, e3) {
			t.Errorf("UsedEnv answers %q, then %q, with no fetch between", e2, e3)
		}
		shown += "\n" + strings.Join(e2, "\n")
	}
	if a.Pool != nil {
		_ = a.Pool()
	}
	if n := upstream() - before; n != 0 {
		t.Errorf("Describe and its Key, Check, UsedEnv, Naming and Pool made %d request(s) to the backend; they must do no I/O", n)
	}
	NoLeak(t, "Describe (summary, warnings, keys, used env)", shown, secretsOf(fx)...)

	// The resolver reads the Description through its decorators.
	r, err := resolver.New(ctx(t), resolver.Config{Stores: map[string]resolver.StoreConfig{"s": {Store: fx.Store}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, _ := r.Description("s"); got.Summary != a.Summary {
		t.Errorf("the resolver sees Summary %q, the store says %q", got.Summary, a.Summary)
	}

	// Describe and its functions run alongside Get under the race detector.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 8 {
		wg.Go(func() {
			req := reqs[i%len(reqs)]
			dd := d.Describe()
			_ = dd.SecretKey(req)
			if dd.Check != nil {
				_ = dd.Check(req)
			}
			if dd.UsedEnv != nil {
				_ = dd.UsedEnv()
			}
			if dd.Naming.Subject != nil {
				_, _ = dd.Naming.Subject(req)
			}
			if dd.Pool != nil {
				_ = dd.Pool()
			}
			if _, err := fx.Store.Get(ctx(t), req); err != nil {
				errs <- fmt.Errorf("Get(%+v) alongside Describe: %w", req, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
