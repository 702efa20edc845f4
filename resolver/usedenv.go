package resolver

import (
	"slices"

	"github.com/latchkey/latchkey/secret"
)

// UsedEnv returns, sorted and without duplicates, the environment
// variables the resolver's stores use ([secret.EnvUser]): those they
// authenticate with and those they served as secrets. `latchkey exec`
// leaves them out of its command's environment.
func (r *Resolver) UsedEnv() []string {
	var out []string
	for _, b := range r.stores {
		if eu, ok := secret.As[secret.EnvUser](b.store); ok {
			out = append(out, eu.UsedEnv()...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
