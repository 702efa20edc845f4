package main

import (
	"bytes"
	"context"
	"log/slog"
	"os/exec"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/wasmtest"
)

// TestRun runs the program as `go run ./examples/embed` would, building
// the guest module itself, and checks what it resolved and that nothing
// it printed or logged holds the demo password.
func TestRun(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is needed to build the guest module")
	}
	// The tests' shared build of the same module fills the compilation
	// cache, so that this -race binary need not compile the guest itself.
	wasmtest.Build(t, "examples/stores/http-json")
	var out, logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if err := run(context.Background(), []string{"-cache-dir", wasmtest.CacheDir(t)}, &out, log); err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, logs.String())
	}
	want := "resolved username: 6 bytes\nresolved password: 22 bytes\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if strings.Contains(out.String()+logs.String(), "demo-password-not-real") {
		t.Error("the secret value was printed or logged")
	}
}
