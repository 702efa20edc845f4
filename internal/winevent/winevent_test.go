package winevent

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/latchkey/latchkey/secret"
)

// recorder stands in for the Windows event log, which cannot run here:
// it records what would be reported.
type recorder struct {
	mu     sync.Mutex
	events []event
	err    error
}

type event struct {
	typ Type
	id  uint32
	msg string
}

func (r *recorder) Warning(id uint32, msg string) error { return r.add(Warning, id, msg) }
func (r *recorder) Error(id uint32, msg string) error   { return r.add(Error, id, msg) }
func (r *recorder) add(t Type, id uint32, msg string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{t, id, msg})
	return r.err
}

func TestTypeOf(t *testing.T) {
	tests := []struct {
		level slog.Level
		want  Type
	}{
		{slog.LevelDebug, None},
		{slog.LevelInfo, None},
		{slog.LevelWarn - 1, None},
		{slog.LevelWarn, Warning},
		{slog.LevelWarn + 2, Warning},
		{slog.LevelError, Error},
		{slog.LevelError + 4, Error},
	}
	for _, tc := range tests {
		t.Run(tc.level.String(), func(t *testing.T) {
			if got := TypeOf(tc.level); got != tc.want {
				t.Fatalf("TypeOf(%v) = %v, want %v", tc.level, got, tc.want)
			}
		})
	}
}

func TestHandler(t *testing.T) {
	rec := &recorder{}
	log := slog.New(NewHandler(rec)).With("component", "serve").WithGroup("req")
	log.Info("listening", "addr", `\\.\pipe\latchkey`)
	log.Debug("detail")
	log.Warn("slow upstream", "store", "aws", "after", "10s")
	log.Error("reload refused; the previous config keeps serving", "err", errors.New("agent config C:\\x.yaml: line 3: unknown key \"stroes\""))
	log.Warn("value", "secret", secret.NewValue([]byte("hunter2-must-not-appear")))
	want := []event{
		{Warning, WarningID, `slow upstream component=serve req.store=aws req.after=10s`},
		{Error, ErrorID, `reload refused; the previous config keeps serving component=serve req.err="agent config C:\\x.yaml: line 3: unknown key \"stroes\""`},
	}
	if len(rec.events) != 3 {
		t.Fatalf("events = %+v, want warnings and errors only", rec.events)
	}
	for i, w := range want {
		if rec.events[i] != w {
			t.Errorf("event %d = %+v\nwant      %+v", i, rec.events[i], w)
		}
	}
	if strings.Contains(rec.events[2].msg, "hunter2") {
		t.Errorf("a secret value reached the event log: %q", rec.events[2].msg)
	}
}

// TestHandlerFansOut: beside the file handler, through
// slog.NewMultiHandler, as the service wires it; the file still gets every
// record at its level, and an event log that fails does not stop it.
func TestHandlerFansOut(t *testing.T) {
	rec := &recorder{err: errors.New("event log full")}
	var file strings.Builder
	var mu sync.Mutex
	fileH := slog.NewTextHandler(lockedWriter{&mu, &file}, &slog.HandlerOptions{Level: slog.LevelInfo})
	log := slog.New(slog.NewMultiHandler(fileH, NewHandler(rec)))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			log.Info("info", "i", i)
			log.Warn("warn", "i", i)
		}()
	}
	wg.Wait()
	if n := strings.Count(file.String(), "\n"); n != 40 {
		t.Errorf("file got %d records, want 40", n)
	}
	if len(rec.events) != 20 {
		t.Errorf("event log got %d events, want 20", len(rec.events))
	}
	for _, e := range rec.events {
		if !strings.HasPrefix(e.msg, "warn i=") || strings.Count(e.msg, "i=") != 1 {
			t.Errorf("event %q mixes records", e.msg)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestMessageCut(t *testing.T) {
	long := strings.Repeat("é", MaxMessage) // two bytes each
	got := Message("big", long)
	if len(got) > MaxMessage || !utf8.ValidString(got) || !strings.HasSuffix(got, "the log file has the whole record)") {
		t.Fatalf("cut message: %d bytes, valid %v, ends %q", len(got), utf8.ValidString(got), got[len(got)-20:])
	}
	if got := Message("m", ""); got != "m" {
		t.Errorf("Message without attrs = %q", got)
	}
}
