package gcp

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/latchkey/latchkey/secret"
)

func init() {
	secret.Register(secret.Type{Name: "gcp", New: factory, Protection: secret.Protection{
		// Secret Manager allows 90,000 accesses per minute per project
		// (1,500/s): 500/s and a burst of 200 are 34 % of a minute. The
		// version probe, GetSecretVersion, is a "read request": 600 per
		// minute per project, so probes get 5/s and a burst of 10. The
		// client retries UNAVAILABLE.
		Rate: 500, Burst: 200, ProbeRate: 5, ProbeBurst: 10, ClientRetries: true,
	}})
}

func factory(ctx context.Context, spec secret.Spec) (secret.Store, error) {
	cfg, err := specConfig(spec)
	if err != nil {
		// Report the other settings' problems too.
		_, verr := cfg.normalize(spec.Name)
		return nil, errors.Join(err, verr)
	}
	return New(ctx, spec.Name, cfg)
}

// Store reads secrets from Secret Manager. It is safe for concurrent use.
type Store struct {
	name     string
	cfg      Config
	endpoint string
	// ownEndpoint is set for Google's endpoints, which serve one location
	// each (global, or the store's region).
	ownEndpoint bool
	id          *identity
	client      *secretmanager.Client
	castagnoli  *crc32.Table
	log         *slog.Logger
}

// New returns a Store named name (the name appears in errors), building its
// client once. It reports every problem of cfg at once and does no network
// I/O.
func New(ctx context.Context, name string, cfg Config) (*Store, error) {
	cfg, err := cfg.normalize(name)
	if err != nil {
		return nil, err
	}
	id, err := newIdentity(name, cfg)
	if err != nil {
		return nil, err
	}
	endpoint, own := cfg.endpoint()
	// The client library logs payloads at debug level when
	// GOOGLE_SDK_GO_LOGGING_LEVEL asks it to; its logger is always silenced.
	opts := []option.ClientOption{option.WithLogger(slog.New(slog.DiscardHandler))}
	if cfg.Insecure {
		// Plaintext, to a loopback address only (normalize checked it). The
		// library dials TLS itself, so the connection is made here.
		dial := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
		if id.creds != nil {
			dial = append(dial, grpc.WithPerRPCCredentials(loopbackCreds{id.creds}))
		}
		conn, err := grpc.NewClient(endpoint, dial...)
		if err != nil {
			return nil, &secret.ConfigError{Store: name, Key: "endpoint", Msg: err.Error()}
		}
		opts = append(opts, option.WithGRPCConn(conn))
	} else {
		opts = append(opts, option.WithEndpoint(endpoint))
		if id.creds != nil {
			opts = append(opts, option.WithAuthCredentials(id.creds))
		}
	}
	client, err := secretmanager.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("gcp store %q: building the Secret Manager client for %s: %w", name, endpoint, err)
	}
	// Retries are Get's own, with the store's settings and attempt count
	// (the library's default waits 2 s before its first retry).
	client.CallOptions.AccessSecretVersion = nil
	client.CallOptions.GetSecretVersion = nil
	return &Store{
		name:        name,
		cfg:         cfg,
		endpoint:    endpoint,
		ownEndpoint: own,
		id:          id,
		client:      client,
		castagnoli:  crc32.MakeTable(crc32.Castagnoli),
		log:         cfg.Logger,
	}, nil
}

// Get returns the payload of the secret version req names (see the package
// documentation for the forms of a name), after checking its CRC32C.
func (s *Store) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	if err := ctx.Err(); err != nil {
		return secret.Result{}, fmt.Errorf("gcp store %q: secret %q: %w", s.name, req.Name, err)
	}
	n, err := s.versionName(ctx, req)
	if err != nil {
		return secret.Result{}, err
	}
	resp, attempts, err := s.access(ctx, n.String())
	res := secret.Result{FetchInfo: secret.FetchInfo{Upstream: attempts}}
	if err != nil {
		return res, s.classify(ctx, n, false, attempts, err)
	}
	payload := resp.GetPayload()
	resource := resp.GetName()
	if resource == "" {
		resource = n.String()
	}
	res.SetVersion(resource)
	if payload.DataCrc32C == nil {
		if s.cfg.RequireChecksum {
			return res, badChecksum(s.name, resource, true)
		}
		s.log.Debug("payload has no checksum to verify", "secret", resource)
	} else if int64(crc32.Checksum(payload.GetData(), s.castagnoli)) != payload.GetDataCrc32C() {
		return res, badChecksum(s.name, resource, false)
	}
	res.Value = secret.NewValue(payload.GetData())
	return res, nil
}

