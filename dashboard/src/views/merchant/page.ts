// The merchant console (`#/merchant`): for the connected merchant's wallet, its caps, issuing at the
// till, campaigns from a CSV file, its rewards, and the redemptions to hand over, live.

import { get, getAll } from "../../api";
import type { Merchant, Page, Program, Redemption, Reward } from "../../api";
import { h, replaceChildren, section, table } from "../../dom";
import { amount, time } from "../../format";
import { accountLink, txLink } from "../../links";
import type { LiveFeed } from "../../live";
import type { WalletSession } from "../../wallet/session";
import { reloader, type View } from "../view";
import { Airdrop } from "./airdrop";
import { Caps } from "./caps";
import type { MerchantContext, MerchantData } from "./context";
import { Issue } from "./issue";
import { Rewards } from "./rewards";

const REDEMPTION_ROWS = 50;
const REFRESH_GAP_MS = 500;

export function merchantView(root: HTMLElement, session: WalletSession, live: LiveFeed): View {
  const merchant = session.account!;
  let destroyed = false;
  const context: MerchantContext = { merchant, session, refresh: (afterBlock) => refresh(afterBlock) };
  const banner = h("div");
  const caps = new Caps(session, merchant);
  const issue = new Issue(context);
  const airdrop = new Airdrop(context);
  const rewards = new Rewards(context);
  const redemptions = h("div");

  replaceChildren(root,
    h("h1", { class: "account" }, "Merchant console ", h("code", {}, merchant)),
    banner,
    section("caps", "Caps", caps.element),
    issue.element, airdrop.element, rewards.element,
    section("redemptions", "Redemptions to hand over", redemptions));

  async function load(): Promise<void> {
    const [programs, merchants, catalog, redeemed] = await Promise.all([
      getAll<Program>("/programs"),
      getAll<Merchant>("/merchants"),
      getAll<Reward>("/rewards"),
      get<Page<Redemption>>("/redemptions", { merchant, limit: REDEMPTION_ROWS }),
    ]);
    if (destroyed) return;
    const byAddress = new Map(programs.map((program) => [program.address, program]));
    const data: MerchantData = {
      programs: merchants.filter((entry) => entry.merchant === merchant && entry.cap !== "0" && byAddress.has(entry.program))
        .map((entry) => ({ program: byAddress.get(entry.program)!, merchant: entry }))
        .sort((a, b) => a.program.key.localeCompare(b.program.key)),
      rewards: catalog.filter((reward) => reward.merchant === merchant),
    };
    replaceChildren(banner, data.programs.length ? null : h("p", { class: "notice" },
      "This account holds no merchant cap in this alliance: a program's owner grants one (`ape run merchant`)."));
    issue.update(data);
    airdrop.update(data);
    rewards.update(data);
    const symbols = new Map(programs.map((program) => [program.address, program.symbol]));
    replaceChildren(redemptions, table("redemptions", ["When", "Reward", "Customer", "Quantity", "Points", "Transaction"],
      redeemed.items.map((item) => h("tr", { "data-tx": item.tx_hash },
        h("td", {}, time(item.time)),
        h("td", { "data-field": "reward" }, item.reward_name || `reward #${item.reward_id}`),
        h("td", {}, accountLink(item.holder)),
        h("td", { class: "number", "data-field": "quantity" }, amount(item.quantity)),
        h("td", { class: "number" }, `${amount(item.points)} ${symbols.get(item.program) ?? ""}`),
        h("td", {}, txLink(item.tx_hash)))), "no redemptions yet"));
    await caps.update(data);
  }

  const refresh = reloader(load, banner, () => destroyed, REFRESH_GAP_MS);

  const unsubscribe = live.subscribe((event) => {
    if (event.type !== "movement" || event.movement.counterparty === merchant) refresh();
  });
  refresh();

  return {
    destroy() {
      destroyed = true;
      unsubscribe();
    },
  };
}
