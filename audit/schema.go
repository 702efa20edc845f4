package audit

import _ "embed"

// JSONSchema is the JSON Schema (draft 2020-12) of one record, as
// documented in docs/audit.md: what a SIEM can validate lines against.
//
//go:embed schema.json
var JSONSchema []byte
