package logbuf

import (
	"strings"
	"sync"
	"testing"
)

func TestConcurrentWritesAllArrive(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("x"))
			}
		})
	}
	wg.Wait()
	if got := len(b.String()); got != 800 {
		t.Fatalf("%d bytes, want 800", got)
	}
	c := b.Bytes()
	c[0] = 'y'
	if b.String()[0] != 'x' {
		t.Fatal("Bytes returned the buffer's own storage")
	}
}

func TestLoggerWritesDebug(t *testing.T) {
	var b Buffer
	b.Logger().Debug("hello", "k", "v")
	if s := b.String(); !strings.Contains(s, "level=DEBUG") || !strings.Contains(s, "k=v") {
		t.Fatalf("got %q", s)
	}
}
