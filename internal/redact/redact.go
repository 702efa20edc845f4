package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// The redactor finds credential values in text a server sent back, in the
// encodings a server plausibly wraps an echo in, and blanks them out. It
// normalises, then matches:
//
//   - Normalise. The text is examined as it is and after each of up to
//     [maxDecodeRounds] rounds of decoding JSON string escapes (\/, \", \\,
//     \uXXXX with surrogate pairs, …), \xHH escapes, percent-encoding (any
//     letter case, any subset of the bytes) and HTML character references
//     (&#NN;, &#xHH;, &amp; …). Line breaks are ignored throughout (MIME
//     and PEM wrap base64 in lines). Every byte examined remembers the span
//     of the original text it came from, so a match is blanked out of the
//     original, escapes and all.
//   - Text forms are compared with the text folded to lower case, '+' read
//     as a space (form encoding): the value itself in any letter case, and
//     its hex form in either case.
//   - Base64 forms are compared with the URL alphabet read as the standard
//     one (so padded, unpadded, standard and URL-safe text look alike).
//     Behind a prefix of 0, 1 or 2 bytes the encoding of a value has three
//     alignments; for each, the characters that depend on the value alone
//     (the "core") are precomputed, for the value and for its hex, JSON-
//     and URL-escaped forms (a server may base64 a JSON document that holds
//     it, as a JWT does), and for the base64 of its base64 (a server that
//     base64s a Basic authorization header). A match is widened to the
//     whole run of base64 characters around it and its padding, since the
//     characters at a core's edges hold some of the value's bits mixed
//     with the neighbours'.
//   - Truncated echoes. Each form matches not only whole but as any run of
//     at least half its length (and at least [minGram] bytes): a server
//     that quotes a header cut to a fixed width, after a prefix the guest
//     chose, shows a prefix of the value whose length the guest chooses.
//     At most a run shorter than half of a form can go unseen.
//   - Exactly, in one pass per kind of form. Every [window]-byte window of
//     every form is in a table. A run of at least g bytes contains a window
//     starting at a multiple of g-window+1, so the text is probed only
//     there (one load, fold and hash per probe; most probes end at a
//     bit-set test); a hit is extended both ways as far as it agrees with
//     the form.

// MinLen is the shortest value a [Redactor] blanks out, and the shortest
// run of a form it recognises.
const MinLen = minGram

const (
	// maxDecodeRounds bounds nested escapes: %5Cu0041 is two layers.
	maxDecodeRounds = 3
	// minGram is the shortest run of a form that is blanked out.
	minGram = 8
	// window is the width of the tables' windows: narrower windows let
	// probes be further apart (g-window+1), at the cost of more hits on
	// the bit set that the window map then turns down.
	window = 4
	// filterBits sizes the bit set in front of the window table.
	filterBits = 1 << 16
)

// Redactor holds the precomputed forms of a set of credentials. It is
// immutable and safe for concurrent use.
type Redactor struct {
	labels [][]byte
	tables [2]table // 0: text forms, 1: base64 forms
}

// form is one encoded form of a value, already folded.
type form struct {
	b     []byte
	gram  int // the shortest run blanked out
	label int // index into labels
}

// table finds forms by their windows.
type table struct {
	filter  [filterBits / 64]uint64
	windows map[uint64][]ref
	forms   []*form
	stride  int // distance between probes: the shortest gram, less window, plus 1
}

type ref struct {
	f   *form
	off int // where the window starts in f.b
}

func hash(x uint64) uint64 { return (x * 0x9e3779b97f4a7c15) >> (64 - 16) }

func (t *table) add(f *form) {
	for _, g := range t.forms {
		if bytes.Equal(g.b, f.b) {
			return
		}
	}
	t.forms = append(t.forms, f)
	if t.windows == nil {
		t.windows, t.stride = map[uint64][]ref{}, 1<<30
	}
	t.stride = min(t.stride, f.gram-window+1)
	for o := 0; o+window <= len(f.b); o++ {
		w := uint64(binary.LittleEndian.Uint32(f.b[o:]))
		t.windows[w] = append(t.windows[w], ref{f, o})
		h := hash(w)
		t.filter[h/64] |= 1 << (h % 64)
	}
}

