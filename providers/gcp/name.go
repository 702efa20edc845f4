package gcp

import (
	"fmt"
	"github.com/latchkey/latchkey/internal/lazy"
	"strings"
)

// versionName is a parsed secret version name. Project is empty until a
// short name's project is known.
type versionName struct {
	Project  string
	Location string // empty for a global secret
	Secret   string
	Version  string
}

// secretName returns the secret's resource name, without the version.
func (n versionName) secretName() string {
	var b strings.Builder
	b.WriteString("projects/")
	b.WriteString(n.Project)
	if n.Location != "" {
		b.WriteString("/locations/")
		b.WriteString(n.Location)
	}
	b.WriteString("/secrets/")
	b.WriteString(n.Secret)
	return b.String()
}

// String returns the version's resource name, as AccessSecretVersion takes it.
func (n versionName) String() string {
	return n.secretName() + "/versions/" + n.Version
}

var (
	secretIDRE = lazy.Regexp(`^[A-Za-z0-9_-]{1,255}$`)
	// A version number, "latest", or an alias (a letter, then up to 62
	// letters, digits, '-' and '_').
	versionRE = lazy.Regexp(`^(?:[1-9][0-9]{0,18}|latest|[A-Za-z][A-Za-z0-9_-]{0,62})$`)
)

// nameError is what parseName returns; the caller wraps it with the store
// and secret.ErrInvalidConfig.
type nameError struct{ msg string }

func (e *nameError) Error() string { return e.msg }

func nameErrorf(format string, args ...any) error {
	return &nameError{msg: fmt.Sprintf(format, args...)}
}

// parseName parses a secret name in any of the accepted forms and settles
// its version: the one in the name or the requested one (which must agree
// when both are given), else "latest". A short name gets no project (the
// caller fills it in) and the store's location.
func parseName(name, version, location string) (versionName, error) {
	var n versionName
	if name == "" {
		return n, nameErrorf("the secret name is empty")
	}
	if !strings.HasPrefix(name, "projects/") {
		if strings.Contains(name, "/") {
			return n, nameErrorf("not a Secret Manager name: write projects/PROJECT/secrets/SECRET[/versions/VERSION], the same with locations/LOCATION/ after the project, or a bare secret ID")
		}
		n.Secret, n.Location = name, location
	} else {
		parts := strings.Split(name, "/")
		if len(parts) >= 4 && parts[2] == "locations" {
			n.Location = parts[3]
			if n.Location == "" || !locationRE().MatchString(n.Location) {
				return n, nameErrorf("%q is not a Secret Manager location", n.Location)
			}
			parts = append(parts[:2:2], parts[4:]...)
		}
		switch {
		case len(parts) == 4 && parts[2] == "secrets":
		case len(parts) == 6 && parts[2] == "secrets" && parts[4] == "versions":
			n.Version = parts[5]
			if n.Version == "" {
				return n, nameErrorf("the version after %q is empty", "versions/")
			}
		default:
			return n, nameErrorf("not a Secret Manager name: write projects/PROJECT/secrets/SECRET[/versions/VERSION], optionally with locations/LOCATION/ after the project")
		}
		n.Project, n.Secret = parts[1], parts[3]
		if !projectRE().MatchString(n.Project) {
			return n, nameErrorf("%q is not a project ID or number", n.Project)
		}
	}
	if !secretIDRE().MatchString(n.Secret) {
		return n, nameErrorf("%q is not a secret ID (1 to 255 letters, digits, '-' and '_')", n.Secret)
	}
	switch {
	case n.Version != "" && version != "" && n.Version != version:
		return n, nameErrorf("the name gives version %q but the request asks for version %q; give the version in one place", n.Version, version)
	case n.Version == "":
		n.Version = version
	}
	if n.Version == "" {
		n.Version = "latest"
	}
	if !versionRE().MatchString(n.Version) {
		return n, nameErrorf("%q is not a version: write a version number, \"latest\" or an alias", n.Version)
	}
	return n, nil
}
