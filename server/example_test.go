package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/latchkey/latchkey/config"
	_ "github.com/latchkey/latchkey/providers/env" // registers type "env"
	"github.com/latchkey/latchkey/server"
	"github.com/latchkey/latchkey/server/api"
)

// Example runs the resident agent on a unix socket in a temporary
// directory and resolves a workflow through it with [api.Client], as
// `latchkey resolve --server` does.
func Example() {
	dir, _ := os.MkdirTemp("", "lkex")
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "latchkey.sock")
	agent := filepath.Join(dir, "agent.yaml")
	_ = os.WriteFile(agent, []byte("stores:\n  app:\n    type: env\n    allow: [EXAMPLE_*]\nserve:\n  socket: "+sock+"\n"), 0o600)
	os.Setenv("EXAMPLE_GREETING", "hello")

	srv, err := server.New(server.Config{Load: func() (*config.Agent, error) {
		return config.Load(config.Options{Path: agent, Environ: []string{}})
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.Listen(); err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
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
