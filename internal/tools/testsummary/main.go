// Command testsummary reads `go test -json` events (test2json) on standard
// input. With -echo it prints each event's output, so that the log reads
// as plain `go test` output; without it, it prints the summary that
// scripts/test.sh ends with: packages, tests passed, failed and skipped,
// and each distinct reason a test gave for skipping (a missing Debian
// package, -short), with how many tests gave it. The summary's last line
// is "summary: N passed, N failed, N skipped". It exits 1 when a test or
// a package failed.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

type key struct{ pkg, test string }

func main() {
	echo := flag.Bool("echo", false, "print the events' output instead of a summary")
	flag.Parse()
	if *echo {
		os.Exit(passThrough(os.Stdin, os.Stdout))
	}
	s, err := summarize(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	s.print(os.Stdout)
	if s.failed > 0 || len(s.failedPkgs) > 0 {
		os.Exit(1)
	}
}

// passThrough prints the output of each event; a line that is not JSON
// (a build error printed by go itself) is printed as it is.
func passThrough(r io.Reader, w io.Writer) int {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			fmt.Fprintln(w, sc.Text())
			continue
		}
		io.WriteString(w, e.Output)
	}
	return 0
}

type summary struct {
	packages, passed, failed, skipped int
	failedPkgs                        []string
	reasons                           map[string]int
}

func summarize(r io.Reader) (*summary, error) {
	s := &summary{reasons: map[string]int{}}
	out := map[key][]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue // go's own output (a build failure): its package's fail event counts it
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "output":
			if e.Test != "" {
				out[k] = append(out[k], e.Output)
			}
		case "pass", "fail", "skip":
			if e.Test == "" {
				s.packages++
				if e.Action == "fail" {
					s.failedPkgs = append(s.failedPkgs, e.Package)
				}
				continue
			}
			switch e.Action {
			case "pass":
				s.passed++
			case "fail":
				s.failed++
			case "skip":
				s.skipped++
				s.reasons[skipReason(out[k])]++
			}
			delete(out, k)
		}
	}
	return s, sc.Err()
}

// skipReason is the message a skipped test gave: its output without the
// framework's lines and the file:line prefix.
func skipReason(lines []string) string {
	var msg []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- ") {
			continue
		}
		if i := strings.Index(l, ".go:"); i > 0 {
			if j := strings.Index(l[i:], ": "); j > 0 {
				l = l[i+j+2:]
			}
		}
		msg = append(msg, l)
	}
	if len(msg) == 0 {
		return "(no reason given)"
	}
	return strings.Join(msg, " ")
}

func (s *summary) print(w io.Writer) {
	fmt.Fprintf(w, "\n== summary\npackages: %d (%d failed)\n", s.packages, len(s.failedPkgs))
	for _, p := range s.failedPkgs {
		fmt.Fprintf(w, "  FAIL %s\n", p)
	}
	if len(s.reasons) > 0 {
		fmt.Fprintln(w, "skipped, by reason:")
		rs := make([]string, 0, len(s.reasons))
		for r := range s.reasons {
			rs = append(rs, r)
		}
		sort.Slice(rs, func(i, j int) bool {
			if s.reasons[rs[i]] != s.reasons[rs[j]] {
				return s.reasons[rs[i]] > s.reasons[rs[j]]
			}
			return rs[i] < rs[j]
		})
		for _, r := range rs {
			fmt.Fprintf(w, "  %4d  %s\n", s.reasons[r], r)
		}
	}
	fmt.Fprintf(w, "summary: %d passed, %d failed, %d skipped\n", s.passed, s.failed, s.skipped)
}
