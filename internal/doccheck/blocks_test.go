package doccheck

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// exercise says how one command or Go block of the docs is exercised.
type exercise struct {
	// kind is one of:
	//   test     a test (file, name) runs what the block shows;
	//   snippet  the block is, line for line, in file, inside test or example name;
	//   run      this package runs the block itself (see runBlock);
	//   ci       the script file (.ci/run, scripts/test.sh) runs it: file contains name.
	// Blocks of `go test` commands need no entry (see goTestBlock).
	kind, file, name string
}

// exercised maps each command block and Go snippet of README.md and docs/
// ("FILE: first line") to what exercises it. A new block must be added here.
var exercised = map[string]exercise{
	"README.md: go run ./examples/quickstart": {"test", "examples/quickstart/main_test.go", "TestQuickstart"},
	`README.md: cd examples/env && DEMO_DB='{"username":"orders_app","password":"s3cr3t"}' DEMO_API_TOKEN=tok-123 \`: {kind: "run"},
	"README.md: bash scripts/test.sh":                                                                                                                   {"ci", ".ci/run", "bash scripts/test.sh"},
	"README.md: go install ./cmd/latchkey":                                                                                                              {kind: "run"},
	"README.md: bash scripts/build.sh bin/latchkey":                                                                                                     {"test", "cmd/latchkey/version_test.go", "TestBuildScriptStampsVersion"},
	"README.md: mkdir -p ~/.local/share/bash-completion/completions ~/.config/fish/completions":                                                         {kind: "run"},
	"README.md: // resolveFile resolves a workflow file with the stores an agent config":                                                                {"snippet", "resolver/example_embed_test.go", "Example_resolveFile"},
	"docs/release.md: bash scripts/release.sh v1.2.3 [OUTDIR]     # OUTDIR defaults to dist/":                                                           {"test", "internal/tools/archive/release_test.go", "TestReleaseReproducible"},
	"docs/cloud.md: latchkey check -c agent.yaml -w workflow.yaml           # fetches each field once, prints no value":                                 {"test", "cmd/latchkey/principal_test.go", "TestCheckShowsThePrincipalUsed"},
	"docs/operations.md: bash scripts/test.sh":                                                                                                          {"ci", ".ci/run", "bash scripts/test.sh"},
	"docs/policy.md: $ latchkey check --offline -c agent.yaml -w wf.yaml":                                                                               {"test", "cmd/latchkey/main_test.go", "TestBadInput"},
	"docs/serve.md: latchkey serve -c /etc/latchkey/agent.yaml                       # foreground; SIGTERM stops it":                                    {"test", "cmd/latchkey/serve_test.go", "TestServeSameAsCLI"},
	"docs/rotation.md: latchkey exec --watch=1m -c agent.yaml -w workflow.yaml -- ./connector":                                                          {"test", "cmd/latchkey/watch_test.go", "TestExecWatchRestartsOnRotation"},
	`docs/rotation.md: latchkey resolve -c agent.yaml -w wf.yaml -f dotenv -o /run/secrets/wf.env \`:                                                    {"test", "cmd/latchkey/watch_test.go", "TestResolveWatchRewritesOnlyOnChange"},
	"docs/serve.md: S=/run/latchkey/latchkey.sock":                                                                                                      {"test", "server/server_test.go", "TestEndpoints"},
	`docs/stores.md: import _ "github.com/latchkey/latchkey/providers/aws" // registers type "aws"`:                                                     {"ci", "providers/standard/standard.go", `_ "github.com/latchkey/latchkey/providers/aws"`},
	"docs/stores.md: srv := awstest.Start(t)":                                                                                                           {"snippet", "providers/aws/awstest/docs_test.go", "TestDocsSnippet"},
	"docs/stores.md: srv := gcptest.Start(t, gcptest.Options{Secrets: []gcptest.Secret{":                                                                {"snippet", "providers/gcp/gcptest/docs_test.go", "TestDocsSnippet"},
	"docs/operations.md: apt-get install -y --no-install-recommends etcd-server rustc libstd-rust-dev-wasm32 lld docker-registry":                       {"ci", ".ci/run", "--no-install-recommends rustc libstd-rust-dev-wasm32 lld"},
	"docs/modules.md: latchkey module init ./vault-store --lang go      # or --lang rust; --name NAME (default: the directory's name)":                  {"test", "cmd/latchkey/module_init_test.go", "TestModuleInit"},
	"docs/modules.md: latchkey module init --update-sdk ./vault-store   # replaces third_party/latchkey-sdk only":                                       {"test", "cmd/latchkey/module_init_test.go", "TestModuleInit"},
	"docs/modules.md: latchkey module annotate store.wasm --capabilities caps.json -o store.wasm":                                                       {"test", "cmd/latchkey/module_oci_test.go", "TestModuleRegistry"},
	"docs/kubernetes.md: latchkey csi-provider -c /etc/latchkey/agent.yaml                 # /etc/kubernetes/secrets-store-csi-providers/latchkey.sock": {"test", "csi/csitest/e2e_test.go", "TestMountWritesFilesWithModesAndVersions"},
	"docs/kubernetes.md: cd deploy/image && go run . -src ../.. -ref registry.example/latchkey:v1":                                                      {"test", "deploy/image/image_test.go", "TestBuildAndPush"},
}

