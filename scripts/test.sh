#!/usr/bin/env bash
# The whole test suite, all with the race detector: the main module, the
# guest SDK (its own module), the example guest modules' native tests, and
# the modules that pin other dependency versions to test against their
# ecosystems' own clients: cosign (runtime/oci/cosigntest), the CSI
# driver's client (csi/csitest), External Secrets Operator's webhook
# provider (examples/eso) and the container image build (deploy/image).
# It ends with a summary (internal/tools/testsummary): packages, tests (and
# subtests) passed, failed and skipped, and each reason tests gave for
# skipping, such as a missing Debian package.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/testsummary" ./internal/tools/testsummary
status=0
gotest() { # go test in the current directory, its events kept for the summary
  go test -json -race -count=1 ./... | tee -a "$tmp/events.json" | "$tmp/testsummary" -echo
}
gotest || status=1
(cd guest-sdk && gotest) || status=1
for d in examples/stores/*/ runtime/oci/cosigntest/ csi/csitest/ examples/eso/ deploy/image/; do
  # modules of their own (go.mod) with tests; the cosign tests skip without
  # cosign on PATH (.ci/run builds it and runs them after the suite)
  if [ -f "$d/go.mod" ] && ls "$d"*_test.go >/dev/null 2>&1; then
    (cd "$d" && gotest) || status=1
  fi
done
"$tmp/testsummary" < "$tmp/events.json" || status=1
cd "$root"
exit $status
