package config

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	_ "github.com/latchkey/latchkey/providers/env"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// TestOverrideErrorsNameTheirSource checks that a bad value set by a
// LATCHKEY_ variable or a --set flag is reported with that variable or
// flag (never its value), and one from the file without either.
func TestOverrideErrorsNameTheirSource(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		set     []string
		want    []string
		notWant []string
	}{
		{"environment", []string{"LATCHKEY_TIMEOUT=soon"}, nil,
			[]string{`key "timeout" (from LATCHKEY_TIMEOUT): must be a positive duration`}, []string{"soon"}},
		{"flag", nil, []string{"concurrency=0"},
			[]string{`key "concurrency" (from --set concurrency=…): must be a whole number`}, nil},
		{"flag wins", []string{"LATCHKEY_CONCURRENCY=1"}, []string{"concurrency=999"},
			[]string{`(from --set concurrency=…)`}, []string{"LATCHKEY_CONCURRENCY"}},
		{"unknown key from the environment", []string{"LATCHKEY_TIMEOT=5s"}, nil,
			[]string{`key "timeot" (from LATCHKEY_TIMEOT): unknown key`, `did you mean "timeout"?`}, nil},
		{"nested", nil, []string{"stores.app.secrets.alow=[X]"},
			[]string{`key "stores.app.secrets.alow" (from --set stores.app.secrets.alow=…)`, `did you mean "allow"?`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(Options{Path: "testdata/agent.yaml", Environ: tc.environ, Set: tc.set})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error holds %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestAllProblemsInOneRound checks that Load's partial Agent lets the
// caller build the stores, so that a store setting's problem (found by the
// store's factory) is reported with the top-level ones, annotated with the
// override it came from.
func TestAllProblemsInOneRound(t *testing.T) {
	a, err := Load(Options{Path: "testdata/agent.yaml",
		Environ: []string{"LATCHKEY_TIMEOT=5s", "LATCHKEY_STORES__APP__BOGUS=1"}})
	if err == nil || a == nil {
		t.Fatalf("Load: %v, agent %v; want an error and a partial agent", err, a)
	}
	_, serr := resolver.New(context.Background(), a.ResolverConfig(nil))
	if serr == nil {
		t.Fatal("building the partial agent's stores found nothing")
	}
	msg := a.Annotate(serr).Error()
	if !strings.Contains(msg, `setting "bogus": unknown setting`) || !strings.Contains(msg, "(from LATCHKEY_STORES__APP__BOGUS)") {
		t.Errorf("store setting problem: %s", msg)
	}
	if !strings.Contains(err.Error(), `"timeot"`) {
		t.Errorf("top-level problem: %v", err)
	}
}

// TestAnnotateBehindAWrapper checks that an origin still shows when a
// wrapper fixed its message before Annotate ran: as a line of its own.
func TestAnnotateBehindAWrapper(t *testing.T) {
	a, err := Load(Options{Path: "testdata/agent.yaml", Set: []string{"stores.app.bogus=1"}})
	if err != nil {
		t.Fatal(err)
	}
	ce := &secret.ConfigError{Store: "app", Key: "bogus", Msg: "unknown setting"}
	direct := a.Annotate(errors.Join(ce)).Error()
	if strings.Count(direct, "(from --set stores.app.bogus=…)") != 1 {
		t.Errorf("direct: %s", direct)
	}
	ce2 := &secret.ConfigError{Store: "app", Key: "bogus", Msg: "unknown setting"}
	wrapped := a.Annotate(fmt.Errorf("store %q: %w", "app", ce2)).Error()
	if !strings.Contains(wrapped, "\nstore \"app\": setting \"bogus\" (from --set stores.app.bogus=…)") {
		t.Errorf("wrapped: %s", wrapped)
	}
}
