package aws

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/latchkey/latchkey/internal/safefile"
)

// keySource is where one part of an access key comes from: a literal, a
// file or an environment variable (exactly one is set).
type keySource struct {
	what    string // "access key ID"
	setting string // the setting that names the source, for errors
	literal string
	file    string
	env     string
}

// keyError reports a key part that cannot be read. It names the source,
// never the value.
type keyError struct {
	Setting string // the setting naming the source
	Msg     string
	Err     error // the file system's error, if any
}

func (e *keyError) Error() string { return e.Setting + ": " + e.Msg }
func (e *keyError) Unwrap() error { return e.Err }

// read returns the key part.
func (k keySource) read() (string, error) {
	switch {
	case k.literal != "":
		return k.literal, nil
	case k.file != "":
		b, _, err := safefile.ReadFile(k.file, safefile.Options{})
		if err != nil {
			return "", &keyError{k.setting, fmt.Sprintf("reading the %s: %v", k.what, err), err}
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", &keyError{k.setting, fmt.Sprintf("file %s, which should hold the %s, is empty", k.file, k.what), nil}
		}
		return v, nil
	default:
		v := strings.TrimSpace(os.Getenv(k.env))
		if v == "" {
			return "", &keyError{k.setting, fmt.Sprintf("environment variable %s, which should hold the %s, is not set", k.env, k.what), nil}
		}
		return v, nil
	}
}

func (k keySource) describe() string {
	switch {
	case k.literal != "":
		return "literal " + k.setting
	case k.file != "":
		return "file " + k.file
	}
	return "$" + k.env
}

// keyProvider serves AuthAccessKeys. It reads its sources on every
// Retrieve, which costs an environment look-up or a small file read, so
// that a key rotated in a mounted Kubernetes secret is picked up at once.
type keyProvider struct {
	id, secret keySource
	tokenEnv   string // empty when the key does not come from the environment
}

func newKeyProvider(o Options) *keyProvider {
	p := &keyProvider{
		id: keySource{what: "access key ID", literal: o.AccessKeyID, file: o.AccessKeyIDFile, env: o.AccessKeyIDEnv},
		secret: keySource{what: "secret access key", literal: o.SecretAccessKey, file: o.SecretAccessKeyFile,
			env: o.SecretAccessKeyEnv},
		tokenEnv: o.SessionTokenEnv,
	}
	p.id.setting = settingOf(p.id, "access_key_id")
	p.secret.setting = settingOf(p.secret, "secret_access_key")
	return p
}

func settingOf(k keySource, base string) string {
	switch {
	case k.literal != "":
		return base
	case k.file != "":
		return base + "_file"
	}
	return base + "_env"
}

// Retrieve implements aws.CredentialsProvider.
func (p *keyProvider) Retrieve(context.Context) (aws.Credentials, error) {
	id, err := p.id.read()
	if err != nil {
		return aws.Credentials{}, err
	}
	sec, err := p.secret.read()
	if err != nil {
		return aws.Credentials{}, err
	}
	c := aws.Credentials{AccessKeyID: id, SecretAccessKey: sec, Source: "latchkey access_keys"}
	if p.tokenEnv != "" {
		c.SessionToken = strings.TrimSpace(os.Getenv(p.tokenEnv))
	}
	return c, nil
}

func (p *keyProvider) describe() string {
	s := "access key ID from " + p.id.describe() + ", secret access key from " + p.secret.describe()
	if p.tokenEnv != "" {
		s += ", session token from $" + p.tokenEnv + " when set"
	}
	return s
}
