package csi

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/latchkey/latchkey/config"
	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/units"
)

// DefaultSocketDir is where the driver looks for provider sockets
// (its --provider-volume).
const DefaultSocketDir = "/etc/kubernetes/secrets-store-csi-providers"

// SocketName is the provider's socket in the socket directory: the
// SecretProviderClass says provider: latchkey.
const SocketName = "latchkey.sock"

// DefaultMaxIdentities bounds the per-identity store stacks kept.
const DefaultMaxIdentities = 256

// Identity modes of a store read from a mount.
const (
	// IdentityPod: the store authenticates with the mounting pod's
	// service-account token (the default where the store type supports it).
	IdentityPod = "pod"
	// IdentityNode: the store uses the agent's own credentials for every
	// pod. It gives no namespace isolation: only the callers rules decide.
	IdentityNode = "node"
)

// Settings is the agent config's csi: section. The zero value of every
// field is its documented default.
type Settings struct {
	// SocketDir is the directory of the provider socket (DefaultSocketDir);
	// the --socket-dir flag overrides it.
	SocketDir string `json:"socket_dir"`
	// HMACKeyFile holds the key (32 bytes or more) of the versions given
	// to objects whose store reports none: an HMAC-SHA256 of the content.
	// Empty uses a random key per process: versions then change when the
	// provider restarts (one more rewrite of each file, nothing else).
	HMACKeyFile string `json:"hmac_key_file"`
	// MaxIdentities bounds the identities (namespace, service account,
	// class overrides) whose stores and caches are kept
	// (DefaultMaxIdentities); the least recently used is closed first.
	MaxIdentities int `json:"max_identities"`
	// Timeout bounds one Mount (0: the agent's timeout); ParseSettings
	// fills it in.
	Timeout time.Duration `json:"timeout" units:"positive" eg:"30s"`
	// Stores says, per declared store, how a mount authenticates to it.
	Stores map[string]StoreIdentity `json:"stores"`
}

// StoreIdentity is csi.stores.NAME: how a mount authenticates to one store.
type StoreIdentity struct {
	// Identity is IdentityPod (default for aws) or IdentityNode.
	Identity string `json:"identity"`
	// Audience is the audience of the pod token exchanged (aws:
	// sts.amazonaws.com). The CSIDriver's tokenRequests must list it.
	Audience string `json:"audience"`
	// RoleARN is the role an aws store assumes with the pod's token; a
	// class may name another with the roleArn parameter (the role's trust
	// policy decides which service accounts may assume it).
	RoleARN string `json:"role_arn"`
	// SessionName names the role session (default latchkey-NAMESPACE-SA).
	SessionName string `json:"session_name"`
	// STSEndpoint overrides the STS endpoint (a test server).
	STSEndpoint string `json:"sts_endpoint"`
	// TenantID and ClientID name the application an azure store acts as
	// through workload identity (its federated credential decides which
	// service accounts may); a class may name another with clientID.
	TenantID string `json:"tenant_id"`
	ClientID string `json:"client_id"`
	// WorkloadIdentityProvider is the GCP workload identity pool provider a
	// gcp store exchanges the pod's token with
	// (//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/PR);
	// the audience defaults to its https: form, the provider's default
	// allowed audience.
	WorkloadIdentityProvider string `json:"workload_identity_provider"`
	// ImpersonateServiceAccount, for gcp, is a service account the
	// federated principal then acts as (optional).
	ImpersonateServiceAccount string `json:"impersonate_service_account"`
	// TokenURL overrides GCP's STS endpoint (a test server).
	TokenURL string `json:"token_url"`
	// Credential names the credential a wasm store's module uses for the
	// pod's token (its placeholder {{latchkey.credential:NAME}}), and
	// Hosts the hosts the host may send it to. Audience is required.
	Credential string   `json:"credential"`
	Hosts      []string `json:"hosts"`
}

// defaultAudience is the audience a store type's pod tokens are minted for.
var defaultAudience = map[string]string{"aws": "sts.amazonaws.com", "azure": "api://AzureADTokenExchange"}

// podTypes are the store types that can authenticate as a pod.
var podTypes = map[string]bool{"aws": true, "azure": true, "gcp": true, "wasm": true}

// ParseSettings decodes and checks agent's csi: section against its
// stores. Every problem is reported, joined, naming the key.
func ParseSettings(agent *config.Agent) (Settings, error) {
	s, err := decodeSettings(agent.CSI)
	if err != nil {
		return s, err
	}
	var p csiProblems
	if s.SocketDir == "" {
		s.SocketDir = DefaultSocketDir
	}
	if s.MaxIdentities == 0 {
		s.MaxIdentities = DefaultMaxIdentities
	} else if s.MaxIdentities < 1 || s.MaxIdentities > 100000 {
		p.bad("max_identities", "%d is outside 1 to 100000", s.MaxIdentities)
	}
	if s.Timeout == 0 {
		s.Timeout = agent.Timeout
	}
	for _, n := range slices.Sorted(maps.Keys(s.Stores)) {
		si := s.Stores[n]
		key := "stores." + n
		sc, ok := agent.Stores[n]
		if !ok {
			p.bad(key, "no store %q is declared in stores", n)
			continue
		}
		p.storeIdentity(key, sc.Type, &si)
		s.Stores[n] = si
	}
	return s, errors.Join(p...)
}

