package scaffold

import (
	"bytes"
	"errors"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/scaffold/sdksource"
	"github.com/latchkey/latchkey/secret"
)

// TestEmbeddedSDKIsCurrent fails when guest-sdk changed and the embedded
// copy did not follow: new projects would get an old SDK.
func TestEmbeddedSDKIsCurrent(t *testing.T) {
	want, err := sdksource.Files(filepath.Join("..", "..", "guest-sdk"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	err = fs.WalkDir(sdkFS, "_sdk", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		got[strings.TrimPrefix(p, "_sdk/")], err = sdkFS.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("guest-sdk/%s is not in the embedded copy", name)
		} else if !bytes.Equal(g, data) {
			t.Errorf("guest-sdk/%s differs from the embedded copy", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("the embedded copy has %s, which guest-sdk no longer has", name)
		}
	}
	if t.Failed() {
		t.Log("run: go generate ./internal/scaffold")
	}
	for _, must := range []string{"go.mod.txt", "handler.go", "jsonconfig/jsonconfig.go", "version/version.go", "ABI.md", "rust/src/lib.rs"} {
		if _, ok := got[must]; !ok {
			t.Errorf("the embedded copy lacks %s", must)
		}
	}
}

func TestInitRefuses(t *testing.T) {
	tests := []struct {
		name    string
		dir     string // under the test's directory; default "new"
		o       Options
		arg     string
		wants   []string
		prepare func(t *testing.T, dir string)
	}{
		{name: "no lang", o: Options{}, arg: "--lang", wants: []string{"required", "--lang go or --lang rust"}},
		{name: "bad lang", o: Options{Lang: "java"}, arg: "--lang", wants: []string{`"java" is not a language`, "--lang go or --lang rust"}},
		{name: "upper case", o: Options{Lang: LangGo, Name: "MyStore"}, arg: "--name", wants: []string{`"MyStore"`, "lowercase"}},
		{name: "digit first", o: Options{Lang: LangGo, Name: "1store"}, arg: "--name", wants: []string{"start with a lowercase letter"}},
		{name: "underscore", o: Options{Lang: LangRust, Name: "my_store"}, arg: "--name", wants: []string{"a-z, 0-9 and '-'"}},
		{name: "slash", o: Options{Lang: LangGo, Name: "a/../../b"}, arg: "--name", wants: []string{"a-z, 0-9 and '-'"}},
		{name: "trailing hyphen", o: Options{Lang: LangGo, Name: "store-"}, arg: "--name", wants: []string{"hyphen"}},
		{name: "double hyphen", o: Options{Lang: LangGo, Name: "a--b"}, arg: "--name", wants: []string{"hyphen"}},
		{name: "too long", o: Options{Lang: LangGo, Name: strings.Repeat("a", 65)}, arg: "--name", wants: []string{"over 64"}},
		{name: "not ascii", o: Options{Lang: LangGo, Name: "störe"}, arg: "--name", wants: []string{"a-z, 0-9"}},
		{name: "rust keyword", o: Options{Lang: LangRust, Name: "fn"}, arg: "--name", wants: []string{"Rust keyword"}},
		{name: "the SDK's crate", o: Options{Lang: LangRust, Name: "latchkey-guest"}, arg: "--name", wants: []string{"the SDK's own name"}},
		{name: "directory name not a store name", dir: "My_Store", o: Options{Lang: LangGo}, arg: "--name",
			wants: []string{`the directory's name "My_Store"`, "pass --name NAME"}},
		{name: "not empty", o: Options{Lang: LangGo}, arg: "DIR", wants: []string{"is not empty (notes.txt)", "--force"},
			prepare: func(t *testing.T, dir string) { mkdir(t, dir); write(t, filepath.Join(dir, "notes.txt"), "mine") }},
		{name: "a file", o: Options{Lang: LangGo}, arg: "DIR", wants: []string{"is not a directory"},
			prepare: func(t *testing.T, dir string) { write(t, dir, "a file") }},
		{name: "under a file", dir: "file/new", o: Options{Lang: LangGo}, arg: "DIR", wants: []string{"a parent of", "is not a directory"},
			prepare: func(t *testing.T, dir string) { write(t, filepath.Dir(dir), "a file") }},
		{name: "a symlink to an empty directory", o: Options{Lang: LangGo}, arg: "DIR", wants: []string{"symbolic link"},
			prepare: func(t *testing.T, dir string) {
				target := filepath.Join(filepath.Dir(dir), "elsewhere")
				mkdir(t, target)
				symlink(t, target, dir)
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, "new")
			if tc.dir != "" {
				dir = filepath.Join(base, tc.dir)
			}
			if tc.prepare != nil {
				tc.prepare(t, dir)
			}
			before := tree(t, base)
			res, err := Init(dir, tc.o)
			var ue *UsageError
			if !errors.As(err, &ue) || !errors.Is(err, ErrUsage) || ue.Arg != tc.arg {
				t.Fatalf("Init = %+v, %v; want a usage error naming %s", res, err, tc.arg)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if after := tree(t, base); !slices.Equal(before, after) {
				t.Errorf("a refused init changed the files: %v, then %v", before, after)
			}
		})
	}
}

// TestForceNeverFollowsLinks plants symbolic links where init writes, in a
// directory it writes into with --force: each is refused, and nothing
// outside the directory changes.
func TestForceNeverFollowsLinks(t *testing.T) {
	for _, tc := range []struct{ name, link string }{
		{"file", "main.go"},
		{"parent directory", "third_party"},
		{"nested directory", "third_party/latchkey-sdk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			outside := filepath.Join(base, "outside")
			mkdir(t, outside)
			victim := filepath.Join(outside, "victim")
			write(t, victim, "precious")
			dir := filepath.Join(base, "store")
			mkdir(t, filepath.Join(dir, filepath.Dir(tc.link)))
			target := victim
			if tc.name != "file" {
				target = outside
			}
			symlink(t, target, filepath.Join(dir, tc.link))
			_, err := Init(dir, Options{Lang: LangGo, Force: true})
			if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "symbolic link is never followed") ||
				!strings.Contains(err.Error(), tc.link) {
				t.Fatalf("Init over a link at %s = %v", tc.link, err)
			}
			if got := tree(t, outside); !slices.Equal(got, []string{"victim 8"}) {
				t.Errorf("outside the project: %v", got)
			}
			if b, _ := os.ReadFile(victim); string(b) != "precious" {
				t.Errorf("the link's target was written: %q", b)
			}
		})
	}
}

