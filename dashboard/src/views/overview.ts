// The overview (`#/`): every program at a glance, movements as they happen, each program's charts,
// holders and merchants, and the partner exchange.

import { get, getAll } from "../api";
import type { DailyStat, Holder, Merchant, Page, Program, Reward, Route, Settlement } from "../api";
import { h, replaceChildren, section } from "../dom";
import type { LiveFeed } from "../live";
import { ExchangeSection } from "./exchange";
import { ProgramSection, programCard } from "./programs";
import { RecentMovements } from "./recent";
import { reloader, type View } from "./view";

const TOP_HOLDERS = 10;
const REFRESH_GAP_MS = 1_000;

export function overview(root: HTMLElement, live: LiveFeed): View {
  const banner = h("div");
  const cards = h("div", { class: "cards" });
  const recent = new RecentMovements(live);
  const programArea = h("div");
  const exchange = new ExchangeSection(() => refresh());
  const sections = new Map<string, ProgramSection>();
  let programs: Program[] = [];
  // Daily statistics are kept between refreshes, which then ask only for the days since the last one.
  let stats: DailyStat[] = [];
  let destroyed = false;

  replaceChildren(root, banner,
    section("summary", "Programs", cards),
    section("live", "Live movements", recent.element),
    programArea,
    exchange.element);

  async function load(): Promise<void> {
    const since = stats.length ? stats[stats.length - 1].day : undefined;
    const [latestPrograms, merchants, rewards, routes, settlements, recentStats] = await Promise.all([
      getAll<Program>("/programs"),
      getAll<Merchant>("/merchants"),
      getAll<Reward>("/rewards"),
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
        rewards.filter((reward) => reward.program === program.address),
        stats.filter((stat) => stat.program === program.address));
    }
    exchange.update(programs, routes, settlements);
    recent.setSymbols(new Map(programs.map((program) => [program.address, program.symbol])));
  }

  function placeSections(): void {
    const addresses = programs.map((program) => program.address);
    if (addresses.length === sections.size && addresses.every((address) => sections.has(address))) return;
    for (const stale of sections.values()) stale.destroy();
    sections.clear();
    for (const program of programs) sections.set(program.address, new ProgramSection(program));
    replaceChildren(programArea, ...[...sections.values()].map((programSection) => programSection.element));
  }

  const refresh = reloader(load, banner, () => destroyed, REFRESH_GAP_MS);

  const unsubscribe = live.subscribe((event) => {
    if (event.type !== "movement") stats = [];
    recent.onLive(event);
    refresh();
  });
  refresh();

  return {
    destroy() {
      destroyed = true;
      unsubscribe();
      recent.destroy();
      for (const programSection of sections.values()) programSection.destroy();
    },
  };
}
