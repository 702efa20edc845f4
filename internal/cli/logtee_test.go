package cli

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/winevent"
)

type events struct{ got []string }

func (e *events) Warning(_ uint32, m string) error { e.got = append(e.got, "W "+m); return nil }
func (e *events) Error(_ uint32, m string) error   { e.got = append(e.got, "E "+m); return nil }

// TestLogHandlerTee: under WithLogHandler the command's warnings reach the
// extra handler and stderr still gets them (the service's log file).
func TestLogHandlerTee(t *testing.T) {
	ev := &events{}
	ctx := WithLogHandler(context.Background(), winevent.NewHandler(ev))
	var out, errb bytes.Buffer
	a := &app{io: IO{In: strings.NewReader(""), Out: &out, Err: &errb}}
	cmd := a.rootCmd()
	a.logLevel = "info" // as serve sets it
	cmd.SetContext(ctx)
	if err := a.setup(cmd, nil); err != nil {
		t.Fatal(err)
	}
	a.log.Info("listening")
	a.log.Warn("token file readable by others", "token", "etl")
	if !strings.Contains(errb.String(), "listening") || !strings.Contains(errb.String(), "token file readable") {
		t.Errorf("stderr lost records: %q", errb.String())
	}
	if len(ev.got) != 1 || ev.got[0] != "W token file readable by others token=etl" {
		t.Errorf("event log got %q", ev.got)
	}
	// Without it, nothing else is wired.
	b := &app{io: IO{Err: &errb}}
	c2 := b.rootCmd()
	c2.SetContext(context.Background())
	if err := b.setup(c2, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.log.Handler().(*slog.TextHandler); !ok {
		t.Errorf("handler without a tee = %T", b.log.Handler())
	}
}
