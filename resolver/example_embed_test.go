package resolver_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/latchkey/latchkey/config"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/workflow"
)

// resolveFile resolves a workflow file with the stores an agent config
// declares. Link the store types it uses, e.g.
// import _ "github.com/latchkey/latchkey/providers/standard".
func resolveFile(ctx context.Context, agentPath, workflowPath string) (*resolver.Result, error) {
	agent, err := config.Load(config.Options{Path: agentPath})
	if err != nil {
		return nil, err // every problem of the config, joined
	}
	f, err := os.Open(workflowPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	wf, err := workflow.Read(workflowPath, f)
	if err != nil {
		return nil, err
	}
	r, err := resolver.New(ctx, agent.ResolverConfig(slog.Default()))
	if err != nil {
		return nil, err // a store could not be built
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(ctx, agent.Timeout)
	defer cancel()
	return r.Resolve(ctx, wf) // a *resolver.Error lists every failed field
}

// Example_resolveFile runs the README's embedding example (resolveFile,
// kept identical to the README's snippet by internal/doccheck) on the
// bundled env-store example, then on a workflow naming an unset variable.
func Example_resolveFile() {
	os.Setenv("DEMO_DB", `{"username":"orders_app","password":"s3cr3t"}`)
	os.Setenv("DEMO_API_TOKEN", "tok-123")
	ctx := context.Background()

	res, err := resolveFile(ctx, "../examples/env/agent.yaml", "../examples/env/workflow.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	pw, _ := res.Get("password")
	fmt.Printf("password = %v, revealed %d bytes\n", pw, len(pw.RevealString()))

	os.Unsetenv("DEMO_API_TOKEN")
	_, err = resolveFile(ctx, "../examples/env/agent.yaml", "../examples/env/workflow.yaml")
	fmt.Println(err)
	// Output:
	// password = [REDACTED], revealed 6 bytes
	// 1 field(s) failed to resolve:
	//   field "api_token": env store "demo": variable "DEMO_API_TOKEN" is not set in the agent's environment: secret not found
}
