package api

import (
	"encoding/base64"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// Token headers a TCP request may carry its token in: Latchkey's own, and
// the AWS Secrets Manager Agent's (with the Vault-style one it also
// accepts), so that clients written for that agent work unchanged.
const (
	TokenHeader      = "X-Latchkey-Token"
	AWSTokenHeader   = "X-Aws-Parameters-Secrets-Token"
	VaultTokenHeader = "X-Vault-Token"
)

// Watch limits. A long poll holds its connection for at most
// MaxWatchWait, so that the answer fits the listener's write timeout (the
// resolution timeout plus a margin) even when a change is found at its end;
// a server checks no more often than every MinWatchInterval.
const (
	MaxWatchWait     = 8 * time.Second
	MinWatchInterval = time.Second
)

// Error codes of [ErrorBody]: what a client branches on.
const (
	CodeBadRequest       = "bad_request"        // malformed query or body
	CodeUnauthorized     = "unauthorized"       // no token, or a wrong one (TCP)
	CodeForbidden        = "forbidden"          // refused: X-Forwarded-For, or the authorizer
	CodeNoEndpoint       = "no_such_endpoint"   // unknown path
	CodeMethod           = "method_not_allowed" // known path, wrong method
	CodeTooLarge         = "too_large"          // the body exceeds serve.max_body_bytes
	CodeNotReady         = "not_ready"          // the stores are still being built
	CodeWorkflowInvalid  = "workflow_invalid"   // the workflow cannot be decoded or planned
	CodeResolutionFailed = "resolution_failed"  // one or more fields failed
	CodeInternal         = "internal"           // a bug; see the agent's log
)

// ErrorBody is the JSON of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong. Message is the text `latchkey` prints for
// the same failure; Errors lists each problem in the schema of `latchkey
// check --format json` (one per failed field of a resolution).
type ErrorDetail struct {
	Code    string               `json:"code"`
	Message string               `json:"message"`
	Errors  []resolver.ErrorJSON `json:"errors,omitempty"`
}

// Value carries a value on the wire: as a string (String) when it is
// UTF-8, else as base64 (Base64), so that binary secrets arrive byte for
// byte.
type Value struct {
	String *string `json:"value,omitempty"`
	Base64 string  `json:"value_base64,omitempty"`
}

// Bytes returns the value's bytes.
func (v Value) Bytes() ([]byte, error) {
	if v.String != nil {
		return []byte(*v.String), nil
	}
	b, err := base64.StdEncoding.DecodeString(v.Base64)
	if err != nil {
		return nil, fmt.Errorf("value_base64: %w", err)
	}
	return b, nil
}

// ResolveResponse is the answer to POST /v1/resolve: every field, in
// workflow order.
type ResolveResponse struct {
	Workflow string          `json:"workflow,omitempty"`
	Fields   []ResolvedField `json:"fields"`
	// UsedEnv names the variables the server's stores authenticate with or
	// served ([resolver.Resolver.UsedEnv]): `latchkey exec --server` leaves
	// them out of its command's environment, as it does without a server.
	UsedEnv []string `json:"used_env,omitempty"`
}

// ResolvedField is one resolved field.
type ResolvedField struct {
	Name string `json:"name"`
	// Env is the variable name the workflow asked `latchkey exec` to use.
	Env string `json:"env,omitempty"`
	Value
	// Secret says the value came from a store (mask it); Defaulted that the
	// reference's default was used.
	Secret    bool `json:"secret,omitempty"`
	Defaulted bool `json:"defaulted,omitempty"`
}

// Result rebuilds the resolver's result from the wire.
func (r *ResolveResponse) Result() (*resolver.Result, error) {
	res := &resolver.Result{}
	for _, f := range r.Fields {
		b, err := f.Bytes()
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", f.Name, err)
		}
		res.Fields = append(res.Fields, resolver.Resolved{Name: f.Name, Env: f.Env, Value: secret.NewValue(b),
			Secret: f.Secret, Defaulted: f.Defaulted})
	}
	return res, nil
}

// SecretResponse is the answer to GET /v1/secret.
type SecretResponse struct {
	Ref   string `json:"ref"`
	Store string `json:"store"`
	Value
	// Omitted is true when an optional reference names nothing.
	Omitted bool `json:"omitted,omitempty"`
}

// InvalidateRequest is the body of POST /v1/invalidate: one secret (Store
// and Secret, optionally Version), one store (Store), or everything (All).
type InvalidateRequest struct {
	Store   string `json:"store,omitempty"`
	Secret  string `json:"secret,omitempty"`
	Version string `json:"version,omitempty"`
	All     bool   `json:"all,omitempty"`
}

// InvalidateResponse says how many cache entries were dropped.
type InvalidateResponse struct {
	Dropped int `json:"dropped"`
}

// WatchResponse is the answer of POST /v1/watch: Changed with the new
// resolution and its token, or not Changed (the wait ended) with the token
// the client sent.
type WatchResponse struct {
	Changed bool   `json:"changed"`
	Token   string `json:"token"`
	ResolveResponse
}

// SecretValueOutput is the JSON of the AWS Secrets Manager Agent's
// /secretsmanager/get, which is GetSecretValue's response: an application
// written for that agent (or decoding with an AWS SDK) reads it unchanged.
//
// Each field is what the store said about the version it answered with
// ([secret.VersionDetail]: an aws store says all of it, as GetSecretValue
// answered it), else what the request tells: Name is the secretId given,
// ARN is arn:latchkey:secretsmanager::STORE:secret:NAME, VersionId is the
// one asked for or the version the store reported, VersionStages the stage
// asked for (AWSCURRENT when none; [] when asked by versionId),
// CreatedDate when Latchkey fetched the value, and a value that is not
// valid UTF-8 is SecretBinary.
type SecretValueOutput struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionId     string   `json:"VersionId,omitempty"` // AWS's spelling, so that the JSON matches
	SecretString  *string  `json:"SecretString,omitempty"`
	SecretBinary  []byte   `json:"SecretBinary,omitempty"`
	VersionStages []string `json:"VersionStages"`
	// CreatedDate is seconds since the epoch, as AWS's JSON protocol writes
	// timestamps.
	CreatedDate float64 `json:"CreatedDate"`
}
