// Package priv is internal: its names do not count.
package priv

type Internal struct{ Field int }

func Medium() {
	_ = 1
	_ = 2
	_ = 3
	_ = 4
}

type Options struct {
	Exported int
	hidden   int
}

func (Options) Do() {}

func (Options) unexported() {}
