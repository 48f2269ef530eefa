// An account (`#/account/0x…`): its balance and expiring points per program, what it issued and
// redeemed as a merchant (when it is one), and its full history.

import { ApiError, get, getAll } from "../api";
import type { Account, AccountProgram, Merchant, Movement, Page } from "../api";
import { h, replaceChildren, section, table } from "../dom";
import { amount, day, fromNow, isZero, time } from "../format";
import { copyButton } from "../links";
import type { LiveFeed } from "../live";
import { movementHeadings, movementKey, movementRow, type Symbols } from "./movements";
import { showError, throttled, type View } from "./view";

const HISTORY_PAGE = 100;
const REFRESH_GAP_MS = 1_000;

export function accountView(root: HTMLElement, address: string, live: LiveFeed): View {
  const banner = h("div");
  const title = h("h1", { class: "account" }, "Account ", h("code", {}, address));
  const asOf = h("p", { class: "muted" });
  const balances = h("div", { class: "cards" });
  const asMerchant = h("div");
  const history = h("tbody");
  const more = h("button", { type: "button", hidden: true }, "Show older movements");
  const body = h("div", { hidden: true },
    section("balances", "Points", asOf, balances),
    asMerchant,
    section("history", "History",
      h("table", { class: "movements" },
        h("thead", {}, h("tr", {}, ...movementHeadings(false).map((heading) => h("th", { scope: "col" }, heading)))),
        history),
      more));
  let symbols: Symbols = new Map();
  let cursor: string | null = null;
  let seen = new Set<string>();
  let destroyed = false;

  replaceChildren(root, title, banner, body);

  /** The account's balances, and its totals where it is one of a program's merchants. */
  async function fetchAccount(): Promise<[Account, Merchant[]]> {
    return Promise.all([get<Account>(`/accounts/${address}`), getAll<Merchant>("/merchants", { merchant: address })]);
  }

  function renderAccount([account, merchants]: [Account, Merchant[]]): void {
    address = account.address;
    replaceChildren(title, "Account ", h("code", {}, address), copyButton(address));
    symbols = new Map(account.programs.map((program) => [program.program, program.symbol]));
    replaceChildren(asOf, `As of block ${amount(account.indexed_block)}, ${time(account.as_of)}.`);
    replaceChildren(balances, ...account.programs.map((program) => balanceCard(program, new Date(account.as_of))));
    replaceChildren(asMerchant, merchants.length ? merchantSection(merchants, symbols) : null);
  }

  function addMovements(movements: Movement[], where: "top" | "bottom"): void {
    const rows = movements.filter((movement) => !seen.has(movementKey(movement))).map((movement) => {
      seen.add(movementKey(movement));
      const row = movementRow(movement, symbols, false);
      if (where === "top") row.classList.add("fresh");
      return row;
    });
    if (where === "top") history.prepend(...rows);
    else history.append(...rows);
  }

  async function loadOlder(): Promise<void> {
    const page = await get<Page<Movement>>(`/accounts/${address}/history`, { limit: HISTORY_PAGE, cursor: cursor ?? undefined });
    if (destroyed) return;
    addMovements(page.items, "bottom");
    cursor = page.next_cursor;
    more.hidden = cursor === null;
  }

  async function loadAll(): Promise<void> {
    const fetched = await fetchAccount();
    if (destroyed) return;
    renderAccount(fetched);
    cursor = null;
    seen = new Set();
    history.replaceChildren();
    await loadOlder();
    replaceChildren(banner);
    body.hidden = false;
  }

  const refreshBalances = throttled(async () => {
    if (destroyed) return;
    try {
      renderAccount(await fetchAccount());
    } catch (error) {
      showError(banner, error, refreshBalances);
    }
  }, REFRESH_GAP_MS);

  const reload = throttled(async () => {
    if (destroyed) return;
    try {
      await loadAll();
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) {
        replaceChildren(banner, h("p", { class: "notice" }, error.message));
        return;
      }
      showError(banner, error, reload);
    }
  }, REFRESH_GAP_MS);

  more.addEventListener("click", () => void loadOlder().catch((error) => showError(banner, error, reload)));

  const unsubscribe = live.subscribe((event) => {
    if (event.type !== "movement") {
      reload();
    } else if (event.movement.account.toLowerCase() === address.toLowerCase()) {
      if (body.hidden) {
        reload();
        return;
      }
      addMovements([event.movement], "top");
      refreshBalances();
    } else if (event.movement.counterparty?.toLowerCase() === address.toLowerCase()) {
      // Points it issued or a reward of its redeemed: its merchant totals changed.
      refreshBalances();
    }
  });
  reload();

  return {
    destroy() {
      destroyed = true;
      unsubscribe();
    },
  };
}

function merchantSection(merchants: Merchant[], symbols: Symbols): HTMLElement {
  return section("as-merchant", "As a merchant", table("as-merchant",
    ["Program", "Name", "Cap per period", "Issued", "Redeemed"], merchants.map((merchant) =>
      h("tr", { "data-program": symbols.get(merchant.program) ?? merchant.program },
        h("td", {}, symbols.get(merchant.program) ?? merchant.program,
          merchant.role === "exchange" ? h("span", { class: "badge" }, "exchange") : null),
        h("td", {}, merchant.name || "—"),
        h("td", { class: "number", "data-field": "cap" }, amount(merchant.cap)),
        h("td", { class: "number", "data-field": "issued" }, amount(merchant.issued)),
        h("td", { class: "number", "data-field": "redeemed" }, amount(merchant.redeemed)))), ""));
}

function balanceCard(program: AccountProgram, asOf: Date): HTMLElement {
  const next = program.next_expiry;
  return h("article", { class: `card${isZero(program.balance) ? " empty" : ""}`, "data-program": program.key },
    h("h3", {}, program.name, " ", h("span", { class: "symbol" }, program.symbol)),
    h("dl", {}, h("div", {}, h("dt", {}, "Balance"), h("dd", { "data-field": "balance" }, amount(program.balance)))),
    next
      ? h("p", { class: "next-expiry" }, "Next expiry: ", h("strong", { "data-field": "next-expiry" }, amount(next.amount)),
        ` ${program.symbol} on ${day(next.expires_at)} (${fromNow(next.expires_at, asOf)})`)
      : null,
    program.expiring.length
      ? table("expiring", ["Expires", "Points", "Epoch"], program.expiring.map((expiry, index) =>
        h("tr", { class: index === 0 ? "next" : undefined },
          h("td", {}, day(expiry.expires_at)),
          h("td", { class: "number", "data-field": "amount" }, amount(expiry.amount)),
          h("td", { class: "number" }, String(expiry.epoch)))), "")
      : null);
}
