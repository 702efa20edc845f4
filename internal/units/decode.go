package units

import (
	"cmp"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// DecodeError is one problem [Decode] found with one setting. Decode
// returns every problem it finds, each a *DecodeError, joined with
// [errors.Join] and sorted by Key.
type DecodeError struct {
	// Key is the setting's path, its JSON names joined with dots
	// ("limits.memory"); an entry of a map adds its key.
	Key string
	// Path is Key's parts, for a caller that dispatches on them: a key
	// of a map may hold a dot itself.
	Path []string
	// Msg says what is wrong and what to write. It quotes the value only
	// when the setting is not a secret (see [Decode]).
	Msg string
	// Known is set when Key is unknown: the keys known where it stands,
	// sorted, so that a caller can word its own message. Msg is then
	// [UnknownKey]'s.
	Known []string
}

// Error returns `setting "KEY": MSG`.
func (e *DecodeError) Error() string { return fmt.Sprintf("setting %q: %s", e.Key, e.Msg) }

// Decode copies src, a settings map as the agent config, koanf or
// encoding/json gives one, into the struct dst points to, strictly: a key
// that no field takes is an error (with the closest known key), and so is
// a value of the wrong type, a number with a fraction or beyond the
// field's range. Every problem is reported, each a [*DecodeError], joined.
// A key that is absent or null leaves its field as it is, so dst may hold
// defaults.
//
// Fields are named by their json tags as encoding/json names them (a
// field without a tag by its Go name, `json:"-"` never), and the fields
// of embedded structs (not pointers to them) are promoted, an outer field
// winning over a promoted one of the same name. Keys match exactly:
// encoding/json also matches them ignoring case, which a strict reading
// does not want. Besides the JSON kinds, Decode reads:
//
//   - a [time.Duration] from a string such as "15m" ([ParseDuration]); a
//     bare number is refused, as it would not say its unit. The tag
//     `units:"positive"` also refuses zero and negative durations, and the
//     tag `eg:"15m or 1h"` gives the example the message suggests.
//     `units:"seconds"` also reads a whole number of seconds (30, "30") as
//     [ParseDurationOrSeconds] does, refusing negative durations, and
//     `units:"off"` reads "off" as -1 (the feature turned off).
//   - a byte count into an integer field tagged `units:"size"`, written as
//     [ParseSize] reads it (4096, "64MiB"); negative sizes are refused.
//   - a bool or a whole number from a string too ("true", "30") when its
//     field is tagged `units:"str"`, as environment variables and --set
//     give every value ([Bool], [Int]).
//   - a type with an UnmarshalJSON method (json.RawMessage, [Duration],
//     [Size]) from the value encoded as JSON; one with only UnmarshalText
//     from a string.
//
// # Secrets
//
// A message may quote the value it refuses ("soon" is not a duration),
// except when the setting is a secret: then it says only what kind of
// value is wrong. A setting is a secret when its field is tagged
// `secret:"true"`, when its name contains "secret", "password", "token",
// "key" or "credential" (ignoring case), or when it sits inside such a
// setting. The rule errs on the side of silence: the names of variables
// and files ("secret_access_key_env") are never quoted either.
//
// Why not github.com/go-viper/mapstructure (linked already, through
// koanf): its decode hooks see the source and target types, not the
// struct field's tags, so a byte size, "off", bare seconds and a secret
// setting (whose value must never be quoted) would each need a named type
// in the public Options structs, and its unknown keys come back as one
// message without the keys known at that depth. Here the tags say it, and
// embedders keep plain int64 and time.Duration fields.
//
// Decode panics if dst is not a non-nil pointer to a struct: that is the
// caller's bug, not the config's. It is safe for concurrent use (each
// struct type's fields are looked up once and cached).
func Decode(src map[string]any, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("units.Decode: dst is a %T, not a pointer to a struct", dst))
	}
	var d decoder
	d.object(nil, reflect.ValueOf(src), v.Elem(), false)
	slices.SortStableFunc(d.errs, func(a, b *DecodeError) int { return cmp.Compare(a.Key, b.Key) })
	errs := make([]error, len(d.errs))
	for i, e := range d.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// Fields returns the setting names of the struct type of v (a struct or a
