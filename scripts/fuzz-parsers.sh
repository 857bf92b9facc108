#!/usr/bin/env bash
# Runs every parser property test with many more cases than `make test`
# (256), one test at a time, and prints the cases and time of each.
# Usage: scripts/fuzz-parsers.sh [CASES]   (default 20000)
# A failure prints proptest's minimal failing input and stops the script.
set -euo pipefail
cd "$(dirname "$0")/.."

cases=${1:-20000}
export PROPTEST_CASES=$cases

cargo test -p graphlink-core --lib --test parsers --no-run --quiet

run() {
  local pattern=$1
  shift
  local target=("$@")
  local names
  names=$(cargo test -p graphlink-core "${target[@]}" --quiet -- --list 2>/dev/null |
    sed -n 's/: test$//p' | grep -E "$pattern")
  for name in $names; do
    local started=$SECONDS
    cargo test -p graphlink-core "${target[@]}" --quiet -- --exact "$name" >/dev/null
    printf '%-45s %8s cases %5ss\n' "$name" "$cases" "$((SECONDS - started))"
  done
}

# Only the property tests, which take PROPTEST_CASES.
run '^loopback::request::tests::(route_never_panics|code_round_trips|error_round_trips|other_paths_not_found|head_end_matches_naive_search)' --lib
run 'never_panics|round_trips|located' --test parsers
