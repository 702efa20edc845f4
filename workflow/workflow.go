// Package workflow decodes a workflow file — the connector fields of one
// workflow run — from YAML, JSON or TOML into a [resolver.Workflow].
//
// A file looks like this (YAML):
//
//	name: nightly-orders-sync
//	fields:
//	  host: db.internal.example.com            # a literal
//	  username: secret://aws/prod/db#username  # a reference
//	  password:                                # the same, spelled out
//	    store: aws
//	    secret: prod/db
//	    key: password
//	  banner: literal:secret://not/a/ref       # a literal that looks like a reference
//
// A field is a scalar (a literal, or a reference when it starts with
// "secret:"), or a map with either "ref" (a reference string), "literal", or
// the parts "store", "secret", "key", "version", "optional", "default";
// any of them may add "env", the variable name `latchkey exec` uses.
// Unknown keys, duplicate fields, empty names and nulls are errors that
// name the file and line.
package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"gopkg.in/yaml.v3"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// MaxSize caps a workflow file; larger input is refused before parsing.
const MaxSize = 4 << 20

// Format is a workflow file's syntax.
type Format string

// Formats Decode reads.
const (
	YAML Format = "yaml"
	JSON Format = "json"
	TOML Format = "toml"
)

// FormatOf picks the format from a file name's extension, or from the
// content when the extension says nothing (stdin): '{' starts JSON.
func FormatOf(name string, data []byte) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return JSON
	case ".toml":
		return TOML
	case ".yaml", ".yml":
		return YAML
	}
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return JSON
	}
	return YAML
}

// Read reads and decodes a workflow from r; name is used for errors and to
// pick the format.
func Read(name string, r io.Reader) (resolver.Workflow, error) {
	data, err := ReadAll(name, r)
	if err != nil {
		return resolver.Workflow{}, err
	}
	return Decode(name, FormatOf(name, data), data)
}

// ReadAll reads a workflow document from r without decoding it, refusing
// one larger than MaxSize; name is used for errors. `latchkey --server`
// sends what it reads to the server, which decodes it.
func ReadAll(name string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("workflow %s: %w", name, err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("workflow %s: larger than %d bytes", name, MaxSize)
	}
	return data, nil
}

// node is a format-neutral view of a parsed document.
type node struct {
	line   int // 0 when unknown
	scalar *string
	keys   []string // map keys in file order
	vals   map[string]*node
	isNull bool
	isList bool
}

// Decode decodes data in the given format; name is used in errors.
func Decode(name string, f Format, data []byte) (resolver.Workflow, error) {
	var root *node
	var err error
	switch f {
	case JSON:
		root, err = parseJSON(data)
	case TOML:
		root, err = parseTOML(data)
	default:
		root, err = parseYAML(data)
	}
	if err != nil {
		return resolver.Workflow{}, fmt.Errorf("workflow %s: %w", name, err)
	}
	return build(name, root)
}