// versionName parses req and fills in the project of a short name.
func (s *Store) versionName(ctx context.Context, req secret.Request) (versionName, error) {
	invalid := func(msg string) error {
		return fmt.Errorf("gcp store %q: secret %q: %s: %w", s.name, req.Name, msg, secret.ErrInvalidConfig)
	}
	n, err := parseName(req.Name, req.Version, s.cfg.Location)
	if err != nil {
		return n, invalid(err.Error())
	}
	if s.ownEndpoint && n.Location != s.cfg.Location {
		if s.cfg.Location == "" {
			return n, invalid(fmt.Sprintf("a secret in location %q is served only by its regional endpoint; read it through a store with location: %s", n.Location, n.Location))
		}
		return n, invalid(fmt.Sprintf("this store reads secrets of location %q through its regional endpoint; read a global secret through a store without location", s.cfg.Location))
	}
	if n.Project != "" {
		return n, nil
	}
	if n.Project = s.cfg.Project; n.Project != "" {
		return n, nil
	}
	if s.id.adc != nil {
		if _, err := s.id.adc.get(ctx); err != nil {
			return n, s.credentialsError(ctx, err)
		}
	}
	if s.id.base != nil {
		p, err := s.id.base.ProjectID(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return n, fmt.Errorf("gcp store %q: secret %q: finding the credentials' project: %w", s.name, req.Name, ctx.Err())
			}
			return n, fmt.Errorf("gcp store %q: secret %q: the store sets no project and the credentials' project cannot be found (%v); set project: %w",
				s.name, req.Name, err, secret.ErrInvalidConfig)
		}
		n.Project = p
	}
	if n.Project == "" {
		return n, invalid("a short name needs a project, and the store sets none and its credentials have none; set project, or write projects/PROJECT/secrets/" + n.Secret)
	}
	return n, nil
}

// credentialsError reports Application Default Credentials that could not
// be found.
func (s *Store) credentialsError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("gcp store %q: finding Application Default Credentials: %w", s.name, ctx.Err())
	}
	return fmt.Errorf("gcp store %q: no Application Default Credentials: set GOOGLE_APPLICATION_CREDENTIALS, run `gcloud auth application-default login`, run on Google Cloud, or set auth_method (%v): %w",
		s.name, err, secret.ErrInvalidConfig)
}

// access calls AccessSecretVersion, retrying while the service is
// unavailable. It returns the number of calls made.
func (s *Store) access(ctx context.Context, name string) (*secretmanagerpb.AccessSecretVersionResponse, int, error) {
	req := &secretmanagerpb.AccessSecretVersionRequest{Name: name}
	var resp *secretmanagerpb.AccessSecretVersionResponse
	attempts, err := s.call(ctx, name, func(ctx context.Context) (err error) {
		resp, err = s.client.AccessSecretVersion(ctx, req)
		return err
	})
	return resp, attempts, err
}

