// Command apimetric measures how much of the module is public API and how
// its code is spread, the numbers issue 19 ("Must show") asks for before
// and after a change:
//
//	go run ./internal/tools/apimetric [-root DIR] [-top N] [-deps PKG] [-v]
//
// It parses (go/parser, no type checking) the module's Go files below
// -root, leaving out test files (*_test.go), testdata directories,
// directories starting with "." or "_", examples/, guest-sdk/ and every
// directory below the root that has a go.mod of its own (a nested module).
// Files with build constraints are all read; an identifier declared in
// several of them (owner_unix.go, owner_other.go) counts once.
//
// # Rules
//
// A package is public when its import path has no "internal" element and
// it is not package main.
//
// Exported identifiers are counted in public packages only, each distinct
// name once per package: exported top-level funcs, types, vars and consts;
// exported methods whose receiver is an exported type; exported fields
// (named or embedded) of exported struct types; exported methods of
// exported interface types (those are API an implementer must provide).
// An exported alias (type A = pkg.T) counts as a type, with the exported
// fields and methods of the type it names wherever that type is declared:
// an alias of an internal type makes its members public.
//
// The public share is the number of lines (every line, comments and blank
// lines included) in public packages' files over the lines of all files
// counted.
//
// The longest functions are function and method declarations (from the
// func keyword to the closing brace; not the doc comment) outside test
// files and outside test fakes: packages whose name ends in "test"
// (awstest, storetest, wasmtest...).
//
// With -deps, it runs `go list -deps -test PKG` in -root and reports how
// many packages `go test PKG` compiles: all of them, those outside the
// standard library, and those of the cloud SDKs (module paths
// github.com/aws/aws-sdk-go-v2, github.com/aws/smithy-go,
// github.com/Azure/azure-sdk-for-go, cloud.google.com/go); -v lists the
// non-standard ones.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	root := flag.String("root", ".", "the module's root directory (holding go.mod)")
	top := flag.Int("top", 10, "how many of the longest functions to print")
	deps := flag.String("deps", "", "a package whose test build to list (go list -deps -test)")
	verbose := flag.Bool("v", false, "with -deps, list the packages outside the standard library")
	flag.Parse()
	r, err := measure(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apimetric:", err)
		os.Exit(1)
	}
	r.print(os.Stdout, *top)
	if *deps != "" {
		d, err := listDeps(*root, *deps)
		if err != nil {
			fmt.Fprintln(os.Stderr, "apimetric:", err)
			os.Exit(1)
		}
		d.print(os.Stdout, *verbose)
	}
}

// The kinds of exported identifier counted.
const (
	kindTopLevel = "top-level"
	kindMethod   = "method"
	kindField    = "field"
)

// report is what measure finds in a module.
type report struct {
	module string
	// exported holds, per public package's import path, the distinct
	// exported identifiers ("Name", "Type.Method", "Type.Field") and
	// their kind.
	exported map[string]map[string]string
	// members holds, per package (public or not), the exported methods
	// and fields of its types, as exported does; aliases reach them.
	members     map[string]map[string]string
	aliases     []alias
	publicLines int
	allLines    int
	funcs       []funcLen
}

// alias is an exported type alias of a public package: its members are
// those of the type it names, which may sit in an internal package.
type alias struct {
	pkg, name         string
	targetPkg, target string
}

// funcLen is one function declaration and its length in lines.
type funcLen struct {
	pos   string // file:line, the file relative to the root
	name  string // Name or Recv.Name
	lines int
}

// exportedCount is the number of exported identifiers in public packages.
func (r *report) exportedCount() int {
	n := 0
	for _, ids := range r.exported {
		n += len(ids)
	}
	return n
}

// byKind counts the exported identifiers in public packages by kind.
func (r *report) byKind() map[string]int {
	m := map[string]int{}
	for _, ids := range r.exported {
		for _, k := range ids {
			m[k]++
		}
	}
	return m
}

// longest returns the n longest functions, longest first (ties by position).
func (r *report) longest(n int) []funcLen {
	fs := append([]funcLen(nil), r.funcs...)
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].lines != fs[j].lines {
			return fs[i].lines > fs[j].lines
		}
		return fs[i].pos < fs[j].pos
	})
	if len(fs) > n {
		fs = fs[:n]
	}
	return fs
}