// decodeSettings decodes the csi: section raw (nil: none) strictly into
// Settings: every unknown key (with the closest known one), wrong type
// and bad duration is reported, each naming its key under csi.
func decodeSettings(raw map[string]any) (Settings, error) {
	var s Settings
	err := units.Decode(raw, &s)
	if err == nil {
		return s, nil
	}
	var p csiProblems
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		d := e.(*units.DecodeError)
		p.bad(d.Key, "%s", d.Msg)
	}
	return s, errors.Join(p...)
}

// csiProblems gathers ParseSettings' errors in the order it finds them.
type csiProblems []error

// bad records a problem with the setting csi.<key>.
func (p *csiProblems) bad(key, format string, args ...any) {
	*p = append(*p, fmt.Errorf("csi.%s: %s: %w", key, fmt.Sprintf(format, args...), secret.ErrInvalidConfig))
}

// storeIdentity checks how mounts authenticate to a store of type typ
// (si, at csi.<key>) and fills in its defaults: identity pod, and the
// audience of the store's type (for gcp, its workload identity provider).
func (p *csiProblems) storeIdentity(key, typ string, si *StoreIdentity) {
	switch si.Identity {
	case "":
		si.Identity = IdentityPod
	case IdentityPod, IdentityNode:
	default:
		p.bad(key+".identity", "%q is neither pod nor node", si.Identity)
	}
	if si.Identity == IdentityPod && !podTypes[typ] {
		p.bad(key+".identity", "a store of type %s cannot yet authenticate as the pod (pod identity: %s); write identity: node to read it with the agent's own identity, for every pod", typ, strings.Join(slices.Sorted(maps.Keys(podTypes)), ", "))
	}
	if typ == "env" {
		p.bad(key, "an env store is refused in a mount: it would hand the agent's own environment to pods")
	}
	p.storeKeys(key, typ, si)
	if typ == "wasm" && si.Identity == IdentityPod {
		if si.Credential == "" || len(si.Hosts) == 0 || si.Audience == "" {
			p.bad(key, "a wasm store read as the pod needs credential (the name its module's placeholder uses), hosts (where the host may send the token) and audience (e.g. vault)")
		}
	}
	if typ == "gcp" && si.Identity == IdentityPod {
		if si.WorkloadIdentityProvider == "" {
			p.bad(key+".workload_identity_provider", "required for a gcp store read as the pod: //iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/PR")
		} else if si.Audience == "" {
			si.Audience = "https:" + si.WorkloadIdentityProvider
		}
	}
	if si.Audience == "" {
		si.Audience = defaultAudience[typ]
	}
}

// storeKeys records each key of si that does not apply to its identity or
// to a store of type typ.
func (p *csiProblems) storeKeys(key, typ string, si *StoreIdentity) {
	if si.Identity == IdentityNode && (si.Audience != "" || si.RoleARN != "" || si.STSEndpoint != "" || si.SessionName != "" || si.TenantID != "" || si.ClientID != "") {
		p.bad(key, "audience, role_arn, session_name, sts_endpoint, tenant_id and client_id apply to identity: pod only")
	}
	if typ != "aws" && (si.RoleARN != "" || si.STSEndpoint != "" || si.SessionName != "") {
		p.bad(key, "role_arn, session_name and sts_endpoint apply to aws stores only")
	}
	if typ != "azure" && (si.TenantID != "" || si.ClientID != "") {
		p.bad(key, "tenant_id and client_id apply to azure stores only")
	}
	if typ != "gcp" && (si.WorkloadIdentityProvider != "" || si.ImpersonateServiceAccount != "" || si.TokenURL != "") {
		p.bad(key, "workload_identity_provider, impersonate_service_account and token_url apply to gcp stores only")
	}
	if typ != "wasm" && (si.Credential != "" || len(si.Hosts) > 0) {
		p.bad(key, "credential and hosts apply to wasm stores only")
	}
}

// Warnings returns what `latchkey check` and the provider's start-up log
// say about s: every store read with the node's identity.
func (s Settings) Warnings() []string {
	var out []string
	for _, n := range slices.Sorted(maps.Keys(s.Stores)) {
		if w := s.NodeWarning(n); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// NodeWarning returns the warning for store when mounts read it with the
// node's identity, else "".
func (s Settings) NodeWarning(store string) string {
	if s.Stores[store].Identity != IdentityNode {
		return ""
	}
	return fmt.Sprintf("csi.stores.%s uses identity: node: every pod that may mount it reads it with the agent's own credentials, so it gives no namespace isolation; only the callers rules (service_accounts) decide who reads what", store)
}
