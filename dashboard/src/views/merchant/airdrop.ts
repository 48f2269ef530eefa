// A campaign from a CSV file: every row checked and the cap checked against the whole campaign
// before anything is sent, then one `mint_batch` per chunk of 256. The chain says which chunks are
// done (their `Issued` events carry the chunk's ref), so issuing the same file again after a
// failure sends only the chunks that are missing.

import type { Address, Hex } from "viem";
import { campaignKey, planChunks, readCampaign, type Chunk } from "../../campaign";
import { h, replaceChildren } from "../../dom";
import { amount } from "../../format";
import { pointsTokenAbi } from "../../generated/abi";
import { explain } from "../../wallet/errors";
import { InputError } from "../../wallet/input";
import { ActionStatus, field, onSubmit } from "../action";
import { readCap } from "./caps";
import { chosenProgram, fillPrograms, type MerchantContext, type MerchantData } from "./context";

export class Airdrop {
  readonly element: HTMLElement;
  private readonly program = h("select", { name: "airdrop-program" });
  private readonly file = h("input", { type: "file", name: "campaign-file", accept: ".csv,text/csv", required: true });
  private readonly label = h("input", { name: "campaign-label", autocomplete: "off",
    placeholder: "only to repeat a campaign with the same rows" });
  private readonly preview = h("p", { class: "muted", "aria-live": "polite" });
  private readonly status = new ActionStatus();
  private data: MerchantData | null = null;

  constructor(private readonly context: MerchantContext) {
    const form = h("form", { class: "airdrop" },
      field("Program", this.program), field("CSV file (address,amount)", this.file), field("Campaign label", this.label),
      h("button", { type: "submit" }, "Issue the campaign"));
    this.element = h("section", { class: "airdrop" }, h("h2", {}, "Campaign from a CSV file"), form, this.preview,
      this.status.element);
    this.file.addEventListener("change", () => void this.plan().then((plan) => replaceChildren(this.preview,
      `${plan.chunks.reduce((count, chunk) => count + chunk.grants.length, 0)} recipients, ` +
      `${amount(plan.chunks.reduce((sum, chunk) => sum + chunk.total, 0n))} points in ${plan.chunks.length} transaction(s).`))
      .catch((error) => this.status.fail(error)));
    onSubmit(form, this.status, () => this.send());
  }

  update(data: MerchantData): void {
    this.data = data;
    fillPrograms(this.program, data);
  }

  private async plan(): Promise<{ chunks: Chunk[] }> {
    this.status.clear();
    const file = this.file.files?.[0];
    if (!file) throw new InputError("Choose a CSV file.");
    const bytes = new Uint8Array(await file.arrayBuffer());
    return { chunks: planChunks(readCampaign(bytes, file.name), campaignKey(bytes, this.label.value.trim())) };
  }

  private async send(): Promise<void> {
    const program = chosenProgram(this.program, this.data);
    const token = program.address as Address;
    const { chunks } = await this.plan();
    this.status.progress("Looking on the chain for chunks already issued…");
    const issued = await this.issuedRefs(token, BigInt(program.deployed_block));
    const missing = chunks.filter((chunk) => !issued.has(chunk.ref));
    if (!missing.length) {
      this.status.done(`This campaign was issued in full already (${chunks.length} transaction(s)).`);
      return;
    }
    const total = missing.reduce((sum, chunk) => sum + chunk.total, 0n);
    const { left } = await readCap(this.context.session, token, this.context.merchant);
    if (total > left) {
      throw new InputError(`The campaign needs ${amount(total)} ${program.symbol}; your cap has ${amount(left)} left this ` +
        "period. Nothing was sent.");
    }
    for (const [position, chunk] of missing.entries()) {
      this.status.progress(`Transaction ${position + 1} of ${missing.length}: confirm it in your wallet…`);
      let block: bigint;
      try {
        ({ block } = await this.context.session.send({ address: token, abi: pointsTokenAbi, functionName: "mint_batch",
          args: [chunk.grants.map((grant) => grant.address), chunk.grants.map((grant) => grant.amount), chunk.ref] }));
      } catch (error) {
        const done = chunks.length - missing.length + position;
        throw new Error(`${explain(error)} ${done} of ${chunks.length} transaction(s) done: issue the same file ` +
          "again to send the rest.", { cause: error });
      }
      this.context.refresh(block);
    }
    const skipped = chunks.length - missing.length;
    this.status.done(`Issued ${amount(total)} ${program.symbol} in ${missing.length} transaction(s)` +
      (skipped ? `; ${skipped} were issued before.` : "."));
  }

  private async issuedRefs(token: Address, fromBlock: bigint): Promise<Set<Hex>> {
    const logs = await this.context.session.reader().getContractEvents({
      address: token, abi: pointsTokenAbi, eventName: "Issued", args: { merchant: this.context.merchant }, fromBlock,
    });
    return new Set(logs.map((log) => log.args.ref).filter((ref): ref is Hex => ref !== undefined));
  }
}
