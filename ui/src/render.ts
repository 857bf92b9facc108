// Rendering of the window's screens from account statuses. Pure DOM
// building: the handlers passed in carry out the actions.

import { h } from "./dom";
import type { AccountStatus, DeviceCodePrompt, Readiness } from "./types";
import { CAPABILITY_WORDS, FIXER_WORDS, KEYRING_HELP, STATE_WORDS, STEP_WORDS, at, tone, when } from "./words";

export interface Handlers {
  connect(): void;
  reconnect(account: string): void;
  /** Signs in with a code entered on another device: a new account when `account` is null. */
  connectWithCode(account: string | null): void;
  cancelSignIn(): void;
  /** Puts text on the clipboard and shows `done` when it worked. */
  copy(text: string, done: string): void;
  dismissItRequest(): void;
  toggleReadiness(account: string, open: boolean): void;
  copyItRequest(account: string): void;
  toggleKeyringHelp(account: string): void;
  checkNow(): void;
}

export interface ViewState {
  accounts: AccountStatus[];
  /** The account being signed in again, "" for a new one, or null when no sign-in runs. */
  signingIn: string | null;
  /** Accounts whose keyring help is expanded. */
  keyringHelp: Set<string>;
  /** Accounts whose readiness checklist is expanded. */
  readinessOpen: Set<string>;
  /** The device code sign-in in progress; `prompt` is null until the code arrives. */
  deviceCode: { prompt: DeviceCodePrompt | null; expiresAt: Date | null } | null;
  /** The sign-in page of the browser sign-in in progress, once the browser was started. */
  signInPage: { url: string; browserError: string | null } | null;
  /** The request for IT of a connect that only IT can unblock. */
  itRequest: string | null;
  unavailable: string | null;
}

export function render(root: HTMLElement, view: ViewState, handlers: Handlers): void {
  if (view.unavailable) {
    root.replaceChildren(unavailable(view.unavailable));
    return;
  }
  if (view.deviceCode) {
    root.replaceChildren(deviceCode(view.deviceCode, handlers));
    return;
  }
  const banners = [view.signingIn !== null && signingIn(view, handlers), view.itRequest && itRequest(view.itRequest, handlers)];
  if (view.accounts.length === 0) {
    root.replaceChildren(...banners.filter(isElement), firstRun(view, handlers));
    return;
  }
  const cards = view.accounts.map((status) => card(status, view, handlers));
  const waiting = view.signingIn !== null;
  const footer = h(
    "div",
    { class: "footer" },
    button("Check now", "check_now", () => handlers.checkNow(), "secondary"),
    button(view.signingIn === "" ? "Waiting for the sign-in…" : "Connect another account", "connect", () => handlers.connect(), "secondary", waiting),
    button("Use a code from another device", "connect_with_code", () => handlers.connectWithCode(null), "link", waiting),
  );
  root.replaceChildren(...banners.filter(isElement), h("ul", { class: "cards", "aria-label": "Linked accounts" }, ...cards), footer);
}

function isElement(value: HTMLElement | false | null | ""): value is HTMLElement {
  return value instanceof HTMLElement;
}

/** Renders the browser sign-in in progress: where to sign in, and a way out. */
function signingIn(view: ViewState, handlers: Handlers): HTMLElement {
  const page = view.signInPage;
  const cancel = button("Cancel", "cancel_sign_in", () => handlers.cancelSignIn(), "secondary");
  if (!page) {
    return h("section", { class: "banner", "data-role": "sign-in" }, h("p", {}, "Opening the Microsoft sign-in page in your browser…"), cancel);
  }
  const intro = page.browserError
    ? `Graphlink could not open a browser (${page.browserError}). Open this address in your browser to sign in:`
    : "Finish signing in in your browser. If no sign-in page appeared, open this address:";
  return h(
    "section",
    { class: "banner", "data-role": "sign-in" },
    h("p", {}, intro),
    h("p", { class: "address", "data-role": "sign-in-url" }, page.url),
    h("div", { class: "actions" }, button("Copy address", "copy_sign_in_url", () => handlers.copy(page.url, "The address is on the clipboard."), "secondary"), cancel),
  );
}

