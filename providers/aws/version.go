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
func (s *Store) CurrentVersion(ctx context.Context, req secret.Request) (secret.FetchInfo, error) {
	var info secret.FetchInfo
	if s.closed.Load() {
		return info, fmt.Errorf("aws store %q: used after Close: %w", s.name, secret.ErrUnavailable)
	}
	if err := ctx.Err(); err != nil {
		return info, fmt.Errorf("aws store %q: secret %q: %w", s.name, req.Name, err)
	}
	t, err := parseTarget(req.Name, req.Version)
	if err != nil {
		return info, badRequest(s.name, req.Name, "", err.Error())
	}
	if t.region != "" && t.region != s.region {
		return info, badRequest(s.name, req.Name, "", fmt.Sprintf(
			"the ARN is in region %s but the store reads region %s; use a store configured with region: %s", t.region, s.region, t.region))
	}
	if t.id != "" {
		info.SetVersion(t.id)
		return info, nil
	}
	actx, attempts := countAttempts(ctx)
	out, err := s.client.DescribeSecret(actx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(t.secretID)})
	info.Upstream = attempts.n
	if err != nil {
		err = s.classify(ctx, t, err)
		s.log.DebugContext(ctx, "DescribeSecret failed", "secret", t.secretID, "error", err)
		return info, err
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
			info.SetVersion(id)
			return info, nil
		}
	}
	return info, notFound(s.name, t.secretID, s.region, t.describe(),
		"no version of the secret holds staging label "+stage)
}

// attempts counts the attempts the SDK makes for one call, retries
// included, for the call's [secret.FetchInfo.Upstream].
type attempts struct{ n int }

type attemptsKey struct{}

// countAttempts returns a copy of ctx under which noteAttempts counts the
// SDK's attempts into the returned counter: the SDK hands its middleware
// nothing but the context. The SDK makes a call's attempts one after the
// other on the caller's goroutine, so the counter needs no lock.
func countAttempts(ctx context.Context) (context.Context, *attempts) {
	a := &attempts{}
	return context.WithValue(ctx, attemptsKey{}, a), a
}

// noteAttempts counts every attempt the SDK makes (retries included) into
// the call's counter (countAttempts), when its context carries one. It
// runs in the finalize step after the retryer, so once per attempt.
func noteAttempts(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("LatchkeyAttempts",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if a, ok := ctx.Value(attemptsKey{}).(*attempts); ok {
				a.n++
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

var _ secret.Versioner = (*Store)(nil)
