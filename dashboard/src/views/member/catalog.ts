// The catalog for a member: every active reward, whether the balance covers it, and one-click
// redemption: one signature sent through the relayer, or a transaction from the wallet.

import type { Address } from "viem";
import type { Reward } from "../../api";
import { h, replaceChildren, table } from "../../dom";
import { amount } from "../../format";
import { pointsTokenAbi } from "../../generated/abi";
import { EIP712_VERSION, redeemTypes } from "../../generated/typed-data";
import { InputError } from "../../wallet/input";
import { ActionStatus, run } from "../action";
import { balanceIn, deadline, programAt, type MemberContext, type MemberData } from "./context";

const ALL = "";
const QUANTITY = 1n;

export class Catalog {
  readonly element: HTMLElement;
  private readonly filter = h("select", { name: "program-filter", "aria-label": "show the rewards of" });
  private readonly list = h("div");
  private readonly status = new ActionStatus();
  private data: MemberData | null = null;

  constructor(private readonly context: MemberContext) {
    this.filter.addEventListener("change", () => this.render());
    this.element = h("section", { class: "catalog" }, h("h2", {}, "Rewards"),
      h("div", { class: "toolbar" }, h("label", {}, "Program ", this.filter)),
      this.status.element, this.list);
  }

  update(data: MemberData): void {
    this.data = data;
    const chosen = this.filter.value;
    replaceChildren(this.filter, h("option", { value: ALL }, "all programs"),
      ...data.programs.map((program) => h("option", { value: program.address }, `${program.name} (${program.symbol})`)));
    this.filter.value = data.programs.some((program) => program.address === chosen) ? chosen : ALL;
    this.render();
  }

  private render(): void {
    const data = this.data;
    if (!data) return;
    const shown = data.rewards.filter((reward) => reward.active && (!this.filter.value || reward.program === this.filter.value));
    replaceChildren(this.list, table("rewards", ["Reward", "Merchant", "Price", "In stock", "Your balance", ""],
      shown.map((reward) => this.row(data, reward)), "no active rewards"));
  }

  private row(data: MemberData, reward: Reward): HTMLTableRowElement {
    const symbol = programAt(data, reward.program)?.symbol ?? "";
    const price = BigInt(reward.price);
    const stock = BigInt(reward.stock);
    const balance = balanceIn(data, reward.program);
    const covered = balance >= price && stock >= QUANTITY;
    const button = h("button", { type: "button", class: "redeem", disabled: !covered || !this.context.session },
      "Redeem");
    button.addEventListener("click", () => void run(this.element, this.status, () => this.redeem(reward, symbol)));
    return h("tr", { "data-reward": reward.reward_id, "data-program": symbol },
      h("td", { "data-field": "name" }, reward.name || `reward #${reward.reward_id}`),
      h("td", { "data-field": "merchant" }, reward.merchant_name || reward.merchant),
      h("td", { class: "number", "data-field": "price" }, `${amount(price)} ${symbol}`),
      h("td", { class: "number", "data-field": "stock" }, amount(stock)),
      h("td", { "data-field": "covered" }, stock < QUANTITY ? h("span", { class: "badge warning" }, "out of stock")
        : balance >= price ? h("span", { class: "badge ok" }, "covered")
          : h("span", { class: "muted" }, `${amount(price - balance)} ${symbol} short`)),
      h("td", {}, this.context.session ? button : null));
  }

  private async redeem(reward: Reward, symbol: string): Promise<void> {
    const session = this.context.session!;
    const { client, account } = session.signer();
    const token = reward.program as Address;
    const rewardId = BigInt(reward.reward_id);
    const reader = session.reader();
    this.status.progress(`Checking ${reward.name} on the chain…`);
    // The chain's own numbers, not the API's, which may be a block behind.
    const [[, price, stock, active], balance] = await Promise.all([
      reader.readContract({ address: token, abi: pointsTokenAbi, functionName: "rewards", args: [rewardId] }),
      reader.readContract({ address: token, abi: pointsTokenAbi, functionName: "balanceOf", args: [account] }),
    ]);
    if (!active) throw new InputError(`${reward.name} is no longer offered.`);
    if (stock < QUANTITY) throw new InputError(`${reward.name} is out of stock.`);
    const maxPoints = price * QUANTITY;
    if (balance < maxPoints) throw new InputError(`${reward.name} costs ${amount(maxPoints)} ${symbol}; you hold ${amount(balance)}.`);

    if (this.context.paysOwnGas() || !this.context.relayer) {
      this.status.progress("Confirm the transaction in your wallet…");
      const { block } = await session.send({ address: token, abi: pointsTokenAbi, functionName: "redeem",
        args: [rewardId, QUANTITY, maxPoints] });
      this.status.done(`Redeemed ${reward.name} for ${amount(maxPoints)} ${symbol}.`);
      this.context.refresh(block);
      return;
    }
    const program = programAt(this.data!, reward.program)!;
    const [nonce, until] = await Promise.all([
      reader.readContract({ address: token, abi: pointsTokenAbi, functionName: "nonces", args: [account] }),
      deadline(session),
    ]);
    this.status.progress("Sign the redemption in your wallet (no gas needed)…");
    const signature = await client.signTypedData({
      account,
      domain: { name: program.name, version: EIP712_VERSION, chainId: session.config.chain_id, verifyingContract: token },
      types: redeemTypes,
      primaryType: "Redeem",
      message: { holder: account, rewardId, quantity: QUANTITY, maxPoints, nonce, deadline: until },
    });
    const relayer = this.context.relayer;
    const accepted = await relayer.redeem({ token, holder: account, reward_id: rewardId, quantity: QUANTITY,
      max_points: maxPoints, deadline: until, signature });
    const confirmed = await relayer.follow("redemptions", accepted.id, (state) => this.status.progress(`Redemption ${state.status}…`));
    this.status.done(`Redeemed ${reward.name} for ${amount(maxPoints)} ${symbol}, gas paid by the relayer.`);
    this.context.refresh(confirmed.block_number);
  }
}
