package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/internal/fileperm"
	"github.com/latchkey/latchkey/internal/safefile"
)

// Options configures a [Log]. The zero value is a best-effort log that
// discards its own diagnostics.
type Options struct {
	// Required makes a resolution fail when any of its records cannot be
	// written (fail closed). Otherwise a failed write is only reported.
	Required bool
	// Logger receives a record of every failed write (never a value); nil
	// discards them.
	Logger *slog.Logger
	// Now returns the time records carry; nil means time.Now.
	Now func() time.Time
}

// Log writes audit records, one JSON line each. Its methods may be called
// concurrently; each record is written with one write call, so lines from
// concurrent resolutions never interleave.
type Log struct {
	opts Options
	log  *slog.Logger
	path string // "" for a writer that cannot be reopened

	mu     sync.Mutex
	w      io.Writer
	closer io.Closer // the open file, or nil

	// lastFailure is when a write last failed (Unix nanoseconds, 0:
	// never), so that a required log fails every resolution that was under
	// way when its own records could not be written.
	lastFailure atomic.Int64
	failures    atomic.Int64
}

// FileMode is the mode a new audit file is created with: the records name
// callers, workflows and secrets, which is for the operator alone.
const FileMode fs.FileMode = 0o600

// Open opens (creating it 0600 if needed) the file at path for appending.
// It refuses a symbolic link, a directory, and a file that anyone may
// write (its records could be forged), each with an error naming the path.
func Open(path string, opts Options) (*Log, error) {
	l := newLog(opts)
	l.path = path
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	l.w, l.closer = f, f
	return l, nil
}

// New returns a Log that writes to w (stderr, say). [Log.Reopen] does
// nothing for it and Close does not close w.
func New(w io.Writer, opts Options) *Log {
	l := newLog(opts)
	l.w = w
	return l
}

func newLog(opts Options) *Log {
	l := &Log{opts: opts, log: opts.Logger}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.opts.Now == nil {
		l.opts.Now = time.Now
	}
	return l
}

func openFile(path string) (*os.File, error) {
	if path == "" {
		return nil, errors.New("audit log: empty path")
	}
	// Non-blocking, no symbolic link, fstat'ed: a FIFO, socket, device or
	// directory planted at the path is refused instead of hanging the
	// agent's start or its SIGHUP reload.
	f, st, err := safefile.OpenAppend(path, FileMode)
	if err != nil {
		var se *safefile.Error
		if errors.As(err, &se) {
			return nil, fmt.Errorf("audit log %s (audit.file): %w", path, err)
		}
		return nil, fmt.Errorf("audit log %s: %w (the agent must be able to create and append to it)", path, err)
	}
	if fileperm.Loose(st, 0o002) {
		f.Close()
		if who := fileperm.Who(st, 0o002); who != "" { // Windows: the ACL
			return nil, fmt.Errorf("audit log %s has %s, so its records could be forged: remove that access (docs/windows.md)", path, who)
		}
		return nil, fmt.Errorf("audit log %s: anyone may write to it (mode %v), so its records could be forged: chmod o-w it", path, st.Mode().Perm())
	}
	return f, nil
}

// Required reports whether the log fails resolutions it cannot record.
func (l *Log) Required() bool { return l.opts.Required }

// Now returns the time a record made now carries.
func (l *Log) Now() time.Time { return l.opts.Now() }

// Write writes rec as one line, filling in its schema, version and, when
// unset, its time. A failed write is reported to the Logger and returned.
func (l *Log) Write(rec Record) error {
	rec.Schema, rec.Version = Schema, SchemaVersion
	if rec.Time.IsZero() {
		rec.Time = l.opts.Now()
	}
	rec.Time = rec.Time.UTC()
	if rec.Caller.Kind == "" {
		rec.Caller.Kind = "embedded"
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return l.failed(rec, fmt.Errorf("audit log: encoding a record: %w", err))
	}
	line = append(line, '\n')
	l.mu.Lock()
	if l.w == nil {
		err = errors.New("audit log: closed")
	} else {
		_, err = l.w.Write(line)
	}
	l.mu.Unlock()
	if err != nil {
		return l.failed(rec, fmt.Errorf("audit log: writing a %s record: %w", rec.Event, err))
	}
	return nil
}

func (l *Log) failed(rec Record, err error) error {
	l.lastFailure.Store(time.Now().UnixNano())
	l.failures.Add(1)
	l.log.Error("audit record not written", "event", rec.Event, "workflow", rec.Workflow, "store", rec.Store, "error", err)
	return err
}

// FailedSince reports whether a write failed at or after t.
func (l *Log) FailedSince(t time.Time) bool {
	last := l.lastFailure.Load()
	return last != 0 && last >= t.UnixNano()
}

// Failures returns how many writes have failed.
func (l *Log) Failures() int64 { return l.failures.Load() }

// Reopen closes the file and opens the same path again, so that a log
// moved aside by logrotate is continued in a new file (call it on SIGHUP).
// On error the old file is kept. It does nothing for a [New] log.
func (l *Log) Reopen() error {
	if l.path == "" {
		return nil
	}
	f, err := openFile(l.path)
	if err != nil {
		l.log.Error("audit log not reopened; still writing to the old file", "path", l.path, "error", err)
		return err
	}
	l.mu.Lock()
	old := l.closer
	l.w, l.closer = f, f
	l.mu.Unlock()
	if old != nil {
		return old.Close()
	}
	return nil
}

// Close closes the file; later writes fail.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w = nil
	if l.closer != nil {
		err := l.closer.Close()
		l.closer = nil
		return err
	}
	return nil
}

type requestKey struct{}

// WithRequest returns a copy of ctx whose resolution's records carry the
// correlation ID id.
func WithRequest(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestKey{}, id)
}

// RequestFrom returns the correlation ID ctx carries, or "".
func RequestFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestKey{}).(string)
	return id
}

// NewRequestID returns a random correlation ID (16 hex digits).
func NewRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
