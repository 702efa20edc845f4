package awstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

const jsonContentType = "application/x-amz-json-1.1"

// serveSecretsManager answers AWS JSON 1.1 requests: POST / with
// X-Amz-Target: secretsmanager.<Operation>, for GetSecretValue and
// DescribeSecret (which answers metadata and VersionIdsToStages, never a
// value). Faults, Deny and Slow apply to both.
func (s *Server) serveSecretsManager(w http.ResponseWriter, r *http.Request) {
	call := Call{Service: "secretsmanager", Action: strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")}
	fail := func(status int, code, msg string) {
		call.Status, call.ErrorCode = status, code
		s.record(call)
		writeJSONError(w, status, code, msg)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		fail(http.StatusBadRequest, "SerializationException", "could not read the request body")
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		fail(http.StatusNotFound, "UnknownOperationException", "")
		return
	}
	if call.Action != "GetSecretValue" && call.Action != "DescribeSecret" {
		fail(http.StatusBadRequest, "UnknownOperationException", "")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != jsonContentType {
		fail(http.StatusBadRequest, "UnknownOperationException", "")
		return
	}
	id, akid, aerr := s.authenticate(r, body, "secretsmanager")
	call.AccessKeyID = akid
	if aerr != nil {
		code := map[authKind]string{
			authMissing:      "MissingAuthenticationTokenException",
			authIncomplete:   "IncompleteSignatureException",
			authBadSignature: "InvalidSignatureException",
			authUnknownKey:   "UnrecognizedClientException",
			authExpiredToken: "ExpiredTokenException",
		}[aerr.kind]
		fail(http.StatusBadRequest, code, aerr.msg)
		return
	}
	call.Principal = id.principal

	var in struct {
		SecretId     *string
		VersionId    *string
		VersionStage *string
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if call.Action == "DescribeSecret" {
		// DescribeSecret takes SecretId only.
		var only struct{ SecretId *string }
		if err := dec.Decode(&only); err != nil {
			fail(http.StatusBadRequest, "SerializationException", "Start of structure or map found where not expected.")
			return
		}
		in.SecretId = only.SecretId
	} else if err := dec.Decode(&in); err != nil {
		fail(http.StatusBadRequest, "SerializationException", "Start of structure or map found where not expected.")
		return
	}
	call.SecretID = deref(in.SecretId)
	call.VersionID = deref(in.VersionId)
	call.VersionStage = deref(in.VersionStage)
	if in.SecretId == nil || *in.SecretId == "" {
		fail(http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null")
		return
	}
	if in.VersionId != nil && (len(*in.VersionId) < 32 || len(*in.VersionId) > 64) {
		fail(http.StatusBadRequest, "ValidationException", fmt.Sprintf(
			"1 validation error detected: Value '%s' at 'versionId' failed to satisfy constraint: Member must have length between 32 and 64", *in.VersionId))
		return
	}

	s.mu.Lock()
	sec := s.lookup(*in.SecretId)
	key := *in.SecretId
	if sec != nil {
		key = sec.name
	}
	denied := s.deny[[2]string{id.principal, key}] || (id.roleARN != "" && s.deny[[2]string{id.roleARN, key}])
	var fault *Fault
	if q := s.faults[key]; len(q) > 0 {
		fault = &q[0]
		s.faults[key] = q[1:]
	}
	slow := s.slow[key]
	s.mu.Unlock()

	if denied {
		fail(http.StatusBadRequest, "AccessDeniedException", fmt.Sprintf(
			"User: %s is not authorized to perform: secretsmanager:%s on resource: %s because no identity-based policy allows the secretsmanager:%s action",
			id.principal, call.Action, *in.SecretId, call.Action))
		return
	}
	if fault != nil {
		fail(fault.Status, fault.Code, fault.Message)
		return
	}
	if slow {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		call.Status = 0
		call.ErrorCode = "client gave up"
		s.record(call)
		return
	}
	if sec == nil {
		fail(http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	if call.Action == "DescribeSecret" {
		s.mu.Lock()
		stages := map[string][]string{}
		for _, v := range sec.versions {
			if len(v.stages) > 0 {
				stages[v.id] = slices.Clone(v.stages)
			}
		}
		out := map[string]any{
			"ARN":                sec.arn,
			"Name":               sec.name,
			"CreatedDate":        float64(sec.created.UnixMilli()) / 1000,
			"VersionIdsToStages": stages,
		}
		s.mu.Unlock()
		call.Status = http.StatusOK
		s.record(call)
		w.Header().Set("Content-Type", jsonContentType)
		_ = json.NewEncoder(w).Encode(out)
		return
	}

	s.mu.Lock()
	v, msg := sec.find(in.VersionId, in.VersionStage)
	var out map[string]any
	if v != nil {
		out = map[string]any{
			"ARN":           sec.arn,
			"Name":          sec.name,
			"VersionId":     v.id,
			"VersionStages": slices.Clone(v.stages),
			"CreatedDate":   float64(v.created.UnixMilli()) / 1000, // the version's, as AWS answers
		}
		if v.str != nil {
			out["SecretString"] = *v.str
		} else {
			out["SecretBinary"] = v.bin // encoding/json writes []byte as base64, as the blob type is
		}
	}
	s.mu.Unlock()
	if v == nil {
		code := "ResourceNotFoundException"
		if strings.HasPrefix(msg, "You provided") {
			code = "InvalidParameterException"
		}
		fail(http.StatusBadRequest, code, msg)
		return
	}
	call.Status = http.StatusOK
	s.record(call)
	w.Header().Set("Content-Type", jsonContentType)
	_ = json.NewEncoder(w).Encode(out)
}

// lookup finds a secret by name, full ARN or partial ARN (without the six
// random characters). s.mu must be held.
func (s *Server) lookup(id string) *storedSecret {
	if sec, ok := s.secrets[id]; ok {
		return sec
	}
	for _, sec := range s.secrets {
		if id == sec.arn || id+"-"+sec.arn[len(sec.arn)-6:] == sec.arn {
			return sec
		}
	}
	return nil
}

// find selects a version as GetSecretValue does: by ID, by stage, by both
// (which must agree), or AWSCURRENT.
func (sec *storedSecret) find(id, stage *string) (*version, string) {
	if id == nil && stage == nil {
		stage = new(string)
		*stage = "AWSCURRENT"
	}
	var byID, byStage *version
	for _, v := range sec.versions {
		if id != nil && v.id == *id {
			byID = v
		}
		if stage != nil && slices.Contains(v.stages, *stage) {
			byStage = v
		}
	}
	switch {
	case id != nil && byID == nil:
		return nil, "Secrets Manager can't find the specified secret value for VersionId: " + *id
	case stage != nil && byStage == nil:
		return nil, "Secrets Manager can't find the specified secret value for staging label: " + *stage
	case id != nil && stage != nil && byID != byStage:
		return nil, "You provided a VersionStage that is not associated to the provided VersionId."
	case byID != nil:
		return byID, ""
	}
	return byStage, ""
}

func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	body := map[string]string{"__type": code}
	if msg != "" {
		body["Message"] = msg
	}
	_ = json.NewEncoder(w).Encode(body)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
