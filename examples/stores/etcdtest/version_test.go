package etcdtest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/examples/stores/etcdtest"
	"github.com/latchkey/latchkey/secret"
)

// TestEtcdVersion: against a real etcd, the module's version probe is the
// key's mod_revision: unchanged by writes to other keys, changed by a put
// of the key, the one a fetch records with the value, and read without
// the value (a fresh instance that only probed holds no byte of it).
func TestEtcdVersion(t *testing.T) {
	e := etcdtest.Start(t)
	module := etcdtest.BuildModule(t)
	p := prefix(t)
	const v1, v2 = "etcd-version-Pl4nted-one", "etcd-version-Pl4nted-two"
	rev1 := e.Put(t, p+"db", v1)
	settings := e.Settings(t, module, map[string]any{"prefix": p}, nil)
	settings["limits"] = map[string]any{"instances": 1}

	probeOnly := newStore(t, settings)
	defer probeOnly.Close()
	ver := func(st secret.Versioner, req secret.Request) string {
		t.Helper()
		vInfo, err := st.CurrentVersion(context.Background(), req)
		v := vInfo.Version()
		if err != nil {
			t.Fatalf("CurrentVersion(%+v): %v", req, err)
		}
		return v
	}
	if got := ver(probeOnly, secret.Request{Name: "db"}); got != strconv.FormatInt(rev1, 10) {
		t.Fatalf("CurrentVersion = %s, want the key's mod_revision %d", got, rev1)
	}
	found := 0
	probeOnly.Module().ScanIdleMemory(func(mem []byte) {
		for _, form := range []string{v1, base64.StdEncoding.EncodeToString([]byte(v1))} {
			found += bytes.Count(mem, []byte(form))
		}
	})
	if found != 0 {
		t.Fatalf("an instance that only probed holds the value %d times: the probe fetched it", found)
	}

	st := newStore(t, settings)
	defer st.Close()
	e.Put(t, p+"other", "unrelated")
	e.Put(t, p+"other", "unrelated again")
	if got := ver(st, secret.Request{Name: "db"}); got != strconv.FormatInt(rev1, 10) {
		t.Fatalf("after writes to another key, CurrentVersion = %s, want %d unchanged", got, rev1)
	}
	note, err := st.Get(context.Background(), secret.Request{Name: "db"})
	if err != nil || note.Value.RevealString() != v1 {
		t.Fatalf("Get: %v", err)
	}
	if note.Version() != strconv.FormatInt(rev1, 10) {
		t.Fatalf("the fetch recorded version %q, want %d", note.Version(), rev1)
	}
	rev2 := e.Put(t, p+"db", v2)
	if got := ver(st, secret.Request{Name: "db"}); got != strconv.FormatInt(rev2, 10) {
		t.Fatalf("after a put, CurrentVersion = %s, want %d", got, rev2)
	}
	if got := ver(st, secret.Request{Name: "db", Version: strconv.FormatInt(rev1+1, 10)}); got != strconv.FormatInt(rev1, 10) {
		t.Fatalf("CurrentVersion at revision %d = %s, want the mod_revision then, %d", rev1+1, got, rev1)
	}
	if _, err := st.CurrentVersion(context.Background(), secret.Request{Name: "absent"}); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("CurrentVersion of a missing key = %v, want ErrNotFound", err)
	}
	if _, err := st.CurrentVersion(context.Background(), secret.Request{Name: "db", Version: "v2"}); !errors.Is(err, secret.ErrInvalidConfig) {
		t.Fatalf("CurrentVersion with a bad revision = %v, want ErrInvalidConfig", err)
	}
}

// TestEtcdCacheRenews: a cache in front of the etcd store renews an
// unchanged key past its TTL with a keys-only probe, and fetches the new
// value after a put.
func TestEtcdCacheRenews(t *testing.T) {
	e := etcdtest.Start(t)
	p := prefix(t)
	e.Put(t, p+"db", "etcd-cache-Pl4nted-one")
	st := newStore(t, e.Settings(t, etcdtest.BuildModule(t), map[string]any{"prefix": p}, nil))
	now := time.Unix(1_800_000_000, 0)
	c := cache.New(st, cache.Options{Name: "etcd", TTL: time.Minute, Now: func() time.Time { return now }})
	defer c.Close()
	get := func(want string) {
		t.Helper()
		v, err := c.Get(context.Background(), secret.Request{Name: "db"})
		if err != nil || v.Value.RevealString() != want {
			t.Fatalf("Get = %d bytes, %v; want %q", len(v.Value.RevealString()), err, want)
		}
	}
	get("etcd-cache-Pl4nted-one")
	e.Put(t, p+"other", "unrelated")
	now = now.Add(2 * time.Minute)
	get("etcd-cache-Pl4nted-one")
	if s := c.Stats(); s.VersionChecks != 1 || s.VersionUnchanged != 1 {
		t.Fatalf("after an expiry with the key unchanged: %+v, want 1 check, 1 unchanged", s)
	}
	e.Put(t, p+"db", "etcd-cache-Pl4nted-two")
	now = now.Add(2 * time.Minute)
	get("etcd-cache-Pl4nted-two")
	if s := c.Stats(); s.VersionChecks != 2 || s.VersionUnchanged != 1 {
		t.Fatalf("after a put: %+v, want 2 checks, 1 unchanged", s)
	}
}
