// Package redact finds credential values in text, in the encodings a server
// plausibly wraps an echo in (letter case, hex, base64 at every alignment,
// JSON, percent, \x and HTML escapes, and runs of at least half a value),
// and blanks them out. The host module runs every response a guest reads,
// and every message it logs, through a [Redactor]; [HoldsValue] answers the
// same question for a short text (a module's version) without building one.
//
// It is a leaf: it imports nothing of the project, so the egress client and
// the host module can both build on it.
package redact