// commandLangs are the fence languages of command blocks.
var commandLangs = []string{"sh", "bash", "shell", "console"}

// isExercisable reports whether b is a command block or a Go snippet: what
// must be exercised. An unlabelled block counts when a line is a prompt
// ("$ latchkey …"); other unlabelled blocks are output or grammar.
func isExercisable(b block) bool {
	if b.lang == "go" || slices.Contains(commandLangs, b.lang) {
		return true
	}
	if b.lang == "" {
		for _, l := range strings.Split(b.text, "\n") {
			if strings.HasPrefix(l, "$ ") {
				return true
			}
		}
	}
	return false
}

func blockKey(b block) string {
	rel, _ := filepath.Rel(root, b.file)
	first, _, _ := strings.Cut(strings.TrimLeft(b.text, "\n"), "\n")
	return filepath.ToSlash(rel) + ": " + strings.TrimRight(first, " \t")
}

// TestEveryBlockIsExercised checks that every command block and Go snippet
// of README.md and docs/ is registered in exercised and that what the
// registry names exists: the test, the snippet inside it, the line of the
// CI script, the benchmarks. Blocks of kind run are run by TestRunBlocks.
func TestEveryBlockIsExercised(t *testing.T) {
	seen := map[string]bool{}
	for _, path := range markdownFiles(t) {
		for _, b := range blocks(t, path) {
			if !isExercisable(b) {
				continue
			}
			key := blockKey(b)
			if pkgs, bench, ok := goTestBlock(b); ok {
				checkGoTest(t, key, pkgs, bench)
				continue
			}
			seen[key] = true
			ex, ok := exercised[key]
			if !ok {
				t.Errorf("%s:%d: a %q block no test exercises; register it in internal/doccheck/blocks_test.go (%q)", b.file, b.line, b.lang, key)
				continue
			}
			checkExercise(t, key, b, ex)
		}
	}
	for key := range exercised {
		if !seen[key] {
			t.Errorf("exercised lists %q, which no longer is in the docs: drop it", key)
		}
	}
}

func checkExercise(t *testing.T, key string, b block, ex exercise) {
	t.Helper()
	read := func(p string) string {
		data, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Errorf("%s: %v", key, err)
		}
		return string(data)
	}
	switch ex.kind {
	case "test":
		if !strings.Contains(read(ex.file), "func "+ex.name+"(") {
			t.Errorf("%s: %s has no func %s", key, ex.file, ex.name)
		}
	case "snippet":
		src := read(ex.file)
		if !strings.Contains(src, "func "+ex.name+"(") {
			t.Errorf("%s: %s has no func %s", key, ex.file, ex.name)
		}
		if !strings.Contains(trimLines(src), trimLines(b.text)) {
			t.Errorf("%s: the block is not, line for line, in %s: copy it from there", key, ex.file)
		}
	case "ci":
		if !strings.Contains(read(ex.file), ex.name) {
			t.Errorf("%s: %s does not hold %q", key, ex.file, ex.name)
		}
	case "run":
		if _, ok := runners[key]; !ok {
			t.Errorf("%s: kind run but no runner", key)
		}
	default:
		t.Errorf("%s: unknown kind %q", key, ex.kind)
	}
}

// goTestBlock reports whether every command of b is `go test`: such a
// block needs no registration, since scripts/test.sh runs every test of
// the module; it returns the packages named and whether benchmarks are.
func goTestBlock(b block) (pkgs []string, bench, ok bool) {
	n := 0
	for _, l := range strings.Split(b.text, "\n") {
		l, _, _ = strings.Cut(l, "#")
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 || f[0] != "go" || f[1] != "test" {
			return nil, false, false
		}
		n++
		for _, a := range f[2:] {
			switch {
			case strings.HasPrefix(a, "./"):
				pkgs = append(pkgs, strings.TrimSuffix(strings.TrimSuffix(a, "..."), "/"))
			case a == "-bench" || strings.HasPrefix(a, "-bench="):
				bench = true
			}
		}
	}
	return pkgs, bench, n > 0
}

