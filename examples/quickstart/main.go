// Command quickstart runs Latchkey's main job end to end on a machine with
// nothing but Go: it builds the http-json custom store
// (examples/stores/http-json) to WebAssembly, starts a small secret store on
// loopback, writes an agent config with that Wasm store and an env store,
// prints them, shows with `latchkey check` which store each field comes
// from, and runs `latchkey resolve` on the workflow.
//
// Run it from the repository root:
//
//	go run ./examples/quickstart               # files in a temporary directory, removed after
//	go run ./examples/quickstart -keep ./qs    # the agent config and workflow kept in ./qs
//
// The first run compiles latchkey with the cloud SDKs it links (AWS, Azure,
// GCP): that takes minutes on a small machine, once; later runs start in
// seconds.
//
// The module is built with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o http-json.wasm ./examples/stores/http-json
//
// into a temporary directory, and compiled code is cached in the user's
// cache directory, so a second run starts faster.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/cli"
	_ "github.com/latchkey/latchkey/providers/standard"
)

func main() {
	keep := flag.String("keep", "", "write the agent config and workflow to this directory and keep them")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	code, err := run(ctx, *keep, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// The demo store's contents and the token it requires. They are demo data,
// printed on purpose. The token shares no long run with the password: the
// host blanks out of a response any run of at least half a credential (a
// truncated echo), so a secret that starts like its store's own credential
// would come back partly redacted (docs/security.md).
const (
	storeToken = "demo-bearer-7f3c91e2"
	dbSecret   = `{"username":"orders_app","password":"quickstart-s3cr3t"}`
)

// run does the whole demo and returns latchkey's exit code. With keep set,
// the generated files go to that directory and stay there.
func run(ctx context.Context, keep string, stdout, stderr io.Writer) (int, error) {
	root, err := repoRoot()
	if err != nil {
		return 0, err
	}
	dir, cleanup, err := workDir(keep)
	if err != nil {
		return 0, err
	}
	defer cleanup()
	module, sum, err := buildModule(ctx, root, dir, stderr)
	if err != nil {
		return 0, err
	}
	addr, stopStore, err := startStore(stderr)
	if err != nil {
		return 0, err
	}
	defer stopStore()
	agent, workflow, err := writeConfigs(dir, module, sum, addr, stderr)
	if err != nil {
		return 0, err
	}
	// The agent's own credential for the store, as an operator would export it.
	if err := os.Setenv("QUICKSTART_STORE_TOKEN", storeToken); err != nil {
		return 0, err
	}
	stdio := cli.IO{In: strings.NewReader(""), Out: stderr, Err: stderr}
	fmt.Fprintf(stderr, "\nquickstart: which store each field comes from (no values): latchkey check -c %s -w %s\n", agent, workflow)
	if code := cli.Main(ctx, []string{"check", "-c", agent, "-w", workflow}, stdio); code != 0 {
		return code, nil
	}
	fmt.Fprintf(stderr, "\nquickstart: latchkey resolve -c %s -w %s\n", agent, workflow)
	stdio.Out = stdout
	code := cli.Main(ctx, []string{"resolve", "-c", agent, "-w", workflow}, stdio)
	if keep != "" {
		fmt.Fprintf(stderr, "quickstart: kept %s and %s (the demo store they name stopped with the quickstart)\n", agent, workflow)
	}
	return code, nil
}

// workDir returns the absolute path of keep (created if missing), or of a
// new temporary directory that cleanup removes.
func workDir(keep string) (dir string, cleanup func(), err error) {
	cleanup = func() {}
	dir = keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "latchkey-quickstart-"); err != nil {
			return "", nil, err
		}
		tmp := dir
		cleanup = func() { os.RemoveAll(tmp) }
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		cleanup()
		return "", nil, err
	}
	return dir, cleanup, nil
}

// buildModule builds examples/stores/http-json to dir/http-json.wasm and
// returns its path and sha256, the store's pin.
func buildModule(ctx context.Context, root, dir string, stderr io.Writer) (string, [32]byte, error) {
	fmt.Fprintln(stderr, "quickstart: building examples/stores/http-json to WebAssembly (the first run also compiles it for this machine; later runs use the cache)…")
	module := filepath.Join(dir, "http-json.wasm")
	build := exec.CommandContext(ctx, "go", "build", "-buildmode=c-shared", "-trimpath", "-o", module, ".")
	build.Dir = filepath.Join(root, "examples", "stores", "http-json")
	build.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		return "", [32]byte{}, fmt.Errorf("building the module: %v\n%s", err, out)
	}
	wasm, err := os.ReadFile(module)
	if err != nil {
		return "", [32]byte{}, err
	}
	return module, sha256.Sum256(wasm), nil
}

// startStore starts the demo secret store (serveSecrets) on loopback and
// returns its address and the function that stops it.
func startStore(stderr io.Writer) (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(serveSecrets), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	addr = ln.Addr().String()
	fmt.Fprintf(stderr, "quickstart: secret store listening on http://%s\n", addr)
	return addr, func() { srv.Close() }, nil
}

// writeConfigs writes, and prints, the agent config (the Wasm store module,
// pinned by sum, reading the demo store at addr, and an env store) and the
// workflow into dir, and returns their paths.
func writeConfigs(dir, module string, sum [32]byte, addr string, stderr io.Writer) (agent, workflow string, err error) {
	agent = filepath.Join(dir, "agent.yaml")
	workflow = filepath.Join(dir, "workflow.yaml")
	agentYAML := fmt.Sprintf(`# A custom store as a sandboxed Wasm module, and the agent's environment.
default_store: custom
stores:
  custom:
    type: wasm
    module: %q
    sha256: %s
    config:
      store_url: "http://%s/secrets"
      # The module writes a placeholder; the host puts the token in, only
      # for this host, so the module never holds it.
      header: {Authorization: "Bearer {{latchkey.credential:store_token}}"}
    credentials:
      store_token:
        env: QUICKSTART_STORE_TOKEN
        hosts: ["http://%s"]
    allow_http: [%q]            # plain http, for this loopback demo only
    allow_networks: [127.0.0.1/32]
  app:
    type: env
    allow: ["QUICKSTART_*"]
`, module, hex.EncodeToString(sum[:]), addr, addr, addr)
	const workflowYAML = `name: orders-sync
fields:
  host: db.internal.example.com                 # a literal
  username: secret:///db#username               # the default store (custom): key of secret db
  password: secret://custom/db#password         # the Wasm store, named
  region: secret://app/QUICKSTART_REGION?default=eu-west-1   # the env store, with a default
`
	for _, f := range []struct{ path, text string }{{agent, agentYAML}, {workflow, workflowYAML}} {
		if err := os.WriteFile(f.path, []byte(f.text), 0o600); err != nil {
			return "", "", err
		}
		fmt.Fprintf(stderr, "\n--- %s\n%s", f.path, f.text)
	}
	return agent, workflow, nil
}

// serveSecrets is the demo store: GET /secrets/db with the bearer token.
func serveSecrets(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+storeToken {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if r.URL.Path != "/secrets/db" {
		http.NotFound(w, r)
		return
	}
	_, _ = io.WriteString(w, dbSecret)
}

// repoRoot finds the Latchkey module from the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/latchkey/latchkey\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run it inside the Latchkey repository: go run ./examples/quickstart")
		}
		dir = parent
	}
}
