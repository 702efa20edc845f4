package wasmtest

// ABI v1 host imports, in the order HostImports lists them, so that a
// module built with HostImports can call them by these indices.
const (
	FnInputRead = iota
	FnResultSet
	FnErrorSet
	FnLog
	FnHTTPRequest
	FnHTTPResponseRead
	FnVersionSet
)

func i32s(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = I32
	}
	return b
}

// HostImports returns every function of host module latchkey_v1.
func HostImports() []Import {
	r := []byte{I32}
	return []Import{
		{"latchkey_v1", "input_read", i32s(3), r},
		{"latchkey_v1", "result_set", i32s(2), r},
		{"latchkey_v1", "error_set", i32s(3), r},
		{"latchkey_v1", "log", i32s(3), r},
		{"latchkey_v1", "http_request", i32s(8), r},
		{"latchkey_v1", "http_response_read", i32s(3), r},
		{"latchkey_v1", "version_set", i32s(2), r},
	}
}

// Guest returns a module with every host import, one page of memory, the
// ABI marker, and latchkey_get running body (which must leave an i32).
func Guest(body []byte) Module {
	return Module{
		Imports:     HostImports(),
		MemoryPages: 1,
		Funcs: []Func{
			{Export: "latchkey_get", Results: []byte{I32}, Body: body},
			{Export: "latchkey_abi_v1"},
		},
	}
}

// Forwarders returns a module exporting fwd_NAME for every host import:
// a function with the import's signature that calls it with its
// arguments, so that a test can drive host functions with any values.
func Forwarders() Module {
	m := Guest(I32Const(0))
	for i, im := range HostImports() {
		var body []byte
		for p := range im.Params {
			body = append(body, LocalGet(uint32(p))...)
		}
		body = append(body, Call(uint32(i))...)
		m.Funcs = append(m.Funcs, Func{Export: "fwd_" + im.Name, Params: im.Params, Results: im.Results, Body: body})
	}
	return m
}

// NewImport returns an import of function module.name.
func NewImport(module, name string, params, results []byte) Import {
	return Import{Module: module, Name: name, Params: params, Results: results}
}
