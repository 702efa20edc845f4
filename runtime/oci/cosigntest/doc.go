// Package cosigntest checks that modules signed by cosign (v3, the
// Sigstore CLI people sign with) verify in Latchkey, and that what cosign
// does not vouch for is refused. It is its own Go module so that the main
// module's tests never need the cosign binary; .ci/run installs cosign
// with go install and runs these tests. They skip, saying so, when cosign
// is not on PATH.
package cosigntest
