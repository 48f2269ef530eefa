// Issuing points at the till: a customer's address, an amount within what the cap has left, and
// the order's reference, hashed here so that no personal data goes on chain.

import { keccak256, stringToBytes, type Address } from "viem";
import { h } from "../../dom";
import { amount } from "../../format";
import { pointsTokenAbi } from "../../generated/abi";
import { InputError, parseAddress, parsePoints } from "../../wallet/input";
import { ActionStatus, field, onSubmit } from "../action";
import { readCap } from "./caps";
import { chosenProgram, fillPrograms, type MerchantContext, type MerchantData } from "./context";

export class Issue {
  readonly element: HTMLElement;
  private readonly program = h("select", { name: "issue-program" });
  private readonly customer = h("input", { name: "customer", placeholder: "0x…", autocomplete: "off", spellcheck: "false", required: true });
  private readonly points = h("input", { name: "issue-amount", inputmode: "numeric", autocomplete: "off", required: true });
  private readonly reference = h("input", { name: "reference", autocomplete: "off", required: true,
    placeholder: "order number" });
  private readonly status = new ActionStatus();
  private data: MerchantData | null = null;

  constructor(private readonly context: MerchantContext) {
    const form = h("form", { class: "issue" },
      field("Program", this.program), field("Customer", this.customer), field("Points", this.points),
      field("Order reference (hashed, never sent as is)", this.reference),
      h("button", { type: "submit" }, "Issue points"));
    this.element = h("section", { class: "issue" }, h("h2", {}, "Issue points"), form, this.status.element);
    onSubmit(form, this.status, () => this.issue());
  }

  update(data: MerchantData): void {
    this.data = data;
    fillPrograms(this.program, data);
  }

  private async issue(): Promise<void> {
    const program = chosenProgram(this.program, this.data);
    const to = parseAddress(this.customer.value, "customer's address");
    const points = parsePoints(this.points.value);
    const reference = this.reference.value.trim();
    if (!reference) throw new InputError("Give the order's reference.");
    const token = program.address as Address;
    const { left } = await readCap(this.context.session, token, this.context.merchant);
    if (points > left) throw new InputError(`Your cap has ${amount(left)} ${program.symbol} left this period, fewer than ${amount(points)}.`);
    this.status.progress("Confirm the transaction in your wallet…");
    const { block } = await this.context.session.send({ address: token, abi: pointsTokenAbi, functionName: "mint",
      args: [to, points, keccak256(stringToBytes(reference))] });
    this.status.done(`Issued ${amount(points)} ${program.symbol} to ${to}.`);
    this.customer.value = "";
    this.points.value = "";
    this.reference.value = "";
    this.context.refresh(block);
  }
}
