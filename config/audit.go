package config

import "github.com/latchkey/latchkey/audit"

// AuditStderr is the audit file value that writes records to stderr.
const AuditStderr = audit.Stderr

// AuditConfig is the audit section, which package audit owns and decodes
// ([audit.Settings]).
type AuditConfig = audit.Settings
