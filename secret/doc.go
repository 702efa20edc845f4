// Package secret holds the types every part of Latchkey shares: the redacting
// [Value] that carries a secret, the [Ref] that a workflow field uses to point at
// one, the [Store] contract that every secret store implements, the typed errors
// callers branch on, and the registry of store types.
//
// It is a leaf package: providers, the Wasm runtime and the resolver import it,
// and it imports none of them, so an embedder links only the stores it uses.
//
// # Reference syntax
//
// A workflow field written as a string is a reference when it starts with
// "secret:" (any letter case), a literal behind "literal:", a
// [*NearMissError] when it looks like a reference but is neither (a
// mistyped or disguised prefix, another tool's reference syntax, an
// interpolation expression; see [ParseSource]), and otherwise a literal as it
// stands. A reference reads
//
//	secret://STORE/NAME#KEY?version=V&optional&default=D
//
// where STORE may be empty (the default store), NAME may be empty (the store's
// configured secret document), KEY is a dot-separated path into a JSON secret,
// and every part is percent-encoded where it holds '%', '?', '#' (and '.' inside
// one key segment). "literal:" strips itself, so "literal:secret://x" is the
// literal string "secret://x". See [ParseField] and [Ref.String].
package secret