func (t *table) has(w uint64) bool {
	h := hash(w)
	return t.filter[h/64]&(1<<(h%64)) != 0
}

// foldText is the fold of text forms: ASCII lower case, '+' as a space.
func foldText(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c + 'a' - 'A'
	case c == '+':
		return ' '
	}
	return c
}

// foldB64 is the fold of base64 forms: the URL alphabet as the standard
// one.
func foldB64(c byte) byte {
	switch c {
	case '-':
		return '+'
	case '_':
		return '/'
	}
	return c
}

var folds = [2]func(byte) byte{foldText, foldB64}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// eqMask has 0x80 in each byte of x equal to c, and 0 elsewhere.
func eqMask(x uint64, c byte) uint64 {
	y := x ^ (ones * uint64(c))
	return ^((y&^highs + ^uint64(highs)) | y | ^uint64(highs)) & highs
}

// fold8Text is foldText on eight bytes at once.
func fold8Text(x uint64) uint64 {
	// Bytes in 'A'..'Z': at least 'A' and not above 'Z', high bit clear.
	low := x &^ highs
	geA := low + ones*(0x80-'A')
	gtZ := low + ones*(0x80-'Z'-1)
	upper := geA &^ gtZ &^ x & highs
	x |= upper >> 2
	return x ^ (eqMask(x, '+')>>7)*('+'^' ')
}

// fold8B64 is foldB64 on eight bytes at once.
func fold8B64(x uint64) uint64 {
	return x ^ (eqMask(x, '-')>>7)*('-'^'+') ^ (eqMask(x, '_')>>7)*('_'^'/')
}

func isB64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_'
}

// New precomputes the forms of values, labelled by names (sorted
// by the caller: where spans of two values cover the same text, the first
// one's label wins). Values shorter than [MinLen] are not redacted.
func New(names []string, values [][]byte) *Redactor {
	r := &Redactor{}
	add := func(t int, b []byte, label int) {
		b = dropBreaks(b) // line breaks are ignored
		for i, c := range b {
			b[i] = folds[t](c)
		}
		if len(b) < minGram {
			return // only values of MinLen or more are redacted
		}
		r.tables[t].add(&form{b: b, gram: max(minGram, (len(b)+1)/2), label: label})
	}
	for i, v := range values {
		r.labels = append(r.labels, []byte("[REDACTED:"+names[i]+"]"))
		add(0, bytes.Clone(v), i)
		add(0, []byte(hex.EncodeToString(v)), i)
		// Text forms a server may base64: the value, its hex, its escapes.
		j, _ := json.Marshal(string(v))
		jsonForm := j[1 : len(j)-1]
		texts := [][]byte{v, []byte(hex.EncodeToString(v)), []byte(strings.ToUpper(hex.EncodeToString(v))),
			jsonForm, bytes.ReplaceAll(jsonForm, []byte("/"), []byte(`\/`)),
			[]byte(url.QueryEscape(string(v))), []byte(url.PathEscape(string(v)))}
		for _, t := range texts {
			for a := range 3 {
				add(1, b64Core(t, a), i)
			}
		}
		// base64 of base64: a server that base64s a header which already
		// was (Basic auth, a value sent with the |base64 filter). The inner
		// core is what the value alone fixes, in either alphabet.
		for a := range 3 {
			inner := b64Core(v, a)
			for _, alpha := range [][]byte{inner, urlAlphabet(inner)} {
				for a2 := range 3 {
					add(1, b64Core(alpha, a2), i)
				}
			}
		}
	}
	return r
}

// urlAlphabet returns standard base64 text in the URL alphabet.
func urlAlphabet(b []byte) []byte {
	out := bytes.Clone(b)
	for i, c := range out {
		switch c {
		case '+':
			out[i] = '-'
		case '/':
			out[i] = '_'
		}
	}
	return out
}

