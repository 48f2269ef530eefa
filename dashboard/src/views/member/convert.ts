// Converting points into a partner program's: a quote from the exchange (what is burnt, what is
// issued, what stays), a floor `min_out`, then either one signature through the relayer (after a
// one-time allowance) or one transaction carrying a permit (`exchange_with_permit`).

import { maxUint256, parseSignature, type Address } from "viem";
import type { Route } from "../../api";
import { h, replaceChildren } from "../../dom";
import { amount } from "../../format";
import { partnerExchangeAbi, pointsTokenAbi } from "../../generated/abi";
import { EIP712_VERSION, EXCHANGE_DOMAIN_NAME, exchangeTypes, permitTypes } from "../../generated/typed-data";
import { InputError, parsePoints } from "../../wallet/input";
import { ActionStatus, field, onSubmit } from "../action";
import { deadline, programAt, type MemberContext, type MemberData } from "./context";

interface Quote {
  route: Route;
  amountIn: bigint;
  used: bigint;
  out: bigint;
}

export class Convert {
  readonly element: HTMLElement;
  private readonly route = h("select", { name: "route" });
  private readonly amountIn = h("input", { name: "amount-in", inputmode: "numeric", autocomplete: "off", required: true });
  private readonly minOut = h("input", { name: "min-out", inputmode: "numeric", autocomplete: "off", required: true });
  private readonly quoteText = h("p", { class: "quote", "aria-live": "polite" });
  private readonly status = new ActionStatus();
  private data: MemberData | null = null;
  private minOutEdited = false;
  private quoting = 0;

  constructor(private readonly context: MemberContext) {
    const form = h("form", { class: "convert" },
      field("Route", this.route), field("Points to convert", this.amountIn),
      field("Accept no fewer than", this.minOut),
      h("button", { type: "submit" }, "Convert"));
    this.element = h("section", { class: "exchange" }, h("h2", {}, "Convert into a partner's points"),
      form, this.quoteText, this.status.element);
    this.route.addEventListener("change", () => void this.requote());
    this.amountIn.addEventListener("input", () => void this.requote());
    this.minOut.addEventListener("input", () => (this.minOutEdited = true));
    onSubmit(form, this.status, () => this.convert());
    if (!context.session || !context.config.exchange) {
      for (const control of form.querySelectorAll("input, select, button")) (control as HTMLInputElement).disabled = true;
    }
  }

  update(data: MemberData): void {
    this.data = data;
    const open = data.routes.filter((route) => route.approved && route.rate_num !== "0" && route.cap !== "0");
    const chosen = this.route.value;
    replaceChildren(this.route, ...open.map((route) => {
      const from = programAt(data, route.from_program)?.symbol ?? route.from_program;
      const to = programAt(data, route.to_program)?.symbol ?? route.to_program;
      return h("option", { value: `${route.from_program}>${route.to_program}` },
        `${from} → ${to} (${amount(route.rate_den)} ${from} for ${amount(route.rate_num)} ${to})`);
    }));
    if (open.some((route) => `${route.from_program}>${route.to_program}` === chosen)) this.route.value = chosen;
  }

  private selected(): Route {
    const route = this.data?.routes.find((entry) => `${entry.from_program}>${entry.to_program}` === this.route.value);
    if (!route) throw new InputError("Choose a route.");
    return route;
  }

  private symbol(address: string): string {
    return programAt(this.data!, address)?.symbol ?? address;
  }

  /** The exchange's quote for what is typed, shown as it is typed; null while the amount is not valid. */
  private async requote(): Promise<Quote | null> {
    const ticket = ++this.quoting;
    if (!this.amountIn.value.trim() || !this.context.session) {
      replaceChildren(this.quoteText);
      return null;
    }
    try {
      const quote = await this.quote();
      if (ticket !== this.quoting) return quote;
      const from = this.symbol(quote.route.from_program);
      const to = this.symbol(quote.route.to_program);
      replaceChildren(this.quoteText, "Burns ", h("strong", { "data-field": "burnt" }, `${amount(quote.used)} ${from}`),
        ", issues ", h("strong", { "data-field": "issued" }, `${amount(quote.out)} ${to}`),
        "; ", h("strong", { "data-field": "kept" }, `${amount(quote.amountIn - quote.used)} ${from}`), " stay with you.");
      if (!this.minOutEdited) this.minOut.value = quote.out.toString();
      return quote;
    } catch (error) {
      if (ticket === this.quoting) replaceChildren(this.quoteText, h("span", { class: "error-text" },
        error instanceof Error ? error.message : String(error)));
      return null;
    }
  }

