package azure

import (
	"context"
	"fmt"
)

// principal is the store's [secret.Description.Principal]: whom the store's
// last access token was issued to, from its claims: the application (client)
// ID, the object ID and the tenant — which for a managed identity or the
// default chain is not in the configuration. It makes no call; before the
// store's first fetch it reports that no token was obtained yet.
func (s *Store) principal(context.Context) (string, error) {
	ts, ok := s.cred.(*tokenSource)
	if !ok {
		return "", fmt.Errorf("azure store %q: the credential cannot report its principal", s.name)
	}
	c := ts.seen.Load()
	if c == nil {
		return "", fmt.Errorf("azure store %q: no token obtained yet (the principal is known after a fetch)", s.name)
	}
	return c.String(), nil
}
