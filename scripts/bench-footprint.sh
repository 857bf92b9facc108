#!/usr/bin/env bash
# Builds the release tray and window and measures their footprint in a
# virtual desktop session (Xvfb, private D-Bus, gnome-keyring), against the
# simulator. Method and results: docs/benchmarks.md, section "Footprint".
# Takes about 3 minutes after the build. IDLE_SECONDS shortens the idle
# periods (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
make build
cargo build --release -p graphlink --bin graphlink
npm --prefix ui run build
cargo --config "build.target-dir=\"$target\"" build --release --manifest-path src-tauri/Cargo.toml

xvfb-run -a -s "-screen 0 1280x800x24" scripts/with-keyring.sh \
  python3 scripts/bench-footprint.py "$target/release" "$target/debug"
