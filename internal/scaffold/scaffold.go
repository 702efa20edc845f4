// Package scaffold writes the project of a new custom store, for
// `latchkey module init DIR --lang go|rust`: a minimal working store
// against the guest SDK, its capabilities file, a build script, a test
// through `latchkey module run`, an agent config and a workflow using it,
// and a README — and a copy of the guest SDK itself, under [SDKDir], since
// the SDK is not published where `go get` or a crates registry could find
// it. The copy's VERSION file names the latchkey that wrote it and a digest
// of its files; [UpdateSDK] replaces the copy with the running latchkey's.
//
// Files are written through an [os.Root] opened on the project directory,
// so nothing is written outside it; a file is created only where no file
// exists (O_EXCL), after removing a regular file of the same name with
// --force; a symbolic link or anything but a directory where a directory
// is needed is refused, never followed. Nothing here is safe for
// concurrent use on the same directory.
package scaffold

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	goversion "go/version"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/template"
)

// The languages a project can be written in.
const (
	LangGo   = "go"
	LangRust = "rust"
)

// SDKDir is where a project holds its copy of the guest SDK, relative to
// the project's directory.
const SDKDir = "third_party/latchkey-sdk"

// versionFile is the SDK copy's record of where it came from.
const versionFile = "VERSION"

// maxName is the longest store name init accepts.
const maxName = 64

// ErrUsage is wrapped by every error that a different argument or flag
// would avoid (errors.Is(err, ErrUsage)); other errors are the file
// system's.
var ErrUsage = errors.New("usage")

// UsageError is a refusal that names the argument or flag at fault and
// what to do instead.
type UsageError struct {
	Arg     string // "DIR", "--lang", "--name", "--force", "--update-sdk"
	Problem string
	Fix     string
}

func (e *UsageError) Error() string { return e.Arg + ": " + e.Problem + "; " + e.Fix }

// Is makes a UsageError match [ErrUsage].
func (e *UsageError) Is(target error) bool { return target == ErrUsage }

func usage(arg, fix, format string, args ...any) error {
	return &UsageError{Arg: arg, Problem: fmt.Sprintf(format, args...), Fix: fix}
}

// Options say what [Init] and [UpdateSDK] write.
type Options struct {
	// Lang is LangGo or LangRust; required by Init. UpdateSDK reads it
	// from the SDK's VERSION file, and refuses a different one given here.
	Lang string
	// Name is the store's name: its name in the agent config, the module's
	// file name, the Rust crate's. Default: the directory's base name.
	Name string
	// Force lets Init write into a directory that is not empty, replacing
	// the regular files of the names it writes and the whole SDK copy
	// (other files are left alone), and lets UpdateSDK replace an SDK copy whose files no longer
	// match the digest its VERSION records.
	Force bool
	// Writer is the version of the latchkey writing the SDK copy ("v1.2.3
	// (commit 0123abc)"), recorded in VERSION and the README: the SDK's
	// version is the version of the latchkey that wrote it.
	Writer string
}

// Result says what was written.
type Result struct {
	Dir, Name, Lang string
	// Files are the files written, relative to Dir, slash-separated.
	Files []string
	// SDKDigest is the digest of the SDK copy recorded in its VERSION.
	SDKDigest string
	// Notes are what the author should do next, if anything (UpdateSDK:
	// a go directive the new SDK needs).
	Notes []string
}

// ValidName reports whether name can name a store project: 1 to 64
// lowercase letters, digits and single hyphens, starting with a letter
// and not ending with a hyphen. Such a name is a valid store name, file
// name and Go module path element, and with '_' for '-', a Rust crate
// name.
func ValidName(name string) error {
	switch {
	case name == "":
		return errors.New("a name is empty")
	case len(name) > maxName:
		return fmt.Errorf("%d bytes long, over %d", len(name), maxName)
	case name[0] < 'a' || name[0] > 'z':
		return errors.New("does not start with a lowercase letter")
	case strings.HasSuffix(name, "-") || strings.Contains(name, "--"):
		return errors.New("has a hyphen at its end or two in a row")
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return errors.New("holds a character other than a-z, 0-9 and '-'")
		}
	}
	return nil
}

// rustKeywords cannot name a crate.
var rustKeywords = strings.Fields(`abstract as async await become box break const continue crate do dyn else enum
	extern false final fn for if impl in let loop macro match mod move mut override priv pub ref return self static
	struct super trait true try type typeof union unsafe unsized use virtual where while yield`)

// sdkNames are the Rust SDK's names a store's type must not shadow.
var sdkNames = []string{"Code", "Error", "HostCode", "HostError", "Json", "JsonError", "Kind", "Level", "Request", "Store", "Versioned"}

const nameRule = "a store name is 1 to 64 lowercase letters, digits and single hyphens, starting with a letter"

