#!/usr/bin/env bash
# Builds the Linux installers, a .deb and an AppImage, with the Tauri
# bundler: both binaries (graphlink, the tray, and graphlink-window) and an
# XDG autostart entry that starts the tray at login. Prints their sizes.
#
# Installs tauri-cli 2 with `cargo install` on first use, which takes about
# 9 minutes on 2 cores (16 with other builds running). BUNDLES selects the
# formats, default "deb,appimage"; the AppImage step downloads linuxdeploy
# from GitHub. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac

if ! cargo tauri --version >/dev/null 2>&1; then
  cargo install tauri-cli --version '^2' --locked
fi

make build
cargo build --release -p graphlink --bin graphlink

# The bundler packs the window it builds. These files add the tray and the
# autostart entry. The menu entry starts the tray, which opens the running
# tray's window, rather than the window alone. Paths in the configuration
# are relative to src-tauri.
# The autostart entry starts the tray for every user with --at-login, so a
# user's own entry from the tray's "Start at login" switch next to it starts
# no second tray and opens no window.
# The workspace's release profile strips the tray, so it is packed as built.
config=$(mktemp --suffix=.json)
stage=$(mktemp -d)
trap 'rm -rf "$config" "$stage"' EXIT
cat > "$config" <<JSON
{
  "bundle": {
    "linux": {
      "deb": {
        "files": {
          "/usr/bin/graphlink": "$target/release/graphlink",
          "/etc/xdg/autostart/graphlink.desktop": "../packaging/linux/graphlink-autostart.desktop"
        },
        "desktopTemplate": "../packaging/linux/graphlink.desktop",
        "depends": ["libayatana-appindicator3-1"]
      },
      "appimage": {
        "files": {
          "/usr/bin/graphlink": "$target/release/graphlink"
        }
      }
    }
  }
}
JSON

(cd src-tauri && CARGO_TARGET_DIR="$target" cargo tauri build --bundles "${BUNDLES:-deb,appimage}" --config "$config")

# The bundler compresses the .deb's files with gzip. Rebuilding the package
# with dpkg-deb and xz, the compression Debian's own packages use, makes it
# about 30 % smaller (figures in docs/benchmarks.md).
for deb in "$target"/release/bundle/deb/*.deb; do
  [ -e "$deb" ] || continue
  rm -rf "$stage/deb"
  dpkg-deb --raw-extract "$deb" "$stage/deb"
  dpkg-deb --root-owner-group -Zxz --build "$stage/deb" "$deb" >/dev/null
done

for file in "$target"/release/bundle/deb/*.deb "$target"/release/bundle/appimage/*.AppImage; do
  if [ -e "$file" ]; then
    printf '%s\t%s bytes\n' "$file" "$(stat -c %s "$file")"
  fi
done