  private async quote(): Promise<Quote> {
    const route = this.selected();
    const amountIn = parsePoints(this.amountIn.value, "points to convert");
    const [used, out] = await this.context.session!.reader().readContract({
      address: this.context.config.exchange as Address, abi: partnerExchangeAbi, functionName: "quote",
      args: [route.from_program as Address, route.to_program as Address, amountIn],
    });
    if (out === 0n) throw new InputError(`${amount(amountIn)} ${this.symbol(route.from_program)} convert to no points.`);
    return { route, amountIn, used, out };
  }

  private async convert(): Promise<void> {
    const session = this.context.session!;
    const { client, account } = session.signer();
    const exchange = this.context.config.exchange as Address;
    const quote = await this.quote();
    const from = quote.route.from_program as Address;
    const to = quote.route.to_program as Address;
    const fromSymbol = this.symbol(from);
    const toSymbol = this.symbol(to);
    const minOut = parsePoints(this.minOut.value, "fewest points accepted");
    if (minOut > quote.out) throw new InputError(`The route gives ${amount(quote.out)} ${toSymbol}, fewer than the ${amount(minOut)} you accept.`);
    const reader = session.reader();
    const [balance, used] = await Promise.all([
      reader.readContract({ address: from, abi: pointsTokenAbi, functionName: "balanceOf", args: [account] }),
      reader.readContract({ address: exchange, abi: partnerExchangeAbi, functionName: "used", args: [from, to] }),
    ]);
    if (balance < quote.amountIn) throw new InputError(`You hold ${amount(balance)} ${fromSymbol}, fewer than ${amount(quote.amountIn)}.`);
    const capLeft = BigInt(quote.route.cap) - used;
    if (quote.out > capLeft) throw new InputError(`The route can issue ${amount(capLeft)} more ${toSymbol} this period.`);
    const fromName = programAt(this.data!, from)!.name;
    const until = await deadline(session);
    const outcome = `Converted ${amount(quote.used)} ${fromSymbol} into ${amount(quote.out)} ${toSymbol}.`;
    let block: bigint | number | null | undefined;

    if (this.context.relayer && !this.context.paysOwnGas()) {
      const allowance = await reader.readContract({ address: from, abi: pointsTokenAbi, functionName: "allowance", args: [account, exchange] });
      if (allowance < quote.amountIn) {
        this.status.progress(`Once only: allow the exchange to convert your ${fromSymbol} (a transaction in your wallet)…`);
        await session.send({ address: from, abi: pointsTokenAbi, functionName: "approve", args: [exchange, maxUint256] });
      }
      const nonce = await reader.readContract({ address: exchange, abi: partnerExchangeAbi, functionName: "nonces", args: [account] });
      this.status.progress("Sign the conversion in your wallet (no gas needed)…");
      const signature = await client.signTypedData({
        account,
        domain: { name: EXCHANGE_DOMAIN_NAME, version: EIP712_VERSION, chainId: session.config.chain_id, verifyingContract: exchange },
        types: exchangeTypes,
        primaryType: "Exchange",
        message: { account, fromToken: from, toToken: to, amountIn: quote.amountIn, minOut, nonce, deadline: until },
      });
      const accepted = await this.context.relayer.exchange({ account, from_token: from, to_token: to,
        amount_in: quote.amountIn, min_out: minOut, deadline: until, signature });
      ({ block_number: block } = await this.context.relayer.follow("exchanges", accepted.id, (state) => this.status.progress(`Conversion ${state.status}…`)));
    } else {
      const nonce = await reader.readContract({ address: from, abi: pointsTokenAbi, functionName: "nonces", args: [account] });
      this.status.progress(`Sign the permit for ${amount(quote.amountIn)} ${fromSymbol} in your wallet…`);
      const permit = parseSignature(await client.signTypedData({
        account,
        domain: { name: fromName, version: EIP712_VERSION, chainId: session.config.chain_id, verifyingContract: from },
        types: permitTypes,
        primaryType: "Permit",
        message: { owner: account, spender: exchange, value: quote.amountIn, nonce, deadline: until },
      }));
      this.status.progress("Confirm the conversion's transaction in your wallet…");
      ({ block } = await session.send({ address: exchange, abi: partnerExchangeAbi, functionName: "exchange_with_permit",
        args: [from, to, quote.amountIn, minOut, until, 27 + (permit.yParity ?? 0), permit.r, permit.s] }));
    }
    this.status.done(outcome);
    this.amountIn.value = "";
    this.minOutEdited = false;
    replaceChildren(this.quoteText);
    this.context.refresh(block);
  }
}
