// The API's live feed (GET /v1/stream, server-sent events), one connection for the whole page.

import type { Movement } from "./api";

export type LiveEvent =
  | { type: "movement"; movement: Movement }
  // Movements from `fromBlock` on were rolled back; the feed goes on with the canonical chain.
  | { type: "reorg"; fromBlock: number }
  // The connection was lost for good and made anew: movements in between were not seen.
  | { type: "resync" };

export type LiveState = "connecting" | "live" | "reconnecting";

const RECENT = 25;
const RETRY_MS = 3_000;

export class LiveFeed {
  /** The movements seen since the page loaded, newest first. */
  readonly recent: Movement[] = [];
  /**
   * Settles when the feed first connects. The feed starts at the newest movement then, so a list
   * fetched afterwards, together with what the feed sends, misses nothing; one fetched before might.
   */
  readonly connected: Promise<void>;
  private readonly listeners = new Set<(event: LiveEvent) => void>();
  private markConnected!: () => void;

  constructor(private readonly onState: (state: LiveState) => void) {
    this.connected = new Promise((resolve) => (this.markConnected = resolve));
  }

  start(): void {
    this.open(false);
  }

  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private open(afterGap: boolean): void {
    this.onState("connecting");
    const source = new EventSource("/v1/stream");
    source.addEventListener("open", () => {
      this.onState("live");
      this.markConnected();
      if (afterGap) this.emit({ type: "resync" });
    });
    source.addEventListener("movement", (message) => {
      const movement = JSON.parse((message as MessageEvent<string>).data) as Movement;
      this.recent.unshift(movement);
      this.recent.length = Math.min(this.recent.length, RECENT);
      this.emit({ type: "movement", movement });
    });
    source.addEventListener("reorg", (message) => {
      const fromBlock = (JSON.parse((message as MessageEvent<string>).data) as { from_block: number }).from_block;
      const kept = this.recent.filter((movement) => movement.block < fromBlock);
      this.recent.splice(0, this.recent.length, ...kept);
      this.emit({ type: "reorg", fromBlock });
    });
    source.addEventListener("error", () => {
      this.onState("reconnecting");
      // The browser reconnects by itself (resuming with Last-Event-ID) after a dropped connection,
      // but not after an error status, such as the 503 of an API whose database is not there yet.
      if (source.readyState === EventSource.CLOSED) setTimeout(() => this.open(true), RETRY_MS);
    });
  }

  private emit(event: LiveEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
