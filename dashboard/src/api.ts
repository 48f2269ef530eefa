// The read API's responses (api/models.py) and how the dashboard asks for them.
// Requests go to the same origin as the page, which the API serves at `/`.

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Health {
  status: "ok" | "behind" | "not_indexed";
  indexed_block: number | null;
  indexed_time: string | null;
  chain_head: number | null;
  lag_blocks: number | null;
}

export interface Program {
  address: string;
  key: string;
  name: string;
  symbol: string;
  epoch_start: number;
  epoch_length: number;
  validity: number;
  cap_period: number;
  transferable: boolean;
  paused: boolean;
  owner: string;
  total_supply: number;
  holders: number;
  deployed_block: number;
}

export interface Holder {
  account: string;
  balance: number;
}

export interface Expiry {
  epoch: number;
  amount: number;
  expires_at: string;
}

export interface AccountProgram {
  program: string;
  key: string;
  name: string;
  symbol: string;
  balance: number;
  expiring: Expiry[];
  next_expiry: Expiry | null;
}

export interface Account {
  address: string;
  indexed_block: number;
  as_of: string;
  programs: AccountProgram[];
}

export type MovementKind = "issued" | "redeemed" | "transferred" | "exchanged" | "revoked" | "burned" | "expired";

export interface Movement {
  program: string;
  account: string;
  kind: MovementKind;
  amount: number;
  counterparty: string | null;
  // The counterparty's name when it is one of the program's merchants.
  counterparty_name: string | null;
  epoch: number | null;
  reward_id: number | null;
  reward_name: string | null;
  block: number;
  log_index: number;
  tx_hash: string | null;
  time: string;
}

// Caps, rates and the like are uint256 on chain: decimal strings, beyond a JavaScript number.
// Names are public labels from the chain; "" where nothing named a merchant or reward.
export interface Merchant {
  program: string;
  merchant: string;
  name: string;
  cap: string;
  issued: number;
  redeemed: number;
}

export interface Reward {
  program: string;
  reward_id: number;
  name: string;
  merchant: string;
  merchant_name: string;
  price: string;
  stock: string;
  active: boolean;
  redemptions: number;
  points_redeemed: number;
}

export interface Route {
  from_program: string;
  to_program: string;
  rate_num: string;
  rate_den: string;
  cap: string;
  approved: boolean;
  volume_in: number;
  volume_out: number;
  exchanges: number;
}

export type SettlementPeriod = "day" | "week" | "month";

export interface Settlement {
  from_program: string;
  to_program: string;
  period: string;
  period_start: string;
  points_burnt: number;
  points_issued: number;
  exchanges: number;
}

export interface DailyStat {
  program: string;
  day: string;
  issued: number;
  redeemed: number;
  expired: number;
  revoked: number;
  burned: number;
  transferred: number;
  exchanged_in: number;
  exchanged_out: number;
  supply: number;
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

type Params = Record<string, string | number | undefined>;

const MAX_LIMIT = 1000;

export async function get<T>(path: string, params: Params = {}): Promise<T> {
  const url = new URL(`/v1${path}`, location.href);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  const response = await fetch(url);
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    // FastAPI's validation errors carry a list of problems rather than one message.
    const detail = typeof body.detail === "string" ? body.detail : response.statusText;
    throw new ApiError(response.status, detail);
  }
  return response.json() as Promise<T>;
}

/** Every item of a paginated list, following its cursors. */
export async function getAll<T>(path: string, params: Params = {}): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await get<Page<T>>(path, { ...params, limit: MAX_LIMIT, cursor });
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return items;
}
