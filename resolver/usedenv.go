package resolver

import "slices"

// UsedEnv returns, sorted and without duplicates, the environment
// variables the resolver's stores use ([secret.Description.UsedEnv]):
// those they authenticate with and those they served as secrets. `latchkey
// exec` leaves them out of its command's environment.
func (r *Resolver) UsedEnv() []string {
	var out []string
	for _, b := range r.stores {
		if b.desc.UsedEnv != nil {
			out = append(out, b.desc.UsedEnv()...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
