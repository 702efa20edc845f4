package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestSummary(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"run","Package":"p","Test":"TestA"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}`,
		`{"Action":"pass","Package":"p","Test":"TestA"}`,
		`{"Action":"output","Package":"p","Test":"TestEtcd","Output":"    etcd_test.go:31: etcd not found (Debian package etcd-server)\n"}`,
		`{"Action":"output","Package":"p","Test":"TestEtcd","Output":"--- SKIP: TestEtcd (0.00s)\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestEtcd"}`,
		`{"Action":"output","Package":"q","Test":"TestEtcd2","Output":"    x_test.go:9: etcd not found (Debian package etcd-server)\n"}`,
		`{"Action":"skip","Package":"q","Test":"TestEtcd2"}`,
		`{"Action":"skip","Package":"q","Test":"TestQuiet"}`,
		`{"Action":"fail","Package":"q","Test":"TestB"}`,
		`# q [q.test]`,
		`{"Action":"pass","Package":"p"}`,
		`{"Action":"fail","Package":"q"}`,
	}, "\n")
	s, err := summarize(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	s.print(&b)
	for _, want := range []string{
		"packages: 2 (1 failed)", "FAIL q",
		"   2  etcd not found (Debian package etcd-server)",
		"   1  (no reason given)",
		"\nsummary: 1 passed, 1 failed, 3 skipped\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	var echo bytes.Buffer
	passThrough(strings.NewReader(in), &echo)
	if !strings.Contains(echo.String(), "=== RUN   TestA\n") || !strings.Contains(echo.String(), "# q [q.test]\n") {
		t.Errorf("echo:\n%s", echo.String())
	}
}