// pointer to one), sorted, as [Decode] knows them; nil for other types.
func Fields(v any) []string {
	t := reflect.TypeOf(v)
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	return fieldsOf(t).names
}

type decoder struct {
	errs []*DecodeError
}

// opts are what a field's tags say about its value.
type opts struct {
	secret   bool
	positive bool
	size     bool
	seconds  bool // a duration may be a bare number of seconds
	off      bool // a duration may be "off", read as -1
	str      bool // a bool or a number may be written as a string
	eg       string
}

type field struct {
	name  string
	index []int
	opts
}

type fieldSet struct {
	byName map[string]field
	names  []string // sorted
}

var fieldCache sync.Map // reflect.Type → *fieldSet

func fieldsOf(t reflect.Type) *fieldSet {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs := &fieldSet{byName: map[string]field{}}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			idx := append(slices.Clone(index), i)
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type, idx)
				continue
			}
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := fs.byName[name]; dup && len(idx) > 1 {
				continue // the outer field wins, as in encoding/json
			}
			o := opts{secret: f.Tag.Get("secret") == "true" || secretName(name), eg: f.Tag.Get("eg")}
			for _, u := range strings.Split(f.Tag.Get("units"), ",") {
				switch u {
				case "positive":
					o.positive = true
				case "size":
					o.size = true
				case "seconds":
					o.seconds = true
				case "off":
					o.off = true
				case "str":
					o.str = true
				}
			}
			fs.byName[name] = field{name: name, index: idx, opts: o}
		}
	}
	walk(t, nil)
	for n := range fs.byName {
		fs.names = append(fs.names, n)
	}
	slices.Sort(fs.names)
	actual, _ := fieldCache.LoadOrStore(t, fs)
	return actual.(*fieldSet)
}

func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"secret", "password", "token", "key", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func (d *decoder) bad(key path, msg string) {
	d.errs = append(d.errs, &DecodeError{Key: strings.Join(key, "."), Path: key, Msg: msg})
}

// path is a setting's place: the keys from the section down to it.
type path []string

// add returns p with one more key, sharing nothing with p.
func (p path) add(k string) path { return append(slices.Clip(p), k) }

// object decodes the map src into the struct v; key is src's path.
func (d *decoder) object(key path, src reflect.Value, v reflect.Value, secret bool) {
	fs := fieldsOf(v.Type())
	iter := src.MapRange()
	for iter.Next() {
		k := iter.Key().String()
		f, ok := fs.byName[k]
		if !ok {
			d.errs = append(d.errs, &DecodeError{Key: strings.Join(key.add(k), "."), Path: key.add(k), Msg: UnknownKey(k, fs.names), Known: fs.names})
			continue
		}
		o := f.opts
		o.secret = o.secret || secret
		d.value(key.add(k), iter.Value().Interface(), fieldByIndex(v, f.index), o)
	}
}

// fieldByIndex is v.FieldByIndex, allocating embedded pointers on the way.
func fieldByIndex(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	stringType          = reflect.TypeFor[string]()
)

const (
	secretUnreadable     = "is not a valid value (it is not quoted here, as the setting may hold a secret)"
	maxQuotedValueLength = 64
)

// value decodes raw into v.
func (d *decoder) value(key path, raw any, v reflect.Value, o opts) {
	if raw == nil {
		return // null leaves the default, as in encoding/json
	}
	if d.custom(key, raw, v, o) {
		return
	}
	if str, ok := raw.(string); ok && o.str && setFromString(str, v) {
		return
	}
	d.byKind(key, raw, v, o)
}

