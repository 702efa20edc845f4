package main

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	latchkey "github.com/latchkey/latchkey/guest-sdk"
)

// The module's logic runs natively too (the SDK's host calls then fail), so
// its pure parts are tested here: go test ./...

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want *config
		err  string
	}{
		{"minimal", `{"store_url": "https://s.example/v1"}`, &config{storeURL: "https://s.example/v1", versionParam: "version"}, ""},
		{"everything", `{"store_url": "https://s/{name}", "secret_name": "db", "header": {"Authorization": "Bearer x"},
			"field": "data.password", "version_param": "v"}`,
			&config{storeURL: "https://s/{name}", secretName: "db", header: map[string]string{"Authorization": "Bearer x"},
				field: []string{"data", "password"}, versionParam: "v"}, ""},
		{"no store_url", `{"secret_name": "db"}`, nil, `"store_url" is required`},
		{"unknown key", `{"store_url": "https://s", "stor_url": "x"}`, nil, `unknown key "stor_url"`},
		{"not a string", `{"store_url": 7}`, nil, `"store_url": want a string`},
		{"header value not a string", `{"store_url": "https://s", "header": {"X-N": 1}}`, nil, `value of "X-N" is not a string`},
		{"not JSON", `{"store_url": }`, nil, "invalid JSON at byte 14"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseConfig(latchkey.JSON(tc.doc))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("parseConfig = %v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("parseConfig = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	if _, err := parseConfig(latchkey.JSON(`{"store_url": "https://s", "header": {"A": 1}, "x": "s3cr3t-planted"}`)); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %v", err)
	}
}

func TestSecretURL(t *testing.T) {
	tests := []struct {
		name, storeURL, secret, version, want string
	}{
		{"appended", "https://s/v1/", "db", "", "https://s/v1/db"},
		{"escaped", "https://s/v1", "a/b c?", "", "https://s/v1/a%2Fb%20c%3F"},
		{"template", "https://s/{name}/data", "db", "", "https://s/db/data"},
		{"version param", "https://s/v1", "db", "3 4", "https://s/v1/db?version=3+4"},
		{"version param after a query", "https://s/v1?x=1", "db", "3", "https://s/v1?x=1/db&version=3"},
		{"version template", "https://s/{name}@{version}", "db", "7", "https://s/db@7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &config{storeURL: tc.storeURL, versionParam: "version"}
			for range 2 { // the second time from the memo
				if got := c.secretURL(tc.secret, tc.version); got != tc.want {
					t.Fatalf("secretURL(%q, %q) = %q, want %q", tc.secret, tc.version, got, tc.want)
				}
			}
			if got := c.secretURL("other", ""); !strings.Contains(got, "other") {
				t.Fatalf("secretURL after another secret = %q", got)
			}
		})
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"db", "a/b c?", "ü€", "$&+,/:;=?@[]%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := escape(s, false), url.PathEscape(s); got != want {
			t.Fatalf("escape(%q, path) = %q, net/url %q", s, got, want)
		}
		if got, want := escape(s, true), url.QueryEscape(s); got != want {
			t.Fatalf("escape(%q, query) = %q, net/url %q", s, got, want)
		}
	})
}

func TestSelectField(t *testing.T) {
	doc := []byte(`{"data": {"password": "pw\u00e9", "port": 5432, "tls": {"on": true}}}`)
	tests := []struct {
		name, path, want string
		err              error
	}{
		{"string", "data.password", "pwé", nil},
		{"number", "data.port", "5432", nil},
		{"object", "data.tls", `{"on": true}`, nil},
		{"missing", "data.user", "", errNotFound},
		{"inside a non-object", "data.port.x", "", errNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := selectField(doc, strings.Split(tc.path, "."), "db")
			if tc.err != nil {
				var e *latchkey.Error
				if !errors.As(err, &e) || e.Code != latchkey.CodeNotFound || strings.Contains(err.Error(), "pw") {
					t.Fatalf("selectField(%q) = %v, want not found", tc.path, err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("selectField(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
			}
		})
	}
	var e *latchkey.Error
	if _, err := selectField([]byte("s3cr3t-planted"), []string{"a"}, "db"); !errors.As(err, &e) || e.Code != latchkey.CodeUnavailable ||
		strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("not JSON: %v", err)
	}
}

var errNotFound = errors.New("not found")
