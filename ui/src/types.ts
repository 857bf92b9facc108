// The messages of the tray's IPC protocol, as the window receives them.
// They carry account status only: no token ever reaches the window.

export type LinkState =
  | "connected"
  | "checking"
  | "offline"
  | "degraded"
  | "reconnect_needed"
  | "admin_needed"
  | "keyring_unavailable"
  | "not_connected";

export type CapabilityStatus = "ok" | "failed" | "unknown";

export type Action =
  | { kind: "none" }
  | { kind: "reconnect" }
  | { kind: "ask_admin"; admin_consent_url: string }
  | { kind: "unlock_keyring" }
  | { kind: "fix_configuration" };

export interface AccountStatus {
  account: string;
  username: string;
  tenant_id: string;
  state: LinkState;
  capabilities: { profile: CapabilityStatus; mail: CapabilityStatus; calendar: CapabilityStatus };
  message: string;
  action: Action;
  last_checked: string | null;
  last_connected: string | null;
  error?: { code: string; aadsts?: number; correlation_id?: string; trace_id?: string };
}

/** An error from a window command or from the tray: a stable code and a sentence. */
export interface CommandError {
  code: "bad_request" | "not_found" | "busy" | "unsupported" | "storage" | "unavailable";
  message: string;
}

export type ConnectOutcome =
  | { result: "connected"; status: AccountStatus }
  | { result: "failed"; state: LinkState; message: string; action: Action; it_request?: string };

export type TrayEvent =
  | { type: "snapshot"; accounts: AccountStatus[] }
  | { type: "status"; status: AccountStatus }
  | { type: "removed"; account: string }
  | { type: "notification"; notification: unknown }
  | { type: "disconnected"; message: string };
