// What the merchant console's sections share: the merchant's account, the programs where it holds
// a cap, and the wallet that acts for it.

import type { Address } from "viem";
import type { Merchant, Program, Reward } from "../../api";
import { h, replaceChildren } from "../../dom";
import type { WalletSession } from "../../wallet/session";
import type { Refresh } from "../view";

export interface MerchantData {
  /** The programs where the merchant holds a cap, with its entry in each. */
  programs: { program: Program; merchant: Merchant }[];
  rewards: Reward[];
}

export interface MerchantContext {
  merchant: Address;
  session: WalletSession;
  refresh: Refresh;
}

/** A program picker limited to the merchant's programs, keeping the choice across updates. */
export function fillPrograms(select: HTMLSelectElement, data: MerchantData): void {
  const chosen = select.value;
  replaceChildren(select, ...data.programs.map(({ program }) => h("option", { value: program.address },
    `${program.name} (${program.symbol})`)));
  if (data.programs.some(({ program }) => program.address === chosen)) select.value = chosen;
}

export function chosenProgram(select: HTMLSelectElement, data: MerchantData | null): Program {
  const entry = data?.programs.find(({ program }) => program.address === select.value);
  if (!entry) throw new Error("Choose a program.");
  return entry.program;
}
