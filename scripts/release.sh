#!/usr/bin/env bash
# Build a release of latchkey: static, version-stamped binaries for linux,
# darwin and windows on amd64 and arm64, one archive each (tar.gz; zip for
# windows), SHA256SUMS over the archives and SBOMs, and a CycloneDX SBOM per
# target (github.com/CycloneDX/cyclonedx-gomod, pinned below).
#
#   bash scripts/release.sh VERSION [OUTDIR]      # OUTDIR defaults to dist/
#
# The same commit gives the same bytes on every run and machine with the
# same Go toolchain: CGO_ENABLED=0, -trimpath and an empty build ID in the
# binaries; archives written by internal/tools/archive (entries sorted,
# every time set to the commit's time, owner 0, no names, fixed modes, no
# gzip timestamp); SBOMs without a random serial number or a timestamp.
# TestReleaseReproducible (internal/tools/archive) builds twice and
# compares.
#
# LATCHKEY_RELEASE_TARGETS (space-separated GOOS/GOARCH) builds a subset;
# the test uses it to keep its run short.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: scripts/release.sh VERSION [OUTDIR]" >&2; exit 2
fi
version=$1
out=${2:-dist}
if ! [[ $version =~ ^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]]; then
  echo "release.sh: VERSION $version: want a semantic version such as v1.2.3 or v1.2.3-rc.1" >&2; exit 2
fi
targets=${LATCHKEY_RELEASE_TARGETS:-"linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"}
cyclonedx=github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v1.10.0

commit=$(git rev-parse HEAD)
epoch=$(git log -1 --format=%ct)
export SOURCE_DATE_EPOCH=$epoch
pkg=github.com/latchkey/latchkey/internal/cli
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "release.sh: note: uncommitted changes are not released; building commit $commit" >&2
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The release is built from the commit alone (git archive), never from
# uncommitted files. The copy gets a one-commit repository tagged VERSION,
# from which the SBOM generator reads the main module's version (it cannot
# read a git worktree's HEAD).
src=$work/src
mkdir -p "$src"
git archive --format=tar HEAD | tar -x -C "$src"
(
  cd "$src"
  export GIT_AUTHOR_NAME=release GIT_AUTHOR_EMAIL=release@invalid GIT_COMMITTER_NAME=release GIT_COMMITTER_EMAIL=release@invalid
  export GIT_AUTHOR_DATE="@$epoch" GIT_COMMITTER_DATE="@$epoch"
  git init -q && git add -A && git commit -q -m "release $version" && git tag "$version"
)
cd "$src"

# The archiver and the SBOM generator are built once, for this machine
# (GOOS and GOARCH below are the target's, which the generator reads).
go build -trimpath -o "$work/archive" ./internal/tools/archive
GOBIN=$work go install "$cyclonedx"

artifacts=()
for target in $targets; do
  goos=${target%/*} goarch=${target#*/}
  name=latchkey_${version#v}_${goos}_${goarch}
  exe=latchkey
  [ "$goos" = windows ] && exe=latchkey.exe
  mkdir -p "$work/$name"
  echo "== $target"
  CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOFLAGS=-mod=readonly \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -buildid= -X $pkg.Version=$version -X $pkg.Commit=$commit" \
      -o "$work/$name/$exe" ./cmd/latchkey
  cp LICENSE README.md CHANGELOG.md "$work/$name/"
  files=("$work/$name/$exe" "$work/$name/LICENSE" "$work/$name/README.md" "$work/$name/CHANGELOG.md")
  if [ "$goos" = windows ]; then
    archive=$name.zip
  else
    archive=$name.tar.gz
  fi
  "$work/archive" -o "$out/$archive" -mtime "$epoch" -prefix "$name" "${files[@]}"
  GOOS=$goos GOARCH=$goarch CGO_ENABLED=0 \
    "$work/cyclonedx-gomod" app -json -noserial -notimestamp -licenses -main cmd/latchkey \
      -output "$out/$name.cdx.json" . 2>"$work/cyclonedx.log" \
    || { cat "$work/cyclonedx.log" >&2; exit 1; }
  artifacts+=("$archive" "$name.cdx.json")
done

(cd "$out" && sha256sum -- $(printf '%s\n' "${artifacts[@]}" | LC_ALL=C sort) > SHA256SUMS)
echo "release $version ($commit) in $out:"
cat "$out/SHA256SUMS"
