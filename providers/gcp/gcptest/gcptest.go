// Package gcptest serves the real Secret Manager gRPC service
// (secretmanagerpb.SecretManagerServiceServer, generated from Google's own
// proto) on a loopback port, holding secrets that a test seeds, so that the
// real client library can be pointed at it through a store's endpoint and
// insecure settings.
//
// The server checks AccessSecretVersion (and GetSecretVersion, which
// answers a version's metadata without its payload) requests as the
// service does: the
// resource name's format and segments, whether the project, secret and
// version exist, version numbers and aliases ("latest" and named aliases),
// the version's state, and, when service accounts are configured, the
// caller's bearer token (a self-signed JWT from a service-account key, as the
// client library makes for Secret Manager) and the secret's readers. It
// answers with the status codes and messages of the real service and with
// the payload's CRC32C checksum, which a test may drop or corrupt.
//
// # Use from another package's tests
//
//	srv := gcptest.Start(t, gcptest.Options{Secrets: []gcptest.Secret{
//		{Project: "demo-project", ID: "db", Versions: []gcptest.Version{{Data: []byte(`{"password":"pw"}`)}}},
//	}})
//	settings := srv.Settings("demo-project") // endpoint, insecure, project
//
// A store of type "gcp" with those settings reads secret "db" from the
// server without credentials and without any network beyond 127.0.0.1.
package gcptest

import (
	"context"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Checksum says how the server reports a payload's data_crc32c.
type Checksum int

const (
	// ChecksumValid sends the payload's correct CRC32C, as the service does.
	ChecksumValid Checksum = iota
	// ChecksumMissing leaves data_crc32c unset (it is optional in the proto;
	// versions added before the service computed checksums have none).
	ChecksumMissing
	// ChecksumCorrupt sends a checksum that does not match the payload.
	ChecksumCorrupt
)

// Version is one version of a [Secret]. Version n of a secret is
// Versions[n-1], as the service numbers versions from 1.
type Version struct {
	// Data is the payload.
	Data []byte
	// State is the version's state; the zero value means ENABLED.
	State secretmanagerpb.SecretVersion_State
	// Checksum says how data_crc32c is reported.
	Checksum Checksum
}

// Secret is a secret the server holds.
type Secret struct {
	// Project is the project ID. Its project number is [Server.ProjectNumber].
	Project string
	// Location is the region of a regional secret; empty for a global one.
	Location string
	// ID is the secret ID, the last segment of its resource name.
	ID string
	// Versions are the secret's versions, numbered from 1.
	Versions []Version
	// Aliases maps version aliases to version numbers.
	Aliases map[string]int64
	// Readers lists the principals (service-account emails) granted
	// roles/secretmanager.secretAccessor on the secret. Nil grants it to
	// every caller; it is checked only when [Options.Accounts] is set.
	Readers []string
	// Viewers lists the principals granted secretmanager.versions.get
	// (roles/secretmanager.viewer), which GetSecretVersion needs. Nil grants
	// it to every caller; it is checked only when [Options.Accounts] is set.
	Viewers []string
	// Slow makes every access block until the caller's context ends.
	Slow bool
}

// Options configures a [Server].
type Options struct {
	// Secrets are the secrets the server holds.
	Secrets []Secret
	// Projects lists further projects that exist but hold no secret.
	Projects []string
	// Accounts, when not empty, makes every call carry the bearer token of
	// one of these service accounts: a call without one is UNAUTHENTICATED.
	Accounts []*ServiceAccount
}

// Server is a running Secret Manager service on loopback. Its methods are
// safe for concurrent use.
type Server struct {
	// Addr is the server's host:port on 127.0.0.1.
	Addr string

	secretmanagerpb.UnimplementedSecretManagerServiceServer
	grpc     *grpc.Server
	numbers  map[string]string // project ID → number
	ids      map[string]string // project number → ID
	secrets  map[string]*Secret
	accounts []*ServiceAccount

	mu       sync.Mutex // guards the fields below and the secrets' versions
	failures []codes.Code
	refused  map[string]codes.Code // method → the code every call of it fails with
	requests []string
	counts   map[string]int // calls by method

	federated   map[string]string // STS-issued access token → principal (sts.go)
	requireAuth bool              // an STS is running: every call needs a token
}

// Start serves opts on 127.0.0.1 on a free port until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{
		numbers:   map[string]string{},
		ids:       map[string]string{},
		secrets:   map[string]*Secret{},
		accounts:  opts.Accounts,
		counts:    map[string]int{},
		federated: map[string]string{},
	}
	addProject := func(id string) {
		if _, ok := s.numbers[id]; ok {
			return
		}
		n := ProjectNumber(id)
		s.numbers[id], s.ids[n] = n, id
	}
	for _, p := range opts.Projects {
		addProject(p)
	}
	for i := range opts.Secrets {
		sec := opts.Secrets[i]
		if !projectRE.MatchString(sec.Project) || !secretRE.MatchString(sec.ID) || sec.Location != "" && !locationRE.MatchString(sec.Location) {
			t.Fatalf("gcptest: seeded secret %q in project %q (location %q) has a name the service would refuse", sec.ID, sec.Project, sec.Location)
		}
		addProject(sec.Project)
		s.secrets[key(s.numbers[sec.Project], sec.Location, sec.ID)] = &sec
	}

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("gcptest: listen: %v", err)
	}
	s.Addr = lis.Addr().String()
	s.grpc = grpc.NewServer()
	secretmanagerpb.RegisterSecretManagerServiceServer(s.grpc, s)
	go func() { _ = s.grpc.Serve(lis) }()
	t.Cleanup(s.grpc.Stop)
	return s
}