/** Renders the request for IT of a connect that only IT can unblock. */
function itRequest(text: string, handlers: Handlers): HTMLElement {
  const area = h("textarea", { class: "request", readonly: "", rows: "6", "aria-label": "Request for IT", "data-role": "it-request-text" }) as HTMLTextAreaElement;
  area.textContent = text;
  return h(
    "section",
    { class: "banner", "data-role": "it-request" },
    h("p", {}, "Only your IT department can allow this sign-in. Send them this request:"),
    area,
    h(
      "div",
      { class: "actions" },
      button("Copy request for IT", "copy_it_request", () => handlers.copy(text, "The request for IT is on the clipboard. Paste it into an email or ticket to your IT department."), "primary"),
      button("Close", "dismiss_it_request", () => handlers.dismissItRequest(), "secondary"),
    ),
  );
}

function firstRun(view: ViewState, handlers: Handlers): HTMLElement {
  const waiting = view.signingIn !== null;
  return h(
    "section",
    { class: "first-run", "aria-labelledby": "first-run-title" },
    h("h2", { id: "first-run-title" }, "Link your Microsoft 365 mailbox"),
    h("p", {}, "Graphlink signs you in to Microsoft once, so your sales tools can keep reading your mail and calendar through Microsoft Graph."),
    h("p", {}, "It checks the link in the background and tells you only when you need to act."),
    h(
      "div",
      { class: "actions" },
      button(waiting ? "Waiting for the sign-in in your browser…" : "Connect", "connect", () => handlers.connect(), "primary", waiting),
      button("Use a code from another device", "connect_with_code", () => handlers.connectWithCode(null), "link", waiting),
    ),
  );
}

function deviceCode(state: NonNullable<ViewState["deviceCode"]>, handlers: Handlers): HTMLElement {
  const { prompt, expiresAt } = state;
  const cancel = button("Cancel", "cancel_sign_in", () => handlers.cancelSignIn(), "secondary");
  if (!prompt) {
    return h("section", { class: "device-code", "data-role": "device-code" }, h("h2", {}, "Sign in on another device"), h("p", {}, "Asking Microsoft for a code…"), cancel);
  }
  return h(
    "section",
    { class: "device-code", "data-role": "device-code", "aria-labelledby": "device-code-title" },
    h("h2", { id: "device-code-title" }, "Sign in on another device"),
    h("p", {}, "1. On your phone or another computer, open this address:"),
    h("p", { class: "address", "data-role": "verification-uri" }, prompt.verification_uri),
    h("p", {}, "2. Enter this code and sign in with your work account:"),
    h("p", { class: "code", "data-role": "user-code" }, prompt.user_code),
    h("p", { class: "times" }, `The code works until ${at(expiresAt?.toISOString())}. This window updates by itself when you have signed in.`),
    h("div", { class: "actions" }, button("Copy code", "copy_code", () => handlers.copy(prompt.user_code, "The code is on the clipboard."), "primary"), cancel),
  );
}

function card(status: AccountStatus, view: ViewState, handlers: Handlers): HTMLElement {
  const capabilities = h(
    "ul",
    { class: "capabilities", "aria-label": "What works" },
    ...(["profile", "mail", "calendar"] as const).map((name) => {
      const value = status.capabilities[name];
      return h("li", { class: `capability ${value}`, "data-capability": name }, `${name[0].toUpperCase()}${name.slice(1)}: ${CAPABILITY_WORDS[value]}`);
    }),
  );
  return h(
    "li",
    { class: `card ${tone(status.state)}`, "data-account": status.username, "data-state": status.state },
    h(
      "div",
      { class: "card-head" },
      h("h2", { class: "username" }, status.username),
      h("span", { class: `state ${tone(status.state)}`, "data-role": "state" }, STATE_WORDS[status.state]),
    ),
    capabilities,
    h("p", { class: "message", "data-role": "message" }, status.message),
    h(
      "p",
      { class: "times" },
      `Last successful check: ${when(status.last_connected)}`,
      h("br"),
      `Last check: ${when(status.last_checked)}`,
      h("br"),
      `Next check: ${at(status.next_check)}`,
    ),
    primaryAction(status, view, handlers),
    readiness(status.account, status.readiness, view, handlers),
  );
}