// custom decodes raw into v when v's type spells its own values —
// durations, sizes, and types with an UnmarshalJSON or UnmarshalText
// method — and reports whether it is such a type.
func (d *decoder) custom(key path, raw any, v reflect.Value, o opts) bool {
	t := v.Type()
	switch {
	case t == durationType:
		d.duration(key, raw, v, o)
	case o.size && isInt(t.Kind()):
		n, err := ParseSize(raw)
		switch {
		case err != nil:
			d.bad(key, err.Error())
		case v.OverflowInt(n):
			d.bad(key, fmt.Sprintf("must be a size of at most %d bytes", int64(1)<<(t.Bits()-1)-1))
		default:
			v.SetInt(n)
		}
	case reflect.PointerTo(t).Implements(jsonUnmarshalerType):
		b, err := json.Marshal(raw)
		if err == nil {
			err = v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(b)
		}
		if err != nil {
			d.refuse(key, o, err.Error())
		}
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		s, ok := raw.(string)
		if !ok {
			d.typeError(key, stringType, raw) // whatever t holds, it is written as text
			return true
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			d.refuse(key, o, err.Error())
		}
	default:
		return false
	}
	return true
}

// setFromString sets a bool or integer v from str, as a value from the
// environment or --set is written, and reports whether it did; otherwise
// str is decoded by v's kind like any other value.
func setFromString(str string, v reflect.Value) bool {
	switch k := v.Kind(); {
	case k == reflect.Bool:
		if b, ok := Bool(str); ok {
			v.SetBool(b)
			return true
		}
	case isInt(k):
		if n, ok := Int(str); ok && !v.OverflowInt(int64(n)) {
			v.SetInt(int64(n))
			return true
		}
	}
	return false
}

// byKind decodes raw into v by v's kind, reporting a raw of another type.
func (d *decoder) byKind(key path, raw any, v reflect.Value, o opts) {
	t := v.Type()
	rv := reflect.ValueOf(raw)
	switch k := t.Kind(); {
	case k == reflect.String:
		s, ok := raw.(string)
		if !ok {
			d.typeError(key, t, raw)
			return
		}
		v.SetString(s)
	case k == reflect.Bool:
		b, ok := raw.(bool)
		if !ok {
			d.typeError(key, t, raw)
			return
		}
		v.SetBool(b)
	case isInt(k) || isUint(k) || k == reflect.Float32 || k == reflect.Float64:
		d.number(key, raw, v)
	case k == reflect.Slice:
		d.sliceValue(key, raw, rv, v, o)
	case k == reflect.Map:
		d.mapValue(key, raw, rv, v, o)
	case k == reflect.Struct:
		if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
			d.typeError(key, t, raw)
			return
		}
		d.object(key, rv, v, o.secret)
	case k == reflect.Pointer:
		d.pointerValue(key, raw, v, o)
	case k == reflect.Interface && t.NumMethod() == 0:
		v.Set(rv)
	default:
		d.bad(key, fmt.Sprintf("has a type (%s) that settings cannot hold", t))
	}
}

// sliceValue decodes the list rv (raw) into a new slice that replaces v.
func (d *decoder) sliceValue(key path, raw any, rv, v reflect.Value, o opts) {
	t := v.Type()
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		d.typeError(key, t, raw)
		return
	}
	out := reflect.MakeSlice(t, rv.Len(), rv.Len())
	for i := range rv.Len() {
		d.value(key, rv.Index(i).Interface(), out.Index(i), o)
	}
	v.Set(out)
}

// mapValue decodes the map rv (raw) into the string-keyed map v, merging
// each entry into the value v already holds for its key.
func (d *decoder) mapValue(key path, raw any, rv, v reflect.Value, o opts) {
	t := v.Type()
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String || t.Key().Kind() != reflect.String {
		d.typeError(key, t, raw)
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, rv.Len()))
	}
	iter := rv.MapRange()
	for iter.Next() {
		e := reflect.New(t.Elem()).Elem()
		if old := v.MapIndex(iter.Key().Convert(t.Key())); old.IsValid() {
			e.Set(old)
		}
		d.value(key.add(iter.Key().String()), iter.Value().Interface(), e, o)
		v.SetMapIndex(iter.Key().Convert(t.Key()), e)
	}
}

