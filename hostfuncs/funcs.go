package hostfuncs

import (
	"context"
	"fmt"
	"log/slog"
	"unicode/utf8"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/latchkey/latchkey/secret"
)

const i32 = api.ValueTypeI32

// Instantiate adds the host module [ModuleName] to r. Call it once per
// runtime, before instantiating guests; the returned closer removes it.
func Instantiate(ctx context.Context, r wazero.Runtime) (api.Closer, error) {
	b := r.NewHostModuleBuilder(ModuleName)
	for _, f := range functions {
		params := make([]api.ValueType, len(f.params))
		for i := range params {
			params[i] = i32
		}
		b.NewFunctionBuilder().
			WithGoModuleFunction(f.fn, params, []api.ValueType{i32}).
			WithParameterNames(f.params...).
			WithResultNames("status").
			Export(f.name)
	}
	return b.Instantiate(ctx)
}

var functions = []struct {
	name   string
	params []string
	fn     api.GoModuleFunc
}{
	{"input_read", []string{"kind", "buf", "limit"}, inputRead},
	{"result_set", []string{"ptr", "len"}, resultSet},
	{"error_set", []string{"code", "ptr", "len"}, errorSet},
	{"log", []string{"level", "ptr", "len"}, logFn},
	{"http_request", []string{"method_ptr", "method_len", "url_ptr", "url_len",
		"header_ptr", "header_len", "body_ptr", "body_len"}, httpRequest},
	{"http_response_read", []string{"part", "buf", "limit"}, httpResponseRead},
	{"version_set", []string{"ptr", "len"}, versionSet},
}

func ret(stack []uint64, v int32) { stack[0] = api.EncodeI32(v) }

// read copies [ptr, ptr+n) out of guest memory. An empty range never touches
// memory, so (0, 0) is always valid.
func read(mod api.Module, ptr, n uint32) ([]byte, bool) {
	if n == 0 {
		return nil, true
	}
	mem := mod.Memory()
	if mem == nil {
		return nil, false
	}
	v, ok := mem.Read(ptr, n) // checks ptr+n against the size without overflow
	if !ok {
		return nil, false
	}
	// The view aliases guest memory: copy before the guest runs again.
	return append([]byte(nil), v...), true
}

// readString is read for data the host turns into a string at once; the
// conversion is the copy.
func readString(mod api.Module, ptr, n uint32) (string, bool) {
	if n == 0 {
		return "", true
	}
	mem := mod.Memory()
	if mem == nil {
		return "", false
	}
	v, ok := mem.Read(ptr, n)
	if !ok {
		return "", false
	}
	return string(v), true
}

// inMemory reports whether [ptr, ptr+n) lies in guest memory.
func inMemory(mod api.Module, ptr, n uint32) bool {
	if n == 0 {
		return true
	}
	mem := mod.Memory()
	return mem != nil && uint64(ptr)+uint64(n) <= uint64(mem.Size())
}

// fill implements the (buf, limit) → len convention: it writes
// min(len(src), limit) bytes at buf and returns len(src). The whole
// [buf, buf+limit) must lie in memory, so a bad buffer fails whatever the
// length of src.
func fill(mod api.Module, buf, limit uint32, src []byte) int32 {
	if len(src) > 1<<31-1 {
		return StatusTooLarge
	}
	if limit == 0 {
		return int32(len(src))
	}
	mem := mod.Memory()
	if mem == nil || uint64(buf)+uint64(limit) > uint64(mem.Size()) {
		return StatusMemory
	}
	n := min(uint32(len(src)), limit)
	if n > 0 && !mem.Write(buf, src[:n]) {
		return StatusMemory
	}
	return int32(len(src))
}

func inputRead(ctx context.Context, mod api.Module, stack []uint64) {
	kind, buf, limit := api.DecodeI32(stack[0]), api.DecodeU32(stack[1]), api.DecodeU32(stack[2])
	c := callFrom(ctx)
	if c == nil {
		ret(stack, StatusState)
		return
	}
	var src []byte
	switch kind {
	case InputConfig:
		src = c.Input.Config
	case InputName:
		src = []byte(c.Input.Name)
	case InputKey:
		src = []byte(c.Input.Key)
	case InputVersion:
		src = []byte(c.Input.Version)
	default:
		ret(stack, StatusArgument)
		return
	}
	ret(stack, fill(mod, buf, limit, src))
}

func resultSet(ctx context.Context, mod api.Module, stack []uint64) {
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	c := callFrom(ctx)
	switch {
	case c == nil || c.hasResult || c.hasError:
		ret(stack, StatusState)
		return
	case int64(n) > int64(c.maxResult()) && c.VersionCall:
		c.setFault("%s returned a version of %d bytes, over the limit of %d bytes", VersionExport, n, c.maxResult())
		ret(stack, StatusTooLarge)
		return
	case int64(n) > int64(c.maxResult()):
		c.setFault("result of %d bytes exceeds the limit of %d bytes", n, c.maxResult())
		ret(stack, StatusTooLarge)
		return
	}
	b, ok := read(mod, ptr, n)
	if !ok {
		ret(stack, StatusMemory)
		return
	}
	c.result, c.hasResult = b, true
	ret(stack, 0)
}

