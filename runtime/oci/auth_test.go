package oci_test

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/runtime/oci"
	"github.com/latchkey/latchkey/runtime/oci/ocitest"
)

// TestDockerConfigAuth: a registry requiring basic authentication is
// reached with the credentials of the Docker config file, from its auths
// or from a credential helper it names (a docker-credential-NAME program
// on PATH, as docker login and the cloud helpers set up), and refused
// without them, with an error saying where credentials come from.
func TestDockerConfigAuth(t *testing.T) {
	const user, pass = "ci-pusher", "pl4nted-registry-Passw0rd"
	reg := ocitest.StartAuth(t, user, pass)
	ctx := context.Background()
	ref := mustRef(t, "oci://"+reg.Host+"/stores/private:v1")
	dir := t.TempDir()

	helperDir := filepath.Join(dir, "bin")
	os.Mkdir(helperDir, 0o755)
	// The helper protocol: "get" reads the server on stdin, writes JSON.
	helper := "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\necho '{\"ServerURL\":\"'\"$server\"'\",\"Username\":\"" + user + "\",\"Secret\":\"" + pass + "\"}'\n"
	if err := os.WriteFile(filepath.Join(helperDir, "docker-credential-lktest"), []byte(helper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", helperDir+string(os.PathListSeparator)+os.Getenv("PATH"))

	configs := map[string]string{
		"none":        `{}`,
		"wrong":       `{"auths":{"` + reg.Host + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte(user+":wrong")) + `"}}}`,
		"auths":       `{"auths":{"` + reg.Host + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)) + `"}}}`,
		"credHelpers": `{"credHelpers":{"` + reg.Host + `":"lktest"}}`,
	}
	client := func(t *testing.T, name string) *oci.Client {
		p := filepath.Join(t.TempDir(), "config.json")
		if err := os.WriteFile(p, []byte(configs[name]), 0o600); err != nil {
			t.Fatal(err)
		}
		c := newClient(t, cacheDir(t))
		c.DockerConfig = p
		return c
	}
	wasm := module(t, 20)
	tests := []struct {
		config string
		ok     bool
	}{
		{"none", false},
		{"wrong", false},
		{"auths", true},
		{"credHelpers", true},
	}
	for _, tc := range tests {
		t.Run(tc.config, func(t *testing.T) {
			_, err := client(t, tc.config).Push(ctx, ref, wasm, oci.PushOptions{})
			if tc.ok != (err == nil) {
				t.Fatalf("push: ok = %v, err = %v", tc.ok, err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "refused the credentials") || !strings.Contains(err.Error(), "docker login "+reg.Host) {
					t.Fatalf("error does not say where credentials come from: %v", err)
				}
				if strings.Contains(err.Error(), pass) {
					t.Fatal("the error carries the password")
				}
				return
			}
			if _, err := client(t, tc.config).Pull(ctx, ref, ""); err != nil {
				t.Fatalf("pull: %v", err)
			}
		})
	}
	t.Run("pull without credentials", func(t *testing.T) {
		_, err := client(t, "none").Pull(ctx, ref, "")
		if err == nil || errors.Is(err, oci.ErrNotFound) || !strings.Contains(err.Error(), "refused the credentials") {
			t.Fatalf("err = %v", err)
		}
	})
}
