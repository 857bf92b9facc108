# The two set-up commands of the README. Each installs what is missing first.

CARGO ?= cargo

.PHONY: demo test deps build

deps:
	scripts/install-deps.sh

build: deps
	$(CARGO) build --workspace --bins

# Links a demo account against the built-in simulator and shows its status.
# Without a desktop keyring on the session bus, a private one is started.
demo: build
	@if [ -n "$${DBUS_SESSION_BUS_ADDRESS:-}" ] && dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets org.freedesktop.DBus.Peer.Ping >/dev/null 2>&1; then \
		target/debug/graphlink demo; \
	else \
		scripts/with-keyring.sh target/debug/graphlink demo; \
	fi

# Runs every test against a real keyring in a private D-Bus session.
test: build
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	scripts/with-keyring.sh $(CARGO) test --workspace
