// Package sdksource says which files of the guest SDK a new store project
// gets: package scaffold embeds a copy of them (made by its gensdk.go), and
// its test checks that the copy is current.
package sdksource

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Files returns the files of the guest SDK at dir that a project
// needs, by their names in the embedded copy (slash-separated, relative to
// dir): the Go and Rust sources and the Markdown documentation, without
// tests, and go.mod as go.mod.txt. gensdk.go writes them into _sdk.
func Files(dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			if d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		case !d.Type().IsRegular():
			return nil
		case rel == "go.mod":
			rel = "go.mod.txt"
		case strings.HasSuffix(rel, "_test.go"):
			return nil
		case !strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, ".rs") && !strings.HasSuffix(rel, ".md"):
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = data
		return nil
	})
	return out, err
}
