// The overview's live movements: the newest ones from the API when the overview opens, then the
// live feed's as they arrive, each shown once.

import { get } from "../api";
import type { Movement, Page } from "../api";
import { h, replaceChildren, table } from "../dom";
import type { LiveEvent, LiveFeed } from "../live";
import { movementHeadings, movementKey, movementRow, type Symbols } from "./movements";
import { showError, throttled } from "./view";

const ROWS = 20;
const RELOAD_GAP_MS = 1_000;

export class RecentMovements {
  readonly element = h("div");
  private readonly banner = h("div");
  private readonly list = h("div");
  // The API's newest movements; null until it has answered.
  private loaded: Movement[] | null = null;
  private symbols: Symbols = new Map();
  // Keys of the rows on screen, so that only movements new to the table are highlighted.
  private shown = new Set<string>();
  private destroyed = false;

  private readonly reload = throttled(async () => {
    if (this.destroyed) return;
    try {
      const page = await get<Page<Movement>>("/movements", { limit: ROWS });
      if (this.destroyed) return;
      this.loaded = page.items;
      replaceChildren(this.banner);
      this.render();
    } catch (error) {
      showError(this.banner, error, this.reload);
    }
  }, RELOAD_GAP_MS);

  constructor(private readonly live: LiveFeed) {
    replaceChildren(this.element, this.banner, this.list);
    // Asked for before the feed connects, the list could miss a movement indexed in between.
    void live.connected.then(this.reload);
  }

  /** Program addresses to symbols, once the overview has the programs. */
  setSymbols(symbols: Symbols): void {
    this.symbols = symbols;
    this.render();
  }

  onLive(event: LiveEvent): void {
    if (event.type === "reorg" && this.loaded) {
      this.loaded = this.loaded.filter((movement) => movement.block < event.fromBlock);
    }
    // After a reorganisation or a gap in the feed, the API's list is the one to trust again.
    if (event.type !== "movement") this.reload();
    this.render();
  }

  destroy(): void {
    this.destroyed = true;
  }

  private render(): void {
    // Until the API answers, the feed's movements alone would look like all there is.
    if (this.loaded === null) return;
    const streamed = new Set(this.live.recent.map(movementKey));
    // The list and the feed overlap by the movements indexed between the feed's start and the request.
    const unique = new Map([...this.live.recent, ...this.loaded].map((movement) => [movementKey(movement), movement]));
    const newest = [...unique.values()].sort((a, b) => b.block - a.block || b.log_index - a.log_index).slice(0, ROWS);
    const rows = newest.map((movement) => {
      const key = movementKey(movement);
      const row = movementRow(movement, this.symbols, true);
      if (streamed.has(key) && !this.shown.has(key)) row.classList.add("fresh");
      return row;
    });
    this.shown = new Set(newest.map(movementKey));
    replaceChildren(this.list, table("movements", movementHeadings(true), rows,
      "No movements yet: they appear here as soon as the indexer records them."));
  }
}
