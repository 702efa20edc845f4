package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQuickstart runs the README's main command's code: build the module,
// serve the store, resolve through the Wasm and env stores.
func TestQuickstart(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is needed to build the Wasm module")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	keep := t.TempDir()
	code, err := run(ctx, keep, &out, &errb)
	if err != nil || code != 0 {
		t.Fatalf("run: code %d, %v\n%s", code, err, errb.String())
	}
	for _, want := range []string{`"username": "orders_app"`, `"password": "quickstart-s3cr3t"`, `"region": "eu-west-1"`, `"host": "db.internal.example.com"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %s:\n%s", want, out.String())
		}
	}
	// It shows what it did: the generated files, and which store each
	// field came from, and keeps the files when asked.
	for _, want := range []string{"--- " + filepath.Join(keep, "agent.yaml"), "type: wasm", "--- " + filepath.Join(keep, "workflow.yaml"),
		"password: secret://custom/db#password", "STORE", "password  custom  db", "region    app     QUICKSTART_REGION", "ok (absent: default used)"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb.String())
		}
	}
	for _, f := range []string{"agent.yaml", "workflow.yaml"} {
		if _, err := os.Stat(filepath.Join(keep, f)); err != nil {
			t.Errorf("-keep: %v", err)
		}
	}
	if strings.Contains(errb.String(), "quickstart-s3cr3t") {
		t.Errorf("stderr holds the password:\n%s", errb.String())
	}
}
