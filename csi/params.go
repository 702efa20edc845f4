package csi

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/latchkey/latchkey/secret"
)

// Attribute keys the driver adds to a SecretProviderClass's parameters.
const (
	attrPodName   = "csi.storage.k8s.io/pod.name"
	attrPodNS     = "csi.storage.k8s.io/pod.namespace"
	attrPodUID    = "csi.storage.k8s.io/pod.uid"
	attrSAName    = "csi.storage.k8s.io/serviceAccount.name"
	attrSATokens  = "csi.storage.k8s.io/serviceAccount.tokens"
	driverPrefix  = "csi.storage.k8s.io/"
	attrClassName = "secretProviderClass"
)

// Limits of a mount's parameters.
const (
	// MaxObjects bounds the objects of one class.
	MaxObjects = 256
	// maxAttributes bounds the attributes document the driver sends.
	maxAttributes = 1 << 20
	maxPathLen    = 4096
	maxElemLen    = 255
)

// Object is one entry of the class's objects parameter: a reference and
// the file it is written to.
type Object struct {
	// Ref is the reference as written (secret://store/name#key).
	Ref string
	// ref is Ref parsed.
	ref secret.Ref
	// Path is the file's path in the volume: relative, clean, no "..".
	Path string
	// Mode is the file's permission bits (default: the driver's
	// permission, 0644).
	Mode int32
}

// Token is one of the pod's service-account tokens, per audience.
type Token struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expirationTimestamp"`
}

// Params is a MountRequest's attributes, checked.
type Params struct {
	Pod, Namespace, PodUID, ServiceAccount string
	// Class is the SecretProviderClass's name, when the driver says.
	Class string
	// Tokens maps each audience to the pod's token for it.
	Tokens  map[string]Token
	Objects []Object
	// Stores, when not empty, lists the only stores the class may use.
	Stores []string
	// RoleARN, when set, is the aws role the class asks to assume.
	RoleARN string
	// ClientID, when set, is the azure application the class asks to act as.
	ClientID string
}

// ParamError is a bad MountRequest parameter. It names the parameter and
// what to write instead; it never holds a token.
type ParamError struct {
	Param string
	Msg   string
}

// Error implements error.
func (e *ParamError) Error() string {
	return fmt.Sprintf("SecretProviderClass parameter %s: %s", e.Param, e.Msg)
}

// Unwrap returns [secret.ErrInvalidConfig].
func (e *ParamError) Unwrap() error { return secret.ErrInvalidConfig }

// ParseParams reads a MountRequest's attributes (a JSON object of strings)
// and permission (the default file mode, JSON decimal). Every problem is
// reported, joined, each a [*ParamError].
func ParseParams(attributes, permission string) (*Params, error) {
	return parseParams(attributes, permission, nil)
}

// parseParams is ParseParams, remembering objects in memo when not nil.
func parseParams(attributes, permission string, memo *objectMemo) (*Params, error) {
	if len(attributes) > maxAttributes {
		return nil, &ParamError{"attributes", fmt.Sprintf("%d bytes is more than the %d a class's parameters may hold", len(attributes), maxAttributes)}
	}
	var attrs map[string]string
	if err := json.Unmarshal([]byte(attributes), &attrs); err != nil {
		return nil, &ParamError{"attributes", "not a JSON object of strings: " + err.Error()}
	}
	defMode := int32(0o644)
	if permission != "" {
		var m int64
		if err := json.Unmarshal([]byte(permission), &m); err != nil || m < 0 || m > 0o777 {
			return nil, &ParamError{"permission", fmt.Sprintf("%q is not a file mode from 0 to 511", permission)}
		}
		defMode = int32(m)
	}
	p := &Params{Pod: attrs[attrPodName], Namespace: attrs[attrPodNS], PodUID: attrs[attrPodUID],
		ServiceAccount: attrs[attrSAName], Class: attrs[attrClassName]}
	var errs []error
	bad := func(param, format string, args ...any) {
		errs = append(errs, &ParamError{param, fmt.Sprintf(format, args...)})
	}
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		switch {
		case k == "objects", k == "stores", k == "roleArn", k == "clientID", k == attrClassName, strings.HasPrefix(k, driverPrefix):
		default:
			bad(k, "unknown parameter (known: objects, stores, roleArn, clientID)")
		}
	}
	if p.Namespace == "" || p.ServiceAccount == "" {
		bad(attrSAName, "the driver named no pod namespace or service account; is this the Secrets Store CSI Driver?")
	}
	if raw, ok := attrs[attrSATokens]; ok && raw != "" {
		if err := json.Unmarshal([]byte(raw), &p.Tokens); err != nil {
			bad(attrSATokens, "not a JSON map of audience to {token, expirationTimestamp}")
		}
	}
	if raw, ok := attrs["stores"]; ok {
		var list []string
		if err := yaml.Unmarshal([]byte(raw), &list); err != nil {
			bad("stores", "must be a YAML list of store names, e.g. [aws-prod]")
		}
		for _, s := range list {
			if err := secret.ValidateStoreName(s); err != nil {
				bad("stores", "%v", err)
			}
		}
		p.Stores = list
	}
	p.RoleARN = attrs["roleArn"]
	p.ClientID = attrs["clientID"]
	raw, ok := attrs["objects"]
	if !ok || strings.TrimSpace(raw) == "" {
		bad("objects", `missing: list what to mount, e.g. objects: | - {ref: "secret://aws/prod/db#password", path: db-password, mode: 0400}`)
		return p, errors.Join(errs...)
	}
	objs, oerrs := memo.objects(raw, defMode)
	p.Objects = objs
	errs = append(errs, oerrs...)
	return p, errors.Join(errs...)
}

