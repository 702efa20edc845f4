package egress

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// HostRule is one entry of an allow list: a host, host:port or *.domain.
type HostRule struct {
	host     string // lower case; "*.example.com" matches subdomains
	port     string // "" means the scheme's default port
	wildcard bool
}

// ParseHostRule parses s, written "host", "host:port" or "*.domain"
// (subdomains only), without scheme or path.
func ParseHostRule(s string) (HostRule, error) {
	if s == "" || strings.Contains(s, "/") {
		return HostRule{}, errors.New(`want "host", "host:port" or "*.domain", without scheme or path`)
	}
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return HostRule{}, fmt.Errorf("bad port %q", p)
		}
	} else if strings.Count(s, ":") == 1 {
		return HostRule{}, err
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	r := HostRule{host: host, port: port}
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		if rest == "" || strings.Contains(rest, "*") {
			return HostRule{}, errors.New("a wildcard is written *.domain")
		}
		r.host, r.wildcard = "."+rest, true
	} else if strings.Contains(host, "*") || host == "" {
		return HostRule{}, errors.New("a wildcard is written *.domain")
	}
	return r, nil
}

// Match reports whether r admits host (lower case) on port, defPort being
// the scheme's default port that a rule without a port stands for.
func (r HostRule) Match(host, port, defPort string) bool {
	want := r.port
	if want == "" {
		want = defPort
	}
	if port != want {
		return false
	}
	if r.wildcard {
		return strings.HasSuffix(host, r.host) && len(host) > len(r.host)
	}
	return host == r.host
}
