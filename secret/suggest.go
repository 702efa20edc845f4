package secret

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Suggest returns the candidate closest to word — one or two typos away
// (a character added, dropped, changed, or two swapped), ignoring case —
// or "" when none is that close. Config loaders use it to answer an unknown
// key with "did you mean …?".
func Suggest(word string, candidates []string) string {
	best, bestDist := "", 3
	lw := strings.ToLower(word)
	for _, c := range candidates {
		d := osaDistance(lw, strings.ToLower(c))
		// Short words need a closer match: "ttl" is not a typo of "tls".
		if limit := min(2, max(1, len(c)/3)); d <= limit && d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean returns ` (did you mean "x"?)`, or "" when nothing is close.
func didYouMean(word string, candidates []string) string {
	if s := Suggest(word, candidates); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// jsonFields returns the JSON names of the fields of the struct dst points
// to, sorted; nil when dst is not a pointer to a struct.
func jsonFields(dst any) []string {
	t := reflect.TypeOf(dst)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	out := structFields(t.Elem())
	sort.Strings(out)
	return out
}

// structFields lists the JSON names of t's fields, with those of embedded
// structs promoted as encoding/json promotes them.
func structFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, structFields(ft)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}
