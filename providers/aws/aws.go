package aws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/safefile"
)

// Type is the store type this package registers.
const Type = "aws"

func init() {
	secret.Register(secret.Type{Name: Type, New: factory, Protection: secret.Protection{
		// Secrets Manager allows 10,000 GetSecretValue and DescribeSecret
		// calls per second per account and region, combined: 1,000/s and
		// a burst of 200 keep one agent at 12 % of it. The SDK retries.
		Rate: 1000, Burst: 200, ClientRetries: true,
	}, NamesAreARNs: true})
}

func factory(ctx context.Context, spec secret.Spec) (secret.Store, error) {
	opts, err := specOptions(spec)
	if err != nil {
		return nil, err
	}
	return New(ctx, spec.Name, opts)
}

// Store reads secrets from AWS Secrets Manager in one region with one
// identity. Its client is built once, by [New], and shared by every Get; it
// is safe for concurrent use.
type Store struct {
	name     string
	opts     Options
	region   string
	client   *secretsmanager.Client
	sts      *sts.Client // GetCallerIdentity, for Principal
	identity string      // how the store authenticates, for Describe
	creds    aws.CredentialsProvider
	log      *slog.Logger
	closed   atomic.Bool
	keys     keyTable // what answers taught about secrets' identity (key.go)
	cfg      aws.Config
	// exposed warns about key files others may read or write, as found
	// when the store was built (Describe does no I/O).
	exposed []string

	mu         sync.Mutex
	transports []*http.Transport
}

// New builds the store named name (the name appears in errors) from opts.
// It loads the SDK's configuration (environment and shared files) and
// builds the clients, but does no network I/O. Every bad option is
// reported, as a [*secret.ConfigError] naming the setting, joined.
func New(ctx context.Context, name string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := opts.validate(name); err != nil {
		return nil, err
	}
	s := &Store{name: name, opts: opts, log: log}
	cfg, err := s.loadConfig(ctx)
	if err != nil {
		return nil, err
	}
	creds, err := s.credentialsFor(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s.creds, s.cfg = creds, cfg
	s.exposed = exposedKeyFiles(opts)
	s.newClients(cfg, creds)
	log.Debug("aws store ready", "region", s.region, "auth_method", string(opts.AuthMethod))
	return s, nil
}

// loadConfig loads the SDK's configuration for s.opts (region, retries,
// the SDK's HTTP client, whose transports s keeps for Close) and sets
// s.region, which must be known by now.
func (s *Store) loadConfig(ctx context.Context) (aws.Config, error) {
	opts := s.opts
	load := []func(*config.LoadOptions) error{}
	if opts.Region != "" {
		load = append(load, config.WithRegion(opts.Region))
	}
	// The SDK's buildable client, so that AWS_CA_BUNDLE and the SDK's
	// transport settings apply; its transports are kept so that Close can
	// release their connections.
	load = append(load, config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.transports = append(s.transports, tr)
	})))
	if opts.MaxAttempts > 0 || opts.MaxBackoff > 0 {
		load = append(load, config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				if opts.MaxAttempts > 0 {
					o.MaxAttempts = opts.MaxAttempts
				}
				if opts.MaxBackoff > 0 {
					o.MaxBackoff = opts.MaxBackoff
				}
			})
		}))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return cfg, &secret.ConfigError{Store: s.name, Msg: "loading the AWS SDK configuration (environment, shared config files): " + err.Error()}
	}
	s.region = cfg.Region
	if s.region == "" {
		return cfg, &secret.ConfigError{Store: s.name, Key: "region",
			Msg: "not set, and the SDK found none (AWS_REGION, AWS_DEFAULT_REGION, the profile's region): set region, e.g. eu-west-1"}
	}
	return cfg, nil
}

