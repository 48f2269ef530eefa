// The merchant's caps: per program, the cap, what is left this period (read from the chain, which
// the API does not index), when the period resets, and what the merchant has issued and redeemed.

import type { Address } from "viem";
import { h, replaceChildren, table } from "../../dom";
import { amount, duration, time } from "../../format";
import { pointsTokenAbi } from "../../generated/abi";
import type { WalletSession } from "../../wallet/session";
import type { MerchantData } from "./context";

export interface CapState {
  cap: bigint;
  left: bigint;
  resetsAt: bigint;
}

/** The merchant's cap on `token` as the chain has it at its latest block. */
export async function readCap(session: WalletSession, token: Address, merchant: Address): Promise<CapState> {
  const reader = session.reader();
  const read = { address: token, abi: pointsTokenAbi } as const;
  const [cap, left, period, start, block] = await Promise.all([
    reader.readContract({ ...read, functionName: "merchant_cap", args: [merchant] }),
    reader.readContract({ ...read, functionName: "mintable", args: [merchant] }),
    reader.readContract({ ...read, functionName: "cap_period" }),
    reader.readContract({ ...read, functionName: "cap_period_start" }),
    reader.getBlock(),
  ]);
  const resetsAt = start + ((block.timestamp - start) / period + 1n) * period;
  return { cap, left, resetsAt };
}

export class Caps {
  readonly element = h("div");

  constructor(private readonly session: WalletSession, private readonly merchant: Address) {}

  async update(data: MerchantData): Promise<void> {
    const states = await Promise.all(data.programs.map(({ program }) =>
      readCap(this.session, program.address as Address, this.merchant)));
    replaceChildren(this.element, table("caps",
      ["Program", "Name here", "Cap", "Left this period", "Resets", "Issued", "Redeemed"],
      data.programs.map(({ program, merchant }, index) => h("tr", { "data-program": program.key },
        h("td", {}, `${program.name} (${program.symbol})`),
        h("td", {}, merchant.name || "—"),
        h("td", { class: "number", "data-field": "cap" }, `${amount(states[index].cap)} per ${duration(program.cap_period)}`),
        h("td", { class: "number", "data-field": "left" }, amount(states[index].left)),
        h("td", { "data-field": "resets" }, time(new Date(Number(states[index].resetsAt) * 1000).toISOString())),
        h("td", { class: "number", "data-field": "issued" }, amount(merchant.issued)),
        h("td", { class: "number", "data-field": "redeemed" }, amount(merchant.redeemed)))),
      "This account holds no merchant cap in any program of the alliance."));
  }
}
