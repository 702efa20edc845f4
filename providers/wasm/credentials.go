package wasm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/latchkey/latchkey/hostfuncs"
	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/safefile"
)

// credentialSettings is one entry of the "credentials" setting: where the
// value comes from and where it may go.
type credentialSettings struct {
	Env       string   `json:"env"`
	File      string   `json:"file"`
	Value     string   `json:"value"`
	Hosts     []string `json:"hosts"`
	BodyPaths []string `json:"body_paths"`

	// Brokered kinds (broker.go): the host obtains or uses the value at
	// run time. Exactly one source or kind per credential.
	Login      *loginSettings      `json:"login"`
	OAuth2     *oauth2Settings     `json:"oauth2"`
	TokenFile  string              `json:"token_file"`
	ClientCert *certSettings       `json:"client_cert"`
	AWSSigV4   *sigv4Settings      `json:"aws_sigv4"`
	AzureToken *azureTokenSettings `json:"azure_token"`
	GCPToken   *gcpTokenSettings   `json:"gcp_token"`
	Rate       exchangeLimits      `json:"rate"`
}

// credentialInfo describes a credential for Describe, without its value.
type credentialInfo struct {
	name, source string
	hosts        []string
	bodyPaths    []string
	literal      bool
	loose        string   // why the file's permissions are too open, or ""
	envs         []string // variables a brokered kind's native chain reads
}

// credentials reads the declared credentials (environment variables and
// files; no network) and builds their substitution. Every problem is
// reported, joined, as a *secret.ConfigError naming the credential; no
// error holds a value.
func credentials(ctx context.Context, store string, decl map[string]credentialSettings, getenv func(string) (string, bool), deps *atomic.Pointer[brokerDeps]) (*hostfuncs.Credentials, []credentialInfo, error) {
	if len(decl) == 0 {
		return nil, nil, nil
	}
	var (
		errs  []error
		creds []hostfuncs.Credential
		infos []credentialInfo
	)
	names := make([]string, 0, len(decl))
	for n := range decl {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		d := decl[name]
		var (
			cr   hostfuncs.Credential
			info credentialInfo
			err  error
		)
		switch n := d.sources(); {
		case n == 1 && d.isBrokered():
			cr, info, err = brokered(ctx, store, name, d, deps)
		case n != 1:
			err = &secret.ConfigError{Store: store, Key: "credentials." + name, Msg: "give exactly one of env (an environment variable) or file (a path), or one brokered kind (login, oauth2, token_file, client_cert, aws_sigv4, azure_token, gcp_token); value (a literal) is possible but discouraged"}
		default:
			cr, info, err = plainCredential(store, name, d, getenv)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		creds = append(creds, cr)
		infos = append(infos, info)
	}
	if len(errs) == 0 {
		c, err := hostfuncs.NewCredentials(creds)
		if err != nil {
			return nil, nil, &secret.ConfigError{Store: store, Key: "credentials", Msg: err.Error()}
		}
		return c, infos, nil
	}
	return nil, nil, errors.Join(errs...)
}

// sources is how many sources and brokered kinds d gives; one is right.
func (d *credentialSettings) sources() int {
	n := 0
	for _, s := range []bool{d.Env != "", d.File != "", d.Value != "", d.Login != nil, d.OAuth2 != nil, d.TokenFile != "", d.ClientCert != nil, d.AWSSigV4 != nil, d.AzureToken != nil, d.GCPToken != nil} {
		if s {
			n++
		}
	}
	return n
}

// isBrokered reports whether d gives a brokered kind, which the host obtains
// or uses at run time (brokered).
func (d *credentialSettings) isBrokered() bool {
	return d.Login != nil || d.OAuth2 != nil || d.TokenFile != "" || d.ClientCert != nil || d.AWSSigV4 != nil || d.AzureToken != nil || d.GCPToken != nil
}

// plainCredential reads the value of a credential given by an environment
// variable, a file (without its trailing newline; loose permissions are a
// warning) or a literal. A variable that is unset or empty and a file that
// cannot be read or is empty are errors naming the setting, never the value.
func plainCredential(store, name string, d credentialSettings, getenv func(string) (string, bool)) (hostfuncs.Credential, credentialInfo, error) {
	bad := func(sub, format string, args ...any) error {
		return &secret.ConfigError{Store: store, Key: "credentials." + name + sub, Msg: fmt.Sprintf(format, args...)}
	}
	info := credentialInfo{name: name, hosts: d.Hosts, bodyPaths: d.BodyPaths}
	var value []byte
	switch {
	case d.Env != "":
		info.source = "env " + d.Env
		v, ok := getenv(d.Env)
		if !ok || v == "" {
			return hostfuncs.Credential{}, info, bad(".env", "environment variable %s is not set or empty", d.Env)
		}
		value = []byte(v)
	case d.File != "":
		info.source = "file " + d.File
		b, fi, err := safefile.ReadFile(d.File, safefile.Options{})
		if err != nil {
			return hostfuncs.Credential{}, info, bad(".file", "cannot be read: %v", err)
		}
		// A trailing newline is an artefact of the file, not of the
		// credential (echo, editors, Vault agent sinks).
		value = bytes.TrimRight(b, "\r\n")
		info.loose = safefile.Exposed(fi)
		if len(value) == 0 {
			return hostfuncs.Credential{}, info, bad(".file", "%s is empty", d.File)
		}
	default:
		info.source, info.literal = "literal value", true
		value = []byte(d.Value)
	}
	return hostfuncs.Credential{Name: name, Value: secret.NewValue(value), Hosts: d.Hosts, BodyPaths: d.BodyPaths}, info, nil
}

// describe renders the credentials for Identity: names, sources and
// bindings, never values; and their warnings.
func describeCredentials(infos []credentialInfo) (summary string, warnings []string) {
	if len(infos) == 0 {
		return "", nil
	}
	parts := make([]string, 0, len(infos))
	for _, in := range infos {
		p := fmt.Sprintf("%s (%s → %s", in.name, in.source, strings.Join(in.hosts, ", "))
		if len(in.bodyPaths) > 0 {
			p += "; in bodies to " + strings.Join(in.bodyPaths, ", ")
		}
		parts = append(parts, p+")")
		if in.literal {
			warnings = append(warnings, fmt.Sprintf("credential %s is a literal value in the agent config: read it from env or file instead", in.name))
		}
		if in.loose != "" {
			warnings = append(warnings, fmt.Sprintf("credential %s: its file has %s", in.name, in.loose))
		}
	}
	return "; credentials: " + strings.Join(parts, ", "), warnings
}