function readiness(account: string, checklist: Readiness, view: ViewState, handlers: Handlers): HTMLElement {
  const passed = checklist.steps.filter((step) => step.status === "done").length;
  const headline = checklist.ews_can_be_switched_off
    ? "Ready: the old EWS link can be switched off"
    : `Keep the old EWS link: ${passed} of ${checklist.steps.length} checks pass`;
  const steps = checklist.steps.map((step) =>
    h(
      "li",
      { class: `step ${step.status}`, "data-step": step.step, "data-status": step.status },
      h("span", { class: "step-name" }, STEP_WORDS[step.step]),
      step.status !== "done" && h("span", { class: "step-message" }, ` ${step.message}`),
      step.fixed_by && h("span", { class: "fixer" }, ` Who can fix it: ${FIXER_WORDS[step.fixed_by]}.`),
    ),
  );
  const details = h(
    "details",
    { class: "readiness", "data-role": "readiness", "data-ready": String(checklist.ews_can_be_switched_off) },
    h("summary", {}, headline),
    h("ul", { class: "steps", "aria-label": "Migration readiness" }, ...steps),
    h("p", { class: "summary" }, checklist.summary),
  ) as HTMLDetailsElement;
  details.open = view.readinessOpen.has(account);
  details.addEventListener("toggle", () => handlers.toggleReadiness(account, details.open));
  return details;
}

function primaryAction(status: AccountStatus, view: ViewState, handlers: Handlers): HTMLElement | null {
  switch (status.action.kind) {
    case "reconnect": {
      const waiting = view.signingIn === status.account;
      return h(
        "div",
        { class: "actions" },
        button(waiting ? "Waiting for the sign-in…" : "Reconnect", "reconnect", () => handlers.reconnect(status.account), "primary", view.signingIn !== null),
        button("Use a code instead", "reconnect_with_code", () => handlers.connectWithCode(status.account), "link", view.signingIn !== null),
      );
    }
    // When IT allows user consent instead of granting it, only a new sign-in
    // picks that up, so the rep can reconnect once IT reports it done.
    case "ask_admin": {
      const waiting = view.signingIn === status.account;
      return h(
        "div",
        { class: "actions" },
        button("Copy request for IT", "copy_it_request", () => handlers.copyItRequest(status.account), "primary"),
        button(waiting ? "Waiting for the sign-in…" : "Reconnect after IT approved", "reconnect", () => handlers.reconnect(status.account), "link", view.signingIn !== null),
      );
    }
    // Only IT can fix the setting, so the card offers the request for them.
    case "fix_configuration":
      return status.state === "admin_needed" ? button("Copy request for IT", "copy_it_request", () => handlers.copyItRequest(status.account), "primary") : null;
    case "unlock_keyring": {
      const open = view.keyringHelp.has(status.account);
      const toggle = button("How to unlock the keyring", "keyring_help", () => handlers.toggleKeyringHelp(status.account), "primary");
      toggle.setAttribute("aria-expanded", String(open));
      return h("div", {}, toggle, open && h("p", { class: "help" }, KEYRING_HELP));
    }
    case "none":
      return null;
  }
}

function unavailable(message: string): HTMLElement {
  return h(
    "section",
    { class: "unavailable", "data-state": "unavailable" },
    h("h2", {}, "Graphlink is not running"),
    message !== "Graphlink is not running." && h("p", {}, message),
    h("p", {}, "Start Graphlink from your applications menu; this window reconnects by itself."),
  );
}

function button(label: string, action: string, onClick: () => void, kind: "primary" | "secondary" | "link", disabled = false): HTMLButtonElement {
  const element = h("button", { type: "button", class: kind, "data-action": action }, label) as HTMLButtonElement;
  element.disabled = disabled;
  element.addEventListener("click", onClick);
  return element;
}
