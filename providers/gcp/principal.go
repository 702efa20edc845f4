package gcp

import "context"

// principal is the store's [secret.Description.Principal]: the identity the
// store's calls carry: the service account of a key file or of Application
// Default Credentials found in one, an impersonated account and whose
// credentials impersonate it, or the kind of credentials found. It makes no
// call.
func (s *Store) principal(context.Context) (string, error) {
	return s.id.who(), nil
}
