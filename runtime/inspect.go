package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/latchkey/latchkey/hostfuncs"
)

// Exports a module must (or may) have.
const (
	ExportMemory     = "memory"
	ExportGet        = "latchkey_get"
	ExportInitialize = "_initialize"
	// ExportVersion is optional (ABI 1.1): it reports a secret's current
	// version without its payload; see [Module.Version].
	ExportVersion = hostfuncs.VersionExport
)

const wasiModule = wasi_snapshot_preview1.ModuleName

// wasiAllowed lists the WASI functions a guest may import: what the Go
// runtime and other language runtimes need to start, tell time, draw random
// bytes, sleep and write to stdout/stderr. The file-descriptor functions
// reach only stdin (empty), stdout and stderr, since no directory is
// pre-opened. Anything else (path_*, sock_*, fd_readdir…) is refused at
// load time.
var wasiAllowed = []string{
	"args_get", "args_sizes_get", "environ_get", "environ_sizes_get",
	"clock_res_get", "clock_time_get", "random_get", "proc_exit",
	"sched_yield", "poll_oneoff",
	"fd_write", "fd_read", "fd_close", "fd_fdstat_get", "fd_fdstat_set_flags",
	"fd_prestat_get", "fd_prestat_dir_name",
}

// Info describes a module without running it.
type Info struct {
	Size   int
	SHA256 string // lower-case hex
	// ABIVersions lists the ABI versions the module declares by its
	// latchkey_abi_vN exports, ascending.
	ABIVersions []int
	// VersionProbe reports whether the module exports latchkey_version
	// (ABI 1.1): its store can answer version probes without fetching.
	VersionProbe bool
	Imports      []Func
	Exports      []Func // functions and memories, sorted by name
	// Problems lists why this host would refuse the module; empty when it
	// would load it.
	Problems []string
	// Capabilities is the module's capability declaration, nil when it
	// has none (a malformed one is a problem).
	Capabilities *Capabilities `json:",omitempty"`
}

// Func is an import or export. Kind is "func" or "memory"; Params and
// Results are wasm value types ("i32", "i64", "f32", "f64").
type Func struct {
	Module  string `json:",omitempty"` // imports only
	Name    string
	Kind    string
	Params  []string `json:",omitempty"`
	Results []string `json:",omitempty"`
}

// String renders f as "func module.name(i32, i32) (i32)" or "memory name".
func (f Func) String() string {
	name := f.Name
	if f.Module != "" {
		name = f.Module + "." + f.Name
	}
	if f.Kind != "func" {
		return f.Kind + " " + name
	}
	return "func " + name + "(" + strings.Join(f.Params, ", ") + ") (" + strings.Join(f.Results, ", ") + ")"
}

// Inspect decodes and validates wasm (without running it or compiling it to
// native code) and reports its imports, exports, declared ABI versions,
// size, digest, and the problems that would make [Load] refuse it under
// limits (zero fields are the defaults; only MemoryPages matters). An
// error means the bytes are not a valid Wasm module.
func Inspect(ctx context.Context, wasm []byte, limits Limits) (*Info, error) {
	sum := sha256.Sum256(wasm)
	info := &Info{Size: len(wasm), SHA256: hex.EncodeToString(sum[:])}
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	provided, err := provide(ctx, r)
	if err != nil {
		return nil, err
	}
	cm, err := r.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("not a valid Wasm module: %w", err)
	}
	describe(cm, info)
	if p := memoryProblem(wasm, limits.withDefaults().MemoryPages); p != "" {
		info.Problems = append(info.Problems, p)
	}
	info.Problems = append(info.Problems, check(cm, provided)...)
	if info.Capabilities, err = ParseCapabilities(wasm); err != nil {
		info.Problems = append(info.Problems, err.Error())
	}
	return info, nil
}

// memoryProblem says why wasm's memory cannot be had under a cap of
// limit pages: its declared minimum is larger. "" when it fits or wasm
// declares no memory of its own.
func memoryProblem(wasm []byte, limit uint32) string {
	min, ok := declaredMemoryMin(wasm)
	if !ok || min <= limit {
		return ""
	}
	return fmt.Sprintf("declares a linear memory of at least %d pages (%d MiB), over the limit of %d pages (%d MiB; limits.memory_mib)",
		min, min/16, limit, limit/16)
}

// declaredMemoryMin reads the minimum size, in pages, of the first memory
// wasm's memory section defines. It reads only the section headers and
// that one entry, checking every length.
func declaredMemoryMin(wasm []byte) (uint32, bool) {
	if len(wasm) < 8 {
		return 0, false
	}
	b := wasm[8:]
	for len(b) > 0 {
		id := b[0]
		size, n := uleb32(b[1:])
		if n == 0 || uint64(size) > uint64(len(b)-1-n) {
			return 0, false
		}
		body := b[1+n : 1+n+int(size)]
		b = b[1+n+int(size):]
		if id != 5 {
			continue
		}
		count, n := uleb32(body)
		if n == 0 || count == 0 || len(body) < n+1 {
			return 0, false
		}
		min, m := uleb32(body[n+1:]) // after the limits' flags byte
		return min, m > 0
	}
	return 0, false
}

// uleb32 is [leb32] for callers that only need to know whether b starts
// with a well-formed one: n is 0 when it does not (truncated, over 5 bytes
// or over 32 bits).
func uleb32(b []byte) (v uint32, n int) {
	v, n, err := leb32(b)
	if err != nil {
		return 0, 0
	}
	return v, n
}

