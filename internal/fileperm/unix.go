//go:build !windows

package fileperm

// checked is true: the mode's group and other bits are the access check.
const checked = true
