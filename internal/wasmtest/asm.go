package wasmtest

// A tiny Wasm binary assembler for hostile test modules: enough sections
// (types, imports, functions, memory, exports, code) to write modules that
// loop, grow memory, trap or pass wild pointers, without any toolchain.

// Value types.
const (
	I32 byte = 0x7f
	I64 byte = 0x7e
)

// Import is an imported function.
type Import struct {
	Module, Name    string
	Params, Results []byte
}

// Func is a defined function; Export, if set, exports it under that name.
// Body holds instructions without the final end.
type Func struct {
	Export          string
	Params, Results []byte
	Locals          []byte // one value type per local
	Body            []byte
}

// Module is a module to assemble. Function indices count imports first.
type Module struct {
	Imports []Import
	Funcs   []Func
	// MemoryPages, if > 0, defines a memory of that many pages, exported as
	// "memory" unless NoMemoryExport.
	MemoryPages    uint32
	NoMemoryExport bool
}

// Encode returns the module's binary form.
func (m Module) Encode() []byte {
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	// One type per import and function, in that order.
	var types []byte
	n := 0
	addType := func(params, results []byte) {
		types = append(types, 0x60)
		types = append(types, vec(params)...)
		types = append(types, vec(results)...)
		n++
	}
	for _, im := range m.Imports {
		addType(im.Params, im.Results)
	}
	for _, f := range m.Funcs {
		addType(f.Params, f.Results)
	}
	out = section(out, 1, append(uleb(uint64(n)), types...))

	var imports []byte
	for i, im := range m.Imports {
		imports = append(imports, name(im.Module)...)
		imports = append(imports, name(im.Name)...)
		imports = append(imports, 0x00)
		imports = append(imports, uleb(uint64(i))...)
	}
	out = section(out, 2, append(uleb(uint64(len(m.Imports))), imports...))

	var funcs []byte
	for i := range m.Funcs {
		funcs = append(funcs, uleb(uint64(len(m.Imports)+i))...)
	}
	out = section(out, 3, append(uleb(uint64(len(m.Funcs))), funcs...))

	if m.MemoryPages > 0 {
		out = section(out, 5, append([]byte{1, 0x00}, uleb(uint64(m.MemoryPages))...))
	}

	var exports []byte
	ne := 0
	for i, f := range m.Funcs {
		if f.Export == "" {
			continue
		}
		exports = append(exports, name(f.Export)...)
		exports = append(exports, 0x00)
		exports = append(exports, uleb(uint64(len(m.Imports)+i))...)
		ne++
	}
	if m.MemoryPages > 0 && !m.NoMemoryExport {
		exports = append(exports, name("memory")...)
		exports = append(exports, 0x02, 0x00)
		ne++
	}
	out = section(out, 7, append(uleb(uint64(ne)), exports...))

	var code []byte
	for _, f := range m.Funcs {
		var body []byte
		body = append(body, uleb(uint64(len(f.Locals)))...)
		for _, l := range f.Locals {
			body = append(body, 1, l)
		}
		body = append(body, f.Body...)
		body = append(body, 0x0b)
		code = append(code, uleb(uint64(len(body)))...)
		code = append(code, body...)
	}
	out = section(out, 10, append(uleb(uint64(len(m.Funcs))), code...))
	return out
}

func section(out []byte, id byte, payload []byte) []byte {
	out = append(out, id)
	out = append(out, uleb(uint64(len(payload)))...)
	return append(out, payload...)
}

// CustomSection encodes a custom section (id 0) named n holding payload,
// to append to an encoded module.
func CustomSection(n string, payload []byte) []byte {
	return section(nil, 0, append(name(n), payload...))
}

func vec(b []byte) []byte { return append(uleb(uint64(len(b))), b...) }

func name(s string) []byte { return append(uleb(uint64(len(s))), s...) }

func uleb(v uint64) []byte {
	var out []byte
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			out = append(out, b|0x80)
			continue
		}
		return append(out, b)
	}
}

func sleb(v int64) []byte {
	var out []byte
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && b&0x40 == 0) || (v == -1 && b&0x40 != 0) {
			return append(out, b)
		}
		out = append(out, b|0x80)
	}
}

// Instructions return their encoding; concatenate them into a Body.

// I32Const pushes v.
func I32Const(v int32) []byte { return append([]byte{0x41}, sleb(int64(v))...) }

// Call calls function fn (imports first).
func Call(fn uint32) []byte { return append([]byte{0x10}, uleb(uint64(fn))...) }

// LocalGet pushes local i.
func LocalGet(i uint32) []byte { return append([]byte{0x20}, uleb(uint64(i))...) }

// LocalSet pops into local i.
func LocalSet(i uint32) []byte { return append([]byte{0x21}, uleb(uint64(i))...) }

// Br branches to the enclosing block at depth.
func Br(depth uint32) []byte { return append([]byte{0x0c}, uleb(uint64(depth))...) }

// BrIf pops a condition and branches to depth if it is not zero.
func BrIf(depth uint32) []byte { return append([]byte{0x0d}, uleb(uint64(depth))...) }

// I32Store8 pops a value and an address and stores the value's low byte
// at address+off.
func I32Store8(off uint32) []byte { return append([]byte{0x3a, 0x00}, uleb(uint64(off))...) }

// I32Store pops a value and an address and stores the value at address+off.
func I32Store(off uint32) []byte { return append([]byte{0x36, 0x02}, uleb(uint64(off))...) }

// Instructions without immediates, by their Wasm names.
var (
	Loop        = []byte{0x03, 0x40}
	Block       = []byte{0x02, 0x40}
	End         = []byte{0x0b}
	Drop        = []byte{0x1a}
	Unreachable = []byte{0x00}
	Return      = []byte{0x0f}
	MemoryGrow  = []byte{0x40, 0x00}
	MemorySize  = []byte{0x3f, 0x00}
	I32Eq       = []byte{0x46}
	I32Ne       = []byte{0x47}
	I32Add      = []byte{0x6a}
	I32Sub      = []byte{0x6b}
	I32Eqz      = []byte{0x45}
	I32LtU      = []byte{0x49}
)

// Code concatenates instructions.
func Code(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
