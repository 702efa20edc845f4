package redact

import (
	"bytes"
	"encoding/json"
	"iter"
	"net/url"
	"sync"
)

// HoldsValue reports whether text holds one of values, or a run of at
// least half of one (and at least 8 bytes), in any of the forms
// a [Redactor] recognises for a credential: letter case, hex,
// base64 at every alignment (of the value, of its hex, JSON- and
// URL-escaped forms, and of its base64), JSON, percent, \x and HTML
// escapes. It answers exactly what a redactor built for values would
// find in text, except that it answers true, failing closed, when more
// than [maxConfirms] values come near text without being in it (only a
// text built against the values does that).
//
// It does not encode the values: text is short (a version is at most
// hostfuncs.MaxVersion bytes), so it decodes text instead — each layer of
// escapes, folded to lower case; each run of base64 decoded at its four
// bit alignments, and what those hold decoded again — and looks for a
// run of each value (or of its hex or escaped forms, which only base64
// wraps) long enough to be a match in one of those, through an index of
// their 3-byte windows. The cost is linear in the size of text and
// values, with no table per value. A run found that way is confirmed by
// the redactor for that one value, so the answer is the redactor's. A
// run of half a value can only be in text when the value is at most
// 2*len(text)+1 bytes long: callers may leave longer ones out.
func HoldsValue(text []byte, values [][]byte) bool {
	if len(values) == 0 || len(text) < minGram {
		return false
	}
	ix := indexPool.Get().(*versionIndex)
	defer ix.release()
	ix.build(text)
	confirms := 0
	for _, v := range values {
		switch ix.near(v, &ix.sc) {
		case nearNo:
			continue
		case nearMaybe:
			if confirms++; confirms > maxConfirms {
				return true
			}
			if holdsValueExact(text, v) {
				return true
			}
		}
	}
	return false
}

// maxConfirms bounds how many values HoldsValue hands to a redactor to
// confirm a near match; past it, it answers true.
const maxConfirms = 8

// holdsValueExact reports whether the redactor built for v alone changes
// text: the definition HoldsValue answers.
func holdsValueExact(text, v []byte) bool {
	return !bytes.Equal(New([]string{"value"}, [][]byte{bytes.Clone(v)}).Redact(text), text)
}

// vwin is the width of the version index's windows: no run of a value
// that a form's match implies is shorter (see thresholds).
const vwin = 3

// Kinds of candidate a version decodes to.
const (
	candText   = iota // a layer of the text (escapes undone), folded
	candB64           // a base64 run of a layer, decoded, folded
	candB64B64        // a base64 run of a candB64 candidate, decoded, folded
	numKinds
)

type candidate struct {
	lo, hi int32 // in versionIndex.buf
	kind   uint8
}

// versionIndex holds what a text decodes to and the positions of each of
// its windows. It is reused through indexPool: release clears what it
// held (decoded versions, folded values) before it goes back.
type versionIndex struct {
	buf   []byte
	cands []candidate
	head  []int32 // per bucket: 1 + the last position in it, or 0
	next  []int32 // per position: 1 + the previous one in its bucket, or 0
	shift uint
	// Scratch: base64 runs as sextets and decoded, at both depths.
	sext, raw, sext2, raw2 []byte
	sc                     scratch
}

var indexPool = sync.Pool{New: func() any { return new(versionIndex) }}

func (ix *versionIndex) release() {
	for _, b := range [][]byte{ix.buf, ix.sext, ix.raw, ix.sext2, ix.raw2, ix.sc.folded, ix.sc.hexed, ix.sc.esc} {
		clear(b[:cap(b)])
	}
	indexPool.Put(ix)
}