// checkGoTest checks that the packages a `go test` block names exist and,
// for -bench, hold benchmarks.
func checkGoTest(t *testing.T, key string, pkgs []string, bench bool) {
	t.Helper()
	if len(pkgs) == 0 {
		t.Errorf("%s: a go test command naming no ./package", key)
	}
	for _, p := range pkgs {
		files, _ := filepath.Glob(filepath.Join(root, p, "*_test.go"))
		if len(files) == 0 {
			t.Errorf("%s: %s has no tests", key, p)
			continue
		}
		if !bench {
			continue
		}
		found := false
		for _, f := range files {
			data, _ := os.ReadFile(f)
			found = found || bytes.Contains(data, []byte("\nfunc Benchmark"))
		}
		if !found {
			t.Errorf("%s: %s has no benchmarks", key, p)
		}
	}
}

// trimLines drops each line's leading and trailing white space, so that a
// snippet indented inside a function matches the block.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n")
}

// runners run the blocks of kind run, with what they need: a built
// latchkey on PATH, a HOME of their own.
var runners = map[string]func(t *testing.T, env *runEnv, b block){
	`README.md: cd examples/env && DEMO_DB='{"username":"orders_app","password":"s3cr3t"}' DEMO_API_TOKEN=tok-123 \`: func(t *testing.T, env *runEnv, b block) {
		out := env.sh(t, b.text)
		if !strings.Contains(out, `"password": "s3cr3t"`) || !strings.Contains(out, `"api_token": "tok-123"`) {
			t.Errorf("the env example resolved to %s", out)
		}
	},
	"README.md: go install ./cmd/latchkey": func(t *testing.T, env *runEnv, b block) {
		env.sh(t, b.text)
		if out := env.sh(t, "latchkey version"); !strings.HasPrefix(out, "latchkey ") {
			t.Errorf("installed latchkey: version printed %q", out)
		}
	},
	"README.md: mkdir -p ~/.local/share/bash-completion/completions ~/.config/fish/completions": func(t *testing.T, env *runEnv, b block) {
		for _, line := range strings.Split(strings.TrimSpace(b.text), "\n") {
			cmd, _, _ := strings.Cut(line, "#")
			if strings.HasPrefix(cmd, "mkdir -p ") {
				env.sh(t, strings.ReplaceAll(cmd, "~", "$HOME")) // the README's own mkdir: the test makes none for bash and fish
				continue
			}
			m := regexp.MustCompile(`^latchkey completion (\w+) > (\S+)`).FindStringSubmatch(strings.TrimSpace(cmd))
			if m == nil {
				t.Errorf("unexpected line %q", line)
				continue
			}
			target := strings.Replace(m[2], "~", "$HOME", 1)
			if m[1] == "zsh" {
				target = "$HOME/zsh/_latchkey" // ${fpath[1]} is zsh's (it exists); sh has no fpath
				env.sh(t, `mkdir -p "$HOME/zsh"`)
			}
			env.sh(t, `latchkey completion `+m[1]+` > "`+target+`" && test -s "`+target+`"`)
			if m[1] == "bash" {
				env.sh(t, `bash -n "`+target+`"`)
			}
		}
	},
}

// runEnv is where run blocks run: the repository root, a GOBIN (and PATH
// entry) and HOME of their own, and the Go caches of the test's own
// environment (which default to paths under HOME).
type runEnv struct {
	gobin, home string
	goEnv       []string
}

func newRunEnv(t *testing.T) *runEnv {
	e := &runEnv{gobin: t.TempDir(), home: t.TempDir()}
	out, err := exec.Command("go", "env", "GOPATH", "GOMODCACHE", "GOCACHE").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	vals := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(vals) != 3 {
		t.Fatalf("go env: %q", out)
	}
	e.goEnv = []string{"GOPATH=" + vals[0], "GOMODCACHE=" + vals[1], "GOCACHE=" + vals[2]}
	return e
}

func (e *runEnv) sh(t *testing.T, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-ec", script)
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), e.goEnv...), "GOBIN="+e.gobin, "HOME="+e.home, "PATH="+e.gobin+string(os.PathListSeparator)+os.Getenv("PATH"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s%s", script, err, out.String(), errb.String())
	}
	return out.String()
}

// TestRunBlocks runs the blocks of kind run, in the order of the docs: go
// install first, so that the later ones find latchkey on PATH.
func TestRunBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and installs latchkey")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	env := newRunEnv(t)
	for _, path := range markdownFiles(t) {
		for _, b := range blocks(t, path) {
			key := blockKey(b)
			if run, ok := runners[key]; ok && exercised[key].kind == "run" {
				t.Run(key, func(t *testing.T) { run(t, env, b) })
			}
		}
	}
}

// TestYAMLBlocksParse checks that every yaml block of the docs is YAML.
func TestYAMLBlocksParse(t *testing.T) {
	for _, path := range markdownFiles(t) {
		for _, b := range blocks(t, path) {
			if b.lang != "yaml" {
				continue
			}
			var v any
			if err := yaml.Unmarshal([]byte(b.text), &v); err != nil {
				t.Errorf("%s:%d: not YAML: %v", b.file, b.line, err)
			}
		}
	}
}
