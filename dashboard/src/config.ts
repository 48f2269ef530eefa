// What the API tells the page about acting on the chain (GET /v1/config): the chain, the exchange
// and the relayer. Asked once per page load.

import { get } from "./api";
import type { components } from "./openapi";

export type AppConfig = components["schemas"]["AppConfig"];

let loading: Promise<AppConfig> | null = null;

export function appConfig(): Promise<AppConfig> {
  loading ??= get<AppConfig>("/config").catch((error) => {
    loading = null;
    throw error;
  });
  return loading;
}
