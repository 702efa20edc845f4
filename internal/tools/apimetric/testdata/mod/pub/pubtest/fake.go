// Package pubtest is a test fake: public, but its functions are not
// ranked.
package pubtest

func Fake() {
	_ = 1
	_ = 2
	_ = 3
	_ = 4
	_ = 5
	_ = 6
	_ = 7
	_ = 8
}
