package csi

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/secret"
)

func attrs(m map[string]string) string {
	base := map[string]string{
		attrPodName: "p", attrPodNS: "ns", attrSAName: "sa",
	}
	for k, v := range m {
		base[k] = v
	}
	b, _ := json.Marshal(base)
	return string(b)
}

func TestParseParams(t *testing.T) {
	tests := []struct {
		name  string
		attrs string
		perm  string
		check func(t *testing.T, p *Params)
		err   string // "" for success; else a fragment of the error
	}{
		{name: "modes octal, decimal, string and default",
			attrs: attrs(map[string]string{"objects": `
- {ref: "secret://aws/db#password", path: db/password, mode: 0400}
- {ref: "secret://aws/db#user", path: db/user, mode: 256}
- {ref: "secret://aws/a", path: a, mode: "0o440"}
- {ref: "secret://aws/b", path: b}`}),
			perm: "420",
			check: func(t *testing.T, p *Params) {
				want := []int32{0o400, 256, 0o440, 0o644}
				for i, o := range p.Objects {
					if o.Mode != want[i] {
						t.Errorf("objects[%d].mode = %o, want %o", i, o.Mode, want[i])
					}
				}
			}},
		{name: "stores and roleArn", attrs: attrs(map[string]string{"objects": `[{ref: "secret://aws/x", path: x}]`, "stores": "[aws, gcp]", "roleArn": "arn:aws:iam::1:role/r"}),
			check: func(t *testing.T, p *Params) {
				if strings.Join(p.Stores, ",") != "aws,gcp" || p.RoleARN != "arn:aws:iam::1:role/r" {
					t.Errorf("stores %v role %q", p.Stores, p.RoleARN)
				}
			}},
		{name: "tokens", attrs: attrs(map[string]string{"objects": `[{ref: "secret://aws/x", path: x}]`,
			attrSATokens: `{"sts.amazonaws.com":{"token":"t","expirationTimestamp":"2030-01-01T00:00:00Z"}}`}),
			check: func(t *testing.T, p *Params) {
				if p.Tokens["sts.amazonaws.com"].Token != "t" {
					t.Errorf("tokens %v", p.Tokens)
				}
			}},
		{name: "not JSON", attrs: "{", err: "attributes"},
		{name: "no pod", attrs: `{"objects": "[{ref: \"secret://a/b\", path: x}]"}`, err: "namespace"},
		{name: "no objects", attrs: attrs(nil), err: "objects: missing"},
		{name: "empty list", attrs: attrs(map[string]string{"objects": "[]"}), err: "empty"},
		{name: "objects not a list", attrs: attrs(map[string]string{"objects": "ref: x"}), err: "YAML list"},
		{name: "unknown parameter", attrs: attrs(map[string]string{"objets": "[]"}), err: "objets: unknown parameter"},
		{name: "unknown object key", attrs: attrs(map[string]string{"objects": `[{ref: "secret://a/b", path: x, owner: 1000}]`}), err: "objects[0].owner: unknown key"},
		{name: "bad ref", attrs: attrs(map[string]string{"objects": `[{ref: "http://x", path: x}]`}), err: "objects[0].ref"},
		{name: "missing path", attrs: attrs(map[string]string{"objects": `[{ref: "secret://a/b"}]`}), err: "objects[0].path: missing"},
		{name: "duplicate path", attrs: attrs(map[string]string{"objects": `[{ref: "secret://a/b", path: x}, {ref: "secret://a/c", path: x}]`}), err: "objects[1].path"},
		{name: "file under a file", attrs: attrs(map[string]string{"objects": `[{ref: "secret://a/b", path: x}, {ref: "secret://a/c", path: x/y}]`}), err: "inside"},
		{name: "mode too big", attrs: attrs(map[string]string{"objects": `[{ref: "secret://a/b", path: x, mode: 01000}]`}), err: "mode"},
		{name: "mode negative", attrs: attrs(map[string]string{"objects": `[{ref: "secret://a/b", path: x, mode: -1}]`}), err: "mode"},
		{name: "bad permission", attrs: attrs(map[string]string{"objects": `[{ref: "secret://a/b", path: x}]`}), perm: "4096", err: "permission"},
		{name: "bad store name in stores", attrs: attrs(map[string]string{"objects": `[{ref: "secret://a/b", path: x}]`, "stores": "[a/b]"}), err: "stores"},
		{name: "tokens not JSON", attrs: attrs(map[string]string{"objects": `[{ref: "secret://a/b", path: x}]`, attrSATokens: "{"}), err: "serviceAccount.tokens"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseParams(tc.attrs, tc.perm)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				tc.check(t, p)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want one saying %q", err, tc.err)
			}
			if !errors.Is(err, secret.ErrInvalidConfig) {
				t.Errorf("err does not wrap ErrInvalidConfig: %v", err)
			}
		})
	}
}

func TestValidatePath(t *testing.T) {
	good := []string{"a", "a/b", "db-password", ".hidden", "a/.b", "a..b", "a/..b"}
	bad := []string{"", "/a", "../a", "a/../b", "a/..", "..", ".", "..data", "..a/b", "a//b", "a/", "./a", `a\b`, `C:x`,
		"a\x00b", "a\nb", strings.Repeat("x", 256), strings.Repeat("a/", 2049) + "a"}
	for _, p := range good {
		if err := ValidatePath(p); err != nil {
			t.Errorf("ValidatePath(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range bad {
		if err := ValidatePath(p); err == nil {
			t.Errorf("ValidatePath(%q) = nil, want an error", p)
		}
	}
}

// FuzzParseParams hands the parser what a SecretProviderClass's author
// (or a hostile driver client) could: it must never panic, and whatever
// it accepts must be safe for the driver's writer.
func FuzzParseParams(f *testing.F) {
	f.Add(`[{ref: "secret://aws/db#password", path: db/password, mode: 0400}]`, "420")
	f.Add(`- {ref: "secret://a/b", path: ../x}`, "")
	f.Add(`[{ref: "secret://a/b", path: x, mode: 0o777}, {ref: secret://a/c, path: x/y}]`, "0")
	f.Add(`[{ref: [1], path: {a: b}, mode: [7]}]`, "-1")
	f.Add("- &a {ref: *a}", "")
	f.Fuzz(func(t *testing.T, objects, perm string) {
		p, err := ParseParams(attrs(map[string]string{"objects": objects}), perm)
		if err != nil {
			return
		}
		for _, o := range p.Objects {
			if ValidatePath(o.Path) != nil || o.Mode < 0 || o.Mode > 0o777 || o.Ref == "" {
				t.Fatalf("accepted %+v", o)
			}
			if strings.HasPrefix(o.Path, "..") || strings.Contains("/"+o.Path+"/", "/../") {
				t.Fatalf("accepted path %q", o.Path)
			}
		}
	})
}
