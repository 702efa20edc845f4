package gcp

import (
	"fmt"
	"strings"

	"github.com/latchkey/latchkey/internal/lazy"
	"github.com/latchkey/latchkey/secret"
)

var (
	secretPatternRE = lazy.Regexp(`^[A-Za-z0-9_*?-]{1,255}$`)
	fieldPatternRE  = lazy.Regexp(`^[A-Za-z0-9.:*?-]{1,64}$`)
)

// scopeOf is where a secret lives for the store's secrets rule: its
// project, and its location when it is regional.
func scopeOf(project, location string) string {
	if location == "" {
		return project
	}
	return project + "/locations/" + location
}

// policySubject reads a request for a secrets rule ([secret.Naming]). A
// short name lives in the store's project and location (its own scope); a
// resource name in the project it names, which is the store's own only when
// the store's project setting is that very spelling (a project ID and its
// number are different strings: an allow pattern never guesses that they are
// the same project).
func (s *Store) policySubject(req secret.Request) (secret.Subject, error) {
	n, err := parseName(req.Name, req.Version, s.cfg.Location)
	if err != nil {
		return secret.Subject{}, err
	}
	sub := secret.Subject{Name: n.Secret, Version: n.Version}
	if n.Project == "" {
		sub.Own = true
		sub.Scope = scopeOf(s.cfg.Project, s.cfg.Location)
		return sub, nil
	}
	sub.Scope = scopeOf(n.Project, n.Location)
	sub.Own = s.cfg.Project != "" && n.Project == s.cfg.Project && n.Location == s.cfg.Location
	return sub, nil
}

// policyPattern reads a secrets rule's pattern ([secret.Naming]): a secret
// ID pattern ("db-*") or a resource name pattern
// (projects/PROJECT/[locations/LOCATION/]secrets/SECRET, each part a glob).
// Versions are numbers or aliases; "current" is latest.
func (s *Store) policyPattern(e secret.Pattern) (secret.Pattern, error) {
	p := secret.Pattern{}
	for _, v := range e.Versions {
		if v == secret.Current {
			v = "latest"
		}
		p.Versions = append(p.Versions, v)
	}
	name := e.Name
	if strings.HasPrefix(name, "projects/") {
		parts := strings.Split(name, "/")
		location := ""
		if len(parts) >= 4 && parts[2] == "locations" {
			location = parts[3]
			parts = append(parts[:2:2], parts[4:]...)
		}
		switch {
		case len(parts) == 6 && parts[4] == "versions":
			return p, fmt.Errorf("give versions in the pattern's versions list, not in its name")
		case len(parts) != 4 || parts[2] != "secrets":
			return p, fmt.Errorf("a resource name pattern reads projects/PROJECT/secrets/SECRET, optionally with locations/LOCATION/ after the project")
		case !fieldPatternRE().MatchString(parts[1]) || (location != "" && !fieldPatternRE().MatchString(location)):
			return p, fmt.Errorf("the project and location must each be given (write * for any)")
		}
		p.Scope = scopeOf(parts[1], location)
		name = parts[3]
	} else if strings.Contains(name, "/") {
		return p, fmt.Errorf("write a secret ID pattern or projects/PROJECT/secrets/SECRET")
	}
	if !secretPatternRE().MatchString(name) {
		return p, fmt.Errorf("a secret ID pattern holds only letters, digits, '-', '_' and the wildcards * and ?")
	}
	p.Name = name
	return p, nil
}
