package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/policy"
)

func TestLoadFormats(t *testing.T) {
	for _, f := range []string{"testdata/agent.yaml", "testdata/agent.json", "testdata/agent.toml"} {
		t.Run(f, func(t *testing.T) {
			a, err := Load(Options{Path: f, Environ: []string{}})
			if err != nil {
				t.Fatal(err)
			}
			sc, ok := a.Stores["app"]
			if !ok || sc.Type != "env" || a.DefaultStore != "app" {
				t.Fatalf("unexpected config: %+v", a)
			}
			// An env store's allow is an alias of its secrets rule.
			if sc.Secrets == nil || !reflect.DeepEqual(sc.Secrets.Allow, []policy.Entry{{Name: "APP_*"}}) || sc.Secrets.Origin != "stores.app.allow" {
				t.Fatalf("allow = %#v", sc.Secrets)
			}
			if _, has := sc.Settings["allow"]; has {
				t.Fatal("allow must become the rule, not a setting")
			}
			if _, has := sc.Settings["type"]; has {
				t.Fatal("type must not be passed on as a setting")
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	a, err := Load(Options{
		Path: "testdata/agent.yaml",
		Environ: []string{
			"LATCHKEY_STORES__OTHER__ALLOW=[OTHER_*, MORE_*]",
			"LATCHKEY_CONCURRENCY=2",
			"LATCHKEY_CONFIG=ignored.yaml",
			"NOT_OURS=1",
		},
		Set: []string{"timeout=5s", "stores.app.secret=APP_OTHER"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if a.Concurrency != 2 || a.Timeout != 5*time.Second || a.Stores["app"].Secret != "APP_OTHER" {
		t.Fatalf("overrides not applied: %+v", a)
	}
	if got := a.Stores["other"].Secrets; got == nil || !reflect.DeepEqual(got.Allow, []policy.Entry{{Name: "OTHER_*"}, {Name: "MORE_*"}}) {
		t.Fatalf("env list override: %#v", got)
	}
	// --set wins over the environment.
	a, err = Load(Options{Path: "testdata/agent.yaml", Environ: []string{"LATCHKEY_CONCURRENCY=2"}, Set: []string{"concurrency=3"}})
	if err != nil || a.Concurrency != 3 {
		t.Fatalf("--set must win: %v %+v", err, a)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"missing file", Options{Path: "testdata/nope.yaml"}, []string{"nope.yaml", "--config"}},
		{"unknown extension", Options{Path: "testdata/agent.ini"}, []string{`unknown extension ".ini"`}},
		{"malformed", Options{Path: "testdata/malformed.yaml"}, []string{"malformed.yaml", "yaml: line"}},
		{"malformed json", Options{Path: "testdata/malformed.json"}, []string{"malformed.json: line 4: invalid character"}},
		{"malformed toml", Options{Path: "testdata/malformed.toml"}, []string{"malformed.toml: line 3 column 17: toml: array is incomplete"}},
		{"bad keys", Options{Path: "testdata/bad.yaml"}, []string{
			`key "default_stor": unknown key`, `key "concurrency": must be a whole number`,
			`key "timeout": must be a positive duration`, `key "stores.app.type": missing`,
			`key "stores.notmap": must be a map`, `"nope" is not one of the declared stores`,
		}},
		{"no stores", Options{Environ: []string{}}, []string{"no stores declared"}},
		{"bad set", Options{Path: "testdata/agent.yaml", Set: []string{"novalue"}}, []string{"want key=value"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Environ == nil {
				tc.opts.Environ = []string{}
			}
			_, err := Load(tc.opts)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
