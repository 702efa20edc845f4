package server

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/latchkey/latchkey/providers/aws" // the loopback baseline's store
	"github.com/latchkey/latchkey/providers/aws/awstest"
)

// benchWorkflow is a 3-secret workflow, each secret its own fetch.
const benchWorkflow = "name: bench\nfields:\n  user: secret://aws/bench/a#username\n  password: secret://aws/bench/a#password\n  token: secret://aws/bench/b\n  key: secret://aws/bench/c\n"

// BenchmarkResolveOverSocket resolves a 3-secret workflow through the
// server's unix socket with 1, 8 and 64 concurrent clients: cached (every
// answer from the server's cache) against uncached (every fetch a signed
// GetSecretValue to the loopback AWS server). It reports the median and
// 99th-percentile latency of one resolution and resolutions per second.
//
//	go test ./server -run '^$' -bench ResolveOverSocket -benchtime 2000x
func BenchmarkResolveOverSocket(b *testing.B) {
	aw := awstest.Start(b)
	creds := aw.AddUser("bench")
	aw.Setenv(b, creds)
	aw.PutString("bench/a", `{"username":"etl","password":"bench-pw-0123"}`)
	aw.PutString("bench/b", "bench-token-4567")
	aw.PutString("bench/c", "bench-key-89ab")
	for _, mode := range []string{"cached", "uncached"} {
		enabled := mode == "cached"
		h := startWith(b, func(dir string) string {
			return fmt.Sprintf("stores:\n  aws:\n    type: aws\n    region: %s\n    endpoint: %s\n    max_attempts: 1\ncache:\n  enabled: %v\nserve:\n  socket: %s\n",
				aw.Region, aw.URL, enabled, filepath.Join(dir, "s.sock"))
		}, nil)
		for _, clients := range []int{1, 8, 64} {
			b.Run(fmt.Sprintf("%s/clients=%d", mode, clients), func(b *testing.B) {
				benchClients(b, h, clients)
			})
		}
		h.stop()
	}
}

func benchClients(b *testing.B, h *harness, clients int) {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, DialContext: h.unix.Transport.(*http.Transport).DialContext}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	once := func() (time.Duration, error) {
		start := time.Now()
		resp, err := c.Post("http://latchkey/v1/resolve", "application/yaml", strings.NewReader(benchWorkflow))
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("status %d", resp.StatusCode)
		}
		return time.Since(start), nil
	}
	if _, err := once(); err != nil { // warm the cache and a connection
		b.Fatal(err)
	}
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	next := make(chan struct{}, clients)
	b.ResetTimer()
	start := time.Now()
	go func() {
		for i := 0; i < b.N; i++ {
			next <- struct{}{}
		}
		close(next)
	}()
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for range next {
				d, err := once()
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					continue
				}
				lat[w] = append(lat[w], d)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "resolutions/s")
}
