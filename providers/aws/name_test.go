package aws

import (
	"strings"
	"testing"
)

func TestSelectVersion(t *testing.T) {
	const uuid = "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE"
	const realUUID = "a1b2c3d4-5678-90ab-cdef-1234567890ab"
	tests := []struct {
		in        string
		id, stage string
		err       string
	}{
		{"", "", "", ""},
		{"AWSCURRENT", "", "AWSCURRENT", ""},
		{"AWSPREVIOUS", "", "AWSPREVIOUS", ""},
		{"blue", "", "blue", ""},
		{realUUID, realUUID, "", ""},
		{strings.ToUpper(realUUID), strings.ToUpper(realUUID), "", ""},
		{uuid, "", uuid, ""}, // not hex: a label
		{"stage:" + realUUID, "", realUUID, ""},
		{"stage:", "", "", "staging label"},
		{"id:" + strings.Repeat("x", 32), strings.Repeat("x", 32), "", ""},
		{"id:short", "", "", "32 to 64"},
		{strings.Repeat("l", 257), "", "", "at most 256"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			id, stage, err := SelectVersion(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want an error about %q, got %v", tc.err, err)
				}
				return
			}
			if err != nil || id != tc.id || stage != tc.stage {
				t.Fatalf("got (%q, %q, %v), want (%q, %q)", id, stage, err, tc.id, tc.stage)
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		name, in, region, err string
	}{
		{"name", "prod/db", "", ""},
		{"name with every allowed character", "a/b_c+d=e.f@g-h", "", ""},
		{"full ARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf", "eu-west-1", ""},
		{"GovCloud ARN", "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:db", "us-gov-west-1", ""},
		{"empty", "", "", "empty"},
		{"space", "prod db", "", "not a secret name"},
		{"not an ARN", "arn:nope", "", "not a valid ARN"},
		{"other service", "arn:aws:ssm:eu-west-1:123456789012:parameter/x", "", "not a Secrets Manager secret ARN"},
		{"no region", "arn:aws:secretsmanager::123456789012:secret:x", "", "lacks its region"},
		{"no name", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:", "", "not a Secrets Manager secret ARN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := parseTarget(tc.in, "")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want an error about %q, got %v", tc.err, err)
				}
				return
			}
			if err != nil || tg.secretID != tc.in || tg.region != tc.region {
				t.Fatalf("got %+v, %v", tg, err)
			}
		})
	}
}

// FuzzSelectVersion checks that every version string selects at most one of
// VersionId and VersionStage, and that the prefixes always win.
func FuzzSelectVersion(f *testing.F) {
	for _, s := range []string{"", "AWSCURRENT", "stage:x", "id:0123456789abcdef0123456789abcdef", "a1b2c3d4-5678-90ab-cdef-1234567890ab"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		id, stage, err := SelectVersion(v)
		if err != nil {
			return
		}
		if id != "" && stage != "" {
			t.Fatalf("%q selects both %q and %q", v, id, stage)
		}
		if (id == "" && stage == "") != (v == "") {
			t.Fatalf("%q selects nothing", v)
		}
		if rest, ok := strings.CutPrefix(v, StagePrefix); ok && stage != rest {
			t.Fatalf("%q: stage prefix ignored", v)
		}
		if rest, ok := strings.CutPrefix(v, VersionIDPrefix); ok && id != rest {
			t.Fatalf("%q: id prefix ignored", v)
		}
	})
}