// objectMemo remembers the objects of the classes a provider saw lately:
// the driver sends the same parameters on every mount and republish, and
// YAML parsing was most of a cached Mount's cost. Its methods may be
// called concurrently; a nil memo parses every time.
type objectMemo struct {
	mu sync.Mutex
	m  map[[32]byte][]Object
}

const maxMemo = 1024

func (c *objectMemo) objects(raw string, defMode int32) ([]Object, []error) {
	if c == nil {
		return parseObjects(raw, defMode)
	}
	k := sha256.Sum256(append([]byte(raw), byte(defMode>>8), byte(defMode)))
	c.mu.Lock()
	objs, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return slices.Clone(objs), nil
	}
	objs, errs := parseObjects(raw, defMode)
	if len(errs) == 0 {
		c.mu.Lock()
		if c.m == nil || len(c.m) >= maxMemo {
			c.m = map[[32]byte][]Object{} // a class churn this large is rare: start again
		}
		c.m[k] = slices.Clone(objs)
		c.mu.Unlock()
	}
	return objs, errs
}

// parseObjects reads the objects parameter: a YAML list of {ref, path,
// mode}.
func parseObjects(raw string, defMode int32) ([]Object, []error) {
	op := &objectsParse{paths: map[string]int{}}
	var list []map[string]yaml.Node
	if err := yaml.Unmarshal([]byte(raw), &list); err != nil {
		op.bad("objects", "must be a YAML list of {ref, path, mode}: %v", err)
		return nil, op.errs
	}
	if len(list) == 0 {
		op.bad("objects", "the list is empty: name at least one object")
	}
	if len(list) > MaxObjects {
		op.bad("objects", "%d objects is more than %d", len(list), MaxObjects)
		return nil, op.errs
	}
	var out []Object
	for i, m := range list {
		o, ok := op.decode(i, m, defMode)
		if op.check(i, m, &o) && ok {
			out = append(out, o)
		}
	}
	op.checkNesting()
	return out, op.errs
}

// objectsParse is one run of parseObjects: the problems found, in order,
// and the index of the object that claimed each path.
type objectsParse struct {
	errs  []error
	paths map[string]int
}

// bad records a problem with param.
func (op *objectsParse) bad(param, format string, args ...any) {
	op.errs = append(op.errs, &ParamError{param, fmt.Sprintf(format, args...)})
}

// decode reads the keys of objects[i], in key order; ok is false when one
// of them is wrong or unknown.
func (op *objectsParse) decode(i int, m map[string]yaml.Node, defMode int32) (o Object, ok bool) {
	key := fmt.Sprintf("objects[%d]", i)
	o, ok = Object{Mode: defMode}, true
	for _, k := range slices.Sorted(maps.Keys(m)) {
		n := m[k]
		switch k {
		case "ref":
			if n.Kind != yaml.ScalarNode || n.Value == "" {
				op.bad(key+".ref", `must be a reference string, e.g. "secret://aws/prod/db#password"`)
				ok = false
				continue
			}
			o.Ref = n.Value
		case "path":
			if n.Kind != yaml.ScalarNode {
				op.bad(key+".path", "must be a relative file path")
				ok = false
				continue
			}
			o.Path = n.Value
		case "mode":
			mode, err := parseMode(n)
			if err != nil {
				op.bad(key+".mode", "%v", err)
				ok = false
				continue
			}
			o.Mode = mode
		default:
			op.bad(key+"."+k, "unknown key (known: ref, path, mode)")
			ok = false
		}
	}
	return o, ok
}

