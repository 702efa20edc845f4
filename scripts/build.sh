#!/usr/bin/env bash
# Build latchkey with its version and commit stamped in, so that
# `latchkey version` names them even where the Go toolchain records no VCS
# information (GOFLAGS=-buildvcs=false, a source tarball, a container build).
#
#   bash scripts/build.sh [OUTPUT]        # default OUTPUT: bin/latchkey
#   LATCHKEY_VERSION=v1.2.3 bash scripts/build.sh
#
# The version is LATCHKEY_VERSION, else `git describe --tags --always --dirty`;
# the commit is `git rev-parse HEAD` (with -dirty when the tree has changes).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bin/latchkey}
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit-dirty"
fi
version=${LATCHKEY_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
case "$version$commit" in
  *[[:space:]\'\"]*) echo "build.sh: version and commit must not hold spaces or quotes" >&2; exit 2 ;;
esac
pkg=github.com/latchkey/latchkey/internal/cli
go build -trimpath -ldflags "-X $pkg.Version=$version -X $pkg.Commit=$commit" -o "$out" ./cmd/latchkey
echo "built $out: $("$out" version)"
