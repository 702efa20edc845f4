package env

import (
	"sort"
	"sync"
)

// readSet is a set of variable names, safe for concurrent use: the
// variables a store has served as secrets, which its Description's UsedEnv
// returns. `latchkey exec` hands their values to its command as the
// workflow's fields, under the fields' names, and not a second time under
// the variables' own names.
type readSet struct {
	mu sync.Mutex
	m  map[string]bool
}

func (r *readSet) add(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]bool{}
	}
	r.m[name] = true
}

func (r *readSet) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.m))
	for n := range r.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