// Init writes a new store project into dir, which must not exist or be
// empty (unless o.Force), and returns what it wrote.
func Init(dir string, o Options) (*Result, error) {
	if o.Lang != LangGo && o.Lang != LangRust {
		if o.Lang == "" {
			return nil, usage("--lang", "pass --lang go or --lang rust", "required")
		}
		return nil, usage("--lang", "pass --lang go or --lang rust", "%q is not a language init writes", o.Lang)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("module init: %w", err)
	}
	name := o.Name
	if name == "" {
		name = filepath.Base(abs)
		if err := ValidName(name); err != nil {
			return nil, usage("--name", "pass --name NAME ("+nameRule+")", "the directory's name %q is not a store name: %v", truncate(name), err)
		}
	} else if err := ValidName(name); err != nil {
		return nil, usage("--name", nameRule+": choose another", "%q %v", truncate(name), err)
	}
	crate := strings.ReplaceAll(name, "-", "_")
	if o.Lang == LangRust && slices.Contains(rustKeywords, crate) {
		return nil, usage("--name", "choose another --name", "%q is a Rust keyword, which cannot name a crate", name)
	}
	if o.Lang == LangRust && crate == "latchkey_guest" {
		return nil, usage("--name", "choose another --name", "%q would make the crate latchkey_guest, the SDK's own name", name)
	}
	if err := prepare(dir, o.Force); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("module init: %w", err)
	}
	defer root.Close()

	data := templateData{Name: name, CrateName: crate, TypeName: typeName(name), Version: writer(o.Writer)}
	if data.GoVersion, err = sdkGoDirective(); err != nil {
		return nil, err
	}
	files, err := projectFiles(o.Lang, data)
	if err != nil {
		return nil, err
	}
	sdk, digest, err := sdkCopy(o.Lang, o.Writer)
	if err != nil {
		return nil, err
	}
	files = append(files, sdk...)
	if o.Force {
		if err := removeSDKCopy(root); err != nil {
			return nil, err
		}
	}
	res := &Result{Dir: dir, Name: name, Lang: o.Lang, SDKDigest: digest}
	for _, f := range files {
		if err := writeFile(root, f, o.Force); err != nil {
			return res, err
		}
		res.Files = append(res.Files, f.name)
	}
	return res, nil
}

