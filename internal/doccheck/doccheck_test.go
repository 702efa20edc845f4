package doccheck

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the repository root, relative to this package.
const root = "../.."

// block is one fenced code block of a Markdown file.
type block struct {
	file string
	line int    // line of the opening fence
	lang string // the fence's info string
	text string // the lines between the fences, each ending in "\n"
}

// blocks returns the fenced code blocks of a Markdown file.
func blocks(t *testing.T, path string) []block {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []block
	var cur *block
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &block{file: path, line: n, lang: strings.TrimSpace(strings.TrimPrefix(line, "```"))}
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("%s:%d: code block never closed", path, cur.line)
	}
	return out
}

// markdownFiles is README.md and every file of docs/.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("no docs/*.md")
	}
	return append([]string{filepath.Join(root, "README.md")}, docs...)
}

// TestEmbedSnippetIsTheExample checks that the README's Go snippet is,
// byte for byte, the resolveFile function that Example_resolveFile compiles
// and runs.
func TestEmbedSnippetIsTheExample(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(root, "resolver", "example_embed_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	var found int
	for _, b := range blocks(t, filepath.Join(root, "README.md")) {
		if b.lang != "go" {
			continue
		}
		found++
		if !strings.Contains(string(src), b.text) {
			t.Errorf("README.md:%d: the Go snippet is not the one in resolver/example_embed_test.go; copy resolveFile from there", b.line)
		}
	}
	if found != 1 {
		t.Errorf("README.md has %d Go snippets, want the one embedding example", found)
	}
}

// TestFirstScreen checks that what a new user looks for first sits in the
// README's first 150 lines.
func TestFirstScreen(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	first := strings.Join(lines[:min(150, len(lines))], "\n")
	for _, want := range []string{
		"go run ./examples/quickstart", // run
		"bash scripts/test.sh",         // test
		"## Install", "go install ./cmd/latchkey", "latchkey completion bash",
		"## Embed it", "resolver.New(",
		"## CLI", "latchkey module", "| 4 | resolution",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("README.md's first 150 lines lack %q", want)
		}
	}
}

var linkRE = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestRelativeLinks checks that every relative link of README.md and docs/
// names a file or directory of the repository.
func TestRelativeLinks(t *testing.T) {
	for _, path := range markdownFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range linkRE.FindAllStringSubmatch(string(data), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), target)); err != nil {
				t.Errorf("%s: link %q: %v", path, m[1], err)
			}
		}
	}
}

// TestReadmeMapsEveryDoc checks that the README's map links every file of
// docs/.
func TestReadmeMapsEveryDoc(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	for _, d := range docs {
		link := "(docs/" + filepath.Base(d) + ")"
		if !strings.Contains(string(data), link) {
			t.Errorf("README.md does not link docs/%s: add a line to its Documentation table", filepath.Base(d))
		}
	}
}
