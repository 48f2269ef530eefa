// What the member app's sections share: whose points they show, the wallet that may act for that
// account (none in the read-only view), the relayer, and the latest data from the API.

import type { Address } from "viem";
import type { Account, Program, Reward, Route } from "../../api";
import type { AppConfig } from "../../config";
import type { Relayer } from "../../wallet/relayer";
import type { WalletSession } from "../../wallet/session";
import type { Refresh } from "../view";

export interface MemberData {
  account: Account | null;
  programs: Program[];
  rewards: Reward[];
  routes: Route[];
}

export interface MemberContext {
  address: Address;
  config: AppConfig;
  /** The wallet, when it is connected to `address`'s account; null in the read-only view. */
  session: WalletSession | null;
  relayer: Relayer | null;
  /** The member's choice to send transactions and pay their gas; always so without a relayer. */
  paysOwnGas(): boolean;
  /** Asks for fresh data, now or once the indexer has a block (the live feed brings movements too). */
  refresh: Refresh;
}

/** Seconds a signature stays good, counted from the chain's latest block (not the browser's clock). */
export const SIGNATURE_SECONDS = 3_600n;

export function balanceIn(data: MemberData, program: string): bigint {
  const held = data.account?.programs.find((entry) => entry.program === program);
  return BigInt(held?.balance ?? 0);
}

export function programAt(data: MemberData, address: string): Program | undefined {
  return data.programs.find((program) => program.address === address);
}

/** A deadline `SIGNATURE_SECONDS` after the chain's latest block. */
export async function deadline(session: WalletSession): Promise<bigint> {
  const block = await session.reader().getBlock();
  return block.timestamp + SIGNATURE_SECONDS;
}