func (r *report) print(w io.Writer, top int) {
	fmt.Fprintf(w, "module %s\n", r.module)
	k := r.byKind()
	fmt.Fprintf(w, "exported identifiers in public packages: %d (%d top-level, %d methods, %d fields)\n",
		r.exportedCount(), k[kindTopLevel], k[kindMethod], k[kindField])
	fmt.Fprintln(w, "  (rule: exported top-level funcs, types, vars, consts; exported methods of exported types,")
	fmt.Fprintln(w, "   interface methods included; exported fields of exported struct types; an alias brings the")
	fmt.Fprintln(w, "   members of the type it names, internal or not; each once per package;")
	fmt.Fprintln(w, "   public = no \"internal\" path element and not package main; no _test.go files)")
	pkgs := make([]string, 0, len(r.exported))
	for p := range r.exported {
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool {
		if len(r.exported[pkgs[i]]) != len(r.exported[pkgs[j]]) {
			return len(r.exported[pkgs[i]]) > len(r.exported[pkgs[j]])
		}
		return pkgs[i] < pkgs[j]
	})
	for _, p := range pkgs {
		fmt.Fprintf(w, "  %5d %s\n", len(r.exported[p]), p)
	}
	share := 0.0
	if r.allLines > 0 {
		share = 100 * float64(r.publicLines) / float64(r.allLines)
	}
	fmt.Fprintf(w, "public share of code: %.1f %% (%d of %d lines in non-test files)\n", share, r.publicLines, r.allLines)
	fmt.Fprintf(w, "longest functions (outside tests and test fakes, packages named *test):\n")
	for _, f := range r.longest(top) {
		fmt.Fprintf(w, "  %4d %s %s\n", f.lines, f.pos, f.name)
	}
}

// skipDir reports whether measure leaves out the directory rel (relative to
// the root, slash-separated).
func skipDir(root, rel string) bool {
	if rel == "." {
		return false
	}
	base := path.Base(rel)
	if base == "testdata" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") {
		return true
	}
	if rel == "examples" || rel == "guest-sdk" {
		return true
	}
	_, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel), "go.mod"))
	return err == nil // a nested module
}

// measure reads the module rooted at root.
func measure(root string) (*report, error) {
	mod, err := modulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	r := &report{module: mod, exported: map[string]map[string]string{}, members: map[string]map[string]string{}}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if skipDir(root, rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, rel, src, parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("parse %s: %w", rel, err)
		}
		r.add(fset, path.Join(mod, path.Dir(rel)), f, lineCount(src))
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.resolveAliases()
	return r, nil
}

// resolveAliases counts, for every exported alias of a public package,
// the exported members of the type it names: an alias of an internal
// type makes that type's fields and methods public. An alias of an alias
// is followed as far as the aliases resolved before it.
func (r *report) resolveAliases() {
	for _, a := range r.aliases {
		prefix := a.target + "."
		for id, kind := range r.members[a.targetPkg] {
			if m, ok := strings.CutPrefix(id, prefix); ok {
				r.exported[a.pkg][a.name+"."+m] = kind
			}
		}
	}
}

// add counts one parsed file of the package importPath.
func (r *report) add(fset *token.FileSet, importPath string, f *ast.File, lines int) {
	importPath = strings.TrimSuffix(importPath, "/.")
	pkg := f.Name.Name
	public := pkg != "main" && !isInternal(importPath)
	r.allLines += lines
	if public {
		r.publicLines += lines
	}
	fake := strings.HasSuffix(pkg, "test")
	ids := r.exported[importPath]
	if public && ids == nil {
		ids = map[string]string{}
		r.exported[importPath] = ids
	}
	members := r.members[importPath]
	if members == nil {
		members = map[string]string{}
		r.members[importPath] = members
	}
	imports := fileImports(f)
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			r.addFunc(fset, d, !fake, public, ids, members)
		case *ast.GenDecl:
			r.addGenDecl(d, importPath, public, ids, members, imports)
		}
	}
}

// fileImports maps the names f's imports are known by to their paths.
func fileImports(f *ast.File) map[string]string {
	imports := map[string]string{}
	for _, im := range f.Imports {
		p := strings.Trim(im.Path.Value, `"`)
		name := path.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		imports[name] = p
	}
	return imports
}

// addFunc records the function d: its length when measured, an exported
// method among members, and an exported name of a public package in ids.
func (r *report) addFunc(fset *token.FileSet, d *ast.FuncDecl, measured, public bool, ids, members map[string]string) {
	name := d.Name.Name
	recv := ""
	if d.Recv != nil && len(d.Recv.List) > 0 {
		recv = recvType(d.Recv.List[0].Type)
		name = recv + "." + name
	}
	if measured && d.Body != nil {
		start := fset.Position(d.Pos())
		end := fset.Position(d.End())
		r.funcs = append(r.funcs, funcLen{
			pos:   fmt.Sprintf("%s:%d", start.Filename, start.Line),
			name:  name,
			lines: end.Line - start.Line + 1,
		})
	}
	if recv != "" && d.Name.IsExported() {
		members[name] = kindMethod
	}
	if public && d.Name.IsExported() && (recv == "" || ast.IsExported(recv)) {
		kind := kindTopLevel
		if recv != "" {
			kind = kindMethod
		}
		ids[name] = kind
	}
}

// addGenDecl records the types, variables and constants of d: every type's
// members, and in a public package the exported names and the aliases to
// resolve once all packages are read.
func (r *report) addGenDecl(d *ast.GenDecl, importPath string, public bool, ids, members, imports map[string]string) {
	for _, spec := range d.Specs {
		switch s := spec.(type) {
		case *ast.ValueSpec:
			if !public {
				continue
			}
			for _, n := range s.Names {
				if n.IsExported() {
					ids[n.Name] = kindTopLevel
				}
			}
		case *ast.TypeSpec:
			addMembers(members, s.Name.Name, s.Type)
			if !public || !s.Name.IsExported() {
				continue
			}
			ids[s.Name.Name] = kindTopLevel
			addMembers(ids, s.Name.Name, s.Type)
			if s.Assign.IsValid() {
				if a, ok := aliasOf(importPath, s, imports); ok {
					r.aliases = append(r.aliases, a)
				}
			}
		}
	}
}

