//go:build !wasip1

package latchkey

// Outside a Wasm host every host function reports HostErrState, so that the
// package builds (and its pure parts test) on any platform.

func inputRead(int32, []byte) int32              { return int32(HostErrState) }
func resultSet([]byte) int32                     { return int32(HostErrState) }
func errorSet(int32, []byte) int32               { return int32(HostErrState) }
func logWrite(int32, string) int32               { return int32(HostErrState) }
func httpRequest(_, _ string, _, _ []byte) int32 { return int32(HostErrState) }
func httpResponseRead(int32, []byte) int32       { return int32(HostErrState) }
func versionSet(string) int32                    { return int32(HostErrState) }
