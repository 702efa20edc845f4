#!/usr/bin/env bash
# The whole test suite: the main module, the guest SDK (its own module), the
# example guest modules' native tests and the CSI driver end-to-end tests
# (csi/csitest), External Secrets Operator's webhook provider against
# latchkey serve (examples/eso) and the container image build (deploy/image),
# each its own module, all with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -race -count=1 ./...
(cd guest-sdk && go test -race -count=1 ./...)
for d in examples/stores/*/ examples/eso/ csi/csitest/ deploy/image/; do
  # guest modules (own go.mod) with native tests of their own
  if [ -f "$d/go.mod" ] && ls "$d"*_test.go >/dev/null 2>&1; then
    (cd "$d" && go test -race -count=1 ./...)
  fi
done
