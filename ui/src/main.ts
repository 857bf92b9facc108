// The status window: renders the tray's account statuses and sends its
// commands. Every decision is made by the tray; this only shows the result.

import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";

import { render, type Handlers, type ViewState } from "./render";
import type { AccountStatus, CommandError, ConnectOutcome, DeviceCodePrompt, TrayEvent } from "./types";

const view: ViewState = { accounts: [], signingIn: null, keyringHelp: new Set(), readinessOpen: new Set(), deviceCode: null, unavailable: null };
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
    say(`${outcome.status.username} is connected.`);
  } else {
    say(outcome.message);
  }
}

async function signIn(account: string | null): Promise<void> {
  view.signingIn = account ?? "";
  say("Finish signing in in your browser.");
  update();
  try {
    report(account === null ? await invoke<ConnectOutcome>("connect") : await invoke<ConnectOutcome>("reconnect", { account }));
  } catch (error) {
    fail(error);
  } finally {
    view.signingIn = null;
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
    if (isCommandError(error) && error.code === "cancelled") say("The sign-in with a code was cancelled.");
    else fail(error);
  } finally {
    view.signingIn = null;
    view.deviceCode = null;
    update();
  }
}

function showCode(prompt: DeviceCodePrompt): void {
  if (!view.deviceCode) return;
  view.deviceCode = { prompt, expiresAt: new Date(Date.now() + prompt.expires_in_secs * 1000) };
  update();
  document.querySelector<HTMLButtonElement>('button[data-action="copy_code"]')?.focus();
}

async function copy(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // WebKitGTK may refuse the asynchronous clipboard; a selected text area works everywhere.
    const area = document.createElement("textarea");
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}

const handlers: Handlers = {
  connect: () => void signIn(null),
  reconnect: (account) => void signIn(account),
  connectWithCode: (account) => void signInWithCode(account),
  cancelSignIn: () => void invoke("cancel_sign_in").catch(fail),
  copyCode: async (code) => {
    await copy(code);
    say("The code is on the clipboard.");
  },
  toggleReadiness: (account, open) => {
    if (open) view.readinessOpen.add(account);
    else view.readinessOpen.delete(account);
  },
  copyItRequest: async (account) => {
    try {
      const text = await invoke<string>("it_request", { account });
      await copy(text);
      say("The request for IT is on the clipboard. Paste it into an email or ticket to your IT department.");
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
  await listen<DeviceCodePrompt>("graphlink://device-code", (message) => showCode(message.payload));
  try {
    apply({ type: "snapshot", accounts: await invoke<AccountStatus[]>("snapshot") });
  } catch (error) {
    apply({ type: "disconnected", message: isCommandError(error) ? error.message : String(error) });
  }
}

void start();
