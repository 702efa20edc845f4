//go:build windows

package fileperm

// checked is false: a Windows file's access is its ACL, not its mode.
const checked = false
