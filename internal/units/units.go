// Package units holds the value types every subsystem's settings share:
// [Duration] and [Size], read from the forms the docs accept ("10s",
// "500ms"; "64MiB", "4096"). It is a leaf: config, server, cache, audit,
// protect and the store types import it, and it imports none of them, so a
// subsystem decodes its own section without depending on package config.
//
// The functions return a plain error saying what the value is not; the
// caller names the key and says what to write, as each section's messages
// are its own (docs/config.md documents them). [UnknownKey] is the one
// message every section gives a key it does not know.
//
// [Decode] copies a settings map into a tagged struct strictly, so that a
// subsystem or a store type declares its settings once, as the struct it
// uses, instead of walking the map key by key.
//
// It imports nothing of the project, so that package secret can decode a
// store's settings with it.
package units

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a length of time written as Go writes one ("30s", "2m",
// "500ms"). Its zero value means "not set": each section documents its
// default.
type Duration time.Duration

// Std returns d as a [time.Duration].
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String returns d as Go writes a duration ("1m30s").
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes d as [Duration.String] does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a duration string such as "10s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// UnmarshalJSON reads a JSON string holding a duration ("10s"); a bare
// number is refused, since it would not say its unit.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%s is not a duration string such as \"10s\"", b)
	}
	return d.UnmarshalText([]byte(s))
}

// ParseDuration reads a duration as [time.ParseDuration] does; a value
// that is not a string (a number read from YAML) is read as its printed
// form, so 30 is refused for want of a unit.
func ParseDuration(v any) (time.Duration, error) {
	s, ok := v.(string)
	if !ok {
		s = fmt.Sprint(v)
	}
	return time.ParseDuration(s)
}

// ParseDurationOrSeconds reads a duration as [ParseDuration] does, or a
// whole number of seconds (30, or "30"): the cache section's spelling. A
// negative value is refused.
func ParseDurationOrSeconds(v any) (time.Duration, error) {
	if s, ok := v.(string); ok {
		if d, err := time.ParseDuration(s); err == nil {
			if d < 0 {
				return 0, fmt.Errorf("%q is negative", s)
			}
			return d, nil
		}
	}
	if n, ok := Int(v); ok && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	return 0, fmt.Errorf("%v is not a duration or a whole number of seconds", v)
}

// Size is a number of bytes, written as a whole number or with a binary
// unit: B, KiB, MiB or GiB ("64MiB").
type Size int64

// UnmarshalJSON reads a number of bytes or a string with a unit.
func (s *Size) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	n, err := ParseSize(v)
	if err != nil {
		return err
	}
	*s = Size(n)
	return nil
}

// UnmarshalText reads a number of bytes, with or without a unit.
func (s *Size) UnmarshalText(b []byte) error {
	n, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*s = Size(n)
	return nil
}

var errSize = errors.New("not a size: write a whole number of bytes or one with KiB, MiB or GiB")

// ParseSize reads a whole number of bytes (4096, "4096") or a number with
// a binary unit ("64MiB", "1 GiB", "512B"). Negative sizes and sizes
// beyond int64 are refused.
func ParseSize(v any) (int64, error) {
	if n, ok := Int(v); ok {
		if n < 0 {
			return 0, errSize
		}
		return int64(n), nil
	}
	s, ok := v.(string)
	if !ok {
		return 0, errSize
	}
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
			if err != nil || n < 0 || n > math.MaxInt64/u.mult {
				return 0, errSize
			}
			return n * u.mult, nil
		}
	}
	return 0, errSize
}

// Int reads a whole number from a decoded config value: an int, an int64,
// a float64 without a fraction (as JSON decodes numbers) or a string of
// decimal digits written without padding ("30", not "030" or " 30").
func Int(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		return int(n), float64(int(n)) == n
	case string:
		var i int
		_, err := fmt.Sscanf(n, "%d", &i)
		return i, err == nil && fmt.Sprint(i) == n
	}
	return 0, false
}

// Bool reads true or false from a decoded config value: a bool, or a
// string [strconv.ParseBool] reads ("true", "0").
func Bool(v any) (bool, bool) {
	switch b := v.(type) {
	case bool:
		return b, true
	case string:
		p, err := strconv.ParseBool(b)
		return p, err == nil
	}
	return false, false
}

// UnknownKey is the message for a key that is not one of known:
// "unknown key (known: a, b)", with ": did you mean "x"?" when word (the
// key's last segment) is a typo of one of them. The suggestion is made
// here, where the message is built, so that no caller has to read it back
// out of a message.
func UnknownKey(word string, known []string) string {
	msg := "unknown key (known: " + strings.Join(known, ", ") + ")"
	if s := Suggest(word, known); s != "" {
		msg += fmt.Sprintf(": did you mean %q?", s)
	}
	return msg
}
