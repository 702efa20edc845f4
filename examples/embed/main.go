// Command embed shows how another agent embeds Latchkey's Wasm runtime
// without the CLI or koanf: its own config struct and logger, a custom
// store loaded from bytes, a credential the module never sees, one
// resolution under a deadline, and a clean shutdown.
//
// It is self-contained, so that it runs anywhere Go does:
//
//	go run ./examples/embed                       # builds examples/stores/http-json itself
//	go run ./examples/embed -module http-json.wasm
//
// It starts a loopback HTTP secret store of its own, builds (or reads) the
// http-json module, and resolves two fields of a workflow through it.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/latchkey/latchkey/hostfuncs"
	"github.com/latchkey/latchkey/providers/wasm"
	"github.com/latchkey/latchkey/resolver"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

// Config is the embedding agent's own configuration of one custom store:
// a plain struct, filled however the agent likes (here: from flags).
type Config struct {
	// StoreName names the store in references: secret://STORE/NAME.
	StoreName string
	// Module is the store's compiled Wasm module, and SHA256 its pinned
	// digest (an agent ships both together).
	Module []byte
	SHA256 string
	// StoreURL is where the module fetches secrets from.
	StoreURL string
	// Token authenticates to the store. It is a credential: the module
	// sends a placeholder, the host the value.
	Token secret.Value
	// Timeout bounds one resolution.
	Timeout time.Duration
	// CacheDir keeps compiled code between runs ("" for memory only).
	CacheDir string
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := run(context.Background(), os.Args[1:], os.Stdout, log); err != nil {
		log.Error("embed failed", "error", err)
		os.Exit(1)
	}
}

// run is main without the process: it parses args, serves the demo store,
// resolves, and prints what it resolved (lengths, not values) to out.
func run(ctx context.Context, args []string, out io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("embed", flag.ContinueOnError)
	modulePath := fs.String("module", "", "the http-json module (default: build examples/stores/http-json)")
	cacheDir := fs.String("cache-dir", "", "on-disk compilation cache (default: memory only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	module, err := loadModule(ctx, *modulePath, log)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(module)

	token := randomToken()
	storeURL, stop, err := serveDemoStore(token, log)
	if err != nil {
		return err
	}
	defer stop()

	cfg := Config{
		StoreName: "demo",
		Module:    module,
		SHA256:    hex.EncodeToString(sum[:]),
		StoreURL:  storeURL,
		Token:     token,
		Timeout:   10 * time.Second,
		CacheDir:  *cacheDir,
	}
	return resolveWith(ctx, cfg, out, log)
}

// resolveWith is the embedding itself: build the store from cfg, resolve a
// workflow under a deadline, close everything.
func resolveWith(ctx context.Context, cfg Config, out io.Writer, log *slog.Logger) error {
	opts, err := storeOptions(cfg, log)
	if err != nil {
		return err
	}
	store, err := wasm.NewFromBytes(ctx, cfg.StoreName, cfg.Module, opts)
	if err != nil {
		return err
	}
	// The resolver does not close a store it was handed: we do, last.
	defer func() {
		if err := store.Close(); err != nil {
			log.Warn("closing the store", "error", err)
		}
	}()

	r, err := resolver.New(ctx, resolver.Config{
		Stores: map[string]resolver.StoreConfig{cfg.StoreName: {Store: store}},
		Logger: log,
	})
	if err != nil {
		return err
	}
	defer r.Close()

	wf := resolver.Workflow{Name: "embed-demo"}
	for _, f := range []struct{ name, ref string }{
		{"username", "secret://demo/warehouse#username"},
		{"password", "secret://demo/warehouse#password"},
	} {
		src, err := secret.ParseSource(f.ref)
		if err != nil {
			return err
		}
		wf.Fields = append(wf.Fields, resolver.Field{Name: f.name, Source: src})
	}
	rctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	res, err := r.Resolve(rctx, wf)
	if err != nil {
		return err
	}
	for _, f := range res.Fields {
		// A real agent hands the values to its connector; never print them.
		fmt.Fprintf(out, "resolved %s: %d bytes\n", f.Name, f.Value.Len())
	}
	return nil
}

// storeOptions are the options of cfg's store: the module's pin and own
// config, the token it may use (on requests to the store's host only, so
// the module never holds it), the network it may reach, and its limits.
func storeOptions(cfg Config, log *slog.Logger) (lkruntime.Options, error) {
	host := strings.TrimPrefix(cfg.StoreURL, "http://")
	host, _, _ = strings.Cut(host, "/")

	// The module's own config (JSON). Its Authorization header holds a
	// placeholder; the host writes the token only on requests to host.
	moduleConfig, err := json.Marshal(map[string]any{
		"store_url": cfg.StoreURL,
		"header":    map[string]string{"Authorization": "Bearer {{latchkey.credential:store_token}}"},
	})
	if err != nil {
		return lkruntime.Options{}, err
	}
	creds, err := hostfuncs.NewCredentials([]hostfuncs.Credential{
		{Name: "store_token", Value: cfg.Token, Hosts: []string{"http://" + host}},
	})
	if err != nil {
		return lkruntime.Options{}, err
	}
	opts := lkruntime.Options{
		SHA256: cfg.SHA256,
		Config: moduleConfig,
		HTTP: hostfuncs.HTTPOptions{
			// NewFromBytes adds the host of config.store_url to the allow
			// list; the demo store is plain http on loopback, which the
			// policy refuses unless told otherwise.
			AllowHTTP:     []string{host},
			AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		},
		Limits:   lkruntime.Limits{MaxInstances: 2, CallTimeout: 5 * time.Second},
		CacheDir: cfg.CacheDir,
		NoCache:  cfg.CacheDir == "",
		Logger:   log,
	}
	creds.Install(&opts.HTTP)
	return opts, nil
}

// loadModule reads the module at path, or builds examples/stores/http-json
// with the go command when path is empty.
func loadModule(ctx context.Context, path string, log *slog.Logger) ([]byte, error) {
	if path != "" {
		return os.ReadFile(path)
	}
	src, err := findGuestSource()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "latchkey-embed")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "http-json.wasm")
	log.Info("building the guest module", "source", src)
	cmd := exec.CommandContext(ctx, "go", "build", "-buildmode=c-shared", "-trimpath", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building %s: %v\n%s", src, err, b)
	}
	return os.ReadFile(out)
}

// findGuestSource finds examples/stores/http-json from the working
// directory or one of its parents (go run runs in the caller's directory).
func findGuestSource() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "examples", "stores", "http-json")
		if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("examples/stores/http-json not found: run from the Latchkey repository, or give -module")
		}
		dir = parent
	}
}

func randomToken() secret.Value {
	b := make([]byte, 16)
	rand.Read(b)
	return secret.StringValue("demo-" + hex.EncodeToString(b))
}

// serveDemoStore serves GET /secrets/warehouse on a loopback port to
// requests bearing token, and returns its store_url and a stop function.
func serveDemoStore(token secret.Value, log *slog.Logger) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	want := "Bearer " + token.RevealString()
	srv := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != want {
				http.Error(w, "forbidden", http.StatusForbidden)
				return
			}
			if r.URL.Path != "/secrets/warehouse" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"username":"loader","password":"demo-password-not-real"}`))
		}),
	}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("demo store", "error", err)
		}
	}()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + l.Addr().String() + "/secrets", stop, nil
}
