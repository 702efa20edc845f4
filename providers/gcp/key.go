package gcp

import "github.com/latchkey/latchkey/secret"

// secretKey is the store's [secret.Description.Key]: one key per secret
// version: the project, the location (empty for a global secret), the secret
// ID and the version, with an empty version and "latest" one key. A short
// name is the store's project's secret, so it and the full resource name are
// one key when the store sets project; when the project comes from the
// credentials (which needs I/O), a short name keys apart from full names. A
// project ID and the same project's number are two keys (telling them apart
// needs a call); use one spelling per workflow. It does no I/O.
func (s *Store) secretKey(req secret.Request) string {
	n, err := parseName(req.Name, req.Version, s.cfg.Location)
	if err != nil {
		// Get will refuse it; a key unlike any valid one.
		return "invalid\x00" + req.Name + "\x00" + req.Version
	}
	if n.Project == "" {
		n.Project = s.cfg.Project
	}
	if n.Project == "" {
		return "short\x00" + n.Location + "\x00" + n.Secret + "\x00" + n.Version
	}
	return n.String()
}