// credentialsFor builds the credentials provider of s.opts.AuthMethod (or
// takes the one a web-identity store brings) and sets s.identity to say
// who the store acts as. Access keys are read now, so that a missing one
// fails here naming its setting rather than on the first fetch.
func (s *Store) credentialsFor(ctx context.Context, cfg aws.Config) (aws.CredentialsProvider, error) {
	opts := s.opts
	var creds aws.CredentialsProvider
	switch opts.AuthMethod {
	case AuthIAM:
		creds = cfg.Credentials
		s.identity = "default AWS credential chain (environment, shared config/profile, web identity, ECS/EC2 role)"
	case AuthAssumeRole:
		creds = assumeRoleCredentials(cfg, opts)
		s.identity = fmt.Sprintf("role %s assumed through STS (session %s", opts.RoleARN, opts.SessionName)
		if opts.ExternalID != "" {
			s.identity += ", external ID set"
		}
		s.identity += ") with the default AWS credential chain"
		if opts.STSEndpoint != "" {
			s.identity += ", STS endpoint " + opts.STSEndpoint
		}
	case AuthAccessKeys:
		kp := newKeyProvider(opts)
		// Fail now, naming the setting, rather than on the first fetch.
		if _, err := kp.Retrieve(ctx); err != nil {
			ke := err.(*keyError)
			return nil, &secret.ConfigError{Store: s.name, Key: ke.Setting, Msg: ke.Msg}
		}
		creds = kp
		s.identity = kp.describe()
	}
	if opts.credentials != nil {
		// A web-identity store (webidentity.go): credentials of its own.
		creds, s.identity = opts.credentials, opts.credentialsDesc
	}
	return creds, nil
}

// assumeRoleCredentials assumes opts.RoleARN through STS with the default
// credential chain of cfg, caching the role's credentials until
// CredentialExpiryWindow before they expire.
func assumeRoleCredentials(cfg aws.Config, opts Options) aws.CredentialsProvider {
	stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
		if opts.STSEndpoint != "" {
			o.BaseEndpoint = aws.String(opts.STSEndpoint)
		}
	})
	provider := stscreds.NewAssumeRoleProvider(stsClient, opts.RoleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = opts.SessionName
		o.Duration = opts.Duration
		if opts.ExternalID != "" {
			o.ExternalID = aws.String(opts.ExternalID)
		}
	})
	return aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = CredentialExpiryWindow
	})
}

// newClients builds s's STS and Secrets Manager clients, once, over cfg
// and creds, at the endpoints s.opts names.
func (s *Store) newClients(cfg aws.Config, creds aws.CredentialsProvider) {
	opts := s.opts
	s.sts = sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.Credentials = markingProvider{creds}
		if opts.STSEndpoint != "" {
			o.BaseEndpoint = aws.String(opts.STSEndpoint)
		}
	})
	s.client = secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		o.Credentials = markingProvider{creds}
		o.APIOptions = append(o.APIOptions, noteAttempts)
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
	})
}

// Get fetches the secret req.Name: a secret name or path, or a full or
// partial ARN in the store's region. req.Version selects the version by
// the rule of [SelectVersion]. SecretString and SecretBinary are both
// returned as they are stored.
func (s *Store) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	if s.closed.Load() {
		return secret.Result{}, fmt.Errorf("aws store %q: used after Close: %w", s.name, secret.ErrUnavailable)
	}
	if err := ctx.Err(); err != nil {
		return secret.Result{}, fmt.Errorf("aws store %q: secret %q: %w", s.name, req.Name, err)
	}
	t, err := parseTarget(req.Name, req.Version)
	if err != nil {
		return secret.Result{}, badRequest(s.name, req.Name, "", err.Error())
	}
	if t.region != "" && t.region != s.region {
		return secret.Result{}, badRequest(s.name, req.Name, "", fmt.Sprintf(
			"the ARN is in region %s but the store reads region %s; use a store configured with region: %s", t.region, s.region, t.region))
	}
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(t.secretID)}
	if t.id != "" {
		in.VersionId = aws.String(t.id)
	}
	if t.stage != "" {
		in.VersionStage = aws.String(t.stage)
	}
	actx, attempts := countAttempts(ctx)
	out, err := s.client.GetSecretValue(actx, in)
	res := secret.Result{FetchInfo: secret.FetchInfo{Upstream: attempts.n}}
	if err != nil {
		err = s.classify(ctx, t, err)
		s.log.DebugContext(ctx, "GetSecretValue failed", "secret", t.secretID, "version", t.describe(), "error", err)
		return res, err
	}
	if out.ARN != nil && out.Name != nil {
		s.keys.learn(t.secretID, *out.ARN, *out.Name)
	}
	if out.VersionId != nil {
		res.SetVersion(*out.VersionId)
	}
	d := &secret.VersionDetail{Name: aws.ToString(out.Name), ID: aws.ToString(out.ARN), Stages: out.VersionStages,
		Created: aws.ToTime(out.CreatedDate), Stored: secret.StoredText}
	if out.SecretString == nil {
		d.Stored = secret.StoredBinary
	}
	res.Detail = d
	switch {
	case out.SecretString != nil:
		res.Value = secret.StringValue(*out.SecretString)
		return res, nil
	case out.SecretBinary != nil:
		res.Value = secret.NewValue(out.SecretBinary)
		return res, nil
	}
	return res, unavailable(s.name, t.secretID,
		errors.New("GetSecretValue answered with neither SecretString nor SecretBinary"))
}

