// Package version adds the optional latchkey_version export (ABI 1.1) to a
// Go guest module: the host then asks the module for a secret's current
// version, without its value, before fetching it again, so that an
// unchanged secret costs the backend a metadata call. Importing the
// package is what adds the export: a module that does not import it has
// none, and the agent fetches its secrets to learn whether they changed.
//
//	func init() {
//		latchkey.Handle(get)      // records the value's version with latchkey.SetResultVersion
//		version.Handle(current)   // answers the current version only
//	}
//
// The version the handler reports must be the one [latchkey.SetResultVersion]
// records with a value; a mismatch costs a fetch per check, never a stale
// value as long as the version changes whenever the value does.
package version

import latchkey "github.com/latchkey/latchkey/guest-sdk"

// handler is the module's version handler: a registry of one, set from
// init.
var handler latchkey.VersionHandler

// Handle registers h as the module's version handler. Call it once, from
// init.
func Handle(h latchkey.VersionHandler) { handler = h }

// HandleConfig registers h as the module's version handler, with the
// store's JSON config parsed by parse once, at the first version call, as
// [latchkey.HandleConfig] does for fetches (each handler parses its own
// copy, once per instance).
func HandleConfig[C any](parse func(config latchkey.JSON) (C, error), h func(cfg C, req latchkey.Request) (string, error)) {
	var (
		cfg    C
		parsed bool
		cfgErr error
	)
	handler = func(req latchkey.Request) (string, error) {
		if !parsed {
			parsed = true
			doc := latchkey.JSON(req.Config)
			if len(doc) == 0 {
				doc = latchkey.JSON("{}")
			}
			var err error
			if cfg, err = parse(doc); err != nil {
				if e, ok := err.(*latchkey.Error); ok {
					cfgErr = e
				} else {
					cfgErr = latchkey.InvalidConfig("the store's config: " + err.Error())
				}
			}
		}
		if cfgErr != nil {
			return "", cfgErr
		}
		return h(cfg, req)
	}
}
