//go:build !windows

package main

// runService reports false: only Windows has a service manager that
// starts latchkey itself (systemd runs it as a plain process).
func runService([]string) (int, bool) { return 0, false }