// aliasOf reads the type an alias declaration names: T of this package or
// pkg.T of an imported one.
func aliasOf(importPath string, s *ast.TypeSpec, imports map[string]string) (alias, bool) {
	a := alias{pkg: importPath, name: s.Name.Name}
	switch t := s.Type.(type) {
	case *ast.Ident:
		a.targetPkg, a.target = importPath, t.Name
	case *ast.SelectorExpr:
		x, ok := t.X.(*ast.Ident)
		if !ok || imports[x.Name] == "" {
			return alias{}, false
		}
		a.targetPkg, a.target = imports[x.Name], t.Sel.Name
	default:
		return alias{}, false
	}
	return a, true
}

// addMembers counts the exported fields of a struct type and the exported
// methods of an interface type named typeName.
func addMembers(ids map[string]string, typeName string, t ast.Expr) {
	var list *ast.FieldList
	switch t := t.(type) {
	case *ast.StructType:
		list = t.Fields
	case *ast.InterfaceType:
		list = t.Methods
	default:
		return
	}
	kind := kindField
	if _, isIface := t.(*ast.InterfaceType); isIface {
		kind = kindMethod
	}
	for _, f := range list.List {
		if len(f.Names) == 0 { // embedded field or interface
			if kind == kindMethod {
				continue // an embedded interface adds no name of its own
			}
			if n := embeddedName(f.Type); n != "" && ast.IsExported(n) {
				ids[typeName+"."+n] = kindField
			}
			continue
		}
		for _, n := range f.Names {
			if n.IsExported() {
				ids[typeName+"."+n.Name] = kind
			}
		}
	}
}

// embeddedName is the field name an embedded type gives: T for T, *T,
// pkg.T and T[P].
func embeddedName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.StarExpr:
		return embeddedName(e.X)
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.IndexExpr:
		return embeddedName(e.X)
	case *ast.IndexListExpr:
		return embeddedName(e.X)
	}
	return ""
}

// recvType is the receiver's type name without pointer or type parameters.
func recvType(e ast.Expr) string {
	return embeddedName(e)
}

// isInternal reports whether an import path has an "internal" element.
func isInternal(importPath string) bool {
	for _, el := range strings.Split(importPath, "/") {
		if el == "internal" {
			return true
		}
	}
	return false
}

// lineCount counts lines the way an editor shows them: a last line
// without a newline counts too.
func lineCount(src []byte) int {
	n := bytes.Count(src, []byte("\n"))
	if len(src) > 0 && src[len(src)-1] != '\n' {
		n++
	}
	return n
}

// modulePath reads the module line of a go.mod file.
func modulePath(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", fmt.Errorf("read the module path: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read %s: %w", gomod, err)
	}
	return "", fmt.Errorf("%s has no module line", gomod)
}

// deps is what `go list -deps -test` says a package's test build compiles.
type deps struct {
	pkg      string
	all      int
	nonStd   []string
	cloudSDK []string
}

// cloudPrefixes are the module paths of the cloud SDKs.
var cloudPrefixes = []string{
	"github.com/aws/aws-sdk-go-v2",
	"github.com/aws/smithy-go",
	"github.com/Azure/azure-sdk-for-go",
	"cloud.google.com/go",
}

func isCloudSDK(importPath string) bool {
	for _, p := range cloudPrefixes {
		if importPath == p || strings.HasPrefix(importPath, p+"/") {
			return true
		}
	}
	return false
}

// listDeps runs go list in dir for the test build of pkg.
func listDeps(dir, pkg string) (*deps, error) {
	cmd := exec.Command("go", "list", "-deps", "-test", "-f", "{{.ImportPath}} {{.Standard}}", pkg)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -deps -test %s: %w: %s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	return parseDeps(pkg, out)
}

// parseDeps reads go list's "ImportPath Standard" lines. The test variants
// go list adds ("p [p.test]", "p.test") count as packages of their own, as
// go test compiles them separately.
func parseDeps(pkg string, out []byte) (*deps, error) {
	d := &deps{pkg: pkg}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, errors.New("go list printed an unexpected line: " + line)
		}
		ip, std := line[:i], line[i+1:] == "true"
		d.all++
		if std {
			continue
		}
		d.nonStd = append(d.nonStd, ip)
		if isCloudSDK(ip) {
			d.cloudSDK = append(d.cloudSDK, ip)
		}
	}
	return d, nil
}

func (d *deps) print(w io.Writer, verbose bool) {
	fmt.Fprintf(w, "go test %s compiles %d packages (go list -deps -test): %d outside the standard library, %d of them cloud SDK packages (aws-sdk-go-v2, smithy-go, azure-sdk-for-go, cloud.google.com/go)\n",
		d.pkg, d.all, len(d.nonStd), len(d.cloudSDK))
	if verbose {
		for _, p := range d.nonStd {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
}
