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

export type StepStatus = "done" | "missing" | "unknown";

/** One item of the migration readiness checklist. */
export interface ReadinessStep {
  step: "consent_allowed" | "connected" | "mail_readable" | "calendar_readable";
  status: StepStatus;
  fixed_by?: "rep" | "it" | "graphlink";
  message: string;
}

/** Whether the old EWS link of an account can be switched off, decided by the tray. */
export interface Readiness {
  steps: ReadinessStep[];
  ews_can_be_switched_off: boolean;
  summary: string;
}

/** An account's status and readiness checklist, as the tray sends them. */
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
  /** When the tray checks the account next; absent before its first plan. */
  next_check?: string;
  readiness: Readiness;
  error?: { code: string; aadsts?: number; correlation_id?: string; trace_id?: string };
}

/** An error from a window command or from the tray: a stable code and a sentence. */
export interface CommandError {
  code: "bad_request" | "not_found" | "busy" | "unsupported" | "storage" | "unavailable" | "cancelled";
  message: string;
}

/** The progress a sign-in reports before its outcome. */
export type SignInProgress =
  | { type: "device_code"; prompt: DeviceCodePrompt }
  | { type: "sign_in_page"; url: string; browser_error?: string };

export type ConnectOutcome =
  | { result: "connected"; status: AccountStatus }
  | { result: "failed"; state: LinkState; message: string; action: Action; it_request?: string };

/** The code of a device code sign-in and where to enter it. */
export interface DeviceCodePrompt {
  user_code: string;
  verification_uri: string;
  expires_in_secs: number;
  message: string | null;
}

export type TrayEvent =
  | { type: "snapshot"; accounts: AccountStatus[] }
  | { type: "status"; status: AccountStatus }
  | { type: "removed"; account: string }
  | { type: "notification"; notification: unknown }
  | { type: "disconnected"; message: string };
