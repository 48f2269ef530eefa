// What the pages share: their life cycle, refreshing on live events, and showing the API's errors.

import { ApiError, get, type Health } from "../api";
import { h, replaceChildren } from "../dom";

export interface View {
  destroy(): void;
}

const RETRY_MS = 5_000;
const INDEXED_POLL_MS = 250;
// Past this, the page reloads anyway: the live feed or the next action brings the rest.
const INDEXED_WAIT_MS = 30_000;

/**
 * Asks for fresh data: now, or once the indexer has `afterBlock`. A change the page just made (a
 * reward listed, points issued) is in the API only then; a reload before it shows the old state,
 * and a catalog change brings no live event to reload again.
 */
export type Refresh = (afterBlock?: bigint | number | null) => void;

/**
 * Runs `task` now and on every later request, at most once per `gapMs`: a burst of live events
 * (the demo sends dozens per block) costs one reload, and a request during a reload is not lost.
 */
export function throttled(task: () => Promise<void>, gapMs: number): () => void {
  let running = false;
  let pending = false;
  const run = async (): Promise<void> => {
    running = true;
    pending = false;
    try {
      await task();
    } finally {
      setTimeout(() => {
        running = false;
        if (pending) void run();
      }, gapMs);
    }
  };
  return () => {
    if (running) pending = true;
    else void run();
  };
}

/**
 * A banner for a failed load. An API without data yet (503) is retried until it has some; other
 * errors wait for the next live event or a reload of the page.
 */
export function showError(banner: HTMLElement, error: unknown, retry: () => void): void {
  if (error instanceof ApiError && error.status === 503) {
    replaceChildren(banner, h("p", { class: "notice" },
      `Waiting for the indexer: ${error.message}. This page fills in as soon as there is data.`));
    setTimeout(retry, RETRY_MS);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  replaceChildren(banner, h("p", { class: "error" }, `The API could not answer: ${message}`));
}

/** `load` run now and on every later request (throttled), a failure shown in `banner`; nothing once `gone()`. */
export function reloader(load: () => Promise<void>, banner: HTMLElement, gone: () => boolean, gapMs: number): Refresh {
  const reload = throttled(async () => {
    if (gone()) return;
    try {
      await load();
    } catch (error) {
      showError(banner, error, reload);
    }
  }, gapMs);
  return (afterBlock) => {
    if (afterBlock === undefined || afterBlock === null) reload();
    else void untilIndexed(BigInt(afterBlock), gone).finally(reload);
  };
}

/** Settles once the API has indexed `block`, after INDEXED_WAIT_MS, or when the page is `gone()`. */
async function untilIndexed(block: bigint, gone: () => boolean): Promise<void> {
  const until = Date.now() + INDEXED_WAIT_MS;
  while (!gone() && Date.now() < until) {
    const indexed = await get<Health>("/health").then((health) => health.indexed_block, () => null);
    if (indexed !== null && indexed !== undefined && BigInt(indexed) >= block) return;
    await new Promise((resolve) => setTimeout(resolve, INDEXED_POLL_MS));
  }
}
