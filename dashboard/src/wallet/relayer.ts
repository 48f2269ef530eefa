// The relayer's HTTP interface (SPEC §6): a signed redemption or exchange is posted, answered
// `202 {id, status}`, then followed until the chain has it (`confirmed`) or it `failed`.
// Errors are `{"detail": "..."}`, shown as they are.

import type { Address, Hex } from "viem";

export type RelayStatus = "queued" | "sent" | "mined" | "confirmed" | "failed";

export interface RelayState {
  id: string;
  status: RelayStatus;
  tx_hash?: string | null;
  block_number?: number | null;
  reason?: string | null;
}

export interface RedemptionRequest {
  token: Address;
  holder: Address;
  reward_id: bigint;
  quantity: bigint;
  max_points: bigint;
  deadline: bigint;
  signature: Hex;
}

export interface ExchangeRequest {
  account: Address;
  from_token: Address;
  to_token: Address;
  amount_in: bigint;
  min_out: bigint;
  deadline: bigint;
  signature: Hex;
}

export type RelayKind = "redemptions" | "exchanges";

const POLL_MS = 500;
// A relayer waits for confirmations and may retry a stuck transaction: minutes on a public chain.
const FOLLOW_MS = 10 * 60_000;

export class RelayerError extends Error {}

/** JSON with uint256 values as exact numbers: `JSON.stringify` refuses bigint and a number would round. */
export function exactJson(body: object): string {
  const marked = JSON.stringify(body, (_key, value) => (typeof value === "bigint" ? `\u0000${value}` : value));
  return marked.replace(/"\\u0000(\d+)"/g, "$1");
}

export class Relayer {
  private readonly base: URL;

  constructor(url: string) {
    this.base = new URL(url.endsWith("/") ? url : `${url}/`);
  }

  redeem(request: RedemptionRequest): Promise<RelayState> {
    return this.submit("redemptions", request);
  }

  exchange(request: ExchangeRequest): Promise<RelayState> {
    return this.submit("exchanges", request);
  }

  /** Polls the request's status, reporting each change, until it is confirmed or failed. */
  async follow(kind: RelayKind, id: string, onStatus: (state: RelayState) => void): Promise<RelayState> {
    const until = Date.now() + FOLLOW_MS;
    let last = "";
    while (Date.now() < until) {
      const state = await this.call<RelayState>(`v1/${kind}/${encodeURIComponent(id)}`, { method: "GET" });
      if (state.status !== last) onStatus(state);
      last = state.status;
      if (state.status === "failed") throw new RelayerError(`The relayer could not complete it: ${state.reason ?? "no reason given"}`);
      if (state.status === "confirmed") return state;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new RelayerError(`Request ${id} is still ${last}; it may yet go through: check your history later.`);
  }

  private submit(kind: RelayKind, body: RedemptionRequest | ExchangeRequest): Promise<RelayState> {
    return this.call<RelayState>(`v1/${kind}`, {
      method: "POST", headers: { "content-type": "application/json" }, body: exactJson(body),
    });
  }

  private async call<T>(path: string, init: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.base), init);
    } catch {
      const lost = init.method === "POST" ? "nothing was sent" : "check your history later";
      throw new RelayerError(`The relayer at ${this.base.origin} does not answer: ${lost}.`);
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const detail = typeof body.detail === "string" ? body.detail : response.statusText;
      throw new RelayerError(`The relayer refused it: ${detail}`);
    }
    return body as T;
  }
}
