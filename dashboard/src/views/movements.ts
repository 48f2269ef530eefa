// One movement of points as a table row: the account's history and the live feed share it.

import type { Movement } from "../api";
import { h } from "../dom";
import { isNegative, signedAmount, time } from "../format";
import { accountLink, rewardLabel, txLink } from "../links";

/** Program addresses to symbols, for movements that name a program by address. */
export type Symbols = Map<string, string>;

export function movementHeadings(withAccount: boolean): string[] {
  return ["Time", "Program", "Kind", "Points", ...(withAccount ? ["Account"] : []), "Detail", "Transaction"];
}

export function movementKey(movement: Movement): string {
  const { block, log_index, program, account, kind, amount, epoch } = movement;
  return [block, log_index, program, account, kind, amount, epoch].join(":");
}

export function movementRow(movement: Movement, symbols: Symbols, withAccount: boolean): HTMLTableRowElement {
  const symbol = symbols.get(movement.program) ?? movement.program;
  return h("tr", { "data-movement": movementKey(movement) },
    h("td", {}, time(movement.time)),
    h("td", {}, symbol),
    h("td", {}, h("span", { class: `kind ${movement.kind}` }, movement.kind)),
    h("td", { class: `number ${isNegative(movement.amount) ? "out" : "in"}`, "data-field": "amount" },
      signedAmount(movement.amount)),
    withAccount ? h("td", {}, accountLink(movement.account)) : null,
    h("td", {}, ...detail(movement, symbols)),
    h("td", {}, txLink(movement.tx_hash)),
  );
}

function detail(movement: Movement, symbols: Symbols): (Node | string)[] {
  const other = movement.counterparty;
  // A merchant by name (its address in the link's title), anyone else by short address.
  const party = (address: string): Node => accountLink(address, movement.counterparty_name || undefined);
  switch (movement.kind) {
    case "issued":
      return other ? ["by ", party(other)] : [];
    case "redeemed":
      return [rewardLabel(movement.reward_id, movement.reward_name), ...(other ? [" at ", party(other)] : [])];
    case "transferred":
      return other ? [isNegative(movement.amount) ? "to " : "from ", party(other)] : [];
    case "exchanged":
      if (!other) return [];
      return [isNegative(movement.amount) ? "into " : "from ", symbols.get(other) ?? other];
    case "expired":
      return [`points of epoch ${movement.epoch ?? "?"}`];
    case "revoked":
    case "burned":
      return other ? ["by ", accountLink(other)] : [];
  }
}
