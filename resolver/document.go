package resolver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/secret"
)

// document is a secret parsed as JSON, kept so that several keys of one
// secret parse it once.
type document struct {
	root any
	err  error
}

// maxKeysListed caps the key names an error lists.
const maxKeysListed = 20

// KeyError reports a key look-up that failed on a secret. It lists the key
// names present, never a value.
type KeyError struct {
	Key     []string // the full path asked for
	At      int      // index of the segment that failed
	Present []string // key names present at that level, when it is an object
	Msg     string
	cause   error
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *KeyError) Error() string {
	path := strings.Join(e.Key[:e.At+1], ".")
	s := fmt.Sprintf("key %q: %s", path, e.Msg)
	if len(e.Present) > 0 {
		s += " (keys present: " + strings.Join(e.Present, ", ") + ")"
	}
	return s
}

// Unwrap returns the sentinel the failure matches, for errors.Is.
func (e *KeyError) Unwrap() error { return e.cause }

// NotJSONError reports a key asked of a secret that is not a JSON document.
type NotJSONError struct {
	Offset int64 // where parsing failed, when known
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *NotJSONError) Error() string {
	return "the secret is not a JSON document, so no key can be looked up in it (drop the key to use the secret whole)"
}

// Is makes a NotJSONError match [secret.ErrInvalidConfig]: the reference
// asks for something the secret cannot give.
func (e *NotJSONError) Is(target error) bool { return target == secret.ErrInvalidConfig }

func parseDocument(b []byte) *document {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		// The decoder's message quotes the offending character, which is part
		// of the secret: keep only the offset.
		var off int64
		if se, ok := err.(*json.SyntaxError); ok {
			off = se.Offset
		}
		return &document{err: &NotJSONError{Offset: off}}
	}
	if dec.More() {
		return &document{err: &NotJSONError{Offset: dec.InputOffset()}}
	}
	return &document{root: v}
}

// lookup returns fr's value, or the value at key inside it.
func lookup(fr *fetchResult, key []string) (secret.Value, error) {
	if fr.err != nil {
		return secret.Value{}, fr.err
	}
	if len(key) == 0 {
		return fr.val, nil
	}
	if fr.doc == nil {
		fr.doc = parseDocument(fr.val.Reveal())
	}
	if fr.doc.err != nil {
		return secret.Value{}, fr.doc.err
	}
	cur := fr.doc.root
	for i, seg := range key {
		switch node := cur.(type) {
		case map[string]any:
			next, ok := node[seg]
			if !ok {
				return secret.Value{}, &KeyError{Key: key, At: i, Present: keyNames(node), Msg: "not found in the secret", cause: secret.ErrNotFound}
			}
			cur = next
		case []any:
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 || n >= len(node) {
				return secret.Value{}, &KeyError{Key: key, At: i,
					Msg: fmt.Sprintf("the value here is a list of %d items; use an index from 0 to %d", len(node), len(node)-1), cause: secret.ErrNotFound}
			}
			cur = node[n]
		default:
			return secret.Value{}, &KeyError{Key: key, At: i, Msg: fmt.Sprintf("the value before it is a %s, not an object", kind(node)), cause: secret.ErrNotFound}
		}
	}
	if s, ok := cur.(string); ok {
		return secret.StringValue(s), nil
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return secret.Value{}, fmt.Errorf("key %q: re-encoding its value failed", strings.Join(key, "."))
	}
	return secret.NewValue(b), nil
}

func keyNames(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	if len(out) > maxKeysListed {
		out = append(out[:maxKeysListed], fmt.Sprintf("… %d more", len(m)-maxKeysListed))
	}
	return out
}

func kind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	case []any:
		return "list"
	}
	return "value"
}