// Describe says, without network I/O, which region and identity the store
// uses, and warns about credentials written literally and endpoints that
// would carry secrets unencrypted. Its Key, Naming, Principal and UsedEnv
// are those of key.go, policy.go, principal.go and usedenv.go.
func (s *Store) Describe() secret.Description {
	id := secret.Description{Summary: fmt.Sprintf("AWS Secrets Manager in %s, as %s", s.region, s.identity),
		UsedEnv: s.usedEnv, Key: s.secretKey, Principal: s.principal, Naming: s.naming()}
	if s.opts.Endpoint != "" {
		id.Summary += ", endpoint " + s.opts.Endpoint
	}
	if s.opts.AccessKeyID != "" {
		id.Warnings = append(id.Warnings, "access_key_id is written literally in the agent config; "+
			"read it from an environment variable (access_key_id_env) or a mounted file (access_key_id_file)")
	}
	if s.opts.SecretAccessKey != "" {
		id.Warnings = append(id.Warnings, "secret_access_key is written literally in the agent config, where anyone who reads the file has it; "+
			"read it from an environment variable (secret_access_key_env) or a mounted file (secret_access_key_file), or use auth_method iam")
	}
	id.Warnings = append(id.Warnings, s.exposed...)
	for _, ep := range []struct{ key, val string }{{"endpoint", s.opts.Endpoint}, {"sts_endpoint", s.opts.STSEndpoint}} {
		if plainRemote(ep.val) {
			id.Warnings = append(id.Warnings, fmt.Sprintf("%s %s is plain http to a host that is not loopback: "+
				"credentials and secrets would cross the network unencrypted", ep.key, ep.val))
		}
	}
	return id
}

// exposedKeyFiles returns a warning for each access key file that others
// may read or write ([safefile.Exposed], the rule every secret file
// follows). A file that cannot be opened now says nothing here: reading it
// fails, naming the setting, when credentials are first needed.
func exposedKeyFiles(o Options) []string {
	var out []string
	for _, f := range []struct{ key, path string }{
		{"access_key_id_file", o.AccessKeyIDFile}, {"secret_access_key_file", o.SecretAccessKeyFile},
	} {
		if f.path == "" {
			continue
		}
		file, fi, err := safefile.Open(f.path, safefile.Options{})
		if err != nil {
			continue
		}
		file.Close()
		if why := safefile.Exposed(fi); why != "" {
			out = append(out, fmt.Sprintf("%s %s has %s", f.key, f.path, why))
		}
	}
	return out
}

func plainRemote(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" {
		return false
	}
	if u.Hostname() == "localhost" {
		return false
	}
	ip := net.ParseIP(u.Hostname())
	return ip == nil || !ip.IsLoopback()
}

// Region returns the region the store reads, from its settings or the SDK.
func (s *Store) Region() string { return s.region }

// Close releases the store's idle connections. No Get may start after it.
func (s *Store) Close() error {
	s.closed.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tr := range s.transports {
		tr.CloseIdleConnections()
	}
	return nil
}

var (
	_ secret.Store     = (*Store)(nil)
	_ secret.Describer = (*Store)(nil)
)
