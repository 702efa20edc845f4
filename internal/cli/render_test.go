package cli

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// tricky values that a naive quoting would break or let the shell expand.
var tricky = []string{
	"plain", "", "it's", `"double"`, "$HOME and ${HOME}", "`id`", "$(id)", "back\\slash",
	"new\nline", "tab\tand spaces  ", "'; rm -rf / #", "ünïcödé", "\r\n", "!history", "a=b",
}

func resultOf(values []string) *resolver.Result {
	res := &resolver.Result{}
	for i, v := range values {
		res.Fields = append(res.Fields, resolver.Resolved{Name: "f" + string(rune('a'+i)), Value: secret.StringValue(v)})
	}
	return res
}

// TestEnvFormatEvaluates renders -f env output and has a real shell
// evaluate it: every value must come back byte for byte, unexpanded.
func TestEnvFormatEvaluates(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	var out bytes.Buffer
	if err := render(&out, "env", resultOf(tricky), envNamer{upper: true}); err != nil {
		t.Fatal(err)
	}
	for i, want := range tricky {
		name := strings.ToUpper("f" + string(rune('a'+i)))
		cmd := exec.Command(sh, "-c", out.String()+"\nprintf %s \"$"+name+"\"")
		cmd.Env = []string{"HOME=/should-not-expand"}
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("sh failed on the rendered output: %v\n%s", err, out.String())
		}
		if string(got) != want {
			t.Errorf("%s: sh read %q, want %q", name, got, want)
		}
	}
}

func TestDotenvFormat(t *testing.T) {
	var out bytes.Buffer
	if err := render(&out, "dotenv", resultOf([]string{`a"b`, "x\ny", "$V", `back\`}), envNamer{upper: true}); err != nil {
		t.Fatal(err)
	}
	want := "FA=\"a\\\"b\"\nFB=\"x\\ny\"\nFC=\"\\$V\"\nFD=\"back\\\\\"\n"
	if out.String() != want {
		t.Fatalf("dotenv:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestRenderRefusesWhatItCannotCarry(t *testing.T) {
	tests := []struct {
		name   string
		format string
		res    *resolver.Result
		want   string
	}{
		{"binary in json", "json", resultOf([]string{"\xff\xfe"}), "binary data"},
		{"NUL in env", "env", resultOf([]string{"a\x00b"}), "NUL byte"},
		{"name collision", "env", &resolver.Result{Fields: []resolver.Resolved{{Name: "db-user"}, {Name: "db_user"}}}, "both map to variable DB_USER"},
		{"bad explicit name", "dotenv", &resolver.Result{Fields: []resolver.Resolved{{Name: "x", Env: "1BAD"}}}, "not a valid environment variable name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := render(&out, tc.format, tc.res, envNamer{upper: true})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}

func TestEnvNames(t *testing.T) {
	tests := []struct {
		namer envNamer
		field resolver.Resolved
		want  string
	}{
		{envNamer{upper: true}, resolver.Resolved{Name: "db.password"}, "DB_PASSWORD"},
		{envNamer{prefix: "wf_", upper: false}, resolver.Resolved{Name: "Api-Key"}, "wf_Api_Key"},
		{envNamer{upper: true}, resolver.Resolved{Name: "9lives"}, "_9LIVES"},
		{envNamer{upper: true}, resolver.Resolved{Name: "x", Env: "Exact_Name"}, "Exact_Name"},
	}
	for _, tc := range tests {
		if got := tc.namer.name(tc.field); got != tc.want {
			t.Errorf("name(%q) = %q, want %q", tc.field.Name, got, tc.want)
		}
	}
}
