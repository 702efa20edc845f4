package latchkey

// Request is one secret fetch asked of the module.
type Request struct {
	// Name is the secret's name in the store's terms; it may be empty when
	// the workflow relies on the store's configured secret document.
	Name string
	// Key is the JSON key path the workflow asked for, dot-joined, for
	// information only: the host looks keys up itself in what the handler
	// returns, so a handler returns the whole secret.
	Key string
	// Version selects a version; empty means the current one.
	Version string
	// Config is the store's JSON configuration, the same for every call of
	// an instance. It is shared: do not modify it.
	Config []byte
}

// Handler fetches one secret. It returns the secret's raw bytes or an error,
// preferably an [*Error] made by [NotFound], [PermissionDenied],
// [Unavailable], [InvalidConfig] or [NotAllowed]. Any other error is
// reported as unavailable.
type Handler func(req Request) ([]byte, error)

var (
	handler Handler
	config  []byte
	haveCfg bool
	scratch = make([]byte, 0, 256)
	// last holds the previous call's name, key and version: a store is
	// asked for the same few secrets over and over, and reusing their
	// strings saves an allocation per call, which Go code in Wasm pays
	// dearly for.
	last [4]string
)

// Handle registers h as the module's handler. Call it once, from init.
func Handle(h Handler) { handler = h }

// HandleConfig registers h as the module's handler, with the store's JSON
// config parsed by parse once, at the first call, and the same C handed to
// every call. An error from parse fails every call: an [*Error] as it is,
// any other error with [CodeInvalidConfig]. Its message must not hold a
// value of the config, which may be a credential. An empty config is {}.
//
// parse reads the config with the methods of [JSON]; package jsonconfig
// decodes it into a struct with encoding/json instead, at the price of a
// larger module that starts more slowly.
func HandleConfig[C any](parse func(config JSON) (C, error), h func(cfg C, req Request) ([]byte, error)) {
	var (
		cfg    C
		parsed bool
		cfgErr error
	)
	handler = func(req Request) ([]byte, error) {
		if !parsed {
			parsed = true
			doc := JSON(req.Config)
			if len(doc) == 0 {
				doc = JSON("{}")
			}
			var err error
			if cfg, err = parse(doc); err != nil {
				if e, ok := err.(*Error); ok {
					cfgErr = e
				} else {
					cfgErr = InvalidConfig("the store's config: " + err.Error())
				}
			}
		}
		if cfgErr != nil {
			return nil, cfgErr
		}
		return h(cfg, req)
	}
}

// Input kinds of input_read; part of the ABI.
const (
	inputConfig  = 0
	inputName    = 1
	inputKey     = 2
	inputVersion = 3
)

// readInput reads one input into a fresh byte slice.
func readInput(kind int32) ([]byte, HostCode) {
	n := inputRead(kind, scratch[:cap(scratch)])
	if n < 0 {
		return nil, HostCode(n)
	}
	if int(n) > cap(scratch) {
		scratch = make([]byte, 0, int(n))
		if n = inputRead(kind, scratch[:cap(scratch)]); n < 0 {
			return nil, HostCode(n)
		}
	}
	return scratch[:n], 0
}

// readString reads one input as a string, reusing the string of the
// previous call when the bytes are the same.
func readString(kind int32) (string, HostCode) {
	b, c := readInput(kind)
	if c != 0 {
		return "", c
	}
	if string(b) != last[kind] { // compared without a copy
		last[kind] = string(b)
	}
	return last[kind], 0
}

// serve runs one call: it reads the request, runs the handler and hands
// the result or the error to the host.
func serve() {
	defer recoverCall()
	if handler == nil {
		setError(CodeUnavailable, "the module registered no handler (call latchkey.Handle from init)")
		return
	}
	req, ok := readRequest()
	if !ok {
		return
	}
	out, err := handler(req)
	if err != nil {
		code, msg := toError(err)
		setError(code, msg)
		return
	}
	// On failure (too large) the host records the reason itself.
	resultSet(out)
}

// recoverCall turns a handler's panic into an error of the call.
func recoverCall() {
	if recover() != nil {
		// The panic value may hold anything, even a secret: say only
		// that it happened.
		setError(CodeUnavailable, "the module's handler panicked")
	}
}

// readRequest reads the config (once per instance) and the request; on
// failure it has set the call's error.
func readRequest() (Request, bool) {
	if !haveCfg {
		b, c := readInput(inputConfig)
		if c != 0 {
			setError(CodeUnavailable, "reading the config: "+c.String())
			return Request{}, false
		}
		config, haveCfg = append([]byte(nil), b...), true
	}
	req := Request{Config: config}
	var c HostCode
	if req.Name, c = readString(inputName); c == 0 {
		if req.Key, c = readString(inputKey); c == 0 {
			req.Version, c = readString(inputVersion)
		}
	}
	if c != 0 {
		setError(CodeUnavailable, "reading the request: "+c.String())
		return Request{}, false
	}
	return req, true
}

// VersionHandler reports the current version of the secret req names
// without fetching its value (ABI 1.1, latchkey_version): an opaque string
// of 1 to 256 printable bytes that changes whenever the value changes —
// a revision, a version number, an ETag. It returns the same errors as a
// [Handler]: [NotFound] for a missing secret. Register one with package
// version, which adds the export.
type VersionHandler func(req Request) (string, error)

// ServeVersion runs one call of the latchkey_version export with h: it
// reads the request, runs h and hands the version or the error to the
// host. Package version's export calls it; a module calls it only from an
// export of its own.
func ServeVersion(h VersionHandler) {
	defer recoverCall()
	if h == nil {
		setError(CodeUnavailable, "the module registered no version handler")
		return
	}
	req, ok := readRequest()
	if !ok {
		return
	}
	v, err := h(req)
	if err != nil {
		code, msg := toError(err)
		setError(code, msg)
		return
	}
	if v == "" {
		setError(CodeUnavailable, "the version handler returned an empty version")
		return
	}
	resultSet([]byte(v))
}

// SetResultVersion records, from a [Handler], the version of the value it
// is about to return, in the terms its [VersionHandler] reports (ABI 1.1,
// version_set): a cache keeps the value and later asks for the current
// version only, fetching again when it differs. Record the version that
// came with the value (Vault's metadata.version, etcd's mod_revision),
// never one read before or after it. It fails with a [*HostError]: too
// large (over 256 bytes), an invalid argument (empty, or a byte outside
// printable ASCII '!' to '~'), or out of order (called twice, or outside
// a fetch). A version is shown in audit records and answers, so the host
// fails the fetch when it holds the value returned or a bound credential
// (ABI.md, version_set).
//
// A module that calls it imports version_set, which hosts of ABI 1.0 do
// not provide: they refuse to load it.
func SetResultVersion(v string) error {
	if c := versionSet(v); c < 0 {
		return &HostError{Op: "version_set", Code: HostCode(c)}
	}
	return nil
}

func setError(code Code, msg string) {
	errorSet(int32(code), []byte(msg))
}