// Settings returns the settings of a store of type "gcp" that reads from
// this server over plaintext gRPC, with project as the project of short
// secret names (omitted when empty). Add "auth_method" and
// "credentials_file" to send a service account's token.
func (s *Server) Settings(project string) map[string]any {
	m := map[string]any{"endpoint": s.Addr, "insecure": true}
	if project != "" {
		m["project"] = project
	}
	return m
}

// ProjectNumber returns the project number the server gives project ID id.
// The service answers with numbers in the names it returns, and accepts
// either in requests.
func (s *Server) ProjectNumber(id string) string { return ProjectNumber(id) }

// ProjectNumber derives a stable 12-digit project number from a project ID.
func ProjectNumber(id string) string {
	h := fnv.New64a()
	h.Write([]byte(id))
	return strconv.FormatUint(100000000000+h.Sum64()%900000000000, 10)
}

// FailNext makes the next n calls fail with code, as a
// service that is briefly down does, before any other check.
func (s *Server) FailNext(code codes.Code, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, code)
	}
}

// FailMethod makes every later call of method ("GetSecretVersion",
// "AccessSecretVersion") fail with code before any other check, as a
// Secret Manager emulator that lacks the method (codes.Unimplemented) or
// an organisation policy that denies it does. Calls are still counted.
func (s *Server) FailMethod(method string, code codes.Code) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refused == nil {
		s.refused = map[string]codes.Code{}
	}
	s.refused[method] = code
}

// refusal returns the error FailMethod set for method, or nil.
func (s *Server) refusal(method string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	code, ok := s.refused[method]
	if !ok {
		return nil
	}
	switch code {
	case codes.PermissionDenied:
		return status.Errorf(code, "Permission denied on method %s.", method)
	case codes.Unimplemented:
		return status.Errorf(code, "Method %s is not implemented.", method)
	}
	return status.Error(code, "The service is currently unavailable.")
}

