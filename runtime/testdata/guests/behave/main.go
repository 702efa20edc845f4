// Command behave is a test guest whose behaviour is chosen by the secret
// name it is asked for: well-behaved answers, and the hostile acts the
// runtime must contain. Build it (the tests do) with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o behave.wasm .
package main

import (
	"os"
	"strconv"
	"strings"
	"time"

	latchkey "github.com/latchkey/latchkey/guest-sdk"
)

func init() { latchkey.Handle(handle) }

func main() {}

var (
	hoard    [][]byte
	previous []byte
)

func handle(req latchkey.Request) ([]byte, error) {
	verb, arg, _ := strings.Cut(req.Name, ":")
	switch verb {
	case "echo": // what the guest was asked
		return []byte("name=" + req.Name + " key=" + req.Key + " version=" + req.Version + " config=" + string(req.Config)), nil
	case "value": // remembered for "previous"
		previous = []byte(arg)
		return []byte(arg), nil
	case "previous": // the last "value" this instance returned
		if previous == nil {
			return nil, latchkey.NotFound("no previous call in this instance")
		}
		return previous, nil
	case "missing":
		return nil, latchkey.NotFound("secret " + strconv.Quote(req.Name) + " does not exist")
	case "denied":
		return nil, latchkey.PermissionDenied("no access")
	case "leak": // log and print the value it returns, as careless code does
		latchkey.Log(latchkey.LevelWarn, "fetched "+arg)
		os.Stdout.Write([]byte("value=" + arg + "\n"))
		return []byte(arg), nil
	case "log":
		latchkey.Log(latchkey.LevelWarn, "guest says "+arg)
		return []byte("logged"), nil
	case "stdout": // arg bytes to stdout
		n, _ := strconv.Atoi(arg)
		line := []byte(strings.Repeat("x", 99) + "\n")
		for i := 0; i < n; i += len(line) {
			os.Stdout.Write(line)
		}
		return []byte("written"), nil
	case "panic":
		panic("handler panics with a secret-looking value")
	case "spin":
		for {
		}
	case "sleep":
		time.Sleep(time.Hour)
		return nil, nil
	case "oom": // allocate until the Go runtime dies
		for {
			hoard = append(hoard, make([]byte, 1<<20))
		}
	case "grow": // allocate arg MiB, keep it, and succeed
		n, _ := strconv.Atoi(arg)
		for range n {
			hoard = append(hoard, make([]byte, 1<<20))
		}
		return []byte("grown"), nil
	case "big": // a result of arg bytes
		n, _ := strconv.Atoi(arg)
		return make([]byte, n), nil
	case "header": // GET the URL after "NAME:"; the value of header NAME, a newline, the body
		name, url, _ := strings.Cut(arg, ":")
		resp, err := latchkey.Get(url, nil)
		if err != nil {
			return nil, err
		}
		return append([]byte(resp.HeaderValue(name)+"\n"), resp.Body...), nil
	case "http": // GET arg; "http:N:URL" makes N requests
		count := 1
		if n, rest, ok := strings.Cut(arg, ":"); ok {
			if c, err := strconv.Atoi(n); err == nil {
				count, arg = c, rest
			}
		}
		var resp *latchkey.HTTPResponse
		for range count {
			r, err := latchkey.Get(arg, map[string]string{"Accept": "text/plain", "Host": "evil.example", "Connection": "close"})
			if err != nil {
				return nil, err
			}
			resp = r
		}
		if resp.Status != 200 {
			return nil, latchkey.Unavailable("HTTP " + strconv.Itoa(resp.Status))
		}
		return resp.Body, nil
	}
	return nil, latchkey.InvalidConfig("unknown behaviour " + strconv.Quote(verb))
}
