package wasm

import "strings"

// usedEnv is the store's [secret.Description.UsedEnv]: the variables the
// store's credentials are read from, those of the cloud chains of its
// brokered credentials (aws_sigv4, azure_token, gcp_token) included.
func (s *Store) usedEnv() []string {
	var out []string
	for _, c := range s.creds {
		if v, ok := strings.CutPrefix(c.source, "env "); ok {
			out = append(out, v)
		}
		out = append(out, c.envs...)
	}
	return out
}
