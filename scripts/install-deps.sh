#!/usr/bin/env bash
# Installs the Debian or Ubuntu packages that building and testing need,
# skipping those already present, so a warm machine spends no time here.
set -euo pipefail

packages=(
  # A real Secret Service keyring in a private D-Bus session, for tests and a headless demo.
  dbus gnome-keyring libsecret-tools
)

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
