package main

import (
	"bytes"
	"context"
	"os/exec"
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
	code, err := run(ctx, &out, &errb)
	if err != nil || code != 0 {
		t.Fatalf("run: code %d, %v\n%s", code, err, errb.String())
	}
	for _, want := range []string{`"username": "orders_app"`, `"password": "quickstart-s3cr3t"`, `"region": "eu-west-1"`, `"host": "db.internal.example.com"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %s:\n%s", want, out.String())
		}
	}
}