func build(file string, root *node) (resolver.Workflow, error) {
	wf := resolver.Workflow{}
	at := func(n *node) string {
		if n != nil && n.line > 0 {
			return fmt.Sprintf("%s:%d", file, n.line)
		}
		return file
	}
	if root == nil || root.vals == nil {
		return wf, fmt.Errorf("workflow %s: want a map with \"fields\" (and optionally \"name\")", file)
	}
	var errs []error
	for _, k := range root.keys {
		switch k {
		case "name":
			n := root.vals[k]
			if n.scalar == nil {
				errs = append(errs, fmt.Errorf("%s: \"name\" must be a string", at(n)))
			} else {
				wf.Name = *n.scalar
			}
		case "fields":
		default:
			errs = append(errs, fmt.Errorf("%s: unknown key %q (known: name, fields)%s", at(root.vals[k]), k, didYouMean(k, "name", "fields")))
		}
	}
	if wf.Name == "" {
		wf.Name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	fields := root.vals["fields"]
	if fields == nil || fields.vals == nil {
		errs = append(errs, fmt.Errorf("%s: \"fields\" is missing or not a map of field names to values", at(fields)))
		return wf, errors.Join(errs...)
	}
	for _, name := range fields.keys {
		n := fields.vals[name]
		where := fmt.Sprintf("%s (field %q)", at(n), name)
		f, err := decodeField(name, n)
		if err != nil {
			for _, e := range split(err) {
				errs = append(errs, fmt.Errorf("%s: %w", where, e))
			}
			continue
		}
		f.Where = at(n)
		wf.Fields = append(wf.Fields, f)
	}
	if err := errors.Join(errs...); err != nil {
		return wf, err
	}
	return wf, nil
}

const fieldKeys = "ref, literal, store, secret, key, version, optional, default, env"

// didYouMean returns `: did you mean "x"?` when word is a typo of one of
// known, else "".
func didYouMean(word string, known ...string) string {
	if s := secret.Suggest(word, known); s != "" {
		return fmt.Sprintf(": did you mean %q?", s)
	}
	return ""
}

var knownFieldKeys = map[string]bool{"ref": true, "literal": true, "store": true, "secret": true,
	"key": true, "version": true, "optional": true, "default": true, "env": true}

// split returns the errors joined in err, or err alone.
func split(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// decodeField decodes one field's value: a literal or secret:// reference
// written as a string, or a map (see fieldKeys). Every problem of a map is
// reported, joined.
func decodeField(name string, n *node) (resolver.Field, error) {
	f := resolver.Field{Name: name}
	if strings.TrimSpace(name) == "" {
		return f, errors.New("empty field name")
	}
	switch {
	case n.isNull:
		return f, errors.New("no value: write a literal, a secret:// reference, or a map (" + fieldKeys + ")")
	case n.isList:
		return f, errors.New("a list is not a field value")
	case n.scalar != nil:
		src, err := secret.ParseSource(*n.scalar)
		f.Source = src
		return f, err
	}
	m := &fieldMap{n: n}
	m.checkKeys()
	f.Env, _ = m.get("env")
	f.Source = m.source()
	return f, errors.Join(m.errs...)
}

// fieldMap is a field written as a map while decodeField reads it, with
// the problems found so far, in order.
type fieldMap struct {
	n    *node
	errs []error
}

// get returns the string at key k and whether k is there, recording a
// problem when its value is not a string.
func (m *fieldMap) get(k string) (string, bool) {
	v, ok := m.n.vals[k]
	if !ok {
		return "", false
	}
	if v.scalar == nil {
		m.errs = append(m.errs, fmt.Errorf("%q must be a string", k))
		return "", true
	}
	return *v.scalar, true
}

// checkKeys records every key that is not one of fieldKeys.
func (m *fieldMap) checkKeys() {
	for _, k := range m.n.keys {
		if !knownFieldKeys[k] {
			m.errs = append(m.errs, fmt.Errorf("unknown key %q (known: %s)%s", k, fieldKeys, didYouMean(k, strings.Split(fieldKeys, ", ")...)))
		}
	}
}

// source reads where the field's value comes from: exactly one of ref,
// literal, or the parts of a reference. It returns the zero Source when
// the map says none or several.
func (m *fieldMap) source() secret.Source {
	refStr, hasRef := m.get("ref")
	lit, hasLit := m.get("literal")
	var hasParts bool
	for _, k := range []string{"store", "secret", "key", "version", "optional", "default"} {
		if _, ok := m.n.vals[k]; ok {
			hasParts = true
		}
	}
	switch {
	case hasRef && (hasLit || hasParts), hasLit && hasParts:
		m.errs = append(m.errs, errors.New(`use one of "ref", "literal", or the parts (store, secret, key…), not several`))
	case hasLit:
		return secret.Source{Literal: lit}
	case hasRef:
		r, err := secret.ParseRef(refStr)
		if err != nil {
			m.errs = append(m.errs, err)
		}
		return secret.Source{Ref: &r}
	case hasParts:
		r := m.refFromParts()
		return secret.Source{Ref: &r}
	case len(m.errs) == 0:
		m.errs = append(m.errs, errors.New("empty map: give ref, literal, or secret/key"))
	}
	return secret.Source{}
}

// refFromParts builds a reference from store, secret, key (dotted for a
// nested key), version, default and optional, and validates it when no
// problem was found before.
func (m *fieldMap) refFromParts() secret.Ref {
	var r secret.Ref
	r.Store, _ = m.get("store")
	r.Name, _ = m.get("secret")
	r.Version, _ = m.get("version")
	if key, ok := m.get("key"); ok {
		if key == "" || strings.Contains(key, "..") || strings.HasPrefix(key, ".") || strings.HasSuffix(key, ".") {
			m.errs = append(m.errs, fmt.Errorf("key %q: empty segment (separate nested keys with single dots)", key))
		}
		r.Key = strings.Split(key, ".")
	}
	if d, ok := m.get("default"); ok {
		r.HasDefault, r.Default = true, d
	}
	if o, ok := m.get("optional"); ok {
		b, err := strconv.ParseBool(o)
		if err != nil {
			m.errs = append(m.errs, fmt.Errorf("optional must be true or false, not %q", o))
		}
		r.Optional = b
	}
	if len(m.errs) == 0 {
		if err := r.Validate(); err != nil {
			m.errs = append(m.errs, err)
		}
	}
	return r
}

func parseYAML(data []byte) (*node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("empty document")
	}
	return fromYAML(doc.Content[0], 0)
}

func fromYAML(y *yaml.Node, depth int) (*node, error) {
	if depth > 16 {
		return nil, fmt.Errorf("line %d: nested too deep", y.Line)
	}
	n := &node{line: y.Line}
	switch y.Kind {
	case yaml.ScalarNode:
		if y.Tag == "!!null" {
			n.isNull = true
		} else {
			s := y.Value
			n.scalar = &s
		}
	case yaml.MappingNode:
		n.vals = map[string]*node{}
		for i := 0; i+1 < len(y.Content); i += 2 {
			k := y.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a map key must be a string", k.Line)
			}
			if _, dup := n.vals[k.Value]; dup {
				return nil, fmt.Errorf("line %d: key %q is defined twice", k.Line, k.Value)
			}
			v, err := fromYAML(y.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, k.Value)
			n.vals[k.Value] = v
		}
	case yaml.SequenceNode:
		n.isList = true
	case yaml.AliasNode:
		return nil, fmt.Errorf("line %d: YAML aliases are not supported in workflows", y.Line)
	default:
		return nil, fmt.Errorf("line %d: unsupported YAML node", y.Line)
	}
	return n, nil
}

