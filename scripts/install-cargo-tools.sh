#!/usr/bin/env bash
# Installs the cargo subcommands that `make test` runs, skipping those
# already installed, so a warm machine spends no time here.
set -euo pipefail

# cargo-deny checks licences, bans and sources offline (deny.toml).
# Building it takes several minutes on two cores.
if ! cargo deny --version >/dev/null 2>&1; then
  echo "Installing cargo-deny" >&2
  cargo install cargo-deny --version 0.20.2 --locked --quiet
fi
