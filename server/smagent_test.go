package server

import (
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/server/api"
)

// TestSecretValueOutput: the SM endpoint's answer takes each field from
// what the store said about the version and falls back, field by field,
// on what the request tells only where the store said nothing.
func TestSecretValueOutput(t *testing.T) {
	now := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	created := time.Date(2025, 1, 2, 3, 4, 5, 600e6, time.UTC)
	const fullARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"
	aws := secret.VersionDetail{Name: "prod/db", ID: fullARN, Stages: []string{"AWSPREVIOUS"}, Created: created, Stored: secret.StoredBinary}
	tests := []struct {
		name                    string
		field                   resolver.Resolved
		storeType, id, vid, stg string
		want                    api.SecretValueOutput
		binary                  bool
	}{
		{"aws by partial ARN and versionId, a blob that is valid UTF-8",
			resolver.Resolved{Value: secret.StringValue("text"), Version: "v-old", Detail: aws}, "aws", fullARN[:len(fullARN)-7], "v-old", "",
			api.SecretValueOutput{ARN: fullARN, Name: "prod/db", VersionId: "v-old", VersionStages: []string{"AWSPREVIOUS"}, CreatedDate: 1735787045.6}, true},
		{"aws text", resolver.Resolved{Value: secret.StringValue("\xff"), Version: "v1", Detail: secret.VersionDetail{Name: "n", ID: "arn:x", Stored: secret.StoredText}},
			"aws", "n", "", "",
			api.SecretValueOutput{ARN: "arn:x", Name: "n", VersionId: "v1", VersionStages: []string{"AWSCURRENT"}, CreatedDate: float64(now.Unix())}, false},
		{"aws asked by ARN, the answer without one", resolver.Resolved{Value: secret.StringValue("x"), Version: "v1"}, "aws", fullARN, "", "",
			api.SecretValueOutput{ARN: fullARN, Name: fullARN, VersionId: "v1", VersionStages: []string{"AWSCURRENT"}, CreatedDate: float64(now.Unix())}, false},
		{"a type whose names are not ARNs, asked by an arn: name", resolver.Resolved{Value: secret.StringValue("x")}, "env", "arn:x", "", "",
			api.SecretValueOutput{ARN: "arn:latchkey:secretsmanager::s:secret:arn:x", Name: "arn:x", VersionStages: []string{"AWSCURRENT"}, CreatedDate: float64(now.Unix())}, false},
		{"env, nothing said", resolver.Resolved{Value: secret.StringValue("plain")}, "env", "DB", "", "",
			api.SecretValueOutput{ARN: "arn:latchkey:secretsmanager::s:secret:DB", Name: "DB", VersionStages: []string{"AWSCURRENT"}, CreatedDate: float64(now.Unix())}, false},
		{"gcp by version, stages unknown", resolver.Resolved{Value: secret.NewValue([]byte{0, 1, 0xff}), Version: "3"}, "gcp", "db", "3", "",
			api.SecretValueOutput{ARN: "arn:latchkey:secretsmanager::s:secret:db", Name: "db", VersionId: "3", VersionStages: []string{}, CreatedDate: float64(now.Unix())}, true},
		{"by stage, stages unknown", resolver.Resolved{Value: secret.StringValue("x"), Version: "7"}, "wasm", "db", "", "AWSPENDING",
			api.SecretValueOutput{ARN: "arn:latchkey:secretsmanager::s:secret:db", Name: "db", VersionId: "7", VersionStages: []string{"AWSPENDING"}, CreatedDate: float64(now.Unix())}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			typ, _ := secret.LookupType(tc.storeType) // as the endpoint does: an unknown type states no fact
			got := secretValueOutput(tc.field, "s", typ.NamesAreARNs, tc.id, tc.vid, tc.stg, now)
			if got.ARN != tc.want.ARN || got.Name != tc.want.Name || got.VersionId != tc.want.VersionId ||
				!slices.Equal(got.VersionStages, tc.want.VersionStages) || got.VersionStages == nil || got.CreatedDate != tc.want.CreatedDate {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
			if tc.binary != (got.SecretBinary != nil) || tc.binary == (got.SecretString != nil) {
				t.Errorf("binary %v: SecretBinary %v, SecretString set %v", tc.binary, got.SecretBinary != nil, got.SecretString != nil)
			}
		})
	}
}

// TestNamesAreARNsIsRegistered: the endpoint's ARN fallback depends on the
// fact the aws type registers, not on its name; env states no such fact.
func TestNamesAreARNsIsRegistered(t *testing.T) {
	for typ, want := range map[string]bool{"aws": true, "env": false} {
		got, ok := secret.LookupType(typ)
		if !ok || got.NamesAreARNs != want {
			t.Errorf("store type %q: registered %v, NamesAreARNs %v; want registered, %v", typ, ok, got.NamesAreARNs, want)
		}
	}
}