// Requests returns the resource names of the AccessSecretVersion calls
// received so far, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// The service's resource name grammar. Project IDs are 6 to 30 lowercase
// letters, digits and hyphens (older ones may carry a "domain:" prefix);
// project numbers are digits. Secret IDs are up to 255 letters, digits, '-'
// and '_'. A version is a number, "latest" or an alias (a letter, then up
// to 62 letters, digits, '-' and '_').
var (
	nameRE     = regexp.MustCompile(`^projects/([^/]+)/(?:locations/([^/]+)/)?secrets/([^/]+)/versions/([^/]+)$`)
	projectRE  = regexp.MustCompile(`^(?:[a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$|^[0-9]{1,19}$`)
	locationRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	secretRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	versionRE  = regexp.MustCompile(`^(?:[1-9][0-9]{0,18}|latest|[A-Za-z][A-Za-z0-9_-]{0,62})$`)
)

func key(projectNumber, location, id string) string {
	return projectNumber + "/" + location + "/" + id
}

// AccessSecretVersion implements the service's method of that name.
func (s *Server) AccessSecretVersion(ctx context.Context, req *secretmanagerpb.AccessSecretVersionRequest) (*secretmanagerpb.AccessSecretVersionResponse, error) {
	s.mu.Lock()
	s.requests = append(s.requests, req.GetName())
	s.counts["AccessSecretVersion"]++
	s.mu.Unlock()
	if err := s.refusal("AccessSecretVersion"); err != nil {
		return nil, err
	}
	sec, v, versionName, err := s.find(ctx, req.GetName(), "secretmanager.versions.access")
	if err != nil {
		return nil, err
	}
	switch v.State {
	case secretmanagerpb.SecretVersion_DISABLED, secretmanagerpb.SecretVersion_DESTROYED:
		return nil, status.Errorf(codes.FailedPrecondition, "Secret Version [%s] is in %s state.", versionName, v.State)
	}

	if sec.Slow {
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}

	payload := &secretmanagerpb.SecretPayload{Data: slices.Clone(v.Data)}
	sum := int64(crc32.Checksum(v.Data, crc32.MakeTable(crc32.Castagnoli)))
	switch v.Checksum {
	case ChecksumValid:
		payload.DataCrc32C = &sum
	case ChecksumCorrupt:
		bad := sum ^ 0x5a5a
		payload.DataCrc32C = &bad
	}
	return &secretmanagerpb.AccessSecretVersionResponse{Name: versionName, Payload: payload}, nil
}

