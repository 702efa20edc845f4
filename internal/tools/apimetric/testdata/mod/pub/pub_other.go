//go:build !unix

package pub

func OS() string { return "other" }