// build indexes what text decodes to.
func (ix *versionIndex) build(text []byte) {
	ix.buf, ix.cands = ix.buf[:0], ix.cands[:0]
	if want := 16*len(text) + 64; cap(ix.buf) < want {
		ix.buf = make([]byte, 0, want)
	}
	l := &layer{text: text}
	if bytes.IndexByte(text, '\n') >= 0 || bytes.IndexByte(text, '\r') >= 0 {
		l = stripBreaks(l)
	}
	for round := 0; ; round++ {
		t := l.text
		ix.add(t, candText)
		// Base64 forms are compared with the URL alphabet read as the
		// standard one, in runs of base64 characters.
		for run := range b64Runs(t) {
			ix.sext = sextets(run, ix.sext[:0])
			for phase := 0; phase < 8; phase += 2 {
				ix.raw = decodeBits(ix.sext, phase, ix.raw[:0])
				if len(ix.raw) < vwin {
					continue
				}
				ix.add(ix.raw, candB64)
				// The base64 of a base64 form: raw holds its characters.
				for inner := range b64Runs(ix.raw) {
					ix.sext2 = sextets(inner, ix.sext2[:0])
					for p2 := 0; p2 < 8; p2 += 2 {
						ix.raw2 = decodeBits(ix.sext2, p2, ix.raw2[:0])
						ix.add(ix.raw2, candB64B64)
					}
				}
			}
		}
		if round == maxDecodeRounds {
			break
		}
		n, ok := decodeLayer(l)
		if !ok {
			break
		}
		l = n
	}
	bits := uint(8)
	for 1<<bits < 2*len(ix.buf) && bits < 16 {
		bits++
	}
	ix.shift = 32 - bits
	if cap(ix.head) < 1<<bits {
		ix.head = make([]int32, 1<<bits)
	}
	ix.head = ix.head[:1<<bits]
	clear(ix.head)
	if cap(ix.next) < len(ix.buf) {
		ix.next = make([]int32, len(ix.buf))
	}
	ix.next = ix.next[:len(ix.buf)]
	for _, c := range ix.cands {
		for p := c.lo; p+vwin <= c.hi; p++ {
			h := ix.hash(ix.buf[p:])
			ix.next[p] = ix.head[h]
			ix.head[h] = p + 1
		}
	}
}

// add appends b, folded as text forms are, as a candidate of kind.
func (ix *versionIndex) add(b []byte, kind uint8) {
	if len(b) < vwin {
		return
	}
	lo := len(ix.buf)
	for _, c := range b {
		ix.buf = append(ix.buf, foldTab[c])
	}
	ix.cands = append(ix.cands, candidate{int32(lo), int32(len(ix.buf)), kind})
}

func (ix *versionIndex) hash(w []byte) int32 {
	x := uint32(w[0]) | uint32(w[1])<<8 | uint32(w[2])<<16
	return int32((x * 0x9e3779b1) >> ix.shift)
}

