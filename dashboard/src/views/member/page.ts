// The member app (`#/member`): a customer's points per program with what expires when, the
// catalog with one-click redemption, conversions into partner points, gifts and the history in
// words. With a wallet connected it acts for the wallet's account; `#/member/0x…` shows any
// account read-only.

import type { Address } from "viem";
import { ApiError, get, getAll } from "../../api";
import type { Account, AccountProgram, Movement, Page, Program, Reward, Route } from "../../api";
import type { AppConfig } from "../../config";
import { h, replaceChildren, section, table } from "../../dom";
import { amount, day, fromNow, isZero, time } from "../../format";
import type { LiveFeed } from "../../live";
import { Relayer } from "../../wallet/relayer";
import type { WalletSession } from "../../wallet/session";
import { reloader, type View } from "../view";
import { Catalog } from "./catalog";
import type { MemberContext, MemberData } from "./context";
import { Convert } from "./convert";
import { Gift } from "./gift";
import { historyTable } from "./history";

const HISTORY_ROWS = 100;
const REFRESH_GAP_MS = 500;
const WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export function memberView(root: HTMLElement, address: Address, config: AppConfig, wallet: WalletSession | null,
                           live: LiveFeed): View {
  const acting = wallet?.account === address && wallet.state === "ready" ? wallet : null;
  const relayer = config.relayer_url ? new Relayer(config.relayer_url) : null;
  const payGas = h("input", { type: "checkbox", name: "pay-gas" });
  payGas.checked = relayer === null;
  payGas.disabled = relayer === null;
  let destroyed = false;

  const context: MemberContext = {
    address, config, session: acting, relayer,
    paysOwnGas: () => payGas.checked,
    refresh: (afterBlock) => refresh(afterBlock),
  };
  const banner = h("div");
  const cards = h("div", { class: "cards" });
  const history = h("div");
  const catalog = new Catalog(context);
  const convert = new Convert(context);
  const gift = new Gift(context);

  replaceChildren(root,
    h("h1", { class: "account" }, "My points ", h("code", {}, address)),
    acting
      ? h("p", { class: "gas-choice" }, h("label", { class: "check" }, payGas, relayer
        ? " Pay the gas myself (otherwise the relayer sends my signed requests)"
        : " Transactions are sent from my wallet: no relayer serves this alliance"))
      : h("p", { class: "notice", "data-field": "read-only" },
        "Read-only: connect the wallet of this account to redeem, convert or give points."),
    banner,
    section("my-points", "Balances", cards),
    catalog.element, convert.element, gift.element,
    section("member-history", "History", history));

  async function load(): Promise<void> {
    const [account, programs, rewards, routes, movements] = await Promise.all([
      get<Account>(`/accounts/${address}`).catch((error) => {
        // An address that never held points has no account yet.
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }),
      getAll<Program>("/programs"),
      getAll<Reward>("/rewards", { active: "true" }),
      getAll<Route>("/exchange/routes"),
      get<Page<Movement>>(`/accounts/${address}/history`, { limit: HISTORY_ROWS }).then((page) => page.items)
        .catch((error) => {
          if (error instanceof ApiError && error.status === 404) return [];
          throw error;
        }),
    ]);
    if (destroyed) return;
    const data: MemberData = { account, programs: programs.sort((a, b) => a.key.localeCompare(b.key)), rewards, routes };
    replaceChildren(banner);
    const held = new Map(account?.programs.map((program) => [program.program, program]));
    const asOf = account ? new Date(account.as_of) : new Date();
    replaceChildren(cards, ...data.programs.map((program) => pointsCard(program, held.get(program.address), asOf)));
    catalog.update(data);
    convert.update(data);
    gift.update(data);
    const symbols = new Map(programs.map((program) => [program.address, program.symbol]));
    replaceChildren(history, historyTable(movements, symbols));
  }

  const refresh = reloader(load, banner, () => destroyed, REFRESH_GAP_MS);

  const unsubscribe = live.subscribe((event) => {
    // Its own movements change the balances; anyone's redemption changes the catalog's stock.
    if (event.type !== "movement" || event.movement.account === address || event.movement.kind === "redeemed") refresh();
  });
  refresh();

  return {
    destroy() {
      destroyed = true;
      unsubscribe();
    },
  };
}

function pointsCard(program: Program, held: AccountProgram | undefined, asOf: Date): HTMLElement {
  const next = held?.next_expiry;
  const soon = next && new Date(next.expires_at).getTime() - asOf.getTime() <= WARNING_DAYS * DAY_MS;
  return h("article", { class: `card${held && !isZero(held.balance) ? "" : " empty"}`, "data-program": program.key },
    h("h3", {}, program.name, " ", h("span", { class: "symbol" }, program.symbol)),
    h("dl", {}, h("div", {}, h("dt", {}, "Balance"), h("dd", { "data-field": "balance" }, amount(held?.balance ?? 0)))),
    next && soon
      ? h("p", { class: "expiry-warning", role: "alert", "data-field": "expiry-warning" },
        `${amount(next.amount)} ${program.symbol} expire on ${day(next.expires_at)} (${fromNow(next.expires_at, asOf)}): `,
        "spend them before then.")
      : next ? h("p", { class: "next-expiry" }, `Next expiry: ${amount(next.amount)} ${program.symbol} on ${day(next.expires_at)}`)
        : null,
    held?.expiring.length
      ? table("expiring", ["Expires on", "Points"], held.expiring.map((expiry) => h("tr", {},
        h("td", { "data-field": "date" }, day(expiry.expires_at)),
        h("td", { class: "number", "data-field": "amount" }, amount(expiry.amount)))), "")
      : null,
    h("p", { class: "muted" }, held ? `As of ${time(asOf.toISOString())}` : "No points yet"));
}
