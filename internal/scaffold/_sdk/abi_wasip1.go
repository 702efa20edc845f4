//go:build wasip1

package latchkey

import (
	"runtime"
	"unsafe"
)

// The imports of host module latchkey_v1. Lengths and pointers are i32.

//go:wasmimport latchkey_v1 input_read
func hostInputRead(kind int32, buf unsafe.Pointer, limit uint32) int32

//go:wasmimport latchkey_v1 result_set
func hostResultSet(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport latchkey_v1 error_set
func hostErrorSet(code int32, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport latchkey_v1 log
func hostLog(level int32, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport latchkey_v1 http_request
func hostHTTPRequest(method unsafe.Pointer, methodLen uint32, url unsafe.Pointer, urlLen uint32,
	header unsafe.Pointer, headerLen uint32, body unsafe.Pointer, bodyLen uint32) int32

//go:wasmimport latchkey_v1 http_response_read
func hostHTTPResponseRead(part int32, buf unsafe.Pointer, limit uint32) int32

//go:wasmimport latchkey_v1 version_set
func hostVersionSet(ptr unsafe.Pointer, n uint32) int32

// latchkeyGet is the entry point the host calls once per secret fetch.
//
//go:wasmexport latchkey_get
func latchkeyGet() int32 {
	serve()
	return 0
}

// latchkeyABIv1 declares, by its name, that the module speaks ABI v1.
//
//go:wasmexport latchkey_abi_v1
func latchkeyABIv1() {}

func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.SliceData(b))
}

func inputRead(kind int32, buf []byte) int32 {
	return hostInputRead(kind, ptr(buf), uint32(len(buf)))
}

func resultSet(b []byte) int32 { return hostResultSet(ptr(b), uint32(len(b))) }

func errorSet(code int32, msg []byte) int32 { return hostErrorSet(code, ptr(msg), uint32(len(msg))) }

func logWrite(level int32, msg string) int32 {
	r := hostLog(level, unsafe.Pointer(unsafe.StringData(msg)), uint32(len(msg)))
	runtime.KeepAlive(msg)
	return r
}

// httpRequest passes method and url without copying them: the host copies
// what it reads before the guest runs again.
func httpRequest(method, url string, header, body []byte) int32 {
	r := hostHTTPRequest(unsafe.Pointer(unsafe.StringData(method)), uint32(len(method)),
		unsafe.Pointer(unsafe.StringData(url)), uint32(len(url)),
		ptr(header), uint32(len(header)), ptr(body), uint32(len(body)))
	runtime.KeepAlive(method)
	runtime.KeepAlive(url)
	return r
}

// versionSet is referenced only by SetResultVersion, so a module that never
// records a version does not import version_set and loads on a host of
// ABI 1.0 too.
func versionSet(v string) int32 {
	r := hostVersionSet(unsafe.Pointer(unsafe.StringData(v)), uint32(len(v)))
	runtime.KeepAlive(v)
	return r
}

func httpResponseRead(part int32, buf []byte) int32 {
	return hostHTTPResponseRead(part, ptr(buf), uint32(len(buf)))
}
