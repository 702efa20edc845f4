// Package policy decides which secrets a reference may name: the `secrets`
// rule every store takes, and the per-caller rules of the resident agent.
//
// A [Spec] is a rule as written in the agent config: allow and deny
// patterns over the store's secret names, each optionally limited to some
// versions. [Compile] turns it into a [Rule] for one store, with the store's
// own idea of names (the [secret.Naming] of its [secret.Description]), so
// that a secret spelled as a name, a full or partial ARN, a vault URL or a
// resource name is matched as the same secret. [Rule.Check] refuses a request before anything is
// fetched; the resolver calls it while planning, so `latchkey check
// --offline` reports a refused reference too.
//
// # Patterns
//
// A pattern is the store's name, in any spelling the store accepts, where
// '*' matches any run of characters ('/' included, as in IAM policies) and
// '?' matches one character. There is no escape: no supported store allows
// '*' or '?' in a secret name.
//
// # Decisions
//
//   - Deny wins. A deny pattern matches the secret's name in any scope
//     (account, vault, project): it is never narrowed by how a reference
//     spells the secret.
//   - An allow pattern written as a bare name matches only secrets in the
//     store's own scope (its region and account, its vault, its project);
//     a secret elsewhere must be allowed by a pattern written in full form
//     (an ARN, a vault URL, projects/P/secrets/S).
//   - A rule with allow patterns refuses what none of them matches; a rule
//     with only deny patterns allows everything else.
//   - A pattern without versions covers every version; one with versions
//     covers only those. The version "current" means a reference that names
//     no version, on every store.
//   - A pattern that can never change a decision (a duplicate, an allow that
//     another allow or a deny already covers) is a configuration error, so a
//     reviewer never has to wonder which line is in force.
package policy