// UpdateSDK replaces the SDK copy of the project in dir (made by Init)
// with the running latchkey's, and rewrites its VERSION; nothing else of
// the project is touched. It refuses when the copy's files no longer match
// the digest its VERSION records, unless o.Force.
func UpdateSDK(dir string, o Options) (*Result, error) {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, usage("DIR", "name the directory of a project `latchkey module init` wrote", "%s does not exist", dir)
	case err != nil:
		return nil, fmt.Errorf("module init --update-sdk: %w", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, usage("DIR", "name the directory it points to", "%s is a symbolic link, which is never followed", dir)
	case !fi.IsDir():
		return nil, usage("DIR", "name the directory of a project `latchkey module init` wrote", "%s is not a directory", dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("module init --update-sdk: %w", err)
	}
	defer root.Close()
	for _, d := range []string{path.Dir(SDKDir), SDKDir} {
		if fi, err := root.Lstat(d); err != nil || !fi.IsDir() {
			return nil, usage("--update-sdk", "run it on the directory of a project `latchkey module init` wrote (or init a new one)",
				"%s has no directory %s", dir, d)
		}
	}
	vpath := SDKDir + "/" + versionFile
	if fi, err := root.Lstat(vpath); err != nil || !fi.Mode().IsRegular() {
		return nil, usage("--update-sdk", "run it on the directory of a project `latchkey module init` wrote (or init a new one)",
			"%s has no regular file %s", dir, vpath)
	}
	raw, err := root.ReadFile(vpath)
	if err != nil {
		return nil, fmt.Errorf("module init --update-sdk: %w", err)
	}
	rec := parseVersion(raw)
	switch {
	case rec["lang"] != LangGo && rec["lang"] != LangRust:
		return nil, usage("--update-sdk", "restore the file, or init a new project and move your sources into it", "%s names no language (lang: go or rust)", vpath)
	case o.Lang != "" && o.Lang != rec["lang"]:
		return nil, usage("--lang", "leave --lang out: the project's language cannot change", "%q, but %s says the project is %s", o.Lang, vpath, rec["lang"])
	}
	lang := rec["lang"]
	if !o.Force {
		current, err := readTree(root, SDKDir)
		if err != nil {
			return nil, err
		}
		if digestFiles(current) != rec["sha256"] {
			return nil, usage("--force", "keep your changes elsewhere, then run it again with --force to replace the directory",
				"the files of %s no longer match the digest its VERSION records: they were edited", SDKDir)
		}
	}
	if err := root.RemoveAll(SDKDir); err != nil {
		return nil, fmt.Errorf("module init --update-sdk: removing %s: %w", SDKDir, err)
	}
	sdk, digest, err := sdkCopy(lang, o.Writer)
	if err != nil {
		return nil, err
	}
	res := &Result{Dir: dir, Lang: lang, SDKDigest: digest}
	for _, f := range sdk {
		if err := writeFile(root, f, false); err != nil {
			return res, err
		}
		res.Files = append(res.Files, f.name)
	}
	if lang == LangGo {
		res.Notes = goDirectiveNote(root)
	}
	return res, nil
}

// goDirectiveNote says when the project's go.mod asks for an older Go
// than the SDK copy's go.mod, which the go command then refuses.
func goDirectiveNote(root *os.Root) []string {
	need, err := sdkGoDirective()
	if err != nil {
		return nil
	}
	raw, err := root.ReadFile("go.mod")
	if err != nil {
		return []string{"the project has no go.mod: the SDK copy's module needs go " + need}
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if have, ok := strings.CutPrefix(strings.TrimSpace(l), "go "); ok {
			if goversion.Compare("go"+strings.TrimSpace(have), "go"+need) < 0 {
				return []string{fmt.Sprintf("the SDK now needs go %s and go.mod says go %s: run go mod edit -go=%s", need, strings.TrimSpace(have), need)}
			}
			return nil
		}
	}
	return nil
}

// file is one file of a project.
type file struct {
	name string // relative to the project, slash-separated
	data []byte
	mode fs.FileMode
}

// templateData is what the templates see.
type templateData struct {
	Name      string // the store's name
	CrateName string // Name with '_' for '-'
	TypeName  string // the Rust store's type
	GoVersion string // the SDK's go directive
	Version   string // the latchkey writing the project
}

//go:embed templates
var templatesFS embed.FS

// projectFiles renders the project's files for lang (the SDK copy aside).
func projectFiles(lang string, data templateData) ([]file, error) {
	type tmpl struct {
		src, name string
		mode      fs.FileMode
	}
	common := []tmpl{
		{"common/capabilities.json.tmpl", "capabilities.json", 0o644},
		{"common/latchkey.yaml.tmpl", "latchkey.yaml", 0o644},
		{"common/workflow.yaml.tmpl", "workflow.yaml", 0o644},
		{"common/gitignore.tmpl", ".gitignore", 0o644},
	}
	own := map[string][]tmpl{
		LangGo: {
			{"go/go.mod.tmpl", "go.mod", 0o644},
			{"go/main.go.tmpl", "main.go", 0o644},
			{"go/main_test.go.tmpl", "main_test.go", 0o644},
			{"go/build.sh.tmpl", "build.sh", 0o755},
			{"go/README.md.tmpl", "README.md", 0o644},
		},
		LangRust: {
			{"rust/main.rs.tmpl", "main.rs", 0o644},
			{"rust/build.sh.tmpl", "build.sh", 0o755},
			{"rust/test.sh.tmpl", "test.sh", 0o755},
			{"rust/README.md.tmpl", "README.md", 0o644},
		},
	}[lang]
	var out []file
	for _, t := range append(own, common...) {
		src, err := templatesFS.ReadFile("templates/" + t.src)
		if err != nil {
			return nil, err
		}
		tp, err := template.New(t.src).Delims("[[", "]]").Option("missingkey=error").Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("module init: template %s: %w", t.src, err)
		}
		var b bytes.Buffer
		if err := tp.Execute(&b, data); err != nil {
			return nil, fmt.Errorf("module init: template %s: %w", t.src, err)
		}
		out = append(out, file{name: t.name, data: b.Bytes(), mode: t.mode})
	}
	return out, nil
}

// sdkCopy returns the files of lang's SDK copy, under SDKDir, with its
// VERSION, and the digest VERSION records.
func sdkCopy(lang, writerName string) ([]file, string, error) {
	sdk, err := sdkFiles(lang)
	if err != nil {
		return nil, "", fmt.Errorf("module init: the embedded SDK: %w", err)
	}
	digest := digestFiles(sdk)
	out := make([]file, 0, len(sdk)+1)
	for _, f := range sdk {
		out = append(out, file{name: SDKDir + "/" + f.name, data: f.data, mode: 0o644})
	}
	version := fmt.Sprintf(`# The Latchkey guest SDK, copied here by `+"`latchkey module init`"+`. Commit it:
# it pins the SDK. `+"`latchkey module init --update-sdk DIR`"+` replaces this
# directory with the SDK of the latchkey that runs it, and refuses when its
# files no longer match the digest below (they were edited) unless --force.
latchkey: %s
lang: %s
sha256: %s
`, writer(writerName), lang, digest)
	out = append(out, file{name: SDKDir + "/" + versionFile, data: []byte(version), mode: 0o644})
	return out, digest, nil
}

