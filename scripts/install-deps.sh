#!/usr/bin/env bash
# Installs the Debian or Ubuntu packages that building and testing need,
# skipping those already present, so a warm machine spends no time here.
set -euo pipefail

packages=(
  # A real Secret Service keyring in a private D-Bus session, for tests and a headless demo.
  dbus gnome-keyring libsecret-tools
  # The tray (tray-icon and muda on tao): GTK, the app-indicator library it
  # loads at run time, and libxdo for menu accelerators.
  pkg-config libgtk-3-dev libayatana-appindicator3-dev libayatana-appindicator3-1 libxdo-dev
  # The status window (Tauri 2 on WebKitGTK).
  build-essential libwebkit2gtk-4.1-dev librsvg2-dev
  # End-to-end tests of both in a real desktop session: Xvfb, a notification
  # server, WebKit's WebDriver, screenshots and window lookup.
  xvfb xauth dbus-x11 libnotify-bin dunst webkit2gtk-driver imagemagick xdotool
  # gdbus, which drives the tray menu over D-Bus as a panel would, and
  # xclip, which reads what the window put on the clipboard.
  libglib2.0-bin xclip
)

# Cargo subcommands come from crates.io, not from Debian.
"$(dirname "$0")/install-cargo-tools.sh"

missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing packages: ${missing[*]}. Install them with your package manager." >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing ${missing[*]}" >&2
$sudo apt-get update -qq
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