// parseJSON walks the token stream so that duplicate keys, which
// encoding/json would silently merge, are errors with a line number.
func parseJSON(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// Offsets of the newlines, so that a token's line is a binary search:
	// counting them from the start for every token would take time
	// quadratic in the file's size.
	var newlines []int
	for i, c := range data {
		if c == '\n' {
			newlines = append(newlines, i)
		}
	}
	jw := &jsonWalker{dec: dec, data: data, newlines: newlines}
	root, err := jw.walk(0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON document")
	}
	return root, nil
}

// jsonWalker reads one JSON document's tokens into nodes, with the offsets
// of its newlines to give each node its line.
type jsonWalker struct {
	dec      *json.Decoder
	data     []byte
	newlines []int
}

// lineAt returns the line of the token the decoder's offset off leads to.
func (jw *jsonWalker) lineAt(off int64) int {
	i := min(int(off), len(jw.data))
	for i < len(jw.data) && strings.IndexByte(" \t\r\n,:", jw.data[i]) >= 0 {
		i++ // the decoder's offset is just past the previous token
	}
	line, _ := slices.BinarySearch(jw.newlines, i)
	return line + 1
}

// walk reads the next value, depth levels deep, into a node.
func (jw *jsonWalker) walk(depth int) (*node, error) {
	if depth > 16 {
		return nil, fmt.Errorf("line %d: nested too deep", jw.lineAt(jw.dec.InputOffset()))
	}
	off := jw.dec.InputOffset()
	tok, err := jw.dec.Token()
	if err != nil {
		return nil, jsonErr(err, jw.lineAt)
	}
	n := &node{line: jw.lineAt(off)}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			if err := jw.object(n, depth); err != nil {
				return nil, err
			}
		case '[':
			if err := jw.list(n, depth); err != nil {
				return nil, err
			}
		}
	case nil:
		n.isNull = true
	case string:
		n.scalar = &t
	case json.Number:
		s := t.String()
		n.scalar = &s
	case bool:
		s := strconv.FormatBool(t)
		n.scalar = &s
	}
	return n, nil
}

// object reads the members of an object whose '{' was just read into n,
// and its closing '}'. A key given twice is an error.
func (jw *jsonWalker) object(n *node, depth int) error {
	n.vals = map[string]*node{}
	for jw.dec.More() {
		koff := jw.dec.InputOffset()
		kt, err := jw.dec.Token()
		if err != nil {
			return jsonErr(err, jw.lineAt)
		}
		k := kt.(string)
		if _, dup := n.vals[k]; dup {
			return fmt.Errorf("line %d: key %q is defined twice", jw.lineAt(koff), k)
		}
		v, err := jw.walk(depth + 1)
		if err != nil {
			return err
		}
		v.line = jw.lineAt(koff)
		n.keys = append(n.keys, k)
		n.vals[k] = v
	}
	if _, err := jw.dec.Token(); err != nil {
		return jsonErr(err, jw.lineAt)
	}
	return nil
}

// list reads, and checks, the elements of an array whose '[' was just
// read, and its closing ']'; n only records that it is a list.
func (jw *jsonWalker) list(n *node, depth int) error {
	n.isList = true
	for jw.dec.More() {
		if _, err := jw.walk(depth + 1); err != nil {
			return err
		}
	}
	if _, err := jw.dec.Token(); err != nil {
		return jsonErr(err, jw.lineAt)
	}
	return nil
}

func jsonErr(err error, lineAt func(int64) int) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("line %d: %v", lineAt(se.Offset), err)
	}
	if err == io.EOF {
		return errors.New("unexpected end of JSON input")
	}
	return err
}

func parseTOML(data []byte) (*node, error) {
	var m map[string]any
	if err := toml.Unmarshal(data, &m); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("line %d column %d: %v", row, col, de)
		}
		return nil, err
	}
	return fromAny(m, 0)
}

func fromAny(v any, depth int) (*node, error) {
	if depth > 16 {
		return nil, errors.New("nested too deep")
	}
	n := &node{}
	switch t := v.(type) {
	case map[string]any:
		n.vals = map[string]*node{}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys) // TOML tables are unordered once decoded
		for _, k := range keys {
			c, err := fromAny(t[k], depth+1)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, k)
			n.vals[k] = c
		}
	case []any:
		n.isList = true
	case nil:
		n.isNull = true
	default:
		s := fmt.Sprint(t)
		n.scalar = &s
	}
	return n, nil
}
