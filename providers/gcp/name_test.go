package gcp

import (
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		version  string
		location string // the store's
		want     string // the version's resource name; "projects//…" for a short name
	}{
		{"full with version", "projects/p-12345/secrets/db/versions/3", "", "", "projects/p-12345/secrets/db/versions/3"},
		{"full latest", "projects/p-12345/secrets/db", "", "", "projects/p-12345/secrets/db/versions/latest"},
		{"full with requested version", "projects/p-12345/secrets/db", "7", "", "projects/p-12345/secrets/db/versions/7"},
		{"full with requested alias", "projects/p-12345/secrets/db", "prod", "", "projects/p-12345/secrets/db/versions/prod"},
		{"same version twice", "projects/p-12345/secrets/db/versions/2", "2", "", "projects/p-12345/secrets/db/versions/2"},
		{"project number", "projects/123456789012/secrets/db", "", "", "projects/123456789012/secrets/db/versions/latest"},
		{"domain-scoped project", "projects/example.com:my-proj/secrets/db", "", "", "projects/example.com:my-proj/secrets/db/versions/latest"},
		{"regional", "projects/p-12345/locations/europe-west1/secrets/db", "", "", "projects/p-12345/locations/europe-west1/secrets/db/versions/latest"},
		{"regional with version", "projects/p-12345/locations/us-central1/secrets/db/versions/latest", "", "", "projects/p-12345/locations/us-central1/secrets/db/versions/latest"},
		{"short", "db_Pass-1", "", "", "projects//secrets/db_Pass-1/versions/latest"},
		{"short with version", "db", "12", "", "projects//secrets/db/versions/12"},
		{"short in a regional store", "db", "", "europe-west4", "projects//locations/europe-west4/secrets/db/versions/latest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := parseName(tc.in, tc.version, tc.location)
			if err != nil {
				t.Fatalf("parseName(%q, %q): %v", tc.in, tc.version, err)
			}
			if got := n.String(); got != tc.want {
				t.Fatalf("parseName(%q, %q) = %q, want %q", tc.in, tc.version, got, tc.want)
			}
		})
	}
}

func TestParseNameErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		version string
		msg     string
	}{
		{"empty", "", "", "empty"},
		{"slash in short name", "team/db", "", "not a Secret Manager name"},
		{"too short", "projects/p-12345", "", "not a Secret Manager name"},
		{"no secrets segment", "projects/p-12345/keys/db", "", "not a Secret Manager name"},
		{"trailing slash", "projects/p-12345/secrets/db/", "", "not a Secret Manager name"},
		{"empty version", "projects/p-12345/secrets/db/versions/", "", "empty"},
		{"too long", "projects/p-12345/secrets/db/versions/1/x", "", "not a Secret Manager name"},
		{"bad project", "projects/P_1/secrets/db", "", "not a project"},
		{"empty project", "projects//secrets/db", "", "not a project"},
		{"bad location", "projects/p-12345/locations/Europe West/secrets/db", "", "location"},
		{"locations without secret", "projects/p-12345/locations/us-east1", "", "not a Secret Manager name"},
		{"bad secret id", "db!", "", "not a secret ID"},
		{"secret id too long", strings.Repeat("s", 256), "", "not a secret ID"},
		{"bad version", "db", "1.5", "not a version"},
		{"version zero", "db", "0", "not a version"},
		{"versions disagree", "projects/p-12345/secrets/db/versions/2", "3", "give the version in one place"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseName(tc.in, tc.version, "")
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("parseName(%q, %q) = %v, want an error mentioning %q", tc.in, tc.version, err, tc.msg)
			}
		})
	}
}

// FuzzParseName checks that any name parses without panic, and that a
// parsed full name prints as a name that parses back to itself.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{"db", "projects/p-12345/secrets/db", "projects/p-12345/secrets/db/versions/3",
		"projects/p-12345/locations/europe-west1/secrets/db/versions/latest", "projects//secrets/x", "projects/a/locations/"} {
		f.Add(s, "")
		f.Add(s, "latest")
	}
	f.Fuzz(func(t *testing.T, name, version string) {
		n, err := parseName(name, version, "")
		if err != nil {
			return
		}
		if n.Version == "" || n.Secret == "" {
			t.Fatalf("parseName(%q, %q) = %+v: empty secret or version", name, version, n)
		}
		if n.Project == "" {
			return // a short name: the store fills in the project
		}
		back, err := parseName(n.String(), "", "")
		if err != nil || back != n {
			t.Fatalf("parseName(%q) = %+v prints as %q, which parses to %+v, %v", name, n, n.String(), back, err)
		}
	})
}
