package aws

import (
	"fmt"
	"github.com/latchkey/latchkey/internal/lazy"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Version prefixes that say what a version string is, whatever it looks like.
const (
	StagePrefix     = "stage:"
	VersionIDPrefix = "id:"
)

var uuidRE = lazy.Regexp(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// validSecretName reports whether s is 1 to 512 letters, digits and
// /_+=.@- (what Secrets Manager accepts). It is a loop rather than the
// equivalent regular expression, whose 512-fold repetition made it the
// largest cost of a cached resolution (every request is keyed).
func validSecretName(s string) bool {
	if len(s) == 0 || len(s) > 512 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '/', c == '_', c == '+', c == '=', c == '.', c == '@', c == '-':
		default:
			return false
		}
	}
	return true
}

// target is one GetSecretValue request: which secret and which version.
type target struct {
	secretID string // name, or full or partial ARN
	region   string // the ARN's region; empty for a name
	stage    string // VersionStage, or empty
	id       string // VersionId, or empty
}

// parseTarget reads a request's name and version. The name is a secret name
// or path ("prod/db") or an ARN (arn:PARTITION:secretsmanager:REGION:ACCOUNT:
// secret:NAME); the version follows the rule of [SelectVersion].
func parseTarget(name, ver string) (target, error) {
	var t target
	switch {
	case name == "":
		return t, fmt.Errorf("empty secret name")
	case strings.HasPrefix(name, "arn:"):
		a, err := arn.Parse(name)
		if err != nil {
			return t, fmt.Errorf("%q is not a valid ARN: %v", name, err)
		}
		rest, ok := strings.CutPrefix(a.Resource, "secret:")
		if a.Service != "secretsmanager" || !ok || rest == "" {
			return t, fmt.Errorf("%q is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)", name)
		}
		if a.Region == "" || a.AccountID == "" {
			return t, fmt.Errorf("ARN %q lacks its region or account", name)
		}
		if !validSecretName(rest) {
			return t, fmt.Errorf("ARN %q: the secret name may hold only letters, digits and /_+=.@-", name)
		}
		t.region = a.Region
	case !validSecretName(name):
		return t, fmt.Errorf("%q is not a secret name: names are 1 to 512 letters, digits and /_+=.@- (or give the secret's ARN)", name)
	}
	t.secretID = name
	var err error
	t.id, t.stage, err = SelectVersion(ver)
	return t, err
}

// SelectVersion splits a reference's version string into the VersionId and
// VersionStage that GetSecretValue takes, by this rule:
//
//   - "" selects AWSCURRENT (neither is sent);
//   - "stage:LABEL" is the staging label LABEL;
//   - "id:ID" is the version ID ID;
//   - a UUID (8-4-4-4-12 hex digits, which is how Secrets Manager and the
//     SDKs mint version IDs) is a version ID;
//   - anything else (AWSCURRENT, AWSPREVIOUS, AWSPENDING, a custom label) is
//     a staging label.
//
// Use the prefixes for a version ID that is not a UUID or a label that is.
func SelectVersion(v string) (versionID, stage string, err error) {
	switch {
	case v == "":
		return "", "", nil
	case strings.HasPrefix(v, StagePrefix):
		stage = v[len(StagePrefix):]
		if stage == "" || len(stage) > 256 {
			return "", "", fmt.Errorf("version %q: a staging label is 1 to 256 characters", v)
		}
		return "", stage, nil
	case strings.HasPrefix(v, VersionIDPrefix):
		versionID = v[len(VersionIDPrefix):]
		if len(versionID) < 32 || len(versionID) > 64 {
			return "", "", fmt.Errorf("version %q: a version ID is 32 to 64 characters", v)
		}
		return versionID, "", nil
	case uuidRE().MatchString(v):
		return v, "", nil
	case len(v) > 256:
		return "", "", fmt.Errorf("version of %d characters: a staging label is at most 256", len(v))
	}
	return "", v, nil
}

// describe names the version for messages.
func (t target) describe() string {
	switch {
	case t.id != "":
		return "version ID " + t.id
	case t.stage != "":
		return "stage " + t.stage
	}
	return "stage AWSCURRENT"
}
