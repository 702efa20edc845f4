#!/usr/bin/env bash
# benchcmp.sh compares the speed of two commits in one run, on the same
# machine under the same load, as issue 19's "Must show" asks:
#
#   scripts/benchcmp.sh [-n COUNT] [-t BENCHTIME] [-p RUNS] [-i IRUNS] OLD NEW [PKG BENCH]...
#
# It checks OLD and NEW out as git worktrees under a temporary directory
# (removed on exit), builds each commit's test binary of every PKG and its
# latchkey binary, and then:
#   - runs the benchmarks matching BENCH (a -bench pattern) of each PKG,
#     OLD and NEW alternately, COUNT rounds (default 10; each round runs
#     OLD first on odd rounds, NEW first on even ones, so that a drift of
#     the machine's load weighs on both), and prints benchstat's comparison
#     (golang.org/x/perf/cmd/benchstat, from the Go module proxy): NEW's
#     change against OLD, with its confidence;
#   - times whole processes, OLD and NEW alternately RUNS times each
#     (default 20): `latchkey version`, and `latchkey resolve` of a 10-field
#     workflow from an env store; it prints each one's median and minimum
#     wall time and NEW/OLD of the medians;
#   - when valgrind is installed (Debian package valgrind), counts the
#     instructions each of those processes executes (callgrind, with
#     GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 so that the count does not
#     depend on the scheduler), which a loaded machine does not disturb:
#     IRUNS runs each (default 5), their minimum and maximum, and NEW/OLD
#     of the minima, with the GC as it is (GOGC=100) and off (GOGC=off:
#     the GC's timing moves the count by several %, so that only this one
#     shows a difference of a few %).
#
# Without PKG BENCH pairs it compares the cached resolve path
# (./cache BenchmarkResolve/cached: three cache hits through the resolver)
# and a warm Wasm fetch (./providers/wasm BenchmarkWarmPool/go: one fetch
# through a warm instance of the Go http-json guest, over loopback HTTP).
#
# A benchmark that NEW adds and OLD lacks can still be compared: list its
# file (a path relative to the repository root) in BENCHCMP_COPY, and it is
# copied from NEW's worktree into OLD's before OLD's test binary is built.
# The comparison is then of the code, not of the benchmark.
#
# Needs git and go; valgrind is optional. Takes a few minutes.
set -euo pipefail

BENCHSTAT=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

count=10 benchtime=1s runs=20 ireps=5
while getopts "n:t:p:i:h" opt; do
  case $opt in
  n) count=$OPTARG ;;
  t) benchtime=$OPTARG ;;
  p) runs=$OPTARG ;;
  i) ireps=$OPTARG ;;
  *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
