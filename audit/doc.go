// Package audit writes the audit trail: one JSON line per secret fetch and
// per resolution, saying who asked (the [secret.Caller]), for which
// workflow, through which store, for which secret, version and keys, with
// what outcome, how the cache answered and, for Wasm stores, every request
// the module made. A record never holds a secret value, a credential, an
// error message a store or module wrote, or a request's query.
//
// [Record] is the schema (docs/audit.md, docs/audit.schema.json; its
// Version is [SchemaVersion]). A [Log] writes records to a file (appended,
// created 0600, reopened by [Log.Reopen] after logrotate moved it) or to any
// writer such as stderr. A Log that is [Options.Required] makes the
// resolution it cannot record fail (fail closed); package audit/observer
// connects a Log to a resolver.
package audit
