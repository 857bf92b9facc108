#!/usr/bin/env bash
# Kills `graphlink status` with SIGKILL at random moments of its token
# refresh and rotation, KILLS times (default 100), and checks after each
# kill that the keyring still contains a refresh token the simulator accepts
# and that the next status is connected. Runs against the simulator and a
# private keyring; `make test` runs the same test with 10 kills.
# Usage: scripts/crash-test.sh [KILLS]
set -euo pipefail
cd "$(dirname "$0")/.."

kills=${1:-100}
cargo build --workspace --bins --quiet
started=$SECONDS
GRAPHLINK_CRASH_KILLS=$kills scripts/with-keyring.sh \
  cargo test -p graphlink --test crash --quiet -- --nocapture 2>&1 | grep -E '^crash test:|panicked|test result'
echo "finished in $((SECONDS - started)) s"
