// The read API's responses and how the dashboard asks for them. Their types are generated from the
// API's OpenAPI document (`openapi.ts`, written by `make dashboard`), never copied by hand.
// Requests go to the same origin as the page, which the API serves at `/`.

import type { components } from "./openapi";

type Schemas = components["schemas"];

export type Health = Schemas["Health"];
export type Program = Schemas["Program"];
export type Holder = Schemas["Holder"];
export type Expiry = Schemas["Expiry"];
export type AccountProgram = Schemas["AccountProgram"];
export type Account = Schemas["Account"];
export type MovementKind = Schemas["MovementKind"];
export type Movement = Schemas["Movement"];
// Caps, rates and the like are uint256 on chain: decimal strings, beyond a JavaScript number.
// Names are public labels from the chain; "" where nothing named a merchant or reward.
export type Merchant = Schemas["Merchant"];
export type Reward = Schemas["Reward"];
export type Redemption = Schemas["Redemption"];
export type Route = Schemas["Route"];
export type Settlement = Schemas["Settlement"];
export type SettlementPeriod = Schemas["SettlementPeriod"];
export type DailyStat = Schemas["DailyStat"];

/** Every list's envelope (the document has one per item type: Page_Movement_, Page_Holder_, ...). */
export type Page<T> = Omit<Schemas["Page_Movement_"], "items"> & { items: T[] };

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