// candAt returns the candidate holding position p.
func (ix *versionIndex) candAt(p int32) candidate {
	lo, hi := 0, len(ix.cands)
	for lo < hi {
		m := (lo + hi) / 2
		if ix.cands[m].hi <= p {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return ix.cands[lo]
}

// b64Runs yields the maximal runs of base64 characters in t, either
// alphabet, long enough to hold vwin bytes whole at some phase.
func b64Runs(t []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for i := 0; i < len(t); {
			if sextetOf[t[i]] < 0 {
				i++
				continue
			}
			j := i + 1
			for j < len(t) && sextetOf[t[j]] >= 0 {
				j++
			}
			if 6*(j-i) >= 8*vwin && !yield(t[i:j]) {
				return
			}
			i = j
		}
	}
}

// sextetOf is the 6-bit value of a base64 character of either alphabet,
// or -1.
var sextetOf = func() (tab [256]int8) {
	for i := range tab {
		tab[i] = -1
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range len(alphabet) {
		tab[alphabet[i]] = int8(i)
	}
	tab['-'], tab['_'] = 62, 63
	return tab
}()

// foldTab is foldText as a table.
var foldTab = func() (tab [256]byte) {
	for i := range tab {
		tab[i] = foldText(byte(i))
	}
	return tab
}()

// sextets appends the 6-bit values of the base64 characters in run.
func sextets(run, out []byte) []byte {
	for _, c := range run {
		out = append(out, byte(sextetOf[c]))
	}
	return out
}

// decodeBits appends the whole bytes the bit stream of sext holds from
// bit phase on: a byte of what was encoded starts at an even bit of a
// run, so phases 0, 2, 4 and 6 give every byte it holds whole.
func decodeBits(sext []byte, phase int, out []byte) []byte {
	for bit := phase; bit+8 <= 6*len(sext); bit += 8 {
		i, off := bit/6, bit%6 // off is 0, 2 or 4: two sextets hold the byte
		out = append(out, byte((uint(sext[i])<<6|uint(sext[i+1]))>>(4-off)))
	}
	return out
}

// Answers of versionIndex.near.
const (
	nearNo = iota
	nearMaybe
)

// scratch holds the buffers near reuses from one value to the next.
type scratch struct{ folded, hexed, esc []byte }

// near reports whether text may hold v in a form the redactor knows:
// nearNo when no run long enough for any form's match is in a
// candidate, else nearMaybe.
//
// Each form the redactor knows for v is v itself (as text, folded, or
// within base64, once or twice), v's hex (as text or within base64), or
// an escaped form of v within base64 (a layer of text is unescaped
// already). A match of g characters of a form holds a run of at least t
// bytes of what the form encodes in the candidate its kind decodes to,
// where t is what thresholdsFor computes from the shortest g of that
// form; near looks for those runs.
func (ix *versionIndex) near(v []byte, sc *scratch) int {
	th := thresholdsFor(len(v))
	if th.tooShort {
		return nearMaybe
	}
	if bytes.IndexByte(v, '\n') >= 0 || bytes.IndexByte(v, '\r') >= 0 {
		// The text form drops line breaks; the base64 ones keep them.
		flat := dropBreaks(bytes.Clone(v))
		if len(flat) >= minGram {
			if t := gramOf(len(flat)); t < vwin {
				return nearMaybe
			} else {
				sc.folded = foldInto(sc.folded[:0], flat)
				if ix.scan(sc.folded, [numKinds]int{t, 0, 0}) {
					return nearMaybe
				}
			}
		}
		sc.folded = foldInto(sc.folded[:0], v)
		if ix.scan(sc.folded, [numKinds]int{0, th.b64, th.b64b64}) {
			return nearMaybe
		}
	} else {
		sc.folded = foldInto(sc.folded[:0], v)
		if ix.scan(sc.folded, [numKinds]int{th.text, th.b64, th.b64b64}) {
			return nearMaybe
		}
	}
	sc.hexed = appendHexLower(sc.hexed[:0], v)
	if ix.scan(sc.hexed, [numKinds]int{th.hex, th.b64hex, 0}) {
		return nearMaybe
	}
	// The escaped forms the redactor encodes in base64.
	jf := v // JSON as encoding/json writes it
	if needsJSONEscape(v) {
		j, _ := json.Marshal(string(v))
		jf = j[1 : len(j)-1]
	}
	var forms [4][]byte
	k := 0
	add := func(f []byte) {
		if !bytes.Equal(f, v) {
			forms[k] = f
			k++
		}
	}
	add(jf)
	if bytes.IndexByte(jf, '/') >= 0 {
		add(bytes.ReplaceAll(jf, []byte("/"), []byte(`\/`)))
	}
	if needsURLEscape(v) {
		s := string(v)
		add([]byte(url.QueryEscape(s)))
		add([]byte(url.PathEscape(s)))
	}
	for _, f := range forms[:k] {
		t := b64Threshold(len(f))
		if t > 0 && t < vwin {
			return nearMaybe
		}
		sc.esc = foldInto(sc.esc[:0], f)
		if ix.scan(sc.esc, [numKinds]int{0, t, 0}) {
			return nearMaybe
		}
	}
	return nearNo
}

// needsJSONEscape reports whether encoding/json may write v otherwise.
func needsJSONEscape(v []byte) bool {
	for _, c := range v {
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return true
		}
	}
	return false
}

// needsURLEscape reports whether url.QueryEscape or url.PathEscape may
// change v: it holds a byte outside the unreserved set.
func needsURLEscape(v []byte) bool {
	for _, c := range v {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return true
		}
	}
	return false
}

func foldInto(out, b []byte) []byte {
	for _, c := range b {
		out = append(out, foldTab[c])
	}
	return out
}

func appendHexLower(out, b []byte) []byte {
	const digits = "0123456789abcdef"
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}

