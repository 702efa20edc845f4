package aws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// ErrNoPrincipalEndpoint is wrapped by the error of the store's
// [secret.Description.Principal] when the store
// has no STS endpoint it may ask: its Secrets Manager endpoint is
// custom (a VPC endpoint, a test server) and no STS endpoint goes with
// it, so GetCallerIdentity would go to the public STS endpoint, a host
// the store's own traffic never reaches.
var ErrNoPrincipalEndpoint = errors.New("no STS endpoint goes with the store's endpoint")

// principal is the store's [secret.Description.Principal]: it asks STS
// GetCallerIdentity, with the store's own credentials, who the store acts
// as: the user or assumed-role session ARN and its account. The call needs
// no permission.
//
// It goes only where the store's own traffic goes: to the configured STS
// endpoint (sts_endpoint, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL or the
// shared config's endpoint_url), or to the SDK's public STS endpoint when
// the store reads Secrets Manager's public endpoint too or assumes its role
// through that STS. Otherwise it makes no call and its error wraps
// [ErrNoPrincipalEndpoint], saying which setting would allow it.
func (s *Store) principal(ctx context.Context) (string, error) {
	if s.sts.Options().BaseEndpoint == nil && s.client.Options().BaseEndpoint != nil && s.opts.AuthMethod != AuthAssumeRole {
		return "", fmt.Errorf("aws store %q: GetCallerIdentity not sent: the store reads Secrets Manager at %s, and the public STS endpoint is not a host its traffic goes to; set sts_endpoint to the STS endpoint that goes with it to see the principal: %w",
			s.name, aws.ToString(s.client.Options().BaseEndpoint), ErrNoPrincipalEndpoint)
	}
	out, err := s.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", s.classify(ctx, target{secretID: "(GetCallerIdentity)"}, err)
	}
	return fmt.Sprintf("%s (account %s)", aws.ToString(out.Arn), aws.ToString(out.Account)), nil
}
