package server

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/server/api"
)

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

func (s *Server) serveSecretsManager(w http.ResponseWriter, r *http.Request, g *generation, gr grant) {
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
	ref := secret.Ref{Store: g.spec.Serve.SecretsManagerStore, Name: id, Version: versionID + stage}
	wf := resolver.Workflow{Name: "secretsmanager", Fields: []resolver.Field{{Name: "SecretString", Source: secret.Source{Ref: &ref}}}}
	plan, err := gr.resolver.Plan(wf)
	if err != nil {
		_, _ = gr.resolver.Resolve(r.Context(), wf) // records the refusal
		writeAWSError(w, http.StatusBadRequest, "InvalidParameterException", err.Error())
		return
	}
	step := plan.Steps[0]
	ctx, cancel := withTimeout(r.Context(), g)
	defer cancel()
	res, err := gr.resolver.Resolve(ctx, wf)
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
	t, _ := secret.LookupType(step.StoreType)
	writeJSON(w, http.StatusOK, secretValueOutput(field, step.Store, t.NamesAreARNs, id, versionID, stage, time.Now()))
}

// secretValueOutput is GetSecretValue's answer for field, fetched from store
// as id (with versionID or stage, as asked) at now: what the store said
// about the version where it said it (the aws store says everything), else
// what can be told from the request. arnNames is the store type's
// [secret.Type].NamesAreARNs.
func secretValueOutput(field resolver.Resolved, store string, arnNames bool, id, versionID, stage string, now time.Time) api.SecretValueOutput {
	d := field.Detail
	out := api.SecretValueOutput{Name: d.Name, ARN: d.ID, VersionId: versionID, VersionStages: d.Stages}
	if out.Name == "" {
		out.Name = id
	}
	if out.VersionId == "" {
		out.VersionId = field.Version // what the store said it answered with
	}
	switch {
	case out.ARN != "":
	case arnNames && strings.HasPrefix(id, "arn:"):
		out.ARN = id
	default:
		out.ARN = "arn:latchkey:secretsmanager::" + store + ":secret:" + id
	}
	switch {
	case out.VersionStages != nil:
	case stage != "":
		out.VersionStages = []string{stage}
	case versionID == "":
		out.VersionStages = []string{"AWSCURRENT"}
	default:
		out.VersionStages = []string{} // the store did not say
	}
	created := now
	if !d.Created.IsZero() {
		created = d.Created
	}
	out.CreatedDate = float64(created.UnixMilli()) / 1000
	b := field.Value.Reveal()
	switch {
	case d.Stored == secret.StoredBinary, d.Stored == "" && !utf8.Valid(b):
		out.SecretBinary = b
	default:
		str := string(b)
		out.SecretString = &str
	}
	return out
}
