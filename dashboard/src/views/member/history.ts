// A member's history in words: "Free espresso at Downtown store", "Converted into 12 MILE".

import type { Movement } from "../../api";
import { h, table } from "../../dom";
import { amount, isNegative, shortHex, signedAmount, time } from "../../format";
import { txLink } from "../../links";
import type { Symbols } from "../movements";

/** What a movement was, for the member who made it; `all` holds the other leg of an exchange. */
export function describe(movement: Movement, all: Movement[], symbols: Symbols): string {
  const other = movement.counterparty;
  const party = movement.counterparty_name || (other ? shortHex(other) : "");
  switch (movement.kind) {
    case "issued":
      return party ? `Earned at ${party}` : "Earned";
    case "redeemed":
      return `${movement.reward_name || `Reward #${movement.reward_id}`}${party ? ` at ${party}` : ""}`;
    case "transferred":
      return isNegative(movement.amount) ? `Given to ${party}` : `Received from ${party}`;
    case "exchanged": {
      // Both legs share the transaction: the other program's movement says how much came or went.
      const leg = all.find((candidate) => candidate.tx_hash === movement.tx_hash && candidate.kind === "exchanged"
        && candidate.program === other);
      const symbol = (other && symbols.get(other)) ?? "partner points";
      if (isNegative(movement.amount)) return leg ? `Converted into ${amount(leg.amount)} ${symbol}` : `Converted into ${symbol}`;
      return leg ? `Converted from ${amount(-BigInt(leg.amount))} ${symbol}` : `Converted from ${symbol}`;
    }
    case "expired":
      return "Expired";
    case "revoked":
      return "Corrected by the program";
    case "burned":
      return "Burnt";
  }
}

export function historyTable(movements: Movement[], symbols: Symbols): HTMLTableElement {
  return table("member-history", ["When", "What", "Points", "Transaction"], movements.map((movement) =>
    h("tr", { "data-kind": movement.kind },
      h("td", {}, time(movement.time)),
      h("td", { "data-field": "what" }, describe(movement, movements, symbols)),
      h("td", { class: `number ${isNegative(movement.amount) ? "out" : "in"}`, "data-field": "amount" },
        `${signedAmount(movement.amount)} ${symbols.get(movement.program) ?? ""}`),
      h("td", {}, txLink(movement.tx_hash)))),
  "nothing yet");
}
