// The words and colours of each state, shared by the cards and the tests'
// expectations. The tray menu uses the same words.

import type { CapabilityStatus, LinkState, ReadinessStep } from "./types";

export const STATE_WORDS: Record<LinkState, string> = {
  connected: "Connected",
  checking: "Checking…",
  offline: "Offline",
  degraded: "Having problems",
  reconnect_needed: "Reconnect needed",
  admin_needed: "Needs your IT department",
  keyring_unavailable: "Keyring locked",
  not_connected: "Not connected",
};

/** Returns the colour family of a state, a class name in style.css. */
export function tone(state: LinkState): "good" | "warn" | "bad" | "quiet" {
  switch (state) {
    case "connected":
    case "checking":
      return "good";
    case "degraded":
      return "warn";
    case "offline":
    case "not_connected":
      return "quiet";
    case "reconnect_needed":
    case "admin_needed":
    case "keyring_unavailable":
      return "bad";
  }
}

export const CAPABILITY_WORDS: Record<CapabilityStatus, string> = {
  ok: "works",
  failed: "fails",
  unknown: "not checked",
};

export const KEYRING_HELP =
  "Graphlink keeps your sign-in in the system keyring, which is locked. Unlock it (on Linux: open \"Passwords and Keys\" and unlock the Login keyring; on macOS: Keychain Access; on Windows: sign in to Windows again), then press Check now.";

export const STEP_WORDS: Record<ReadinessStep["step"], string> = {
  consent_allowed: "Consent allowed",
  connected: "Connected",
  mail_readable: "Mail readable",
  calendar_readable: "Calendar readable",
};

export const FIXER_WORDS: Record<NonNullable<ReadinessStep["fixed_by"]>, string> = {
  rep: "you",
  it: "your IT department",
  graphlink: "Graphlink, by itself",
};

/** Formats an RFC 3339 time as local date and time, or "never". */
export function when(time: string | null): string {
  if (!time) return "never";
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? time : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** Formats an RFC 3339 time as local time of day, or "not planned". */
export function at(time: string | undefined): string {
  if (!time) return "not planned";
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? time : date.toLocaleTimeString(undefined, { timeStyle: "short" });
}
