// Package doccheck holds no code, only tests that keep README.md and docs/
// honest: the embedding snippet is the compiled example, relative links
// point at files that exist, and the README's first screen holds what a new
// user needs.
package doccheck