// pointerValue decodes raw into a copy of what the pointer v points to.
// The pointer is set only when its value decodes: nil keeps meaning
// "not set" for a value that was refused.
func (d *decoder) pointerValue(key path, raw any, v reflect.Value, o opts) {
	e := reflect.New(v.Type().Elem())
	if !v.IsNil() {
		e.Elem().Set(v.Elem())
	}
	before := len(d.errs)
	d.value(key, raw, e.Elem(), o)
	if len(d.errs) == before {
		v.Set(e)
	}
}

func (d *decoder) duration(key path, raw any, v reflect.Value, o opts) {
	what := "a duration"
	if o.positive {
		what = "a positive duration"
	}
	eg := o.eg
	if eg == "" {
		eg = "15m"
	}
	switch raw.(type) {
	case string, int, int64, float64, uint64, int32, uint32, float32:
	default:
		d.bad(key, fmt.Sprintf("must be %s (write e.g. %s), not %s", what, eg, jsonKind(raw)))
		return
	}
	if s, ok := raw.(string); ok && o.off && strings.EqualFold(s, "off") {
		v.SetInt(-1)
		return
	}
	parse := ParseDuration
	if o.seconds {
		parse = ParseDurationOrSeconds
	}
	dur, err := parse(raw)
	if err == nil && (!o.positive || dur > 0) {
		v.SetInt(int64(dur))
		return
	}
	if o.secret {
		d.bad(key, fmt.Sprintf("is not %s (write e.g. %s)", what, eg))
		return
	}
	d.bad(key, fmt.Sprintf("%s is not %s (write e.g. %s)", quote(fmt.Sprint(raw)), what, eg))
}

// refuse reports an error of a value's own parser, or, for a secret, that
// the value is not valid: a parser's message may quote the value.
func (d *decoder) refuse(key path, o opts, msg string) {
	switch {
	case o.secret:
		msg = secretUnreadable
	case strings.ContainsFunc(msg, unicode.IsControl):
		msg = strconv.Quote(msg) // a parser's message may hold the value as given
	}
	d.bad(key, msg)
}

// typeError says that a setting of type want cannot be raw's kind of
// value, in a config author's words rather than Go's: "must be a whole
// number, not a string".
func (d *decoder) typeError(key path, want reflect.Type, raw any) {
	got := jsonKind(raw)
	msg := fmt.Sprintf("must be %s, not %s", typeName(want), got)
	if want.Kind() == reflect.String && got == "a number" {
		// YAML reads 0123…789 as a number, and a long one loses digits.
		msg += ": quote it (\"…\") so that the config file keeps it as written, digits and all"
	}
	d.bad(key, msg)
}

// number sets the numeric field v from raw, refusing fractions for
// integers and values beyond the field's range.
func (d *decoder) number(key path, raw any, v reflect.Value) {
	want := typeName(v.Type())
	rv := reflect.ValueOf(raw)
	var f float64
	var i int64
	var u uint64
	exact := true // i (or u, when unsigned) holds the value exactly
	unsigned := false
	switch {
	case isInt(rv.Kind()):
		i = rv.Int()
		f = float64(i)
	case isUint(rv.Kind()):
		u, unsigned = rv.Uint(), true
		f = float64(u)
	case rv.Kind() == reflect.Float32 || rv.Kind() == reflect.Float64:
		f = rv.Float()
		exact = false
	default:
		d.typeError(key, v.Type(), raw)
		return
	}
	switch k := v.Kind(); {
	case k == reflect.Float32 || k == reflect.Float64:
		if v.OverflowFloat(f) {
			d.bad(key, fmt.Sprintf("must be %s, not a number beyond its range", want))
			return
		}
		v.SetFloat(f)
	case isInt(k):
		if !exact {
			if f != f || f != float64(int64(f)) || f >= 1<<63 || f < -(1<<63) {
				d.bad(key, fmt.Sprintf("must be %s, not a number with a fraction or beyond its range", want))
				return
			}
			i = int64(f)
		} else if unsigned {
			if u > 1<<63-1 {
				d.bad(key, fmt.Sprintf("must be %s, not a number beyond its range", want))
				return
			}
			i = int64(u)
		}
		if v.OverflowInt(i) {
			d.bad(key, fmt.Sprintf("must be %s, not a number beyond its range", want))
			return
		}
		v.SetInt(i)
	default: // unsigned
		if !exact {
			if f != f || f < 0 || f >= 1<<64 || f != float64(uint64(f)) {
				d.bad(key, fmt.Sprintf("must be %s, not a negative number, one with a fraction or beyond its range", want))
				return
			}
			u = uint64(f)
		} else if !unsigned {
			if i < 0 {
				d.bad(key, fmt.Sprintf("must be %s, not a negative number", want))
				return
			}
			u = uint64(i)
		}
		if v.OverflowUint(u) {
			d.bad(key, fmt.Sprintf("must be %s, not a number beyond its range", want))
			return
		}
		v.SetUint(u)
	}
}