// scan reports whether x shares a run with a candidate of a kind k at
// least need[k] bytes long (0: kind not looked at). It probes x every
// stride bytes, where stride fits the shortest run: a run of t bytes
// holds a window starting at a multiple of t-vwin+1.
func (ix *versionIndex) scan(x []byte, need [numKinds]int) bool {
	least := 0
	for _, t := range need {
		if t > 0 && (least == 0 || t < least) {
			least = t
		}
	}
	if least == 0 || len(x) < least {
		return false
	}
	stride := least - vwin + 1
	for i := 0; i+vwin <= len(x); i += stride {
		for p := ix.head[ix.hash(x[i:])] - 1; p >= 0; p = ix.next[p] - 1 {
			b := ix.buf
			if b[p] != x[i] || b[p+1] != x[i+1] || b[p+2] != x[i+2] {
				continue
			}
			c := ix.candAt(p)
			t := need[c.kind]
			if t == 0 {
				continue
			}
			l := 0
			for int(p)-l > int(c.lo) && i-l > 0 && b[int(p)-l-1] == x[i-l-1] {
				l++
			}
			r := vwin
			for int(p)+r < int(c.hi) && i+r < len(x) && b[int(p)+r] == x[i+r] {
				r++
			}
			if l+r >= t {
				return true
			}
		}
	}
	return false
}

// thresholds are, for a value of some length, the shortest run of it (or
// of its hex) that a match of each kind of form implies in the candidate
// that kind decodes to; 0 when the redactor has no form of that kind.
type thresholds struct {
	text, hex, b64, b64hex, b64b64 int
	// tooShort: some threshold is under vwin; such a value goes to the
	// redactor directly (values under MinLen only).
	tooShort bool
}

func thresholdsFor(n int) thresholds {
	if n < len(thresholdTable()) {
		return thresholdTable()[n]
	}
	return computeThresholds(n)
}

// tabledVersion is the longest version whose checks thresholdTable
// serves: hostfuncs.MaxVersion. Longer ones compute their thresholds.
const tabledVersion = 256

// thresholdTable holds the thresholds of the lengths a caller checking a
// version passes (up to 2*tabledVersion+1 bytes).
var thresholdTable = sync.OnceValue(func() []thresholds {
	t := make([]thresholds, 2*tabledVersion+2)
	for n := range t {
		t[n] = computeThresholds(n)
	}
	return t
})

func computeThresholds(n int) thresholds {
	var th thresholds
	if n >= minGram {
		th.text = gramOf(n) // text forms: the value, folded (line breaks aside)
	}
	if 2*n >= minGram {
		th.hex = gramOf(2 * n)
	}
	th.b64 = b64Threshold(n)
	th.b64hex = b64Threshold(2 * n)
	// base64 of base64: a match of g outer characters holds
	// minBytes(g) inner characters whole, which hold minBytes of that
	// bytes of the value whole.
	g := 0
	for a := range 3 {
		in := coreLen(n, a)
		for a2 := range 3 {
			if c := coreLen(in, a2); c >= minGram && (g == 0 || gramOf(c) < g) {
				g = gramOf(c)
			}
		}
	}
	if g > 0 {
		th.b64b64 = minBytes(minBytes(g))
	}
	for _, t := range []int{th.text, th.hex, th.b64, th.b64hex, th.b64b64} {
		if t > 0 && t < vwin {
			th.tooShort = true
		}
	}
	return th
}

// gramOf is the shortest run of a form of n bytes the redactor matches.
func gramOf(n int) int { return max(minGram, (n+1)/2) }

// b64Threshold is the shortest run of an n-byte text whose base64 form
// (at any alignment the redactor has one for) a match can hold.
func b64Threshold(n int) int {
	g := 0
	for a := range 3 {
		if c := coreLen(n, a); c >= minGram && (g == 0 || gramOf(c) < g) {
			g = gramOf(c)
		}
	}
	if g == 0 {
		return 0
	}
	return minBytes(g)
}

// coreLen is the length of b64Core of n bytes behind a prefix of a.
func coreLen(n, a int) int {
	in := a + n
	enc := (8*in + 5) / 6
	lead := [3]int{0, 2, 3}[a]
	drop := 0
	if in%3 != 0 {
		drop = 1
	}
	return max(0, enc-drop-lead)
}

// minBytes is the fewest whole bytes k consecutive base64 characters
// hold, over the four places a run can start in a group.
func minBytes(k int) int {
	least := k
	for c := range 4 {
		lo, hi := 6*c, 6*c+6*k
		least = min(least, hi/8-(lo+7)/8)
	}
	return least
}
