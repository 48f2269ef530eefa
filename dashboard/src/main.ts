// The dashboard's entry point. Pages are chosen by the URL's hash, so that the API serves plain
// static files; one live feed serves every page; the header shows how far the indexer has got.

import { get, type Health } from "./api";
import { appConfig } from "./config";
import { h, replaceChildren } from "./dom";
import { amount, time } from "./format";
import { accountHref } from "./links";
import { LiveFeed, type LiveState } from "./live";
import { WalletDirectory } from "./wallet/discovery";
import { explain } from "./wallet/errors";
import { parseAddress } from "./wallet/input";
import { WalletSession } from "./wallet/session";
import { accountView } from "./views/account";
import { memberView } from "./views/member/page";
import { merchantView } from "./views/merchant/page";
import { overview } from "./views/overview";
import { showError, type View } from "./views/view";
import { WalletBar } from "./views/wallet-bar";

const HEALTH_POLL_MS = 5_000;
// The API checks the address itself and says what is wrong with a bad one.
const ACCOUNT_ROUTE = /^#\/account\/([^/]+)$/;
const MEMBER_ROUTE = /^#\/member(?:\/([^/]+))?$/;
const MERCHANT_ROUTE = /^#\/merchant$/;

const viewRoot = document.getElementById("view")!;
const status = document.getElementById("status")!;
const lookup = document.getElementById("lookup") as HTMLFormElement;
const nav = document.getElementById("sections")!;
const walletBar = new WalletBar(document.getElementById("wallet")!, new WalletDirectory());
let session: WalletSession | null = null;
let starting: Promise<WalletSession> | null = null;

let liveState: LiveState = "connecting";
let health: Health | null = null;
let current: View | null = null;
const live = new LiveFeed((state) => {
  liveState = state;
  renderStatus();
});

function route(): void {
  current?.destroy();
  current = null;
  const account = ACCOUNT_ROUTE.exec(location.hash);
  const member = MEMBER_ROUTE.exec(location.hash);
  if (account) current = accountView(viewRoot, decodeURIComponent(account[1]), live);
  else if (member) void walletRoute((wallet) => memberRoute(wallet, member[1] && decodeURIComponent(member[1])));
  else if (MERCHANT_ROUTE.test(location.hash)) void walletRoute(merchantRoute);
  else current = overview(viewRoot, live);
  for (const link of nav.querySelectorAll("a")) {
    const here = link.getAttribute("href") === (location.hash.match(/^#\/[a-z]*/)?.[0] ?? "#/");
    if (here) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  window.scrollTo(0, 0);
}

/** The member app and the merchant console need the API's config (the chain) and the wallet. */
async function walletRoute(show: (wallet: WalletSession) => View): Promise<void> {
  replaceChildren(viewRoot, h("p", { class: "muted" }, "Loading…"));
  const wanted = location.hash;
  try {
    session = await walletSession();
  } catch (error) {
    const banner = h("div");
    replaceChildren(viewRoot, banner);
    showError(banner, error, route);
    return;
  }
  if (location.hash !== wanted) return;
  current = show(session);
}

/** The one wallet session of the page, made once the API has said which chain it serves. */
function walletSession(): Promise<WalletSession> {
  starting ??= appConfig().then((config) => {
    const started = new WalletSession(config);
    walletBar.attach(started);
    // A connected, disconnected or switched wallet changes what these pages may do.
    started.onChange(() => {
      if (MEMBER_ROUTE.test(location.hash) || MERCHANT_ROUTE.test(location.hash)) route();
    });
    return started;
  }).catch((error) => {
    starting = null;
    throw error;
  });
  return starting;
}

function memberRoute(wallet: WalletSession, pasted: string | undefined): View {
  if (pasted) {
    try {
      return memberView(viewRoot, parseAddress(pasted), wallet.config, wallet, live);
    } catch (error) {
      replaceChildren(viewRoot, h("p", { class: "error" }, explain(error)));
      return { destroy() {} };
    }
  }
  if (wallet.account && wallet.state === "ready") return memberView(viewRoot, wallet.account, wallet.config, wallet, live);
  return connectPrompt("see your points, redeem rewards, convert and give points",
    "or look at any account's points, read-only:", (address) => (location.hash = `#/member/${address}`));
}

function merchantRoute(wallet: WalletSession): View {
  if (wallet.account && wallet.state === "ready") return merchantView(viewRoot, wallet, live);
  return connectPrompt("issue points, run campaigns and manage your rewards", null, null);
}

function connectPrompt(purpose: string, lookText: string | null, look: ((address: string) => void) | null): View {
  const state = session?.state === "wrong-chain"
    ? `Your wallet is on another chain: switch it to chain ${session.config.chain_id} (button above) to ${purpose}.`
    : `Connect a wallet (button above) to ${purpose}.`;
  const form = look && h("form", { class: "paste" },
    h("input", { name: "address", placeholder: "0x…", required: true, autocomplete: "off", spellcheck: "false",
      "aria-label": "account address" }),
    h("button", { type: "submit" }, "Show points"));
  const problem = h("p", { class: "error-text", role: "alert" });
  form?.addEventListener("submit", (event) => {
    event.preventDefault();
    try {
      look!(parseAddress((form.elements.namedItem("address") as HTMLInputElement).value));
    } catch (error) {
      problem.textContent = explain(error);
    }
  });
  replaceChildren(viewRoot, h("section", { class: "connect-prompt" }, h("p", {}, state),
    lookText ? h("p", {}, lookText) : null, form, problem));
  return { destroy() {} };
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
// The wallet control shows from the start, not only on the member and merchant pages; an API that
// cannot answer yet is asked again when one of those pages opens.
walletSession().then((started) => (session = started), () => undefined);
