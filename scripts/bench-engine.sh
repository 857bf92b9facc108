#!/usr/bin/env bash
# Runs the health-engine benchmark in release mode against the simulator.
# The figures and the method are on docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --workspace --bins
cargo run --release -p graphlink-core --example health_bench