old_rev=$1 new_rev=$2
shift 2
if [ $# -eq 0 ]; then
  set -- ./cache '^BenchmarkResolve$/^cached$' ./providers/wasm '^BenchmarkWarmPool$/^go$'
fi
[ $(($# % 2)) -eq 0 ] || { echo "benchcmp: PKG and BENCH come in pairs" >&2; exit 2; }
pairs=("$@")

root=$(git rev-parse --show-toplevel)
old_sha=$(git -C "$root" rev-parse --verify "$old_rev^{commit}")
new_sha=$(git -C "$root" rev-parse --verify "$new_rev^{commit}")
tmp=$(mktemp -d)
cleanup() {
  for side in old new; do
    if [ -d "$tmp/$side" ]; then git -C "$root" worktree remove --force "$tmp/$side" || true; fi
  done
  git -C "$root" worktree prune
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/bin" "$tmp/out"

echo "benchcmp: old $old_rev ($old_sha), new $new_rev ($new_sha)"
git -C "$root" worktree add --quiet --detach "$tmp/old" "$old_sha"
git -C "$root" worktree add --quiet --detach "$tmp/new" "$new_sha"
for f in ${BENCHCMP_COPY:-}; do
  echo "benchcmp: copying $f from new into old"
  mkdir -p "$(dirname "$tmp/old/$f")"
  cp "$tmp/new/$f" "$tmp/old/$f"
done

# pkgname turns ./providers/wasm into providers_wasm.
pkgname() { local p=${1#./}; echo "${p//\//_}"; }

echo "benchcmp: building test binaries and latchkey for both commits"
for side in old new; do
  for ((i = 0; i < ${#pairs[@]}; i += 2)); do
    pkg=${pairs[i]}
    (cd "$tmp/$side" && go test -c -o "$tmp/bin/$side-$(pkgname "$pkg").test" "$pkg")
  done
  (cd "$tmp/$side" && go build -o "$tmp/bin/$side-latchkey" ./cmd/latchkey)
done
GOBIN="$tmp/bin" go install "$BENCHSTAT"

# bench SIDE: one round of every benchmark of SIDE, appended to its file.
bench() {
  local side=$1 i pkg
  for ((i = 0; i < ${#pairs[@]}; i += 2)); do
    pkg=${pairs[i]}
    # A test binary runs in its package's directory (testdata, guests).
    (cd "$tmp/$side/$pkg" && "$tmp/bin/$side-$(pkgname "$pkg").test" -test.run '^$' \
      -test.bench "${pairs[i + 1]}" -test.benchtime "$benchtime" -test.benchmem -test.count 1) \
      >>"$tmp/out/$side.txt"
  done
}
echo "benchcmp: $count rounds of ${pairs[*]}, alternating"
for ((r = 1; r <= count; r++)); do
  if ((r % 2)); then bench old; bench new; else bench new; bench old; fi
done
echo
echo "== go test -bench, $count rounds alternating (benchstat: new against old)"
(cd "$tmp/out" && "$tmp/bin/benchstat" old.txt new.txt)

# The whole-process cases: a config with one env store and a workflow of
# ten fields read from it.
res="$tmp/res"
mkdir -p "$res"
cat >"$res/agent.yaml" <<'EOF'
stores:
  app:
    type: env
    secrets: {allow: ["APP_*"]}
EOF
{
  echo "name: bench"
  echo "fields:"
  for i in 0 1 2 3 4 5 6 7 8 9; do echo "  f$i: secret://app/APP_F$i"; done
} >"$res/wf.yaml"
for i in 0 1 2 3 4 5 6 7 8 9; do export "APP_F$i=benchcmp-value-$i"; done
cases=("version" "resolve -c $res/agent.yaml -w $res/wf.yaml")
names=("latchkey version" "latchkey resolve, 10 env fields")

for side in old new; do # each must work before it is timed
  for c in "${cases[@]}"; do
    # shellcheck disable=SC2086 # the case's words are split on purpose
    "$tmp/bin/$side-latchkey" $c >/dev/null || { echo "benchcmp: $side: latchkey $c failed" >&2; exit 1; }
  done
done

# median FILE: the median of the numbers in FILE, one a line.
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

echo
echo "== whole process, wall time, $runs runs each alternating (ms)"
printf '%-34s %10s %10s %10s %10s %9s\n' case "old med" "new med" "old min" "new min" "new/old"
for k in "${!cases[@]}"; do
  : >"$tmp/out/wall-old" ; : >"$tmp/out/wall-new"
  for ((r = 1; r <= runs; r++)); do
    for side in old new; do
      t0=$(date +%s%N)
      # shellcheck disable=SC2086
      "$tmp/bin/$side-latchkey" ${cases[k]} >/dev/null
      t1=$(date +%s%N)
      echo $((t1 - t0)) >>"$tmp/out/wall-$side"
    done
  done
  om=$(median "$tmp/out/wall-old") nm=$(median "$tmp/out/wall-new")
  omin=$(sort -n "$tmp/out/wall-old" | head -1) nmin=$(sort -n "$tmp/out/wall-new" | head -1)
  awk -v n="${names[k]}" -v om="$om" -v nm="$nm" -v omin="$omin" -v nmin="$nmin" \
    'BEGIN {printf "%-34s %10.2f %10.2f %10.2f %10.2f %8.2fx\n", n, om/1e6, nm/1e6, omin/1e6, nmin/1e6, nm/om}'
done

echo
if ! command -v valgrind >/dev/null; then
  echo "== instructions: skipped, valgrind not found (Debian package valgrind)"
  exit 0
fi
echo "== whole process, instructions executed (valgrind callgrind, GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1; $ireps runs each)"
echo "   (with the GC on, a Go process's count varies by several % from run to run as collections fall"
echo "   differently; with GOGC=off it varies by under 1 %, and is the work the code does; min is compared)"
printf '%-44s %12s %12s %12s %12s %9s\n' case "old min" "new min" "old max" "new max" "new/old"
# instr GOGC SIDE K: "MIN MAX" of the instructions of $ireps runs of case K.
instr() {
  local gogc=$1 side=$2 k=$3
  for ((j = 0; j < ireps; j++)); do
    # shellcheck disable=SC2086
    GOGC=$gogc GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
      "$tmp/bin/$side-latchkey" ${cases[k]} 2>&1 >/dev/null | awk '/Collected :/ {print $NF}'
  done | sort -n | awk 'NR==1 {min=$1} {max=$1} END {print min, max}'
}
for gogc in 100 off; do
  for k in "${!cases[@]}"; do
    read -r omin omax < <(instr "$gogc" old "$k")
    read -r nmin nmax < <(instr "$gogc" new "$k")
    awk -v c="${names[k]} (GOGC=$gogc)" -v a="$omin" -v b="$nmin" -v x="$omax" -v y="$nmax" \
      'BEGIN {printf "%-44s %12d %12d %12d %12d %8.3fx\n", c, a, b, x, y, b/a}'
  done
done