// call makes one Secret Manager call with the store's credentials, each
// attempt under attempt_timeout, retrying while the service is unavailable
// with jittered exponential back-off. It returns the number of attempts
// (the call's [secret.FetchInfo.Upstream]).
func (s *Store) call(ctx context.Context, name string, do func(context.Context) error) (int, error) {
	if s.id.adc != nil {
		if _, err := s.id.adc.get(ctx); err != nil {
			return 0, s.credentialsError(ctx, err)
		}
		// The caller's quota project goes only with its own calls: an
		// impersonated account may not use it.
		if qp := s.id.adc.quotaProject(ctx); qp != "" && s.id.creds == s.id.base {
			ctx = metadata.AppendToOutgoingContext(ctx, "x-goog-user-project", qp)
		}
	}
	backoff := s.cfg.InitialBackoff
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, s.cfg.AttemptTimeout)
		err := do(actx)
		cancel()
		if err == nil {
			return attempt, nil
		}
		if ctx.Err() != nil || !retryable(err) || attempt >= s.cfg.MaxAttempts {
			return attempt, err
		}
		// Full jitter over the upper half, so that agents started together
		// do not retry in step.
		pause := backoff/2 + rand.N(backoff/2+1)
		s.log.Debug("retrying Secret Manager call", "secret", name, "attempt", attempt,
			"code", status.Code(err).String(), "pause", pause)
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return attempt, err
		}
		backoff = min(2*backoff, s.cfg.MaxBackoff)
	}
}

// retryable reports whether a failed call may succeed if made again. An
// attempt's own timeout counts; the caller's deadline is checked first.
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded:
		return true
	}
	return false
}

// classify turns a failed call into a [*secret.StoreError]; probe is set
// for a version probe (GetSecretVersion), whose permission differs.
func (s *Store) classify(ctx context.Context, n versionName, probe bool, attempts int, err error) error {
	if attempts == 0 {
		// No call was made: the credentials could not be found, which
		// credentialsError has already said (a configuration error, not
		// an outage).
		return err
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("gcp store %q: secret %q: %w%s", s.name, n.String(), cerr, rpcDetail(err))
	}
	resource := n.String()
	if s.id.target != "" {
		// The token exchange's failure reaches us as the RPC's
		// UNAUTHENTICATED ("per-RPC creds failed … impersonate: status
		// code 403"): it is the caller being refused the target's token.
		if msg := status.Convert(err).Message(); strings.Contains(msg, "impersonate: status code 403") || strings.Contains(msg, "impersonate: status code 404") {
			_, iam, _ := strings.Cut(msg, "impersonate: ")
			return impersonationRefused(s.name, resource, s.id.caller, s.id.target, errors.New(iam))
		}
	}
	switch status.Code(err) {
	case codes.NotFound:
		return notFound(s.name, n, err)
	case codes.PermissionDenied:
		return permissionDenied(s.name, resource, s.id.who(), probe, err)
	case codes.Unauthenticated:
		return unauthenticated(s.name, resource, s.id.who(), err)
	case codes.FailedPrecondition:
		return disabledVersion(s.name, resource, err)
	case codes.InvalidArgument:
		return fmt.Errorf("gcp store %q: secret %q: the service refused the name%s: %w", s.name, resource, rpcDetail(err), secret.ErrInvalidConfig)
	}
	return unavailable(s.name, resource, s.endpoint, attempts, err)
}

// Describe reports the endpoint, the project of short names and the
// identity the store uses, without network I/O. Its Key, Naming, Principal
// and UsedEnv are those of key.go, policy.go, principal.go and usedenv.go.
func (s *Store) Describe() secret.Description {
	var b strings.Builder
	fmt.Fprintf(&b, "GCP Secret Manager at %s", s.endpoint)
	if s.cfg.Location != "" {
		fmt.Fprintf(&b, " (location %s)", s.cfg.Location)
	}
	if s.cfg.Project != "" {
		fmt.Fprintf(&b, ", project %s", s.cfg.Project)
	}
	fmt.Fprintf(&b, ", as %s", s.id.summary)
	warnings := append([]string(nil), s.id.warnings...)
	if s.cfg.Insecure {
		warnings = append(warnings, fmt.Sprintf("insecure: plaintext gRPC to %s; meant for a local test server only", s.endpoint))
	}
	return secret.Description{Summary: b.String(), Warnings: warnings,
		UsedEnv: s.usedEnv, Key: s.secretKey, Principal: s.principal,
		Naming: secret.Naming{Subject: s.policySubject, Pattern: s.policyPattern}}
}

// Close closes the client's connection.
func (s *Store) Close() error {
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("gcp store %q: closing the client: %w", s.name, err)
	}
	return nil
}
