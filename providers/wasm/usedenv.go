package wasm

import (
	"strings"

	"github.com/latchkey/latchkey/secret"
)

var _ secret.EnvUser = (*Store)(nil)

// UsedEnv implements [secret.EnvUser]: the variables the store's
// credentials are read from, those of the cloud chains of its brokered
// credentials (aws_sigv4, azure_token, gcp_token) included.
func (s *Store) UsedEnv() []string {
	var out []string
	for _, c := range s.creds {
		if v, ok := strings.CutPrefix(c.source, "env "); ok {
			out = append(out, v)
		}
		out = append(out, c.envs...)
	}
	return out
}
