#!/usr/bin/env bash
# The whole test suite: the main module, the guest SDK (its own module) and
# the example guest modules' native tests, all with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -race -count=1 ./...
(cd guest-sdk && go test -race -count=1 ./...)
# cosign interoperability, its own module (skips without cosign on PATH)
(cd runtime/oci/cosigntest && go test -race -count=1 ./...)
for d in examples/stores/*/; do
  # guest modules (own go.mod) with native tests of their own
  if [ -f "$d/go.mod" ] && ls "$d"*_test.go >/dev/null 2>&1; then
    (cd "$d" && go test -race -count=1 ./...)
  fi
done
