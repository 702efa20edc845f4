// Package runtime loads and runs Latchkey's Wasm store modules in a
// wazero sandbox: it checks a module's pin, compiles it once (with an
// on-disk compilation cache), checks its imports and exports against ABI
// v1, and serves fetches from a pool of initialised instances under
// limits.
//
//	m, err := runtime.Load(ctx, "store.wasm", runtime.Options{
//		Name:   "vault",
//		SHA256: "4f2a…",
//		Config: []byte(`{"store_url": "https://vault.example.com"}`),
//		HTTP:   hostfuncs.HTTPOptions{AllowedHosts: []string{"vault.example.com"}},
//	})
//	if err != nil { … }
//	defer m.Close(ctx)
//	res, err := m.Get(ctx, runtime.Request{Name: "db"}) // res.Value, res.Version, res.Outbound
//
// [Inspect] reports a module's imports, exports, ABI version, size and
// digest without running it (`latchkey module inspect`).
//
// # Sandbox
//
// A guest sees only what it needs to run: real clocks, a cryptographic
// random source, exit, stdout and stderr (routed into the logger, capped),
// and the host functions of package hostfuncs. It has no filesystem, no
// environment variables, no arguments and no sockets; a module importing
// any other WASI function (path_open, sock_accept…) is refused at load.
//
// # Instances
//
// Modules are reactors (Go's -buildmode=c-shared): _initialize runs once
// per instance, then latchkey_get once per fetch. An instance serves one
// fetch at a time. One that trapped, exited (a Go guest's fatal error),
// ran past its time limit or broke a limit is discarded and never serves
// again; one whose linear memory grew past [Limits.RecycleMemory] is
// discarded after its fetch, since linear memory never shrinks.
//
// # Performance
//
// The call time limit relies on wazero's WithCloseOnContextDone, which in
// wazero v1.12 makes every loop iteration of the guest leave native code to
// check for interruption (tetratelabs/wazero issue 2466). Go guests loop a
// lot (hashing, scanning, allocation), so they run several times slower
// than they would without the limit; this is the price of being able to
// stop a guest that spins. A loaded module from the on-disk cache still
// pays wazero's validation of the whole binary (about half of a cold
// start for a 3.5 MB Go guest).
//
// # Errors
//
// Every error is an [*Error] naming the module and what failed, and wraps
// both its cause ([ErrDigestMismatch], [ErrUnpinned], [ErrIncompatible],
// [ErrCrashed], a [*GuestError], a context error) and the matching
// sentinel of package secret, so callers can branch with [errors.Is].
package runtime
