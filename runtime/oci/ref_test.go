package oci

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		in      string
		want    Ref
		wantErr string
	}{
		{"oci://registry.example.com/stores/vault:1.2.0", Ref{Registry: "registry.example.com", Repository: "stores/vault", Tag: "1.2.0"}, ""},
		{"registry.example.com:5000/vault@" + d, Ref{Registry: "registry.example.com:5000", Repository: "vault", Digest: d}, ""},
		{"oci://127.0.0.1:5000/a/b/c:v1@" + d, Ref{Registry: "127.0.0.1:5000", Repository: "a/b/c", Tag: "v1", Digest: d}, ""},
		{"oci://[::1]:5000/x:latest", Ref{Registry: "[::1]:5000", Repository: "x", Tag: "latest"}, ""},
		{"oci://registry.example.com/stores/vault", Ref{}, "no tag and no digest"},
		{"oci://registry.example.com:5000/vault", Ref{}, "no tag and no digest"},
		{"oci://registry.example.com/vault@sha512:" + strings.Repeat("a", 128), Ref{}, "sha256"},
		{"oci://registry.example.com/vault@sha256:ABC", Ref{}, "sha256"},
		{"oci://registry.example.com/Vault:1", Ref{}, "invalid"},
		{"https://registry.example.com/vault:1", Ref{}, "want oci://"},
		{"oci://", Ref{}, "want oci://"},
		{"oci://registry.example.com/vault:-bad", Ref{}, "tag"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRef(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			// String is parsed back to the same reference.
			if again, err := ParseRef(got.String()); err != nil || again != got {
				t.Fatalf("round trip %q: %+v, %v", got.String(), again, err)
			}
		})
	}
}

// TestPlainHTTPOnlyLoopback: registries are reached over HTTPS unless on
// loopback or allowed by the plain_http setting.
func TestPlainHTTPOnlyLoopback(t *testing.T) {
	tests := []struct {
		registry string
		setting  bool
		plain    bool
	}{
		{"registry.example.com", false, false},
		{"registry.example.com:5000", false, false},
		{"10.0.0.5:5000", false, false},
		{"localhost.example.com:5000", false, false},
		{"127.0.0.1:5000", false, true},
		{"127.8.9.10:5000", false, true},
		{"localhost:5000", false, true},
		{"[::1]:5000", false, true},
		{"registry.example.com:5000", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.registry, func(t *testing.T) {
			c := &Client{PlainHTTP: tc.setting, DockerConfig: t.TempDir() + "/config.json"}
			repo, err := c.repository(Ref{Registry: tc.registry, Repository: "x", Tag: "v"})
			if err != nil {
				t.Fatal(err)
			}
			if repo.PlainHTTP != tc.plain {
				t.Fatalf("PlainHTTP = %v, want %v", repo.PlainHTTP, tc.plain)
			}
		})
	}
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"oci://r.example/x:1", "oci://127.0.0.1:5000/a/b@sha256:" + strings.Repeat("0", 64), "a:b@c", "oci://[::1]/x:y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			return
		}
		if r.Tag == "" && r.Digest == "" {
			t.Fatalf("%q parsed without tag or digest", s)
		}
		if again, err := ParseRef(r.String()); err != nil || again != r {
			t.Fatalf("%q: round trip of %q: %+v, %v", s, r.String(), again, err)
		}
	})
}

// FuzzCheckManifest feeds hostile manifests (what a registry or a
// tampered cache hands us): an error or a Wasm artifact, never a panic.
func FuzzCheckManifest(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.wasm.config.v0+json","digest":"sha256:` + strings.Repeat("0", 64) + `","size":2},"layers":[{"mediaType":"application/wasm","digest":"sha256:` + strings.Repeat("1", 64) + `","size":8}]}`))
	f.Add([]byte(`{"layers":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := checkManifest(b)
		if err != nil {
			return
		}
		if len(m.Layers) != 1 || m.Layers[0].MediaType != LayerMediaType || m.Config.MediaType != ConfigMediaType {
			t.Fatalf("accepted %s", b)
		}
	})
}

// TestCheckManifestDigests: a registry's manifest whose config or layer
// digest is missing, has no algorithm or is not sha256 is refused as a
// media-type error naming the digest; none of them panics (a digest
// without a colon made go-digest's Algorithm panic; FuzzCheckManifest
// found it).
func TestCheckManifestDigests(t *testing.T) {
	good := "sha256:" + strings.Repeat("1", 64)
	manifest := func(config, layer string) []byte {
		return []byte(`{"schemaVersion":2,"config":{"mediaType":"` + ConfigMediaType + `",` + config + `"size":2},` +
			`"layers":[{"mediaType":"` + LayerMediaType + `",` + layer + `"size":8}]}`)
	}
	tests := []struct{ name, config, layer string }{
		{"layer without digest", `"digest":"` + good + `",`, ``},
		{"config without digest", ``, `"digest":"` + good + `",`},
		{"empty digest", `"digest":"",`, `"digest":"` + good + `",`},
		{"no algorithm", `"digest":"` + good + `",`, `"digest":"` + strings.Repeat("1", 64) + `",`},
		{"colon only", `"digest":":",`, `"digest":"` + good + `",`},
		{"sha512", `"digest":"` + good + `",`, `"digest":"sha512:` + strings.Repeat("1", 128) + `",`},
		{"short sha256", `"digest":"sha256:1234",`, `"digest":"` + good + `",`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkManifest(manifest(tc.config, tc.layer))
			if !errors.Is(err, ErrMediaType) || !strings.Contains(err.Error(), "is not sha256") {
				t.Fatalf("err %v, want a refusal of the digest", err)
			}
		})
	}
	if _, err := checkManifest(manifest(`"digest":"`+good+`",`, `"digest":"`+good+`",`)); err != nil {
		t.Fatalf("a well-formed manifest: %v", err)
	}
}
