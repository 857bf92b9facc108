#!/usr/bin/env bash
# Installs tauri-driver, the WebDriver server that launches the status
# window for the end-to-end tests, unless a 2.x build is already in Cargo's
# bin directory. WebKitWebDriver itself comes from the Debian package
# webkit2gtk-driver (scripts/install-deps.sh).
set -euo pipefail

driver="${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver"
if [ -x "$driver" ] && "$driver" --help >/dev/null 2>&1; then
  exit 0
fi
echo "Installing tauri-driver (about 30 seconds on 2 cores)" >&2
cargo install tauri-driver --version '^2' --locked --quiet