// TestForceReplacesOnlyItsFiles writes over an existing project with
// --force: the files of init's names and the SDK copy are replaced, other
// files stay.
func TestForceReplacesOnlyItsFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vault")
	mkdir(t, dir)
	write(t, filepath.Join(dir, "main.go"), "old")
	write(t, filepath.Join(dir, "notes.txt"), "mine")
	mkdir(t, filepath.Join(dir, SDKDir))
	write(t, filepath.Join(dir, SDKDir, "removed_since.go"), "package latchkey\n")
	if _, err := Init(dir, Options{Lang: LangGo, Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(dir, SDKDir, "removed_since.go")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file of the old SDK copy survived --force: %v", err)
	}
	if b := read(t, filepath.Join(dir, "main.go")); !strings.Contains(b, "latchkey.HandleConfig") {
		t.Errorf("main.go not replaced: %q", b)
	}
	if b := read(t, filepath.Join(dir, "notes.txt")); b != "mine" {
		t.Errorf("notes.txt = %q", b)
	}
}

func TestInitWrites(t *testing.T) {
	for _, lang := range []string{LangGo, LangRust} {
		t.Run(lang, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "deep", "acme-vault")
			res, err := Init(dir, Options{Lang: lang, Writer: "v9.8.7 (commit abc123)"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Name != "acme-vault" || res.Lang != lang {
				t.Errorf("result %+v", res)
			}
			want := map[string][]string{
				LangGo:   {"go.mod", "main.go", "main_test.go", "build.sh", SDKDir + "/go.mod", SDKDir + "/handler.go", SDKDir + "/jsonconfig/jsonconfig.go"},
				LangRust: {"main.rs", "build.sh", "test.sh", SDKDir + "/src/lib.rs", SDKDir + "/src/abi.rs"},
			}[lang]
			want = append(want, "README.md", "capabilities.json", "latchkey.yaml", "workflow.yaml", ".gitignore", SDKDir+"/VERSION", SDKDir+"/ABI.md", SDKDir+"/README.md")
			for _, w := range want {
				if !slices.Contains(res.Files, w) {
					t.Errorf("%s not written (wrote %v)", w, res.Files)
				}
			}
			for _, f := range res.Files {
				fi, err := os.Lstat(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o022 != 0 {
					t.Errorf("%s: mode %v, want a regular file nobody else may write", f, fi.Mode())
				}
				if exec := fi.Mode().Perm()&0o100 != 0; exec != strings.HasSuffix(f, ".sh") {
					t.Errorf("%s: mode %v", f, fi.Mode())
				}
				if strings.HasSuffix(f, ".go") && !strings.HasPrefix(f, SDKDir) {
					src := read(t, filepath.Join(dir, f))
					if formatted, err := format.Source([]byte(src)); err != nil || string(formatted) != src {
						t.Errorf("%s is not gofmt-clean: %v", f, err)
					}
				}
				if b := read(t, filepath.Join(dir, f)); strings.Contains(b, "[[") && !strings.HasPrefix(f, SDKDir) {
					t.Errorf("%s holds an unexpanded template action", f)
				}
			}
			version := read(t, filepath.Join(dir, SDKDir, "VERSION"))
			for _, w := range []string{"latchkey: v9.8.7 (commit abc123)", "lang: " + lang, "sha256: " + res.SDKDigest} {
				if !strings.Contains(version, w) {
					t.Errorf("VERSION lacks %q:\n%s", w, version)
				}
			}
			root, err := os.OpenRoot(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			files, err := readTree(root, SDKDir)
			if err != nil {
				t.Fatal(err)
			}
			if d := digestFiles(files); d != res.SDKDigest {
				t.Errorf("digest of the written copy %s, VERSION says %s", d, res.SDKDigest)
			}
			if lang == LangGo {
				gomod := read(t, filepath.Join(dir, "go.mod"))
				if !strings.Contains(gomod, "replace github.com/latchkey/latchkey/guest-sdk => ./third_party/latchkey-sdk") ||
					!strings.Contains(gomod, "module example.com/acme-vault") {
					t.Errorf("go.mod:\n%s", gomod)
				}
			} else if rs := read(t, filepath.Join(dir, "main.rs")); !strings.Contains(rs, "struct AcmeVault") {
				t.Errorf("main.rs has no type AcmeVault")
			}
			if cfg := read(t, filepath.Join(dir, "latchkey.yaml")); !strings.Contains(cfg, "  acme-vault:\n    type: wasm\n    module: ./acme-vault.wasm") {
				t.Errorf("latchkey.yaml:\n%s", cfg)
			}
			if readme := read(t, filepath.Join(dir, "README.md")); !strings.Contains(readme, "latchkey v9.8.7 (commit abc123)") {
				t.Errorf("README.md does not name the latchkey that wrote it")
			}
		})
	}
}

func TestUpdateSDK(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vault")
	if _, err := Init(dir, Options{Lang: LangGo, Writer: "v1.0.0 (commit old)"}); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "main.go"), "package main // the author's own\n")
	handler := filepath.Join(dir, SDKDir, "handler.go")

	// A copy that matches its digest is replaced; the author's files stay.
	res, err := UpdateSDK(dir, Options{Writer: "v2.0.0 (commit new)"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lang != LangGo || !strings.Contains(read(t, filepath.Join(dir, SDKDir, "VERSION")), "latchkey: v2.0.0 (commit new)") {
		t.Errorf("VERSION not rewritten: %+v\n%s", res, read(t, filepath.Join(dir, SDKDir, "VERSION")))
	}
	if b := read(t, filepath.Join(dir, "main.go")); b != "package main // the author's own\n" {
		t.Errorf("--update-sdk touched main.go: %q", b)
	}
	if len(res.Notes) != 0 {
		t.Errorf("notes for a project whose go.mod init wrote: %v", res.Notes)
	}

	// An edited copy is refused, naming --force; a file the old SDK had
	// and the new one has not is gone after --force.
	write(t, handler, "package latchkey // patched\n")
	write(t, filepath.Join(dir, SDKDir, "stale.go"), "package latchkey\n")
	_, err = UpdateSDK(dir, Options{Writer: "v3"})
	var ue *UsageError
	if !errors.As(err, &ue) || ue.Arg != "--force" || !strings.Contains(err.Error(), "were edited") {
		t.Fatalf("update of an edited copy = %v", err)
	}
	if b := read(t, handler); b != "package latchkey // patched\n" {
		t.Errorf("a refused update changed handler.go")
	}
	if _, err := UpdateSDK(dir, Options{Writer: "v3", Force: true}); err != nil {
		t.Fatal(err)
	}
	if b := read(t, handler); !strings.Contains(b, "func HandleConfig") {
		t.Errorf("--force did not restore handler.go")
	}
	if _, err := os.Lstat(filepath.Join(dir, SDKDir, "stale.go")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale.go survived the update: %v", err)
	}

	// A go.mod older than the SDK needs gets a note.
	write(t, filepath.Join(dir, "go.mod"), "module example.com/vault\n\ngo 1.21\n")
	res, err = UpdateSDK(dir, Options{Force: true})
	if need, _ := sdkGoDirective(); err != nil || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "go mod edit -go="+need) {
		t.Errorf("update under an old go directive: %+v, %v", res, err)
	}

	// Refusals.
	other := t.TempDir()
	if _, err := UpdateSDK(other, Options{}); !errors.As(err, &ue) || ue.Arg != "--update-sdk" || !strings.Contains(err.Error(), "has no directory third_party") {
		t.Errorf("update of a directory init did not write = %v", err)
	}
	if _, err := UpdateSDK(dir, Options{Lang: LangRust}); !errors.As(err, &ue) || ue.Arg != "--lang" {
		t.Errorf("update with another language = %v", err)
	}
	link := filepath.Join(t.TempDir(), "link")
	symlink(t, dir, link)
	if _, err := UpdateSDK(link, Options{}); !errors.As(err, &ue) || ue.Arg != "DIR" || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("update through a symlink = %v", err)
	}
	// A symlink planted in the copy counts as an edit, and --force removes
	// the link, not its target.
	outside := filepath.Join(t.TempDir(), "victim")
	write(t, outside, "precious")
	symlink(t, outside, filepath.Join(dir, SDKDir, "evil.go"))
	if _, err := UpdateSDK(dir, Options{}); !errors.As(err, &ue) || ue.Arg != "--force" {
		t.Errorf("update of a copy holding a symlink = %v", err)
	}
	if _, err := UpdateSDK(dir, Options{Force: true}); err != nil {
		t.Fatal(err)
	}
	if b := read(t, outside); b != "precious" {
		t.Errorf("the link's target changed: %q", b)
	}
}

