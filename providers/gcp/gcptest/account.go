package gcptest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ServiceAccount is a service account made up for a test: a fresh RSA key
// written as a JSON key file of the kind the IAM console downloads. The
// client library signs its own JWTs with such a key for Secret Manager, so
// authenticating with it needs no token server; the key file's token_uri
// points at an unused loopback port so that an unexpected token exchange
// fails on this machine instead of reaching Google.
type ServiceAccount struct {
	// Email is the account's email, the principal the server sees.
	Email string
	// ProjectID is the key file's project_id.
	ProjectID string
	// KeyFile is the path of the JSON key file.
	KeyFile string

	keyID string
	pub   *rsa.PublicKey
}

// NewServiceAccount makes a service account with a new key, writing its key
// file (mode 0600) into a temporary directory of t.
func NewServiceAccount(t testing.TB, email, projectID string) *ServiceAccount {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("gcptest: generating a key: %v", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("gcptest: encoding the key: %v", err)
	}
	id := make([]byte, 20)
	_, _ = rand.Read(id)
	sa := &ServiceAccount{Email: email, ProjectID: projectID, keyID: hex.EncodeToString(id), pub: &key.PublicKey}
	doc, err := json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  projectID,
		"private_key_id":              sa.keyID,
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                email,
		"client_id":                   "100000000000000000001",
		"auth_uri":                    "http://127.0.0.1:9/auth",
		"token_uri":                   "http://127.0.0.1:9/token",
		"auth_provider_x509_cert_url": "http://127.0.0.1:9/certs",
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	sa.KeyFile = filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(sa.KeyFile, doc, 0o600); err != nil {
		t.Fatalf("gcptest: writing the key file: %v", err)
	}
	return sa
}

// verify reports whether tok is a live RS256 JWT signed by the account's key,
// issued by and for the account, scoped for Secret Manager: the self-signed
// JWT the client library sends in place of an OAuth access token.
func (a *ServiceAccount) verify(tok string) bool {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	var header struct {
		Alg, Kid string
	}
	var claims struct {
		Iss, Sub, Aud, Scope string
		Iat, Exp             int64
	}
	if !decodePart(parts[0], &header) || !decodePart(parts[1], &claims) {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || header.Alg != "RS256" || header.Kid != a.keyID {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(a.pub, crypto.SHA256, sum[:], sig) != nil {
		return false
	}
	now := time.Now().Unix()
	scoped := strings.Contains(" "+claims.Scope+" ", " https://www.googleapis.com/auth/cloud-platform ") ||
		claims.Aud == "https://secretmanager.googleapis.com/"
	return claims.Iss == a.Email && claims.Sub == a.Email && scoped && claims.Iat <= now+60 && now < claims.Exp
}

func decodePart(s string, dst any) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && json.Unmarshal(b, dst) == nil
}
