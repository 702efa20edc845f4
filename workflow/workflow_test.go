package workflow

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

var update = flag.Bool("update", false, "rewrite the .golden files in testdata")

// render prints a decoded workflow (or its error) canonically, for golden files.
func render(wf resolver.Workflow, err error) string {
	if err != nil {
		return "error:\n" + err.Error() + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\n", wf.Name)
	for _, f := range wf.Fields {
		if f.Source.Ref != nil {
			fmt.Fprintf(&b, "%s = ref %s", f.Name, f.Source.Ref)
		} else {
			fmt.Fprintf(&b, "%s = literal %q", f.Name, f.Source.Literal)
		}
		if f.Env != "" {
			fmt.Fprintf(&b, " env=%s", f.Env)
		}
		fmt.Fprintf(&b, " @%s\n", f.Where)
	}
	return b.String()
}

// TestGolden decodes each testdata input and compares with its .golden file
// (go test ./workflow -update rewrites them).
func TestGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*.*")
	n := 0
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden") {
			continue
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got := render(Decode(in, FormatOf(in, data), data))
			golden := in + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./workflow -update)", err)
			}
			if got != string(want) {
				t.Errorf("decode %s:\n got:\n%s\nwant:\n%s", in, got, want)
			}
		})
	}
	if n < 10 {
		t.Fatalf("only %d golden inputs found", n)
	}
}

func TestFormatOf(t *testing.T) {
	tests := []struct {
		name, file, data string
		want             Format
	}{
		{"json ext", "a.JSON", "x", JSON},
		{"toml ext", "a.toml", "{", TOML},
		{"stdin json", "-", "  \n{", JSON},
		{"stdin yaml", "-", "fields:", YAML},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatOf(tc.file, []byte(tc.data)); got != tc.want {
				t.Fatalf("got %s want %s", got, tc.want)
			}
		})
	}
}

func TestReadTooLarge(t *testing.T) {
	_, err := Read("big.yaml", strings.NewReader(strings.Repeat("#", MaxSize+10)))
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("want size error, got %v", err)
	}
}

// TestLargeJSONInLinearTime decodes a JSON workflow with 3.5 MiB of blank
// lines followed by 150,000 small tokens. Finding each token's line by
// counting newlines from the start of the file took minutes on such input.
func TestLargeJSONInLinearTime(t *testing.T) {
	data := []byte(`{"fields": {"a": "b"},` + strings.Repeat("\n", 7<<19) + `"x": [` + strings.Repeat("0,", 150_000) + `0]}`)
	start := time.Now()
	_, err := Read("big.json", bytes.NewReader(data))
	if took := time.Since(start); took > 8*time.Second {
		t.Fatalf("decoding took %v: time quadratic in the size?", took)
	}
	if want := fmt.Sprintf(`big.json:%d: unknown key "x"`, 7<<19+1); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("want %q, got %v", want, err)
	}
}

// FuzzDecode checks that no input panics the decoders, and that every
// decoded reference survives a round trip through its string form.
func FuzzDecode(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/*.*")
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden") {
			continue
		}
		data, _ := os.ReadFile(in)
		f.Add(string(FormatOf(in, data)), data)
	}
	f.Fuzz(func(t *testing.T, format string, data []byte) {
		wf, err := Decode("fuzz", Format(format), data)
		if err != nil {
			return
		}
		for _, fl := range wf.Fields {
			if fl.Name == "" {
				t.Fatal("decoded an empty field name")
			}
			if fl.Source.Ref == nil {
				continue
			}
			back, err := secret.ParseRef(fl.Source.Ref.String())
			if err != nil {
				t.Fatalf("field %q: %v", fl.Name, err)
			}
			if back.String() != fl.Source.Ref.String() {
				t.Fatalf("field %q: round trip changed %q to %q", fl.Name, fl.Source.Ref, back)
			}
		}
	})
}
