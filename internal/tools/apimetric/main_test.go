package main

import (
	"bytes"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// testdata/mod is a module whose counts are known: pub is public (13
// exported names, three of them through an alias of an internal type; 58
// lines over four files, one of them twice under build tags), pub/pubtest a public test fake (one name, 14 lines),
// internal/priv internal (20 lines), cmd/tool a main package (5 lines);
// test files, testdata, examples/, guest-sdk/ and the nested module must
// not count.
func TestMeasure(t *testing.T) {
	r, err := measure("testdata/mod")
	if err != nil {
		t.Fatal(err)
	}
	if r.module != "example.com/mod" {
		t.Errorf("module = %q", r.module)
	}
	got := map[string][]string{}
	for pkg, ids := range r.exported {
		for id := range ids {
			got[pkg] = append(got[pkg], id)
		}
		sort.Strings(got[pkg])
	}
	want := map[string][]string{
		"example.com/mod/pub":         {"Answer", "Exported", "I", "I.Do", "Long", "OS", "Opts", "Opts.Do", "Opts.Exported", "T", "T.Method", "T.Name", "T.Reader"},
		"example.com/mod/pub/pubtest": {"Fake"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("exported identifiers:\n got %v\nwant %v", got, want)
	}
	if n := r.exportedCount(); n != 14 {
		t.Errorf("exportedCount = %d, want 14", n)
	}
	if k := r.byKind(); k[kindTopLevel] != 8 || k[kindMethod] != 3 || k[kindField] != 3 {
		t.Errorf("byKind = %v, want 8 top-level, 3 methods, 3 fields", k)
	}
	if r.publicLines != 72 || r.allLines != 97 {
		t.Errorf("lines: public %d of %d, want 72 of 97", r.publicLines, r.allLines)
	}
	wantFuncs := []funcLen{
		{pos: "internal/priv/priv.go:6", name: "Medium", lines: 6},
		{pos: "pub/pub.go:35", name: "Long", lines: 5},
		{pos: "pub/pub.go:18", name: "T.Method", lines: 3},
	}
	if got := r.longest(3); !reflect.DeepEqual(got, wantFuncs) {
		t.Errorf("longest(3):\n got %v\nwant %v", got, wantFuncs)
	}
	for _, f := range r.funcs {
		if f.name == "Fake" || f.name == "veryLongTestHelper" || f.name == "Skipped" {
			t.Errorf("%s (%s) was ranked; test files, fakes and skipped trees must not be", f.name, f.pos)
		}
	}

	var out bytes.Buffer
	r.print(&out, 2)
	for _, line := range []string{
		"exported identifiers in public packages: 14 (8 top-level, 3 methods, 3 fields)",
		"public share of code: 74.2 % (72 of 97 lines in non-test files)",
		"     6 internal/priv/priv.go:6 Medium",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("output lacks %q:\n%s", line, out.String())
		}
	}
}

func TestMeasureNoModule(t *testing.T) {
	if _, err := measure(t.TempDir()); err == nil || !strings.Contains(err.Error(), "go.mod") {
		t.Errorf("measure of a directory without go.mod: err = %v, want one naming go.mod", err)
	}
}

func TestParseDeps(t *testing.T) {
	tests := []struct {
		name             string
		out              string
		all, nonStd, sdk int
		wantErr          bool
	}{
		{name: "std only", out: "errors true\nfmt true\n", all: 2},
		{
			name: "cloud SDKs and test variants",
			out: strings.Join([]string{
				"fmt true",
				"github.com/aws/aws-sdk-go-v2/aws false",
				"github.com/aws/smithy-go false",
				"github.com/aws/aws-sdk-go-v2-lookalike false",
				"github.com/Azure/azure-sdk-for-go/sdk/azcore false",
				"cloud.google.com/go/secretmanager/apiv1 false",
				"example.com/mod/p false",
				"example.com/mod/p [example.com/mod/p.test] false",
				"example.com/mod/p.test false",
			}, "\n"),
			all: 9, nonStd: 8, sdk: 4,
		},
		{name: "garbage", out: "nospace", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parseDeps("./p", []byte(tc.out))
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.all != tc.all || len(d.nonStd) != tc.nonStd || len(d.cloudSDK) != tc.sdk {
				t.Errorf("all %d, non-std %d, cloud %d; want %d, %d, %d (cloud: %v)",
					d.all, len(d.nonStd), len(d.cloudSDK), tc.all, tc.nonStd, tc.sdk, d.cloudSDK)
			}
		})
	}
}

// TestListDeps runs go list on the testdata module: pub's test build
// compiles pub, the internal package it imports, its test variant and the
// test main, and no cloud SDK.
func TestListDeps(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go not on PATH")
	}
	d, err := listDeps("testdata/mod", "./pub")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"example.com/mod/internal/priv", "example.com/mod/pub", "example.com/mod/pub [example.com/mod/pub.test]", "example.com/mod/pub.test"}
	got := append([]string(nil), d.nonStd...)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("non-std packages = %v, want %v", got, want)
	}
	if d.all <= len(d.nonStd) || len(d.cloudSDK) != 0 {
		t.Errorf("all %d, cloud %v", d.all, d.cloudSDK)
	}
	if _, err := listDeps("testdata/mod", "./nosuch"); err == nil || !strings.Contains(err.Error(), "./nosuch") {
		t.Errorf("listDeps of a missing package: err = %v, want one naming it", err)
	}
}
