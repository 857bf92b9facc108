// Rendering of the window's screens from account statuses. Pure DOM
// building: the handlers passed in carry out the actions.

import { h } from "./dom";
import type { AccountStatus } from "./types";
import { CAPABILITY_WORDS, KEYRING_HELP, STATE_WORDS, tone, when } from "./words";

export interface Handlers {
  connect(): void;
  reconnect(account: string): void;
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
  unavailable: string | null;
}

export function render(root: HTMLElement, view: ViewState, handlers: Handlers): void {
  if (view.unavailable) {
    root.replaceChildren(unavailable(view.unavailable));
    return;
  }
  if (view.accounts.length === 0) {
    root.replaceChildren(firstRun(view, handlers));
    return;
  }
  const cards = view.accounts.map((status) => card(status, view, handlers));
  const footer = h(
    "div",
    { class: "footer" },
    button("Check now", "check_now", () => handlers.checkNow(), "secondary"),
    button(view.signingIn === "" ? "Waiting for the sign-in…" : "Connect another account", "connect", () => handlers.connect(), "secondary", view.signingIn !== null),
  );
  root.replaceChildren(h("ul", { class: "cards", "aria-label": "Linked accounts" }, ...cards), footer);
}

function firstRun(view: ViewState, handlers: Handlers): HTMLElement {
  const waiting = view.signingIn !== null;
  return h(
    "section",
    { class: "first-run", "aria-labelledby": "first-run-title" },
    h("h2", { id: "first-run-title" }, "Link your Microsoft 365 mailbox"),
    h("p", {}, "Graphlink signs you in to Microsoft once, so your sales tools can keep reading your mail and calendar through Microsoft Graph."),
    h("p", {}, "It checks the link in the background and tells you only when you need to act."),
    button(waiting ? "Waiting for the sign-in in your browser…" : "Connect", "connect", () => handlers.connect(), "primary", waiting),
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
    ),
    primaryAction(status, view, handlers),
  );
}

function primaryAction(status: AccountStatus, view: ViewState, handlers: Handlers): HTMLElement | null {
  switch (status.action.kind) {
    case "reconnect": {
      const waiting = view.signingIn === status.account;
      return button(waiting ? "Waiting for the sign-in…" : "Reconnect", "reconnect", () => handlers.reconnect(status.account), "primary", view.signingIn !== null);
    }
    case "ask_admin":
      return button("Copy request for IT", "copy_it_request", () => handlers.copyItRequest(status.account), "primary");
    case "unlock_keyring": {
      const open = view.keyringHelp.has(status.account);
      const toggle = button("How to unlock the keyring", "keyring_help", () => handlers.toggleKeyringHelp(status.account), "primary");
      toggle.setAttribute("aria-expanded", String(open));
      return h("div", {}, toggle, open && h("p", { class: "help" }, KEYRING_HELP));
    }
    case "none":
    case "fix_configuration":
      return null;
  }
}

function unavailable(message: string): HTMLElement {
  return h(
    "section",
    { class: "unavailable", "data-state": "unavailable" },
    h("h2", {}, "Graphlink is not running"),
    h("p", {}, message),
    h("p", {}, "Start Graphlink from your applications menu; this window reconnects by itself."),
  );
}

function button(label: string, action: string, onClick: () => void, kind: "primary" | "secondary", disabled = false): HTMLButtonElement {
  const element = h("button", { type: "button", class: kind, "data-action": action }, label) as HTMLButtonElement;
  element.disabled = disabled;
  element.addEventListener("click", onClick);
  return element;
}
