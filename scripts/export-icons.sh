#!/usr/bin/env bash
# Exports the vector icons in icons/ to the PNG sizes the platforms use:
# 16, 22, 24 and 32 px tray icons (48 and 64 for high-DPI panels), and the
# app icon at the sizes the Tauri bundler expects. Needs rsvg-convert
# (Debian package librsvg2-bin). The PNGs are committed, so building does
# not need this script.
set -euo pipefail
cd "$(dirname "$0")/../icons"

for svg in tray-*.svg; do
  name=${svg%.svg}
  for size in 16 22 24 32 48 64; do
    mkdir -p "png/$size"
    rsvg-convert --width "$size" --height "$size" "$svg" --output "png/$size/$name.png"
  done
done
for size in 32 128 256 512; do
  rsvg-convert --width "$size" --height "$size" app.svg --output "app-$size.png"
done
cp app-512.png icon.png
