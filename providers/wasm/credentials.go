package wasm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/latchkey/latchkey/hostfuncs"
	"github.com/latchkey/latchkey/internal/fileperm"
	"github.com/latchkey/latchkey/secret"
)

// credentialSettings is one entry of the "credentials" setting: where the
// value comes from and where it may go.
type credentialSettings struct {
	Env       string   `json:"env"`
	File      string   `json:"file"`
	Value     string   `json:"value"`
	Hosts     []string `json:"hosts"`
	BodyPaths []string `json:"body_paths"`
}

// credentialInfo describes a credential for Describe, without its value.
type credentialInfo struct {
	name, source string
	hosts        []string
	bodyPaths    []string
	literal      bool
	loose        string // why the file's permissions are too open, or ""
}

// credentials reads the declared credentials (environment variables and
// files; no network) and builds their substitution. Every problem is
// reported, joined, as a *secret.ConfigError naming the credential; no
// error holds a value.
func credentials(store string, decl map[string]credentialSettings, getenv func(string) (string, bool)) (*hostfuncs.Credentials, []credentialInfo, error) {
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
		key := "credentials." + name
		bad := func(sub, format string, args ...any) {
			errs = append(errs, &secret.ConfigError{Store: store, Key: key + sub, Msg: fmt.Sprintf(format, args...)})
		}
		sources := 0
		for _, s := range []string{d.Env, d.File, d.Value} {
			if s != "" {
				sources++
			}
		}
		if sources != 1 {
			bad("", "give exactly one of env (an environment variable) or file (a path); value (a literal) is possible but discouraged")
			continue
		}
		info := credentialInfo{name: name, hosts: d.Hosts, bodyPaths: d.BodyPaths}
		var value []byte
		switch {
		case d.Env != "":
			info.source = "env " + d.Env
			v, ok := getenv(d.Env)
			if !ok || v == "" {
				bad(".env", "environment variable %s is not set or empty", d.Env)
				continue
			}
			value = []byte(v)
		case d.File != "":
			info.source = "file " + d.File
			b, err := os.ReadFile(d.File)
			if err != nil {
				bad(".file", "cannot be read: %v", err)
				continue
			}
			// A trailing newline is an artefact of the file, not of the
			// credential (echo, editors, Vault agent sinks).
			value = bytes.TrimRight(b, "\r\n")
			if fi, err := os.Stat(d.File); err == nil && fileperm.Loose(fi, 0o077) {
				info.loose = fmt.Sprintf("mode %v", fi.Mode().Perm())
			}
			if len(value) == 0 {
				bad(".file", "%s is empty", d.File)
				continue
			}
		default:
			info.source, info.literal = "literal value", true
			value = []byte(d.Value)
		}
		creds = append(creds, hostfuncs.Credential{Name: name, Value: secret.NewValue(value), Hosts: d.Hosts, BodyPaths: d.BodyPaths})
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
			warnings = append(warnings, fmt.Sprintf("credential %s: its file has %s; other users can read it (chmod 600)", in.name, in.loose))
		}
	}
	return "; credentials: " + strings.Join(parts, ", "), warnings
}
