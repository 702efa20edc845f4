package server

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// SecretValueOutput is the JSON of the AWS Secrets Manager Agent's
// /secretsmanager/get, which is GetSecretValue's response: an application
// written for that agent (or decoding with an AWS SDK) reads it unchanged.
//
// For a store that is not AWS, ARN is arn:latchkey:secretsmanager::STORE:
// secret:NAME, VersionId is the version the store reported (or the one
// asked for), and CreatedDate is when Latchkey fetched the value.
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

// awsError is an AWS JSON-protocol error, as the SM Agent relays them.
type awsError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func writeAWSError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("X-Amzn-Errortype", typ)
	writeJSON(w, status, awsError{Type: typ, Message: msg})
}

// awsErrorFor maps a failure's kind to the exception GetSecretValue would
// have thrown.
func awsErrorFor(kind string) (int, string) {
	switch kind {
	case "not_found":
		return http.StatusBadRequest, "ResourceNotFoundException"
	case "permission_denied", "not_allowed":
		return http.StatusBadRequest, "AccessDeniedException"
	case "invalid_config":
		return http.StatusBadRequest, "InvalidParameterException"
	case "deadline":
		return http.StatusGatewayTimeout, "InternalServiceError"
	}
	return http.StatusInternalServerError, "InternalServiceError"
}

func (s *Server) serveSecretsManager(w http.ResponseWriter, r *http.Request, g *generation) {
	q := r.URL.Query()
	id, versionID, stage := q.Get("secretId"), q.Get("versionId"), q.Get("versionStage")
	switch {
	case id == "":
		writeAWSError(w, http.StatusBadRequest, "InvalidParameterException", "secretId is required: /secretsmanager/get?secretId=NAME")
		return
	case versionID != "" && stage != "":
		writeAWSError(w, http.StatusBadRequest, "InvalidParameterException", "give versionId or versionStage, not both")
		return
	}
	switch rn := q.Get("refreshNow"); rn {
	case "", "false":
	case "true":
		r = r.WithContext(withRefresh(r.Context()))
	default:
		writeAWSError(w, http.StatusBadRequest, "InvalidParameterException", "refreshNow must be true or false")
		return
	}
	ref := secret.Ref{Store: g.agent.Serve.SecretsManagerStore, Name: id, Version: versionID + stage}
	wf := resolver.Workflow{Name: "secretsmanager", Fields: []resolver.Field{{Name: "SecretString", Source: secret.Source{Ref: &ref}}}}
	plan, err := g.resolverFor(r.Context()).Plan(wf)
	if err != nil {
		_, _ = g.resolverFor(r.Context()).Resolve(r.Context(), wf) // records the refusal
		writeAWSError(w, http.StatusBadRequest, "InvalidParameterException", err.Error())
		return
	}
	step := plan.Steps[0]
	ctx, cancel := withTimeout(r.Context(), g)
	defer cancel()
	res, err := g.resolverFor(ctx).Resolve(ctx, wf)
	if err != nil {
		kind := resolver.ErrorKind(err)
		var rerr *resolver.Error
		if errors.As(err, &rerr) && len(rerr.Fields) == 1 {
			kind = resolver.ErrorKind(rerr.Fields[0].Err)
		}
		status, typ := awsErrorFor(kind)
		writeAWSError(w, status, typ, err.Error())
		return
	}
	field := res.Fields[0] // the workflow's one field
	v := field.Value
	out := SecretValueOutput{Name: id, VersionId: versionID, CreatedDate: float64(time.Now().UnixMilli()) / 1000}
	if out.VersionId == "" {
		out.VersionId = field.Version // what the store said it answered with
	}
	switch {
	case step.StoreType == "aws" && strings.HasPrefix(id, "arn:"):
		out.ARN = id
	default:
		out.ARN = "arn:latchkey:secretsmanager::" + step.Store + ":secret:" + id
	}
	switch {
	case stage != "":
		out.VersionStages = []string{stage}
	case versionID == "":
		out.VersionStages = []string{"AWSCURRENT"}
	default:
		out.VersionStages = []string{}
	}
	if b := v.Reveal(); utf8.Valid(b) {
		str := string(b)
		out.SecretString = &str
	} else {
		out.SecretBinary = b
	}
	writeJSON(w, http.StatusOK, out)
}