// parseVersion reads the "key: value" lines of a VERSION file.
func parseVersion(raw []byte) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		if k, v, ok := strings.Cut(l, ":"); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// readTree returns the files under dir in root, for the digest; anything
// but a regular file or a directory is refused.
func readTree(root *os.Root, dir string) ([]sdkFile, error) {
	var files []sdkFile
	err := fs.WalkDir(root.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return usage("--force", "remove it, or run again with --force to replace the directory", "%s is not a regular file", p)
		}
		data, err := root.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, sdkFile{name: strings.TrimPrefix(p, dir+"/"), data: data})
		return nil
	})
	if err != nil && !errors.Is(err, ErrUsage) {
		err = fmt.Errorf("module init --update-sdk: reading %s: %w", dir, err)
	}
	return files, err
}

// removeSDKCopy removes an existing SDK copy, so that the one written is
// exactly the embedded SDK, with no file an older one had. Only real
// directories are removed: a symbolic link on the way is left for
// writeFile to refuse.
func removeSDKCopy(root *os.Root) error {
	for _, d := range []string{path.Dir(SDKDir), SDKDir} {
		fi, err := root.Lstat(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil
		case err != nil:
			return fmt.Errorf("module init: %w", err)
		case !fi.IsDir():
			return nil
		}
	}
	if err := root.RemoveAll(SDKDir); err != nil {
		return fmt.Errorf("module init: replacing %s: %w", SDKDir, err)
	}
	return nil
}

// prepare makes sure dir exists as a directory Init may write into.
func prepare(dir string, force bool) error {
	const fix = "name a new or empty directory"
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("module init: %w", err)
		}
		return nil
	case errors.Is(err, syscall.ENOTDIR):
		return usage("DIR", fix, "a parent of %s is not a directory", dir)
	case err != nil:
		return fmt.Errorf("module init: %w", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return usage("DIR", "name the directory it points to", "%s is a symbolic link, which is never followed", dir)
	case !fi.IsDir():
		return usage("DIR", fix, "%s exists and is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("module init: %w", err)
	}
	if len(entries) > 0 && !force {
		var names []string
		for _, e := range entries[:min(len(entries), 3)] {
			names = append(names, e.Name())
		}
		if len(entries) > 3 {
			names = append(names, "…")
		}
		return usage("DIR", fix+", or pass --force to write the project's files over those of the same names (other files are left alone)",
			"%s is not empty (%s)", dir, strings.Join(names, ", "))
	}
	return nil
}

// writeFile creates f in root: its parent directories must be directories
// (a symbolic link is refused, not followed), and the file is created
// exclusively, after removing a regular file of its name when force.
func writeFile(root *os.Root, f file, force bool) error {
	if err := mkdirs(root, path.Dir(f.name)); err != nil {
		return err
	}
	if fi, err := root.Lstat(f.name); err == nil {
		switch {
		case !fi.Mode().IsRegular():
			return usage("DIR", "remove it, or choose another directory", "%s exists and is not a regular file (a symbolic link is never followed)", f.name)
		case !force:
			return usage("DIR", "choose another directory, or pass --force", "%s exists", f.name)
		}
		if err := root.Remove(f.name); err != nil {
			return fmt.Errorf("module init: replacing %s: %w", f.name, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("module init: %w", err)
	}
	w, err := root.OpenFile(f.name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.mode)
	if err != nil {
		return fmt.Errorf("module init: writing %s: %w", f.name, err)
	}
	_, err = w.Write(f.data)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("module init: writing %s: %w", f.name, err)
	}
	return nil
}

// mkdirs creates dir and its parents in root, refusing anything but a
// directory (a symbolic link included) where one is needed.
func mkdirs(root *os.Root, dir string) error {
	if dir == "." {
		return nil
	}
	p := ""
	for _, part := range strings.Split(dir, "/") {
		p = path.Join(p, part)
		fi, err := root.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := root.Mkdir(p, 0o755); err != nil {
				return fmt.Errorf("module init: %w", err)
			}
		case err != nil:
			return fmt.Errorf("module init: %w", err)
		case !fi.IsDir():
			return usage("DIR", "remove it, or choose another directory", "%s exists and is not a directory (a symbolic link is never followed)", p)
		}
	}
	return nil
}

// typeName is the Rust store type's name: the store's name in CamelCase,
// with "Store" appended when it would shadow one of the SDK's names.
func typeName(name string) string {
	var b strings.Builder
	for _, part := range strings.Split(name, "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	s := b.String()
	if slices.Contains(sdkNames, s) {
		s += "Store"
	}
	return s
}

func writer(w string) string {
	if w == "" {
		return "(unknown version)"
	}
	return w
}

// truncate keeps an unusable name short in an error.
func truncate(s string) string {
	if len(s) > maxName+8 {
		return s[:maxName] + "…"
	}
	return s
}