// FuzzValidName checks that every name ValidName accepts is a store name
// the agent config accepts, a single path element, and gives a Rust type
// name; the rest are refused with an error, never a panic.
func FuzzValidName(f *testing.F) {
	for _, s := range []string{"vault", "a-b-c", "a", "A", "1a", "a--b", "a-", "", "ü", "a/b", "..", strings.Repeat("z", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidName(name) != nil {
			return
		}
		if err := secret.ValidateStoreName(name); err != nil {
			t.Fatalf("ValidName accepted %q, which is no store name: %v", name, err)
		}
		if filepath.Base(name) != name || strings.ContainsAny(name, `/\.`) || len(name) > maxName {
			t.Fatalf("ValidName accepted %q", name)
		}
		if tn := typeName(name); tn == "" || tn[0] < 'A' || tn[0] > 'Z' || strings.Contains(tn, "-") {
			t.Fatalf("typeName(%q) = %q", name, tn)
		}
	})
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symbolic links: %v", err)
	}
}

// tree lists the entries under dir with their sizes (links by their
// target), sorted.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out = append(out, rel+" -> "+target)
		case fi.IsDir():
			out = append(out, rel+"/")
		default:
			out = append(out, rel+" "+strconv.FormatInt(fi.Size(), 10))
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestReadmeShowsTheBuild checks that each README shows, command for
// command, what its build.sh runs.
func TestReadmeShowsTheBuild(t *testing.T) {
	for _, lang := range []string{LangGo, LangRust} {
		t.Run(lang, func(t *testing.T) {
			files, err := projectFiles(lang, templateData{Name: "acme", CrateName: "acme", TypeName: "Acme", GoVersion: "1.24", Version: "v1"})
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]string{}
			for _, f := range files {
				byName[f.name] = string(f.data)
			}
			readme := commands(byName["README.md"])
			n := 0
			for _, cmd := range strings.Split(commands(byName["build.sh"]), "\n") {
				if !strings.HasPrefix(cmd, "GOOS=") && !strings.HasPrefix(cmd, `"$rustc"`) && !strings.HasPrefix(cmd, `"${LATCHKEY:-latchkey}"`) {
					continue
				}
				n++
				cmd = strings.NewReplacer(`"$out"`, "acme.wasm", `"$rustc"`, "rustc", `"$target"`, "wasm32-wasi",
					`"$tmp/liblatchkey_guest.rlib"`, "liblatchkey_guest.rlib", `"${LATCHKEY:-latchkey}"`, "latchkey").Replace(cmd)
				if !strings.Contains(readme, cmd) {
					t.Errorf("README.md does not show build.sh's\n  %s", cmd)
				}
			}
			if n != 2 {
				t.Errorf("found %d build commands in build.sh, want 2", n)
			}
		})
	}
}

// commands joins a script's continuation lines and collapses blanks.
func commands(s string) string {
	s = strings.ReplaceAll(s, "\\\n", " ")
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(lines, "\n")
}

func TestTypeName(t *testing.T) {
	for name, want := range map[string]string{"vault": "Vault", "acme-vault-2": "AcmeVault2", "store": "StoreStore", "error": "ErrorStore", "json": "JsonStore", "a": "A"} {
		if got := typeName(name); got != want {
			t.Errorf("typeName(%q) = %q, want %q", name, got, want)
		}
	}
}
