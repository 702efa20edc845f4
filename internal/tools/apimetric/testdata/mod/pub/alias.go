package pub

import "example.com/mod/internal/priv"

// Opts is an internal type made public: Opts, Opts.Exported and Opts.Do
// count; hidden and unexported do not.
type Opts = priv.Options

type local = T // unexported: nothing counts