// provide instantiates the host modules guests may import into r and
// returns their function definitions by module and name.
func provide(ctx context.Context, r wazero.Runtime) (map[string]map[string]api.FunctionDefinition, error) {
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r); err != nil {
		return nil, fmt.Errorf("instantiate WASI: %w", err)
	}
	if _, err := hostfuncs.Instantiate(ctx, r); err != nil {
		return nil, fmt.Errorf("instantiate %s: %w", hostfuncs.ModuleName, err)
	}
	out := map[string]map[string]api.FunctionDefinition{}
	wasi := r.Module(wasiModule).ExportedFunctionDefinitions()
	out[wasiModule] = map[string]api.FunctionDefinition{}
	for _, n := range wasiAllowed {
		if d, ok := wasi[n]; ok {
			out[wasiModule][n] = d
		}
	}
	out[hostfuncs.ModuleName] = r.Module(hostfuncs.ModuleName).ExportedFunctionDefinitions()
	return out, nil
}

func describe(cm wazero.CompiledModule, info *Info) {
	for _, d := range cm.ImportedFunctions() {
		mod, name, _ := d.Import()
		info.Imports = append(info.Imports, Func{Module: mod, Name: name, Kind: "func",
			Params: types(d.ParamTypes()), Results: types(d.ResultTypes())})
	}
	for _, d := range cm.ImportedMemories() {
		mod, name, _ := d.Import()
		info.Imports = append(info.Imports, Func{Module: mod, Name: name, Kind: "memory"})
	}
	for name, d := range cm.ExportedFunctions() {
		info.Exports = append(info.Exports, Func{Name: name, Kind: "func",
			Params: types(d.ParamTypes()), Results: types(d.ResultTypes())})
		if name == ExportVersion {
			info.VersionProbe = true
		}
		if v, ok := strings.CutPrefix(name, "latchkey_abi_v"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				info.ABIVersions = append(info.ABIVersions, n)
			}
		}
	}
	for name := range cm.ExportedMemories() {
		info.Exports = append(info.Exports, Func{Name: name, Kind: "memory"})
	}
	sort.Slice(info.Exports, func(i, j int) bool { return info.Exports[i].Name < info.Exports[j].Name })
	sort.Ints(info.ABIVersions)
}

func types(ts []api.ValueType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = api.ValueTypeName(t)
	}
	return out
}

// check lists every reason to refuse cm: unknown imports, wrong
// signatures, missing exports, and the ABI version.
func check(cm wazero.CompiledModule, provided map[string]map[string]api.FunctionDefinition) []string {
	var problems []string
	for _, d := range cm.ImportedFunctions() {
		mod, name, _ := d.Import()
		defs, known := provided[mod]
		want, ok := defs[name]
		switch {
		case mod == wasiModule && !ok:
			problems = append(problems, fmt.Sprintf("imports %s.%s, which the sandbox does not provide (no filesystem, sockets or other WASI calls beyond clocks, random, exit and stdout/stderr)", mod, name))
		case strings.HasPrefix(mod, "latchkey_v") && !known:
			problems = append(problems, fmt.Sprintf("imports %s.%s: this host speaks ABI v1 (%s)", mod, name, hostfuncs.ModuleName))
		case !ok:
			problems = append(problems, fmt.Sprintf("imports unknown function %s.%s", mod, name))
		case !slices.Equal(d.ParamTypes(), want.ParamTypes()) || !slices.Equal(d.ResultTypes(), want.ResultTypes()):
			problems = append(problems, fmt.Sprintf("imports %s.%s with signature (%s) (%s), want (%s) (%s)", mod, name,
				strings.Join(types(d.ParamTypes()), ", "), strings.Join(types(d.ResultTypes()), ", "),
				strings.Join(types(want.ParamTypes()), ", "), strings.Join(types(want.ResultTypes()), ", ")))
		}
	}
	for _, d := range cm.ImportedMemories() {
		mod, name, _ := d.Import()
		problems = append(problems, fmt.Sprintf("imports memory %s.%s; a module must define and export its own memory", mod, name))
	}
	if _, ok := cm.ExportedMemories()[ExportMemory]; !ok {
		problems = append(problems, fmt.Sprintf("does not export its memory as %q", ExportMemory))
	}
	exports := cm.ExportedFunctions()
	expect := func(name string, results []api.ValueType, required bool) {
		d, ok := exports[name]
		switch {
		case !ok && required:
			problems = append(problems, fmt.Sprintf("does not export function %q", name))
		case ok && (len(d.ParamTypes()) != 0 || !slices.Equal(d.ResultTypes(), results)):
			problems = append(problems, fmt.Sprintf("exports %q with the wrong signature (want %s)", name,
				Func{Name: name, Kind: "func", Results: types(results)}))
		}
	}
	expect(ExportGet, []api.ValueType{api.ValueTypeI32}, true)
	expect(ExportInitialize, nil, false)
	expect(ExportVersion, []api.ValueType{api.ValueTypeI32}, false)
	if _, ok := exports[hostfuncs.ABIMarkerExport]; !ok {
		var declared []string
		for name := range exports {
			if strings.HasPrefix(name, "latchkey_abi_v") {
				declared = append(declared, name)
			}
		}
		if len(declared) > 0 {
			sort.Strings(declared)
			problems = append(problems, fmt.Sprintf("declares ABI %s, but this host speaks ABI v1 (export %q)", strings.Join(declared, ", "), hostfuncs.ABIMarkerExport))
		} else {
			problems = append(problems, fmt.Sprintf("does not declare its ABI version (export %q, a function taking and returning nothing)", hostfuncs.ABIMarkerExport))
		}
	} else {
		expect(hostfuncs.ABIMarkerExport, nil, true)
	}
	return problems
}
