package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CapabilitiesSection is the name of the custom section in which a module
// declares what it intends to do (guest-sdk/ABI.md, "Capability
// declaration").
const CapabilitiesSection = "latchkey.capabilities"

// maxCapabilities caps the section's JSON.
const maxCapabilities = 64 << 10

// Capabilities is what a module declares it will do: the hosts it calls,
// the credentials it expects the operator to configure, and the config keys
// it reads. The host refuses to load a module whose declared hosts the
// store's network policy does not allow, and `latchkey check` names the
// declared credentials the store lacks.
type Capabilities struct {
	// Version is the schema's version: 1.
	Version int `json:"version"`
	// Hosts are where the module sends requests: "host" or "host:port"
	// (https), "http://host[:port]" (plain http), or "config:KEY", the host
	// of the URL in the store config's string KEY (such as store_url).
	Hosts []string `json:"hosts,omitempty"`
	// Credentials are the names of the credentials the module sends as
	// placeholders.
	Credentials []string `json:"credentials,omitempty"`
	// Config lists the keys of the store's config the module reads.
	Config []string `json:"config,omitempty"`
}

// ErrCapabilities marks a malformed capability section.
var ErrCapabilities = errors.New("malformed " + CapabilitiesSection + " section")

// ParseCapabilities finds the capability section in a Wasm binary and
// decodes it. It returns nil, nil when the module has none, and an error
// wrapping [ErrCapabilities] when the section is malformed or repeated.
// It reads only the binary's section framing, not its code.
func ParseCapabilities(wasm []byte) (*Capabilities, error) {
	payload, err := findCustomSection(wasm, CapabilitiesSection)
	if err != nil || payload == nil {
		return nil, err
	}
	if len(payload) > maxCapabilities {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrCapabilities, len(payload), maxCapabilities)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var c Capabilities
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCapabilities, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrCapabilities)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCapabilities, err)
	}
	return &c, nil
}

func (c *Capabilities) validate() error {
	var errs []error
	if c.Version != 1 {
		errs = append(errs, fmt.Errorf("version %d: this host reads version 1", c.Version))
	}
	for _, h := range c.Hosts {
		if _, err := declaredHost(h, nil); err != nil && !errors.Is(err, errNoConfigURL) {
			errs = append(errs, err)
		}
	}
	for _, n := range c.Credentials {
		if !validCredentialName(n) {
			errs = append(errs, fmt.Errorf("credential %q: a name is 1-64 letters, digits, _ or -", n))
		}
	}
	for _, k := range c.Config {
		if k == "" || len(k) > 256 {
			errs = append(errs, fmt.Errorf("config key %q: want 1-256 bytes", k))
		}
	}
	return errors.Join(errs...)
}

func validCredentialName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

var errNoConfigURL = errors.New("config has no such URL")

// declaredHost turns a declared host into the URL the network policy is
// asked about. config is the store's config object (nil: only check the
// syntax).
func declaredHost(h string, config map[string]json.RawMessage) (*url.URL, error) {
	if key, ok := strings.CutPrefix(h, "config:"); ok {
		if key == "" {
			return nil, fmt.Errorf("host %q: a config key must follow the prefix config", h)
		}
		if config == nil {
			return nil, errNoConfigURL
		}
		var s string
		if raw, ok := config[key]; !ok || json.Unmarshal(raw, &s) != nil {
			return nil, fmt.Errorf("host %q: %w", h, errNoConfigURL)
		}
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("host %q: config key %q is not an absolute URL", h, key)
		}
		return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
	}
	raw := h
	if !strings.Contains(h, "://") {
		raw = "https://" + h
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.User != nil || strings.Contains(u.Host, "*") {
		return nil, fmt.Errorf("host %q: want host, host:port, http://host[:port] or config:KEY (no wildcard, path or user)", h)
	}
	if _, port, err := net.SplitHostPort(u.Host); err == nil && port == "" {
		return nil, fmt.Errorf("host %q: empty port", h)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// findCustomSection walks the binary's sections and returns the payload of
// the custom section name, nil when there is none, or an error when the
// framing is broken or the section repeats.
func findCustomSection(wasm []byte, name string) ([]byte, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, errors.New("not a Wasm binary")
	}
	var found []byte
	for p := wasm[8:]; len(p) > 0; {
		id := p[0]
		size, n, err := leb32(p[1:])
		if err != nil {
			return nil, fmt.Errorf("section at byte %d: %w", len(wasm)-len(p), err)
		}
		body := p[1+n:]
		if uint64(size) > uint64(len(body)) {
			return nil, fmt.Errorf("section at byte %d runs past the end of the file", len(wasm)-len(p))
		}
		body, p = body[:size], body[size:]
		if id != 0 {
			continue
		}
		nlen, m, err := leb32(body)
		if err != nil || uint64(nlen) > uint64(len(body)-m) {
			return nil, fmt.Errorf("custom section with a broken name at byte %d", len(wasm)-len(p)-len(body))
		}
		if string(body[m:m+int(nlen)]) != name {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("%w: the section appears twice", ErrCapabilities)
		}
		found = body[m+int(nlen):]
		if found == nil {
			found = []byte{}
		}
	}
	return found, nil
}

// leb32 decodes an unsigned LEB128 of at most 32 bits.
func leb32(b []byte) (uint32, int, error) {
	var v uint64
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0, errors.New("truncated LEB128")
		}
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			if v > 1<<32-1 {
				return 0, 0, errors.New("LEB128 over 32 bits")
			}
			return uint32(v), i + 1, nil
		}
	}
	return 0, 0, errors.New("LEB128 over 5 bytes")
}

// AppendCapabilities returns wasm with c appended as its capability
// section: the build step for toolchains that cannot emit a custom section
// themselves (Go). It refuses a module that already has one. The module's
// sha256 changes: pin the annotated file.
func AppendCapabilities(wasm []byte, c *Capabilities) ([]byte, error) {
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCapabilities, err)
	}
	existing, err := findCustomSection(wasm, CapabilitiesSection)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return nil, fmt.Errorf("the module already has a %s section", CapabilitiesSection)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var body []byte
	body = appendUleb(body, uint32(len(CapabilitiesSection)))
	body = append(body, CapabilitiesSection...)
	body = append(body, payload...)
	out := append(append([]byte(nil), wasm...), 0)
	out = appendUleb(out, uint32(len(body)))
	return append(out, body...), nil
}

func appendUleb(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// checkCapabilities refuses a module whose declared hosts the network
// policy does not allow. allowed answers for one origin URL (nil: allowed).
func checkCapabilities(c *Capabilities, config []byte, allowed func(*url.URL) error) error {
	if c == nil {
		return nil
	}
	var obj map[string]json.RawMessage
	_ = json.Unmarshal(config, &obj) // LoadBytes checked it is an object
	if obj == nil {
		obj = map[string]json.RawMessage{}
	}
	var errs []error
	for _, h := range c.Hosts {
		u, err := declaredHost(h, obj)
		if errors.Is(err, errNoConfigURL) {
			continue // nothing to call there without that config key
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := allowed(u); err != nil {
			errs = append(errs, fmt.Errorf("declares host %s, which the store's network policy does not allow: %v", h, err))
		}
	}
	return errors.Join(errs...)
}