// GetSecretVersion implements the service's method of that name: the
// version's metadata (its resolved name, with the project number and the
// version number an alias or "latest" stands for, and its state), never
// its payload. It needs secretmanager.versions.get, which
// roles/secretmanager.secretAccessor does not grant: see [Secret.Viewers].
func (s *Server) GetSecretVersion(ctx context.Context, req *secretmanagerpb.GetSecretVersionRequest) (*secretmanagerpb.SecretVersion, error) {
	s.mu.Lock()
	s.counts["GetSecretVersion"]++
	s.mu.Unlock()
	if err := s.refusal("GetSecretVersion"); err != nil {
		return nil, err
	}
	sec, v, versionName, err := s.find(ctx, req.GetName(), "secretmanager.versions.get")
	if err != nil {
		return nil, err
	}
	if sec.Slow {
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	state := v.State
	if state == secretmanagerpb.SecretVersion_STATE_UNSPECIFIED {
		state = secretmanagerpb.SecretVersion_ENABLED
	}
	return &secretmanagerpb.SecretVersion{Name: versionName, State: state}, nil
}

// find applies the checks both methods share: an injected failure, the
// caller's token, the name's grammar, the project, the secret and its
// readers (or viewers, for permission versions.get), and the version. It
// returns the secret, the version and its resolved name.
func (s *Server) find(ctx context.Context, name, permission string) (*Secret, Version, string, error) {
	s.mu.Lock()
	fail := codes.OK
	if len(s.failures) > 0 {
		fail, s.failures = s.failures[0], s.failures[1:]
	}
	s.mu.Unlock()
	if fail != codes.OK {
		return nil, Version{}, "", status.Error(fail, "The service is currently unavailable.")
	}

	principal, err := s.authenticate(ctx)
	if err != nil {
		return nil, Version{}, "", err
	}

	m := nameRE.FindStringSubmatch(name)
	if m == nil || !projectRE.MatchString(m[1]) || m[2] != "" && !locationRE.MatchString(m[2]) ||
		!secretRE.MatchString(m[3]) || !versionRE.MatchString(m[4]) {
		return nil, Version{}, "", status.Error(codes.InvalidArgument, "Invalid resource field value in the request.")
	}
	project, location, id, version := m[1], m[2], m[3], m[4]
	denied := status.Errorf(codes.PermissionDenied,
		"Permission '%s' denied for resource '%s' (or it may not exist).", permission, name)
	number, ok := s.numbers[project]
	if !ok {
		if _, ok = s.ids[project]; !ok {
			return nil, Version{}, "", denied
		}
		number = project
	}
	prefix := "projects/" + number + "/"
	if location != "" {
		prefix += "locations/" + location + "/"
	}
	secretName := prefix + "secrets/" + id
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.secrets[key(number, location, id)]
	grantees := sec.readers(permission)
	if ok && (len(s.accounts) > 0 || s.requireAuth) && grantees != nil && !slices.Contains(grantees, principal) {
		return nil, Version{}, "", denied
	}
	if !ok || len(sec.Versions) == 0 {
		return nil, Version{}, "", status.Errorf(codes.NotFound, "Secret [%s] not found or has no versions.", secretName)
	}

	var n int64
	switch {
	case version == "latest":
		n = int64(len(sec.Versions))
	case version[0] >= '0' && version[0] <= '9':
		n, _ = strconv.ParseInt(version, 10, 64)
	default:
		n = sec.Aliases[version]
	}
	if n < 1 || n > int64(len(sec.Versions)) {
		return nil, Version{}, "", status.Errorf(codes.NotFound, "Secret Version [%s/versions/%s] not found.", secretName, version)
	}
	return sec, sec.Versions[n-1], fmt.Sprintf("%s/versions/%d", secretName, n), nil
}

// readers returns who holds permission on the secret: nil means everyone.
func (sec *Secret) readers(permission string) []string {
	switch {
	case sec == nil:
		return nil
	case permission == "secretmanager.versions.get":
		return sec.Viewers
	}
	return sec.Readers
}

// AddVersion adds a version holding data to the secret id of project (in
// location, "" for a global secret), as AddSecretVersion does: it becomes
// "latest". It returns the new version's number; the secret must exist.
func (s *Server) AddVersion(t testing.TB, project, location, id string, data []byte) int64 {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.secrets[key(s.numbers[project], location, id)]
	if !ok {
		t.Fatalf("gcptest: AddVersion: no secret %q in project %q (location %q)", id, project, location)
	}
	sec.Versions = append(sec.Versions, Version{Data: slices.Clone(data)})
	return int64(len(sec.Versions))
}

// Count returns how many calls of method ("AccessSecretVersion",
// "GetSecretVersion") the server received, whatever their outcome.
func (s *Server) Count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[method]
}

// authenticate returns the caller's principal. It checks nothing, and
// returns "", when the server has no accounts.
func (s *Server) authenticate(ctx context.Context) (string, error) {
	s.mu.Lock()
	requireAuth := s.requireAuth
	s.mu.Unlock()
	if len(s.accounts) == 0 && !requireAuth {
		return "", nil
	}
	unauth := status.Error(codes.Unauthenticated,
		"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) != 1 {
		return "", unauth
	}
	tok, ok := strings.CutPrefix(vals[0], "Bearer ")
	if !ok {
		return "", unauth
	}
	s.mu.Lock()
	fed, ok := s.federated[tok]
	s.mu.Unlock()
	if ok {
		return fed, nil
	}
	for _, a := range s.accounts {
		if a.verify(tok) {
			return a.Email, nil
		}
	}
	return "", unauth
}
