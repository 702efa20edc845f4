package latchkey

// Level is a log record's severity, with the values of log/slog.
type Level int32

// Levels accepted by [Log].
const (
	LevelDebug Level = -4
	LevelInfo  Level = 0
	LevelWarn  Level = 4
	LevelError Level = 8
)

// Log sends msg to the host's logger at level, attributed to the module.
// The host caps the bytes logged per call and drops the rest. Never log a
// secret value.
func Log(level Level, msg string) {
	logWrite(int32(level), msg)
}
