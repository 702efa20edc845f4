package aws

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go/middleware"

	"github.com/latchkey/latchkey/secret"
)

// CurrentVersion reports the version ID that holds the version req asks
// for, without the secret's value: a request pinned to a version ID is its
// own version (no call is made); a staging label (AWSCURRENT when none is
// given) costs one DescribeSecret, whose VersionIdsToStages says which
// version holds it. The identity needs secretsmanager:DescribeSecret on the
// secret; without it the error wraps [secret.ErrPermissionDenied] and a
// caller falls back to fetching.
func (s *Store) CurrentVersion(ctx context.Context, req secret.Request) (string, error) {
	if s.closed.Load() {
		return "", fmt.Errorf("aws store %q: used after Close: %w", s.name, secret.ErrUnavailable)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("aws store %q: secret %q: %w", s.name, req.Name, err)
	}
	t, err := parseTarget(req.Name, req.Version)
	if err != nil {
		return "", badRequest(s.name, req.Name, "", err.Error())
	}
	if t.region != "" && t.region != s.region {
		return "", badRequest(s.name, req.Name, "", fmt.Sprintf(
			"the ARN is in region %s but the store reads region %s; use a store configured with region: %s", t.region, s.region, t.region))
	}
	if t.id != "" {
		return t.id, nil
	}
	out, err := s.client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(t.secretID)})
	if err != nil {
		err = s.classify(ctx, t, err)
		s.log.DebugContext(ctx, "DescribeSecret failed", "secret", t.secretID, "error", err)
		return "", err
	}
	stage := t.stage
	if stage == "" {
		stage = "AWSCURRENT"
	}
	ids := make([]string, 0, len(out.VersionIdsToStages))
	for id := range out.VersionIdsToStages {
		ids = append(ids, id)
	}
	sort.Strings(ids) // a label is on one version; sorted for a stable answer all the same
	for _, id := range ids {
		if slices.Contains(out.VersionIdsToStages[id], stage) {
			if n := secret.NoteFrom(ctx); n != nil {
				n.SetVersion(id)
			}
			return id, nil
		}
	}
	return "", notFound(s.name, t.secretID, s.region, t.describe(),
		"no version of the secret holds staging label "+stage)
}

// noteAttempts counts every attempt the SDK makes (retries included) into
// the fetch's [secret.FetchNote], when the context carries one. It runs in
// the finalize step after the retryer, so once per attempt.
func noteAttempts(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("LatchkeyFetchNote",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if n := secret.NoteFrom(ctx); n != nil {
				n.AddUpstream()
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

var _ secret.Versioner = (*Store)(nil)
