package config

import (
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/protect"
)

func TestProtectionSections(t *testing.T) {
	a, err := Load(Options{Path: "testdata/protection.yaml", Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	sm := a.Stores["sm"].Protection
	if sm == nil || sm.Rate != 50 || sm.Burst != 10 || sm.Breaker.Threshold != 3 || sm.Breaker.CoolOff != time.Minute || sm.MaxInFlight != protect.Defaults("aws").MaxInFlight {
		t.Errorf("sm protection %+v", sm)
	}
	if _, has := a.Stores["sm"].Settings["protection"]; has {
		t.Error("the protection section was passed to the store as a setting")
	}
	if p := a.Stores["app"].Protection; p == nil || !p.Disabled {
		t.Errorf("env store: protection %+v, want the env default (off)", p)
	}
	if p := a.Stores["custom"].Protection; p == nil || !p.Disabled {
		t.Errorf("enabled: false: %+v", p)
	}
}

func TestProtectionErrors(t *testing.T) {
	_, err := Load(Options{Path: "testdata/badprotection.yaml", Environ: []string{}})
	if err == nil {
		t.Fatal("bad protection settings accepted")
	}
	for _, want := range []string{
		`key "stores.sm.protection.rate": must be from 0.001 to 100000`,
		`key "stores.sm.protection.max_in_flight": must be from 1 to 10000`,
		`key "stores.sm.protection.retry.max_delay": must be from retry.base_delay (1s)`,
		`key "stores.sm.protection.breaker.cool_off": "soon" is not a duration`,
		`key "stores.other.protection.rte": unknown setting`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
