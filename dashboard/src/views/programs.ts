// One loyalty program on the overview: its summary card, charts, top holders, merchants and rewards.

import type { DailyStat, Holder, Merchant, Program, Reward } from "../api";
import { h, replaceChildren, table } from "../dom";
import { amount, duration, share } from "../format";
import { accountLink, namedAccount, rewardLabel } from "../links";
import { ProgramCharts } from "./charts";

export function programCard(program: Program): HTMLElement {
  return h("article", { class: "card", "data-program": program.key },
    h("h3", {}, program.name, " ", h("span", { class: "symbol" }, program.symbol)),
    h("dl", {},
      h("div", {}, h("dt", {}, "In circulation"),
        h("dd", { "data-field": "total_supply" }, amount(program.total_supply))),
      h("div", {}, h("dt", {}, "Holders"), h("dd", { "data-field": "holders" }, amount(program.holders)))),
    h("p", { class: "muted" },
      `Points stay valid for ${program.validity} × ${duration(program.epoch_length)}; `,
      `merchant caps reset every ${duration(program.cap_period)}; `,
      program.transferable ? "transferable." : "not transferable.",
      program.paused ? h("span", { class: "badge warning" }, "paused") : null));
}

export class ProgramSection {
  readonly element: HTMLElement;
  private readonly charts: ProgramCharts;
  private readonly holders = h("div");
  private readonly merchants = h("div");
  private readonly rewards = h("div");

  constructor(program: Program) {
    this.charts = new ProgramCharts(program.symbol);
    this.element = h("section", { class: "program", id: `program-${program.key}`, "data-program": program.key },
      h("h2", {}, program.name, " ", h("span", { class: "symbol" }, program.symbol)),
      this.charts.element,
      h("div", { class: "columns" },
        h("div", {}, h("h3", {}, "Top holders"), this.holders),
        h("div", {}, h("h3", {}, "Merchants"), this.merchants)),
      h("div", { class: "catalog" }, h("h3", {}, "Rewards"), this.rewards));
  }

  update(program: Program, holders: Holder[], merchants: Merchant[], rewards: Reward[], stats: DailyStat[]): void {
    this.charts.update(stats);
    replaceChildren(this.holders, table("holders", ["Account", "Balance", "Share"], holders.map((holder) =>
      h("tr", {},
        h("td", {}, accountLink(holder.account)),
        h("td", { class: "number", "data-field": "balance" }, amount(holder.balance)),
        h("td", { class: "number" }, share(holder.balance, program.total_supply)))),
      "nobody holds points"));
    const period = duration(program.cap_period);
    replaceChildren(this.merchants, table("merchants",
      ["Merchant", `Cap per ${period}`, "Issued", "Redeemed"], merchants.map((merchant) =>
        h("tr", { "data-merchant": merchant.merchant },
          h("td", {}, namedAccount(merchant.merchant, merchant.name),
            merchant.role === "exchange" ? h("span", { class: "badge" }, "exchange") : null),
          h("td", { class: "number", "data-field": "cap" }, amount(merchant.cap)),
          h("td", { class: "number", "data-field": "issued" }, amount(merchant.issued)),
          h("td", { class: "number", "data-field": "redeemed" }, amount(merchant.redeemed)))),
      "no merchants"));
    replaceChildren(this.rewards, table("rewards",
      ["Reward", "Merchant", `Price (${program.symbol})`, "Stock", "Redeemed", ""], rewards.map((reward) =>
        h("tr", { "data-reward": reward.reward_id, class: reward.active ? undefined : "retired" },
          h("td", { "data-field": "name" }, rewardLabel(reward.reward_id, reward.name)),
          h("td", {}, namedAccount(reward.merchant, reward.merchant_name)),
          h("td", { class: "number", "data-field": "price" }, amount(reward.price)),
          h("td", { class: "number", "data-field": "stock" }, amount(reward.stock)),
          h("td", { class: "number", "data-field": "redemptions" }, amount(reward.redemptions)),
          h("td", {}, reward.active ? null : h("span", { class: "badge warning" }, "retired")))),
      "no rewards listed"));
  }

  destroy(): void {
    this.charts.destroy();
  }
}