// b64Core returns the characters of the standard base64 encoding of t,
// behind a prefix of a bytes, that depend on t alone: not on the prefix,
// nor on what follows t.
func b64Core(t []byte, a int) []byte {
	in := append(make([]byte, a), t...)
	enc := base64.RawStdEncoding.EncodeToString(in)
	lead := [3]int{0, 2, 3}[a] // characters that hold prefix bits
	drop := 0
	if len(in)%3 != 0 {
		drop = 1 // the last character holds bits of what follows
	}
	if len(enc)-drop <= lead {
		return nil
	}
	return []byte(enc[lead : len(enc)-drop])
}

// span is a range of the original text to blank out, with its label.
type span struct {
	lo, hi int
	label  int
	// score ranks matches for the label: the share of its form a match
	// covers, then its length (before any widening).
	score [2]int
}

func better(a, b [2]int) bool { return a[0] > b[0] || a[0] == b[0] && a[1] > b[1] }

// layer is a view of the original text: itself, or decoded, or without
// line breaks. edits say where its bytes differ from the layer below.
type layer struct {
	text  []byte
	below *layer
	edits []edit // sorted by at
}

// edit says that text[at:at+n] stands for below.text[from:from+m].
type edit struct{ at, n, from, m int32 }

// orig maps text[i:j] of l to the range of the original text it stands
// for.
func (l *layer) orig(i, j int) (int, int) {
	for ; l.below != nil; l = l.below {
		i, j = l.mapIndex(i, false), l.mapIndex(j-1, true)
	}
	return i, j
}

// mapIndex maps byte i of l to the start (end: the end) of what it stands
// for in the layer below.
func (l *layer) mapIndex(i int, end bool) int {
	k := sort.Search(len(l.edits), func(k int) bool { return int(l.edits[k].at) > i }) - 1
	delta := 0
	if k >= 0 {
		e := l.edits[k]
		if i < int(e.at+e.n) {
			if end {
				return int(e.from + e.m)
			}
			return int(e.from)
		}
		delta = int(e.from+e.m) - int(e.at+e.n)
	}
	if end {
		return i + delta + 1
	}
	return i + delta
}

// Redact returns b with every form of every credential blanked out, or b
// itself when nothing matched.
func (r *Redactor) Redact(b []byte) []byte {
	if r == nil || len(r.labels) == 0 || len(b) < minGram {
		return b
	}
	var spans []span
	l := &layer{text: b}
	if bytes.IndexByte(b, '\n') >= 0 || bytes.IndexByte(b, '\r') >= 0 {
		l = stripBreaks(l)
	}
	for round := 0; ; round++ {
		spans = r.match(l, spans)
		if round == maxDecodeRounds {
			break
		}
		next, ok := decodeLayer(l)
		if !ok {
			break
		}
		l = next
	}
	if len(spans) == 0 {
		return b
	}
	slices.SortStableFunc(spans, func(x, y span) int { return x.lo - y.lo })
	out := make([]byte, 0, len(b))
	at := 0
	for i := 0; i < len(spans); {
		lo, hi, label, best := spans[i].lo, spans[i].hi, spans[i].label, spans[i].score
		// Overlapping spans merge, under the label of the longest match.
		for i++; i < len(spans) && spans[i].lo <= hi; i++ {
			hi = max(hi, spans[i].hi)
			if better(spans[i].score, best) {
				label, best = spans[i].label, spans[i].score
			}
		}
		lo = max(lo, at)
		out = append(out, b[at:lo]...)
		out = append(out, r.labels[label]...)
		at = hi
	}
	return append(out, b[at:]...)
}

