// Package mask replaces secret values in a byte stream with a marker, even
// when a value is split across writes, for `latchkey exec --mask`.
package mask

import (
	"bytes"
	"io"
	"sort"
	"sync"
)

// Marker replaces each secret occurrence.
const Marker = "<concealed by latchkey>"

// MinLen is the shortest value masked: shorter values would match ordinary
// output everywhere and garble it. (Documented in the README.)
const MinLen = 3

// Writer masks secrets written through it to an underlying writer. Bytes
// that could be the start of a secret are held back until the next Write
// shows otherwise, or until Flush. It is safe for concurrent use.
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	secrets [][]byte // longest first, so the longest match wins
	held    []byte
	out     []byte
}

// NewWriter returns a Writer that masks each of secrets (values shorter
// than MinLen are ignored) on its way to w.
func NewWriter(w io.Writer, secrets [][]byte) *Writer {
	var s [][]byte
	for _, v := range secrets {
		if len(v) >= MinLen {
			s = append(s, append([]byte(nil), v...))
		}
	}
	sort.Slice(s, func(i, j int) bool { return len(s[i]) > len(s[j]) })
	return &Writer{w: w, secrets: s}
}

// Write masks p and writes what is certain not to be part of a secret. It
// reports len(p) on success, as if all of p were written.
func (m *Writer) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.held = append(m.held, p...)
	if err := m.emit(false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes the bytes held back, masking any secret among them: at the
// end of the stream they cannot grow into a longer secret any more.
func (m *Writer) Flush() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.emit(true)
}

// emit masks the held bytes and writes them, keeping back (unless final) the
// tail that could still grow into a secret. The hold comes before any match,
// so that a secret that is a prefix of a longer one never wins while the
// longer one is still possible: masking the short one would print the rest
// of the long one.
func (m *Writer) emit(final bool) error {
	m.out = m.out[:0]
	i := 0
scan:
	for i < len(m.held) {
		rest := m.held[i:]
		if !final {
			for _, s := range m.secrets {
				if len(rest) < len(s) && bytes.HasPrefix(s, rest) {
					break scan // could be a secret cut by the write boundary
				}
			}
		}
		for _, s := range m.secrets {
			if bytes.HasPrefix(rest, s) {
				m.out = append(m.out, Marker...)
				i += len(s)
				continue scan
			}
		}
		m.out = append(m.out, m.held[i])
		i++
	}
	m.held = append(m.held[:0], m.held[i:]...)
	if len(m.out) == 0 {
		return nil
	}
	_, err := m.w.Write(m.out)
	return err
}
