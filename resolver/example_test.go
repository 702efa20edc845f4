package resolver_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/latchkey/latchkey/config"
	_ "github.com/latchkey/latchkey/providers/env"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/workflow"
)

// Example resolves the bundled example workflow through the env store, as
// `latchkey resolve -c examples/env/agent.yaml -w examples/env/workflow.yaml`
// does. Values print redacted unless revealed.
func Example() {
	os.Setenv("DEMO_DB", `{"username":"orders_app","password":"s3cr3t"}`)
	os.Setenv("DEMO_API_TOKEN", "tok-123")

	agent, err := config.Load(config.Options{Path: "../examples/env/agent.yaml"})
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := os.Open("../examples/env/workflow.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	wf, err := workflow.Read(f.Name(), f)
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := resolver.New(ctx, agent.ResolverConfig(nil))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	res, err := r.Resolve(ctx, wf)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range res.Fields {
		fmt.Printf("%s = %v (%d bytes)\n", f.Name, f.Value, f.Value.Len())
	}
	user, _ := res.Get("username")
	fmt.Println("username revealed:", user.RevealString())
	// Output:
	// host = [REDACTED] (23 bytes)
	// port = [REDACTED] (4 bytes)
	// username = [REDACTED] (10 bytes)
	// password = [REDACTED] (6 bytes)
	// api_token = [REDACTED] (7 bytes)
	// region = [REDACTED] (9 bytes)
	// banner = [REDACTED] (32 bytes)
	// username revealed: orders_app
}

// ExampleNew builds a resolver from a config struct, with no file and no
// koanf, and reports every failed field at once.
func ExampleNew() {
	ctx := context.Background()
	r, err := resolver.New(ctx, resolver.Config{
		Stores: map[string]resolver.StoreConfig{
			"app": {Type: "env", Settings: map[string]any{"allow": []string{"EXAMPLE_*"}}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	a, _ := resolver.ParseField("a", "secret://app/EXAMPLE_UNSET")
	b, _ := resolver.ParseField("b", "secret://app/HOME")
	_, err = r.Resolve(ctx, resolver.Workflow{Name: "demo", Fields: []resolver.Field{a, b}})
	fmt.Println(err)
	// Output:
	// 2 field(s) failed to resolve:
	//   field "a": env store "app": variable "EXAMPLE_UNSET" is not set in the agent's environment: secret not found
	//   field "b": env store "app": variable "HOME" is not in the store's allow list (EXAMPLE_*); add it to "allow" if workflows may read it: not allowed
}