// match probes l's text at each table's stride and extends every hit.
func (r *Redactor) match(l *layer, spans []span) []span {
	text := l.text
	for t := range r.tables {
		tb := &r.tables[t]
		if len(tb.forms) == 0 {
			continue
		}
		for p := 0; p+window <= len(text); p += tb.stride {
			x := uint64(binary.LittleEndian.Uint32(text[p:]))
			var w uint64
			if t == 0 {
				w = fold8Text(x)
			} else {
				w = fold8B64(x)
			}
			if !tb.has(w) {
				continue
			}
			for _, rf := range tb.windows[w] {
				i, j, ok := extend(text, p, rf, folds[t])
				if !ok {
					continue
				}
				score := [2]int{(j - i) << 16 / len(rf.f.b), j - i}
				if t == 1 {
					// Widen to the whole base64 run and its padding: the
					// characters at a core's edges share bits with the
					// value (two of them when it was encoded twice).
					for i > 0 && isB64(text[i-1]) {
						i--
					}
					for j < len(text) && isB64(text[j]) {
						j++
					}
					for n := 0; n < 2 && j < len(text) && text[j] == '='; n++ {
						j++
					}
				}
				lo, hi := l.orig(i, j)
				spans = append(spans, span{lo, hi, rf.f.label, score})
			}
		}
	}
	return spans
}

// extend grows the window hit at text[p:] both ways as far as it agrees
// with its form, and reports the run when it is long enough.
func extend(text []byte, p int, rf ref, fold func(byte) byte) (int, int, bool) {
	f, o := rf.f, rf.off
	left := 0
	for p-left > 0 && o-left > 0 && fold(text[p-left-1]) == f.b[o-left-1] {
		left++
	}
	right := window
	for p+right < len(text) && o+right < len(f.b) && fold(text[p+right]) == f.b[o+right] {
		right++
	}
	return p - left, p + right, left+right >= f.gram
}

// stripBreaks returns l without its CR and LF bytes.
func stripBreaks(l *layer) *layer {
	out := &layer{text: make([]byte, 0, len(l.text)), below: l}
	src := l.text
	for i := 0; i < len(src); {
		k := bytes.IndexAny(src[i:], "\r\n")
		if k < 0 {
			out.text = append(out.text, src[i:]...)
			break
		}
		out.text = append(out.text, src[i:i+k]...)
		i += k
		n := 0
		for i+n < len(src) && (src[i+n] == '\r' || src[i+n] == '\n') {
			n++
		}
		out.edits = append(out.edits, edit{at: int32(len(out.text)), n: 0, from: int32(i), m: int32(n)})
		i += n
	}
	return out
}