// check parses the ref of objects[i] (m as written, o as decoded) into
// o.ref and checks its path, claiming the path for it. It reports whether
// both hold; a missing ref that was written wrong is not reported twice.
func (op *objectsParse) check(i int, m map[string]yaml.Node, o *Object) bool {
	key := fmt.Sprintf("objects[%d]", i)
	if o.Ref == "" {
		if _, had := m["ref"]; !had {
			op.bad(key+".ref", "missing: every object needs a ref")
		}
		return false
	}
	r, err := secret.ParseRef(o.Ref)
	if err != nil {
		op.bad(key+".ref", "%v", err)
		return false
	}
	o.ref = r
	if o.Path == "" {
		op.bad(key+".path", "missing: the file to write the secret to, e.g. db-password")
		return false
	}
	if err := ValidatePath(o.Path); err != nil {
		op.bad(key+".path", "%v", err)
		return false
	}
	if prev, dup := op.paths[o.Path]; dup {
		op.bad(key+".path", "%q is also the path of objects[%d]", o.Path, prev)
		return false
	}
	op.paths[o.Path] = i
	return true
}

// checkNesting records each path that lies inside another object's path:
// a file cannot also be a directory of another file.
func (op *objectsParse) checkNesting() {
	sorted := make([]string, 0, len(op.paths))
	for p := range op.paths {
		sorted = append(sorted, p)
	}
	sort.Strings(sorted)
	for i := 1; i < len(sorted); i++ {
		if strings.HasPrefix(sorted[i], sorted[i-1]+"/") {
			op.bad(fmt.Sprintf("objects[%d].path", op.paths[sorted[i]]), "%q is inside %q, which is a file", sorted[i], sorted[i-1])
		}
	}
}

// parseMode reads a mode written as YAML octal (0400, 0o400) or decimal
// (256), or a string of either.
func parseMode(n yaml.Node) (int32, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, errors.New("must be a file mode such as 0400")
	}
	s := strings.TrimPrefix(strings.TrimPrefix(n.Value, "0o"), "0O")
	base := 10
	if s != n.Value || (len(n.Value) > 1 && n.Value[0] == '0') {
		base = 8
	}
	v, err := strconv.ParseInt(s, base, 32)
	if err != nil || v < 0 || v > 0o777 {
		return 0, fmt.Errorf("%q is not a file mode from 0000 to 0777 (write octal, e.g. 0400)", n.Value)
	}
	return int32(v), nil
}

// ValidatePath checks a file path as the driver's writer does, and a
// little more: relative, clean, no ".." element, not starting with ".."
// (the driver's own ..data entries), no control characters, elements of
// at most 255 bytes.
func ValidatePath(p string) error {
	switch {
	case p == "":
		return errors.New("is empty")
	case len(p) > maxPathLen:
		return fmt.Errorf("is longer than %d bytes", maxPathLen)
	case path.IsAbs(p) || strings.HasPrefix(p, `\`) || (len(p) > 1 && p[1] == ':'):
		return fmt.Errorf("%q is absolute: write a path relative to the volume", p)
	case strings.ContainsAny(p, "\\\x00") || hasControl(p):
		return fmt.Errorf("%q holds a backslash or a control character", p)
	case path.Clean(p) != p:
		return fmt.Errorf("%q is not clean: write %q", p, path.Clean(p))
	}
	elems := strings.Split(p, "/")
	for _, e := range elems {
		if e == ".." {
			return fmt.Errorf("%q holds a '..' element", p)
		}
		if len(e) > maxElemLen {
			return fmt.Errorf("%q has an element longer than %d bytes", p, maxElemLen)
		}
	}
	if strings.HasPrefix(elems[0], "..") || p == "." {
		return fmt.Errorf("%q starts with '..' or is '.', which the driver reserves", p)
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
