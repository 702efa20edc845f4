// Package pub is public: it counts.
package pub

import "io"

// Exported: the const, the var pair's exported half, the type, its two
// exported fields (one embedded), its exported method.
const Answer = 42

var Exported, unexported = 1, 2

type T struct {
	Name  string
	inner int
	io.Reader
}

func (T) Method() int {
	return 1
}

func (T) method() {}

type hidden struct{ Field int }

func (hidden) Visible() {}

// I adds I and I.Do (the embedded io.Closer adds nothing).
type I interface {
	Do()
	io.Closer
	private()
}

func Long() {
	_ = 1
	_ = 2
	_ = 3
}
