# The two set-up commands of the README. Each installs what is missing first.

CARGO ?= cargo
# The status window is a Cargo workspace of its own (src-tauri), built into
# the same target directory, so the tray finds graphlink-window next to itself.
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),target)
WINDOW := $(CARGO) --config 'build.target-dir="$(TARGET_DIR)"'

.PHONY: demo test deps build ui window test-desktop

deps:
	scripts/install-deps.sh

build: deps window
	$(CARGO) build --workspace --bins

# The window's front end, built to ui/dist, which the window embeds.
ui:
	@if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then \
		npm --prefix ui ci --no-audit --no-fund; \
	fi
	npm --prefix ui run build

window: deps ui
	$(WINDOW) build --manifest-path src-tauri/Cargo.toml

# Links a demo account against the built-in simulator and shows its status.
# Without a desktop keyring on the session bus, a private one is started.
# With a display, the demo is the tray app with its Demo menu instead.
demo: build
	@if [ -n "$${DBUS_SESSION_BUS_ADDRESS:-}" ] && dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets org.freedesktop.DBus.Peer.Ping >/dev/null 2>&1; then \
		$(TARGET_DIR)/debug/graphlink demo; \
	else \
		scripts/with-keyring.sh $(TARGET_DIR)/debug/graphlink demo; \
	fi

# Runs every test against a real keyring in a private D-Bus session, then
# the end-to-end tests of the tray and the window in a virtual desktop.
# cargo-deny checks licences, bans and sources of every platform's crates
# (deny.toml), so `cargo fetch` first downloads the crates of all targets.
test: build
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) fetch --quiet
	$(CARGO) deny --offline --log-level error check --hide-inclusion-graph licenses bans sources
	$(WINDOW) clippy --manifest-path src-tauri/Cargo.toml --all-targets -- -D warnings
	npm --prefix ui run check
	scripts/with-keyring.sh $(CARGO) test --workspace
	$(MAKE) test-desktop

# The screen is 24-bit so screenshots keep their colours.
test-desktop:
	scripts/install-tauri-driver.sh
	xvfb-run -a -s "-screen 0 1280x800x24" scripts/with-keyring.sh \
		$(CARGO) test -p graphlink --test desktop -- --ignored --test-threads=1