// versionSet records the version of the result a latchkey_get call returns
// (ABI 1.1), so that caches can later compare it with what
// latchkey_version reports. A version is 1 to MaxVersion bytes of
// printable UTF-8.
func versionSet(ctx context.Context, mod api.Module, stack []uint64) {
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	c := callFrom(ctx)
	switch {
	case c == nil || c.VersionCall || c.hasVersion:
		ret(stack, StatusState)
		return
	case n > MaxVersion:
		c.logger().Warn("version_set refused", "store", c.Module, "reason", fmt.Sprintf("the version has %d bytes, over the limit of %d", n, MaxVersion))
		ret(stack, StatusTooLarge)
		return
	}
	v, ok := readString(mod, ptr, n)
	if !ok {
		ret(stack, StatusMemory)
		return
	}
	if err := CheckVersion(v); err != nil {
		// The reason names the rule, never the text.
		c.logger().Warn("version_set refused", "store", c.Module, "reason", err.Error())
		ret(stack, StatusArgument)
		return
	}
	c.version, c.hasVersion = v, true
	ret(stack, 0)
}

// ValidVersion reports whether v may be a module's version: see
// [CheckVersion].
func ValidVersion(v string) bool { return CheckVersion(v) == nil }

// CheckVersion reports whether v may be a module's version: 1 to
// [MaxVersion] bytes of printable ASCII, as [secret.CheckVersion] allows
// of any store's. The error names the rule broken, never v.
func CheckVersion(v string) error {
	if len(v) > MaxVersion {
		return fmt.Errorf("%w: it has %d bytes, over the limit of %d", secret.ErrBadVersion, len(v), MaxVersion)
	}
	return secret.CheckVersion(v)
}

func errorSet(ctx context.Context, mod api.Module, stack []uint64) {
	code, ptr, n := api.DecodeI32(stack[0]), api.DecodeU32(stack[1]), api.DecodeU32(stack[2])
	c := callFrom(ctx)
	if c == nil || c.hasResult || c.hasError {
		ret(stack, StatusState)
		return
	}
	if code < CodeNotFound || code > CodeNotAllowed {
		ret(stack, StatusArgument)
		return
	}
	if !inMemory(mod, ptr, n) {
		ret(stack, StatusMemory)
		return
	}
	msg, _ := readString(mod, ptr, min(n, maxErrorMessage))
	c.errCode, c.errMsg, c.hasError = code, c.scrub(sanitize(msg)), true
	ret(stack, 0)
}

func logFn(ctx context.Context, mod api.Module, stack []uint64) {
	level, ptr, n := api.DecodeI32(stack[0]), api.DecodeU32(stack[1]), api.DecodeU32(stack[2])
	c := callFrom(ctx)
	if c == nil {
		ret(stack, StatusState)
		return
	}
	if !inMemory(mod, ptr, n) {
		ret(stack, StatusMemory)
		return
	}
	keep := min(int(n), max(c.maxLog()-c.logged, 0))
	c.dropped += int(n) - keep
	if keep == 0 {
		ret(stack, 0)
		return
	}
	msg, _ := readString(mod, ptr, uint32(keep))
	c.logged += keep
	lvl := slog.Level(level)
	log := c.logger()
	if log.Enabled(ctx, lvl) {
		log.Log(ctx, lvl, sanitize(msg), "source", "guest")
	}
	ret(stack, 0)
}

func httpRequest(ctx context.Context, mod api.Module, stack []uint64) {
	c := callFrom(ctx)
	if c == nil {
		ret(stack, StatusState)
		return
	}
	c.resp = nil
	// Every attempt counts against the budget before anything else is
	// done or logged for it.
	if !c.spend(ctx, "", nil) {
		ret(stack, StatusLimit)
		return
	}
	// The method, the URL and the header become strings at once: read them
	// as such.
	var strs [3]string
	var body []byte
	for i := range 4 {
		p, n := api.DecodeU32(stack[2*i]), api.DecodeU32(stack[2*i+1])
		if i == 3 && c.HTTP != nil && int64(n) > c.HTTP.MaxRequestBody() {
			c.refused("request body of %d bytes exceeds the limit of %d bytes", n, c.HTTP.MaxRequestBody())
			ret(stack, StatusTooLarge)
			return
		}
		if i < 3 && n > 64<<10 {
			ret(stack, StatusTooLarge)
			return
		}
		var ok bool
		if i < 3 {
			strs[i], ok = readString(mod, p, n)
		} else {
			body, ok = read(mod, p, n)
		}
		if !ok {
			ret(stack, StatusMemory)
			return
		}
	}
	if c.HTTP == nil {
		c.refused("the store allows no network access")
		ret(stack, StatusNotAllowed)
		return
	}
	resp, status := c.do(ctx, strs[0], strs[1], strs[2], body)
	if status < 0 {
		ret(stack, status)
		return
	}
	c.resp = resp
	ret(stack, status)
}

func httpResponseRead(ctx context.Context, mod api.Module, stack []uint64) {
	part, buf, limit := api.DecodeI32(stack[0]), api.DecodeU32(stack[1]), api.DecodeU32(stack[2])
	c := callFrom(ctx)
	if c == nil || c.resp == nil {
		ret(stack, StatusState)
		return
	}
	switch part {
	case PartHeader:
		ret(stack, fill(mod, buf, limit, c.resp.Header))
	case PartBody:
		ret(stack, fill(mod, buf, limit, c.resp.Body))
	default:
		ret(stack, StatusArgument)
	}
}

// sanitize makes guest text safe to log: valid UTF-8, no control
// characters but tab.
func sanitize(s string) string {
	ok := utf8.ValidString(s)
	for i := 0; ok && i < len(s); i++ {
		if s[i] < ' ' && s[i] != '\t' || s[i] == 0x7f {
			ok = false
		}
	}
	if ok {
		return s
	}
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r == utf8.RuneError, r < ' ' && r != '\t', r == 0x7f:
			out = append(out, '?')
		default:
			out = append(out, r)
		}
	}
	return string(out)
}
