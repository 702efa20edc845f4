package gcp

import "github.com/latchkey/latchkey/secret"

var _ secret.EnvUser = (*Store)(nil)

// UsedEnv implements [secret.EnvUser]: GOOGLE_APPLICATION_CREDENTIALS,
// through which Application Default Credentials find a key file.
func (s *Store) UsedEnv() []string {
	return []string{"GOOGLE_APPLICATION_CREDENTIALS"}
}
