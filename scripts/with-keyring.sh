#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring,
# so the real Secret Service is available on a machine without a desktop.
# The keyring's files live in a temporary directory removed afterwards;
# the command keeps the caller's HOME.
set -euo pipefail

if [ -z "${GRAPHLINK_PRIVATE_BUS:-}" ]; then
  exec env GRAPHLINK_PRIVATE_BUS=1 dbus-run-session -- "$0" "$@"
fi

keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
# The password only protects this throwaway keyring.
printf %s "graphlink-test-keyring" |
  HOME="$keyring_home" XDG_DATA_HOME="$keyring_home/data" \
  gnome-keyring-daemon --unlock --components=secrets >/dev/null

# --unlock can return before the daemon owns its bus name. Asking the
# Secret Service anything before then makes D-Bus start a second daemon with
# the caller's HOME, so first wait for the name to have an owner, then for
# the default collection to report that it is unlocked.
name_owned() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}
unlocked() {
  dbus-send --session --print-reply --dest=org.freedesktop.secrets \
    /org/freedesktop/secrets/aliases/default org.freedesktop.DBus.Properties.Get \
    string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null | grep -q 'boolean false'
}
for _ in $(seq 1 100); do
  if name_owned && unlocked; then
    "$@"
    exit $?
  fi
  sleep 0.05
done
echo "gnome-keyring did not unlock its default collection within 5 seconds" >&2
exit 1
