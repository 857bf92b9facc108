// The status window: renders the tray's account statuses and sends its
// commands. Every decision is made by the tray; this only shows the result.

import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { writeText } from "@tauri-apps/plugin-clipboard-manager";

import { render, type Handlers, type ViewState } from "./render";
import type { AccountStatus, CommandError, ConnectOutcome, DeviceCodePrompt, SignInProgress, TrayEvent } from "./types";

const view: ViewState = {
  accounts: [],
  signingIn: null,
  keyringHelp: new Set(),
  readinessOpen: new Set(),
  deviceCode: null,
  signInPage: null,
  itRequest: null,
  unavailable: null,
};
const content = document.getElementById("content") as HTMLElement;
const notice = document.getElementById("notice") as HTMLElement;

function update(): void {
  render(content, view, handlers);
}

function say(text: string): void {
  notice.textContent = text;
}

function isCommandError(value: unknown): value is CommandError {
  return typeof value === "object" && value !== null && "code" in value && "message" in value;
}

function fail(error: unknown): void {
  say(isCommandError(error) ? error.message : String(error));
}

function upsert(status: AccountStatus): void {
  const index = view.accounts.findIndex((known) => known.account === status.account);
  // A new state makes the notice about the last action out of date.
  if (index >= 0 && view.accounts[index].state !== status.state) say("");
  if (index >= 0) view.accounts[index] = status;
  else view.accounts.push(status);
  view.accounts.sort((a, b) => a.username.localeCompare(b.username));
}

function report(outcome: ConnectOutcome): void {
  if (outcome.result === "connected") {
    upsert(outcome.status);
    view.itRequest = null;
    say(`${outcome.status.username} is connected.`);
  } else {
    view.itRequest = outcome.it_request ?? null;
    // With a request for IT, the banner explains it; the message's pointers are for a terminal.
    say(view.itRequest ? "" : outcome.message);
  }
}

function failSignIn(error: unknown): void {
  if (isCommandError(error) && error.code === "cancelled") say("The sign-in was cancelled.");
  else fail(error);
}

async function signIn(account: string | null): Promise<void> {
  view.signingIn = account ?? "";
  view.signInPage = null;
  say("");
  update();
  try {
    report(account === null ? await invoke<ConnectOutcome>("connect") : await invoke<ConnectOutcome>("reconnect", { account }));
  } catch (error) {
    failSignIn(error);
  } finally {
    view.signingIn = null;
    view.signInPage = null;
    update();
  }
}

async function signInWithCode(account: string | null): Promise<void> {
  view.signingIn = account ?? "";
  view.deviceCode = { prompt: null, expiresAt: null };
  say("");
  update();
  try {
    report(await invoke<ConnectOutcome>("connect_device_code", { account }));
  } catch (error) {
    failSignIn(error);
  } finally {
    view.signingIn = null;
    view.deviceCode = null;
    update();
  }
}

function progress(event: SignInProgress): void {
  if (event.type === "device_code") {
    showCode(event.prompt);
    return;
  }
  if (view.signingIn === null || view.deviceCode) return;
  view.signInPage = { url: event.url, browserError: event.browser_error ?? null };
  update();
}

function showCode(prompt: DeviceCodePrompt): void {
  if (!view.deviceCode) return;
  view.deviceCode = { prompt, expiresAt: new Date(Date.now() + prompt.expires_in_secs * 1000) };
  update();
  document.querySelector<HTMLButtonElement>('button[data-action="copy_code"]')?.focus();
}

/** Puts text on the clipboard through the window process, which WebKit's own clipboard rules do not limit. */
async function copy(text: string, done: string): Promise<void> {
  try {
    await writeText(text);
    say(done);
  } catch (error) {
    say(`Could not copy to the clipboard (${String(error)}). Select the text and copy it with Ctrl+C.`);
  }
}

const handlers: Handlers = {
  connect: () => void signIn(null),
  reconnect: (account) => void signIn(account),
  connectWithCode: (account) => void signInWithCode(account),
  cancelSignIn: () => void invoke("cancel_sign_in").catch(fail),
  copy: (text, done) => void copy(text, done),
  dismissItRequest: () => {
    view.itRequest = null;
    update();
  },
  toggleReadiness: (account, open) => {
    if (open) view.readinessOpen.add(account);
    else view.readinessOpen.delete(account);
  },
  copyItRequest: async (account) => {
    try {
      const text = await invoke<string>("it_request", { account });
      await copy(text, "The request for IT is on the clipboard. Paste it into an email or ticket to your IT department.");
    } catch (error) {
      fail(error);
    }
  },
  toggleKeyringHelp: (account) => {
    if (view.keyringHelp.has(account)) view.keyringHelp.delete(account);
    else view.keyringHelp.add(account);
    update();
  },
  checkNow: async () => {
    try {
      await invoke("check_now");
      say("Checking every account now.");
    } catch (error) {
      fail(error);
    }
  },
};

function apply(event: TrayEvent): void {
  switch (event.type) {
    case "snapshot":
      view.accounts = [...event.accounts];
      // A snapshot follows a tray (re)start, so the notice about an earlier action is out of date.
      if (view.unavailable) say("");
      view.unavailable = null;
      break;
    case "status":
      upsert(event.status);
      break;
    case "removed":
      view.accounts = view.accounts.filter((status) => status.account !== event.account);
      break;
    case "disconnected":
      view.unavailable = event.message;
      break;
    case "notification":
      return;
  }
  // Redrawing the code panel would move the keyboard focus away from it; the
  // cards are drawn again when the sign-in ends.
  if (!view.deviceCode) update();
}

async function start(): Promise<void> {
  await listen<TrayEvent>("graphlink://event", (message) => apply(message.payload));
  await listen<SignInProgress>("graphlink://sign-in-progress", (message) => progress(message.payload));
  try {
    apply({ type: "snapshot", accounts: await invoke<AccountStatus[]>("snapshot") });
    // A blocked sign-in from an earlier window or a command still needs IT.
    const attempt = await invoke<{ it_request?: { text: string } } | null>("last_connect_attempt");
    if (attempt?.it_request && view.itRequest === null) {
      view.itRequest = attempt.it_request.text;
      update();
    }
  } catch (error) {
    apply({ type: "disconnected", message: isCommandError(error) ? error.message : String(error) });
  }
}

void start();