func isInt(k reflect.Kind) bool { return k >= reflect.Int && k <= reflect.Int64 }

func isUint(k reflect.Kind) bool { return k >= reflect.Uint && k <= reflect.Uintptr }

// jsonKind names raw's kind as JSON does: string, number, bool, array,
// object.
func jsonKind(raw any) string {
	switch rv := reflect.ValueOf(raw); {
	case rv.Kind() == reflect.String:
		return "a string"
	case rv.Kind() == reflect.Bool:
		return "a boolean"
	case isInt(rv.Kind()) || isUint(rv.Kind()) || rv.Kind() == reflect.Float32 || rv.Kind() == reflect.Float64:
		return "a number"
	case rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array:
		return "a list"
	case rv.Kind() == reflect.Map || rv.Kind() == reflect.Struct:
		return "a map"
	}
	return fmt.Sprintf("a %T", raw)
}

// typeName names the values a setting of type t holds as a config author
// thinks of them, with its article: "a whole number from 0 to 65535", "a
// list of strings", "a map" (Go's "uint16", "[]string", "struct").
func typeName(t reflect.Type) string {
	if t.Kind() == reflect.Slice {
		return "a list of " + plural(t.Elem())
	}
	return "a " + noun(t)
}

// noun names one value of type t, without an article.
func noun(t reflect.Type) string {
	switch k := t.Kind(); {
	case k == reflect.Pointer:
		return noun(t.Elem())
	case k == reflect.String:
		return "string"
	case k == reflect.Bool:
		return "boolean (true or false)"
	case k == reflect.Float32 || k == reflect.Float64:
		return "number"
	case k == reflect.Int || k == reflect.Int64:
		return "whole number"
	case isInt(k):
		bits := t.Bits()
		return fmt.Sprintf("whole number from %d to %d", -(int64(1) << (bits - 1)), int64(1)<<(bits-1)-1)
	case k == reflect.Uint || k == reflect.Uint64 || k == reflect.Uintptr:
		return "whole number of 0 or more"
	case isUint(k):
		return fmt.Sprintf("whole number from 0 to %d", uint64(1)<<t.Bits()-1)
	case k == reflect.Slice:
		return "list of " + plural(t.Elem())
	case k == reflect.Map || k == reflect.Struct:
		return "map"
	}
	return t.String()
}

// plural names values of type t: "strings", "whole numbers", "lists of
// strings".
func plural(t reflect.Type) string {
	n := noun(t)
	if t.Kind() == reflect.Bool {
		return "booleans"
	}
	first, rest, _ := strings.Cut(n, " ")
	switch first {
	case "whole":
		return "whole numbers" + strings.TrimPrefix(n, "whole number")
	case "list", "map", "string", "number":
		if rest != "" {
			return first + "s " + rest
		}
		return first + "s"
	}
	return n
}

// quote quotes s as Go does, so that control characters cannot forge a
// line of a log, and shortens it: a message names a value, not a
// document.
func quote(s string) string {
	if len(s) > maxQuotedValueLength {
		cut := maxQuotedValueLength
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
