package api

import "github.com/latchkey/latchkey/resolver"

// CheckReport is what a check found: `latchkey check --format json` prints
// it, and POST /v1/check answers with it, so that a check through a server
// prints what it prints without one. It never holds a value.
type CheckReport struct {
	OK       bool                 `json:"ok"`
	Offline  bool                 `json:"offline"`
	Workflow string               `json:"workflow,omitempty"`
	Fields   []CheckField         `json:"fields"`
	Stores   []CheckStore         `json:"stores"`
	Errors   []resolver.ErrorJSON `json:"errors"`
}

// CheckField is one field of a check (a row of the check table).
type CheckField struct {
	Field   string `json:"field"`
	Store   string `json:"store,omitempty"`
	Type    string `json:"type"` // the store's type, or "literal"
	Secret  string `json:"secret,omitempty"`
	Version string `json:"version,omitempty"`
	Key     string `json:"key,omitempty"`
	// Status is "ok", "default" (absent: default used), "omitted" (optional,
	// absent), "failed", or "planned" (offline: nothing was fetched).
	Status string              `json:"status"`
	Error  *resolver.ErrorJSON `json:"error,omitempty"`
}

// CheckStore is a store the workflow uses (every store, offline): how it
// authenticates and its configuration warnings.
type CheckStore struct {
	Name     string `json:"name"`
	Identity string `json:"identity,omitempty"`
	// Principal is who the store actually acted as (online only, when the
	// store can say: secret.Description.Principal), or why it could not be
	// learned.
	Principal string   `json:"principal,omitempty"`
	Warnings  []string `json:"warnings"`
	// Rule is the store's secrets rule, when it has one: patterns only.
	Rule *CheckRule `json:"secrets_rule,omitempty"`
}

// CheckRule is a store's secrets rule as check shows it.
type CheckRule struct {
	Origin   string `json:"origin"`
	Patterns string `json:"patterns"`
}

// Failed counts the fields that failed.
func (c *CheckReport) Failed() int { return len(c.Errors) }
