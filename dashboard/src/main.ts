// The dashboard's entry point. Pages are chosen by the URL's hash, so that the API serves plain
// static files; one live feed serves every page; the header shows how far the indexer has got.

import { get, type Health } from "./api";
import { h, replaceChildren } from "./dom";
import { amount, time } from "./format";
import { accountHref } from "./links";
import { LiveFeed, type LiveState } from "./live";
import { accountView } from "./views/account";
import { overview } from "./views/overview";
import type { View } from "./views/view";

const HEALTH_POLL_MS = 5_000;
// The API checks the address itself and says what is wrong with a bad one.
const ACCOUNT_ROUTE = /^#\/account\/([^/]+)$/;

const viewRoot = document.getElementById("view")!;
const status = document.getElementById("status")!;
const lookup = document.getElementById("lookup") as HTMLFormElement;

let liveState: LiveState = "connecting";
let health: Health | null = null;
let current: View | null = null;
const live = new LiveFeed((state) => {
  liveState = state;
  renderStatus();
});

function route(): void {
  current?.destroy();
  const account = ACCOUNT_ROUTE.exec(location.hash);
  current = account ? accountView(viewRoot, decodeURIComponent(account[1]), live) : overview(viewRoot, live);
  window.scrollTo(0, 0);
}

function renderStatus(): void {
  const liveText = { connecting: "connecting…", live: "live", reconnecting: "reconnecting…" }[liveState];
  const indexed = !health || health.indexed_block === null
    ? "waiting for the indexer"
    : `block ${amount(health.indexed_block)} indexed` +
      (health.status === "behind" ? `, ${amount(health.lag_blocks ?? 0)} behind the chain` : "");
  replaceChildren(status,
    h("span", { class: `dot ${liveState}`, "aria-hidden": "true" }), ` ${liveText} · `,
    h("span", { title: health?.indexed_time ? `as of ${time(health.indexed_time)}` : "" }, indexed));
}

async function pollHealth(): Promise<void> {
  try {
    health = await get<Health>("/health");
  } catch {
    health = null;
  }
  renderStatus();
  setTimeout(pollHealth, HEALTH_POLL_MS);
}

lookup.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = lookup.elements.namedItem("address") as HTMLInputElement;
  location.hash = accountHref(input.value.trim());
  input.value = "";
});
window.addEventListener("hashchange", route);

live.start();
void pollHealth();
route();
