package scaffold

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:generate go run gensdk.go

// sdkFS is the copy of the guest SDK (../../guest-sdk) that new projects
// get, made by gensdk.go: embed cannot reach outside this directory, and
// a go.mod would make the copy a module of its own, so the SDK's go.mod is
// kept as go.mod.txt. TestEmbeddedSDKIsCurrent fails when the copy and the
// SDK differ.
//
//go:embed _sdk
var sdkFS embed.FS

// sdkFile is one file of the SDK as a project holds it.
type sdkFile struct {
	name string // relative to the project's SDK directory, slash-separated
	data []byte
}

// sdkFiles returns the files of the SDK copy a project in lang holds
// under SDKDir, sorted by name: for Go the Go module (go.mod, the packages,
// README.md, ABI.md); for Rust the crate's sources (src/), its README.md
// and ABI.md.
func sdkFiles(lang string) ([]sdkFile, error) {
	var files []sdkFile
	err := fs.WalkDir(sdkFS, "_sdk", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimPrefix(p, "_sdk/")
		var name string
		switch {
		case lang == LangGo && rel == "go.mod.txt":
			name = "go.mod"
		case lang == LangGo && (strings.HasSuffix(rel, ".go") || rel == "README.md" || rel == "ABI.md"):
			name = rel
		case lang == LangRust && strings.HasPrefix(rel, "rust/"):
			name = strings.TrimPrefix(rel, "rust/")
		case lang == LangRust && rel == "ABI.md":
			name = rel
		default:
			return nil
		}
		data, err := sdkFS.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, sdkFile{name: name, data: data})
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files, err
}

// sdkGoDirective returns the go directive of the SDK's go.mod ("1.24"),
// which a new Go project's go.mod repeats: the SDK needs that Go at least.
func sdkGoDirective() (string, error) {
	data, err := sdkFS.ReadFile("_sdk/go.mod.txt")
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "go "); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("the embedded SDK's go.mod has no go directive")
}

// digestFiles is the digest a VERSION file records: SHA-256 over each
// file's name and contents, in name order. VERSION itself is never part of
// it.
func digestFiles(files []sdkFile) string {
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	h := sha256.New()
	for _, f := range files {
		if f.name == versionFile {
			continue
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path.Clean(f.name), len(f.data))
		h.Write(f.data)
	}
	return hex.EncodeToString(h.Sum(nil))
}
