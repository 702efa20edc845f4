package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/config"
	"github.com/latchkey/latchkey/policy"
	_ "github.com/latchkey/latchkey/providers/env" // registers type "env"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/server"
	"github.com/latchkey/latchkey/server/api"
	"github.com/latchkey/latchkey/server/serveconf"
)

// Example embeds the resident agent: its configuration is Go values (no
// agent config file, no koanf), it listens on a unix socket in a temporary
// directory, and a workflow is resolved through it with [api.Client], as
// `latchkey resolve --server` does.
func Example() {
	dir, _ := os.MkdirTemp("", "lkex")
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "latchkey.sock")
	os.Setenv("EXAMPLE_GREETING", "hello")

	load := func(context.Context) (*server.Spec, error) {
		return &server.Spec{
			Resolver: resolver.Config{Stores: map[string]resolver.StoreConfig{
				"app": {
					Type:    "env",
					Secrets: &policy.Spec{Allow: []policy.Entry{{Name: "EXAMPLE_*"}}},
					Cache:   &cache.Options{}, // the documented defaults
				},
			}},
			Serve: serveconf.Settings{Socket: sock},
		}, nil
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	srv, err := server.New(ctx, server.Config{Load: load})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.Listen(); err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	<-srv.Ready()

	c, _ := api.NewClient("unix://"+sock, "")
	defer c.Close()
	resp, err := c.Resolve(ctx, "wf.yaml", []byte("fields:\n  greeting: secret://app/EXAMPLE_GREETING\n  host: db.internal\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range resp.Fields {
		fmt.Println(f.Name, *f.String, f.Secret)
	}
	_, err = c.Resolve(ctx, "wf.yaml", []byte("fields:\n  missing: secret://app/EXAMPLE_NOPE\n"))
	fmt.Println(err.(*api.ResponseError).Code)

	stop() // as SIGTERM does: drain, close the stores, remove the socket
	fmt.Println(<-done)
	// Output:
	// greeting hello true
	// host db.internal false
	// resolution_failed
	// <nil>
}

// Example_agentConfig runs the agent from an agent config file, as
// `latchkey serve` does: package config reads the file (and LATCHKEY_…
// overrides) and its sections make the [server.Spec].
func Example_agentConfig() {
	dir, _ := os.MkdirTemp("", "lkex")
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "latchkey.sock")
	agent := filepath.Join(dir, "agent.yaml")
	_ = os.WriteFile(agent, []byte("stores:\n  app:\n    type: env\n    allow: [EXAMPLE_*]\nserve:\n  socket: "+sock+"\n"), 0o600)
	os.Setenv("EXAMPLE_GREETING", "hello")

	load := func(context.Context) (*server.Spec, error) {
		a, err := config.Load(config.Options{Path: agent, Environ: []string{}})
		if err != nil {
			return nil, err
		}
		return &server.Spec{Path: a.Path, Resolver: a.CachedResolverConfig(nil), Timeout: a.Timeout, Serve: a.Serve, Callers: a.Callers}, nil
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	srv, err := server.New(ctx, server.Config{Load: load})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.Listen(); err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	<-srv.Ready()

	c, _ := api.NewClient("unix://"+sock, "")
	defer c.Close()
	resp, err := c.Resolve(ctx, "wf.yaml", []byte("fields:\n  greeting: secret://app/EXAMPLE_GREETING\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Fields[0].Name, *resp.Fields[0].String)
	stop()
	fmt.Println(<-done)
	// Output:
	// greeting hello
	// <nil>
}
