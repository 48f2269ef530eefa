// Giving points to another address, in programs whose owner lets points move between holders.

import type { Address } from "viem";
import { h, replaceChildren } from "../../dom";
import { amount } from "../../format";
import { pointsTokenAbi } from "../../generated/abi";
import { InputError, parseAddress, parsePoints } from "../../wallet/input";
import { ActionStatus, field, onSubmit } from "../action";
import { programAt, type MemberContext, type MemberData } from "./context";

export class Gift {
  readonly element: HTMLElement;
  private readonly program = h("select", { name: "gift-program" });
  private readonly recipient = h("input", { name: "recipient", placeholder: "0x…", autocomplete: "off", spellcheck: "false", required: true });
  private readonly points = h("input", { name: "gift-amount", inputmode: "numeric", autocomplete: "off", required: true });
  private readonly status = new ActionStatus();
  private data: MemberData | null = null;

  constructor(private readonly context: MemberContext) {
    const form = h("form", { class: "gift" },
      field("Program", this.program), field("To", this.recipient), field("Points", this.points),
      h("button", { type: "submit" }, "Give"));
    this.element = h("section", { class: "gift" }, h("h2", {}, "Give points"), form, this.status.element);
    onSubmit(form, this.status, () => this.give());
    if (!context.session) {
      for (const control of form.querySelectorAll("input, select, button")) (control as HTMLInputElement).disabled = true;
    }
  }

  update(data: MemberData): void {
    this.data = data;
    const chosen = this.program.value;
    const movable = data.programs.filter((program) => program.transferable);
    replaceChildren(this.program, ...movable.map((program) => h("option", { value: program.address }, program.symbol)));
    if (movable.some((program) => program.address === chosen)) this.program.value = chosen;
    if (!movable.length) this.status.done("No program of this alliance lets points move between members.");
  }

  private async give(): Promise<void> {
    const session = this.context.session!;
    const { account } = session.signer();
    const program = programAt(this.data!, this.program.value);
    if (!program) throw new InputError("Choose a program.");
    const to = parseAddress(this.recipient.value, "recipient's address");
    if (to === account) throw new InputError("That is your own address.");
    const points = parsePoints(this.points.value);
    const token = program.address as Address;
    const [balance, transferable] = await Promise.all([
      session.reader().readContract({ address: token, abi: pointsTokenAbi, functionName: "balanceOf", args: [account] }),
      session.reader().readContract({ address: token, abi: pointsTokenAbi, functionName: "transferable" }),
    ]);
    if (!transferable) throw new InputError(`${program.symbol} points cannot be given: the program does not allow it.`);
    if (balance < points) throw new InputError(`You hold ${amount(balance)} ${program.symbol}, fewer than ${amount(points)}.`);
    this.status.progress("Confirm the transaction in your wallet…");
    const { block } = await session.send({ address: token, abi: pointsTokenAbi, functionName: "transfer", args: [to, points] });
    this.status.done(`Gave ${amount(points)} ${program.symbol} to ${to}.`);
    this.recipient.value = "";
    this.points.value = "";
    this.context.refresh(block);
  }
}
