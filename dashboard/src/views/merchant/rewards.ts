// The merchant's rewards: list a new one, change a price or the stock, offer it or withdraw it.

import type { Address } from "viem";
import type { Reward } from "../../api";
import { h, replaceChildren, table } from "../../dom";
import { amount } from "../../format";
import { pointsTokenAbi } from "../../generated/abi";
import { InputError, parsePoints } from "../../wallet/input";
import { ActionStatus, field, onSubmit, run } from "../action";
import { chosenProgram, fillPrograms, type MerchantContext, type MerchantData } from "./context";

// A reward's name is a String[64] on chain: 64 bytes of UTF-8.
const NAME_BYTES = 64;

// A listed reward's row. The list is redrawn on every live update; a row keeps what the merchant
// has typed into it (an edit in progress must not be lost to an unrelated redemption), and
// follows the chain where the merchant has not.
interface RewardRow {
  readonly element: HTMLTableRowElement;
  readonly price: HTMLInputElement;
  readonly stock: HTMLInputElement;
  readonly active: HTMLInputElement;
  readonly redeemed: HTMLTableCellElement;
  shown: Reward;
}

export class Rewards {
  readonly element: HTMLElement;
  private readonly list = h("div");
  private readonly program = h("select", { name: "reward-program" });
  private readonly name = h("input", { name: "reward-name", autocomplete: "off", required: true, placeholder: "Free espresso" });
  private readonly price = h("input", { name: "reward-price", inputmode: "numeric", autocomplete: "off", required: true });
  private readonly stock = h("input", { name: "reward-stock", inputmode: "numeric", autocomplete: "off", required: true });
  private readonly status = new ActionStatus();
  private data: MerchantData | null = null;
  private readonly rows = new Map<string, RewardRow>();

  constructor(private readonly context: MerchantContext) {
    const form = h("form", { class: "add-reward" },
      field("Program", this.program), field("Name (public)", this.name), field("Price in points", this.price),
      field("Stock", this.stock), h("button", { type: "submit" }, "Add the reward"));
    this.element = h("section", { class: "merchant-rewards" }, h("h2", {}, "Your rewards"), this.list,
      h("h3", {}, "Add a reward"), form, this.status.element);
    onSubmit(form, this.status, () => this.add());
  }

  update(data: MerchantData): void {
    this.data = data;
    fillPrograms(this.program, data);
    const symbols = new Map(data.programs.map(({ program }) => [program.address, program.symbol]));
    replaceChildren(this.list, table("merchant-rewards", ["Reward", "Program", "Price", "Stock", "Offered", "Redeemed", ""],
      data.rewards.map((reward) => this.row(reward, symbols.get(reward.program) ?? "")), "no rewards listed yet"));
  }

  private row(reward: Reward, symbol: string): HTMLTableRowElement {
    const key = `${reward.program}:${reward.reward_id}`;
    const existing = this.rows.get(key);
    if (existing) {
      follow(existing, reward);
      return existing.element;
    }
    const price = h("input", { name: "price", inputmode: "numeric", value: reward.price, "aria-label": `price of ${reward.name}` });
    const stock = h("input", { name: "stock", inputmode: "numeric", value: reward.stock, "aria-label": `stock of ${reward.name}` });
    const active = h("input", { type: "checkbox", name: "active", "aria-label": `offer ${reward.name}` });
    active.checked = reward.active;
    const save = h("button", { type: "button" }, "Save");
    const redeemed = h("td", { class: "number" }, amount(reward.redemptions));
    const row = h("tr", { "data-reward": reward.reward_id, "data-program": symbol },
      h("td", { "data-field": "name" }, reward.name || `reward #${reward.reward_id}`),
      h("td", {}, symbol), h("td", {}, price), h("td", {}, stock), h("td", {}, active), redeemed, h("td", {}, save));
    const state: RewardRow = { element: row, price, stock, active, redeemed, shown: reward };
    this.rows.set(key, state);
    save.addEventListener("click", () => void run(row, this.status, async () => {
      const current = state.shown;
      const newPrice = parsePoints(price.value, "price");
      const newStock = parsePoints(stock.value, "stock", 0n);
      if (newPrice === BigInt(current.price) && newStock === BigInt(current.stock) && active.checked === current.active) {
        throw new InputError(`Nothing changed for ${current.name}.`);
      }
      this.status.progress("Confirm the transaction in your wallet…");
      const { block } = await this.context.session.send({ address: current.program as Address, abi: pointsTokenAbi, functionName: "set_reward",
        args: [BigInt(current.reward_id), newPrice, newStock, active.checked] });
      this.status.done(`${current.name}: ${amount(newPrice)} ${symbol}, ${amount(newStock)} in stock, ` +
        `${active.checked ? "offered" : "withdrawn"}.`);
      this.context.refresh(block);
    }));
    return row;
  }

  private async add(): Promise<void> {
    const program = chosenProgram(this.program, this.data);
    const name = this.name.value.trim();
    if (!name) throw new InputError("Give the reward a name.");
    if (new TextEncoder().encode(name).length > NAME_BYTES) throw new InputError(`The name is longer than ${NAME_BYTES} bytes.`);
    const price = parsePoints(this.price.value, "price");
    const stock = parsePoints(this.stock.value, "stock", 0n);
    this.status.progress("Confirm the transaction in your wallet…");
    const { block } = await this.context.session.send({ address: program.address as Address, abi: pointsTokenAbi, functionName: "add_reward",
      args: [price, stock, this.context.merchant, name] });
    this.status.done(`Listed ${name} at ${amount(price)} ${program.symbol}.`);
    this.name.value = "";
    this.price.value = "";
    this.stock.value = "";
    this.context.refresh(block);
  }
}

/** Brings a row to the chain's latest terms, except where the merchant has typed something else. */
function follow(row: RewardRow, reward: Reward): void {
  const before = row.shown;
  if (row.price.value === before.price) row.price.value = reward.price;
  if (row.stock.value === before.stock) row.stock.value = reward.stock;
  if (row.active.checked === before.active) row.active.checked = reward.active;
  row.redeemed.textContent = amount(reward.redemptions);
  row.shown = reward;
}
