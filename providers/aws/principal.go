package aws

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/latchkey/latchkey/secret"
)

// Principal asks STS GetCallerIdentity, with the store's own credentials,
// who the store acts as: the user or assumed-role session ARN and its
// account. The call needs no permission.
func (s *Store) Principal(ctx context.Context) (string, error) {
	out, err := s.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", s.classify(ctx, target{secretID: "(GetCallerIdentity)"}, err)
	}
	return fmt.Sprintf("%s (account %s)", aws.ToString(out.Arn), aws.ToString(out.Account)), nil
}

var _ secret.Principaler = (*Store)(nil)
