package api

// DefaultPipePath is the named pipe the Windows agent listens on when
// serve.socket is unset.
const DefaultPipePath = `\\.\pipe\latchkey`
