// The overview (`#/`): every program at a glance, movements as they happen, each program's charts,
// holders and merchants, and the partner exchange.

import { get, getAll } from "../api";
import type { DailyStat, Holder, Merchant, Page, Program, Route, Settlement } from "../api";
import { h, replaceChildren, section, table } from "../dom";
import type { LiveFeed } from "../live";
import { ExchangeSection } from "./exchange";
import { movementHeadings, movementKey, movementRow } from "./movements";
import { ProgramSection, programCard } from "./programs";
import { showError, throttled, type View } from "./view";

const TOP_HOLDERS = 10;
const REFRESH_GAP_MS = 1_000;

export function overview(root: HTMLElement, live: LiveFeed): View {
  const banner = h("div");
  const cards = h("div", { class: "cards" });
  const feed = h("div");
  const programArea = h("div");
  const exchange = new ExchangeSection(() => refresh());
  const sections = new Map<string, ProgramSection>();
  let programs: Program[] = [];
  // Daily statistics are kept between refreshes, which then ask only for the days since the last one.
  let stats: DailyStat[] = [];
  let shown = new Set<string>();
  let destroyed = false;

  replaceChildren(root, banner,
    section("summary", "Programs", cards),
    section("live", "Live movements", feed),
    programArea,
    exchange.element);

  async function load(): Promise<void> {
    const since = stats.length ? stats[stats.length - 1].day : undefined;
    const [latestPrograms, merchants, routes, settlements, recentStats] = await Promise.all([
      getAll<Program>("/programs"),
      getAll<Merchant>("/merchants"),
      getAll<Route>("/exchange/routes"),
      getAll<Settlement>("/exchange/settlement", { period: exchange.periodLength }),
      getAll<DailyStat>("/stats/daily", { since }),
    ]);
    const holders = new Map(await Promise.all(latestPrograms.map(async (program) => [program.address,
      (await get<Page<Holder>>(`/programs/${program.address}/holders`, { limit: TOP_HOLDERS })).items] as const)));
    if (destroyed) return;
    stats = [...stats.filter((stat) => since === undefined || stat.day < since), ...recentStats];
    programs = latestPrograms.sort((a, b) => a.key.localeCompare(b.key));
    replaceChildren(banner);
    replaceChildren(cards, ...programs.map(programCard));
    placeSections();
    for (const program of programs) {
      sections.get(program.address)!.update(program, holders.get(program.address) ?? [],
        merchants.filter((merchant) => merchant.program === program.address),
        stats.filter((stat) => stat.program === program.address));
    }
    exchange.update(programs, routes, settlements);
    renderFeed();
  }

  function placeSections(): void {
    const addresses = programs.map((program) => program.address);
    if (addresses.length === sections.size && addresses.every((address) => sections.has(address))) return;
    for (const stale of sections.values()) stale.destroy();
    sections.clear();
    for (const program of programs) sections.set(program.address, new ProgramSection(program));
    replaceChildren(programArea, ...[...sections.values()].map((programSection) => programSection.element));
  }

  function renderFeed(): void {
    const symbols = new Map(programs.map((program) => [program.address, program.symbol]));
    const rows = live.recent.map((movement) => {
      const row = movementRow(movement, symbols, true);
      if (!shown.has(movementKey(movement))) row.classList.add("fresh");
      return row;
    });
    shown = new Set(live.recent.map(movementKey));
    replaceChildren(feed, table("movements", movementHeadings(true), rows,
      "Waiting for new movements: they appear here as soon as the indexer records them."));
  }

  const refresh = throttled(async () => {
    if (destroyed) return;
    try {
      await load();
    } catch (error) {
      showError(banner, error, refresh);
    }
  }, REFRESH_GAP_MS);

  const unsubscribe = live.subscribe((event) => {
    if (event.type !== "movement") stats = [];
    renderFeed();
    refresh();
  });
  refresh();

  return {
    destroy() {
      destroyed = true;
      unsubscribe();
      for (const programSection of sections.values()) programSection.destroy();
    },
  };
}
