package secret

// EnvUser is an optional [Store] capability: UsedEnv returns the names of
// the agent's environment variables the store uses — those it (or its SDK)
// authenticates with, fixed names and those its settings name, and, for a
// store that serves variables as secrets, those it has read. `latchkey
// exec` leaves them out of its command's environment, so that running a
// workflow does not hand the agent's own credentials to the workflow's
// process. UsedEnv does no I/O and may be called concurrently.
type EnvUser interface {
	UsedEnv() []string
}