// dropBreaks removes CR and LF bytes from b, in place.
func dropBreaks(b []byte) []byte {
	out := b[:0]
	for _, c := range b {
		if c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return out
}

// nextEscape returns the index of the first '\\', '%' or '&' in s at or
// after i, or len(s). next caches where each of them next occurs.
func nextEscape(s []byte, i int, next *[3]int) int {
	best := len(s)
	for k, c := range [3]byte{'\\', '%', '&'} {
		if next[k] < i {
			if j := bytes.IndexByte(s[i:], c); j >= 0 {
				next[k] = i + j
			} else {
				next[k] = len(s)
			}
		}
		best = min(best, next[k])
	}
	return best
}

// decodeLayer undoes one layer of escapes in l, or reports false when l
// holds none. Line breaks an escape decodes to are dropped.
func decodeLayer(l *layer) (*layer, bool) {
	src := l.text
	// Locals, not fields of a heap object, while the loop appends: no
	// write barrier per escape.
	var (
		text  []byte
		edits []edit
		rb    [2 * utf8.UTFMax]byte
	)
	next := [3]int{-1, -1, -1}
	copied := 0 // src[:copied] is in text or stands for an edit
	for i := nextEscape(src, 0, &next); i < len(src); i = nextEscape(src, i, &next) {
		b, n := unescape1(src[i:], rb[:0])
		if n == 0 {
			i++
			continue
		}
		if text == nil {
			text = make([]byte, 0, len(src))
			edits = make([]edit, 0, bytes.Count(src[i:], []byte{src[i]})+16)
		}
		text = append(text, src[copied:i]...)
		b = dropBreaks(b)
		edits = append(edits, edit{at: int32(len(text)), n: int32(len(b)), from: int32(i), m: int32(n)})
		text = append(text, b...)
		i += n
		copied = i
	}
	if text == nil {
		return nil, false
	}
	return &layer{text: append(text, src[copied:]...), below: l, edits: edits}, true
}

// unescape1 decodes the escape at the start of s into buf, returning the
// bytes and the length of the escape, or n == 0 when s starts with none.
func unescape1(s, buf []byte) ([]byte, int) {
	if len(s) < 2 {
		return nil, 0
	}
	switch s[0] {
	case '%':
		if len(s) >= 3 {
			if v, ok := hexByte(s[1], s[2]); ok {
				return append(buf, v), 3
			}
		}
	case '\\':
		return unescapeBackslash(s, buf)
	case '&':
		return unescapeEntity(s, buf)
	}
	return nil, 0
}

// unescapeBackslash decodes the backslash escape at the start of s (at
// least two bytes) as unescape1 does: \uXXXX (a UTF-16 surrogate pair
// when two follow each other), \xXX, and JSON's and C's one-letter
// escapes.
func unescapeBackslash(s, buf []byte) ([]byte, int) {
	switch c := s[1]; c {
	case 'u', 'U':
		cp, ok := hex4(s[2:])
		if !ok {
			return nil, 0
		}
		n := 6
		if cp >= 0xd800 && cp < 0xdc00 && len(s) >= 12 && s[6] == '\\' && (s[7] == 'u' || s[7] == 'U') {
			if lo, ok := hex4(s[8:]); ok && lo >= 0xdc00 && lo < 0xe000 {
				cp, n = 0x10000+(cp-0xd800)<<10+(lo-0xdc00), 12
			}
		}
		return utf8.AppendRune(buf, rune(cp)), n
	case 'x', 'X':
		if len(s) >= 4 {
			if v, ok := hexByte(s[2], s[3]); ok {
				return append(buf, v), 4
			}
		}
	case '/', '"', '\\', '\'':
		return append(buf, c), 2
	case 'b':
		return append(buf, '\b'), 2
	case 'f':
		return append(buf, '\f'), 2
	case 'n':
		return append(buf, '\n'), 2
	case 'r':
		return append(buf, '\r'), 2
	case 't':
		return append(buf, '\t'), 2
	}
	return nil, 0
}

// unescapeEntity decodes the HTML character reference at the start of s
// (at least two bytes) as unescape1 does: the five named ones of XML, and
// decimal or hexadecimal numeric ones.
func unescapeEntity(s, buf []byte) ([]byte, int) {
	end := bytes.IndexByte(s[:min(len(s), 12)], ';')
	if end < 2 {
		return nil, 0
	}
	ref := s[1:end]
	switch string(ref) {
	case "amp":
		return append(buf, '&'), end + 1
	case "lt":
		return append(buf, '<'), end + 1
	case "gt":
		return append(buf, '>'), end + 1
	case "quot":
		return append(buf, '"'), end + 1
	case "apos":
		return append(buf, '\''), end + 1
	}
	if ref[0] != '#' || len(ref) < 2 {
		return nil, 0
	}
	cp, base, digits := 0, 10, ref[1:]
	if digits[0] == 'x' || digits[0] == 'X' {
		base, digits = 16, digits[1:]
	}
	if len(digits) == 0 {
		return nil, 0
	}
	for _, c := range digits {
		d, ok := digit(c, base)
		if !ok {
			return nil, 0
		}
		cp = cp*base + d
	}
	if cp > utf8.MaxRune {
		return nil, 0
	}
	return utf8.AppendRune(buf, rune(cp)), end + 1
}

func digit(c byte, base int) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case base == 16 && c >= 'a' && c <= 'f':
		return int(c-'a') + 10, true
	case base == 16 && c >= 'A' && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}

func hexByte(a, b byte) (byte, bool) {
	x, ok1 := digit(a, 16)
	y, ok2 := digit(b, 16)
	return byte(x<<4 | y), ok1 && ok2
}

func hex4(s []byte) (int, bool) {
	if len(s) < 4 {
		return 0, false
	}
	v := 0
	for _, c := range s[:4] {
		d, ok := digit(c, 16)
		if !ok {
			return 0, false
		}
		v = v<<4 | d
	}
	return v, true
}
