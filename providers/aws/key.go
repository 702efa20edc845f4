package aws

import (
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/latchkey/latchkey/secret"
)

// maxLearned bounds the spellings a store remembers the identity of.
const maxLearned = 10000

// secretKey is the store's [secret.Description.Key]: one key per secret and
// version, so that a secret named by name, by full ARN or by partial ARN,
// with its version given as "" or AWSCURRENT (or "stage:AWSCURRENT"), is
// fetched and cached once.
//
// The key of a secret is its ARN without the random six-character suffix
// (arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME) plus its
// version. It is exact where it can be computed without I/O: a partial ARN
// is already that form. The rest is learned from answers, never guessed:
//
//   - a bare name resolves in the store's own account, which the store
//     does not know until an answer to a bare name shows it; until then a
//     bare name is keyed by region and name alone;
//   - a full ARN cannot be told from a partial ARN of a secret whose name
//     ends in a dash and six characters (AWS warns against such names),
//     so a full ARN is keyed as written until an answer maps it.
//
// So the first resolution after start may fetch a secret once per spelling;
// every later one (and every cached entry) uses one key. A key learned from
// an answer stays for the life of the store: a secret deleted and re-created
// under the same name gets a new suffix, so its old full ARN keeps mapping
// to the name's key (the cache may then answer the old ARN with the new
// secret's value, which AWS would refuse as not found).
func (s *Store) secretKey(req secret.Request) string {
	t, err := parseTarget(req.Name, req.Version)
	if err != nil {
		// Get will refuse it; a key unlike any valid one.
		return "invalid\x00" + req.Name + "\x00" + req.Version
	}
	ver := ""
	switch {
	case t.id != "":
		ver = "id:" + t.id
	case t.stage != "" && t.stage != "AWSCURRENT":
		ver = "stage:" + t.stage
	}
	return s.keys.identity(s.region, t.secretID) + "\x00" + ver
}

// keyTable is what a store has learned from its answers about the
// identity of the secrets it was asked for. It is safe for concurrent use.
type keyTable struct {
	mu        sync.RWMutex
	partition string
	account   string            // the store's own account, once a bare name was answered
	canonical map[string]string // secret ID as written → ARN without suffix
}

func (k *keyTable) identity(region, secretID string) string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if c, ok := k.canonical[secretID]; ok {
		return c
	}
	if strings.HasPrefix(secretID, "arn:") {
		return secretID
	}
	if k.account != "" {
		return "arn:" + k.partition + ":secretsmanager:" + region + ":" + k.account + ":secret:" + secretID
	}
	return "name:" + region + ":" + secretID
}

// learn records what GetSecretValue answered for secretID: the secret's
// full ARN and name. The ARN without its suffix is the prefix up to
// ":secret:" followed by the name.
func (k *keyTable) learn(secretID, fullARN, name string) {
	a, err := arn.Parse(fullARN)
	i := strings.Index(fullARN, ":secret:")
	if err != nil || i < 0 || name == "" || !strings.HasPrefix(fullARN[i+len(":secret:"):], name) {
		return
	}
	canon := fullARN[:i+len(":secret:")] + name
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.canonical == nil {
		k.canonical = map[string]string{}
	}
	if len(k.canonical) < maxLearned {
		k.canonical[secretID] = canon
		k.canonical[fullARN] = canon
	}
	if !strings.HasPrefix(secretID, "arn:") && k.account == "" {
		k.account, k.partition = a.AccountID, a.Partition
	}
}
