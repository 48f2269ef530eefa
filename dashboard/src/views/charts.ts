// A program's charts: supply over time and the daily flows of points in and out.

import {
  BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement,
  PointElement, Tooltip,
} from "chart.js";
import type { DailyStat } from "../api";
import { h, replaceChildren } from "../dom";
import { amount, day } from "../format";

Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement,
  PointElement, Tooltip);
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;

const DAY_MS = 86_400_000;
const RECENT_DAYS = 30;

// Points entering circulation above the axis, points leaving it below.
const FLOWS: { field: keyof DailyStat; label: string; color: string; sign: 1 | -1 }[] = [
  { field: "issued", label: "issued", color: "#2f9e44", sign: 1 },
  { field: "exchanged_in", label: "exchanged in", color: "#1098ad", sign: 1 },
  { field: "redeemed", label: "redeemed", color: "#4263eb", sign: -1 },
  { field: "expired", label: "expired", color: "#f08c00", sign: -1 },
  { field: "exchanged_out", label: "exchanged out", color: "#ae3ec9", sign: -1 },
];

/** One row per calendar day from the first to the last with activity; quiet days keep the supply. */
function everyDay(stats: DailyStat[]): DailyStat[] {
  if (!stats.length) return [];
  const byDay = new Map(stats.map((stat) => [stat.day, stat]));
  const days: DailyStat[] = [];
  const last = Date.parse(stats[stats.length - 1].day);
  let previous = stats[0];
  for (let time = Date.parse(stats[0].day); time <= last; time += DAY_MS) {
    const date = new Date(time).toISOString().slice(0, 10);
    // Every counter is named, so that the compiler notices one the API adds.
    previous = byDay.get(date) ?? {
      program: previous.program, day: date, supply: previous.supply, issued: "0", redeemed: "0", expired: "0", revoked: "0",
      burned: "0", transferred: "0", exchanged_in: "0", exchanged_out: "0",
    };
    days.push(previous);
  }
  return days;
}

export class ProgramCharts {
  readonly element: HTMLElement;
  private readonly supplyCaption = h("figcaption");
  private readonly flowsCaption = h("figcaption");
  private readonly supply: Chart<"line">;
  private readonly flows: Chart<"bar">;

  constructor(private readonly symbol: string) {
    const supplyCanvas = h("canvas", { role: "img", "aria-label": `${symbol} in circulation by day` });
    const flowsCanvas = h("canvas", { role: "img", "aria-label": `${symbol} issued, redeemed, expired and exchanged by day` });
    this.element = h("div", { class: "charts" },
      h("figure", { class: "supply" }, h("h3", {}, "Supply"), this.supplyCaption, h("div", { class: "chart" }, supplyCanvas)),
      h("figure", { class: "flows" }, h("h3", {}, "Daily flows"), this.flowsCaption, h("div", { class: "chart" }, flowsCanvas)));
    this.supply = new Chart(supplyCanvas, {
      type: "line",
      data: { labels: [], datasets: [{ label: symbol, data: [], borderColor: "#364fc7", backgroundColor: "#364fc722",
        fill: true, pointRadius: 0, stepped: true, borderWidth: 2 }] },
      options: { plugins: { legend: { display: false } }, interaction: { mode: "index", intersect: false },
        scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { beginAtZero: true } } },
    });
    this.flows = new Chart(flowsCanvas, {
      type: "bar",
      data: { labels: [], datasets: FLOWS.map(({ label, color }) => ({ label, data: [], backgroundColor: color })) },
      options: {
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${amount(Math.abs(item.parsed.y ?? 0))}` } },
        },
        interaction: { mode: "index", intersect: false },
        scales: { x: { stacked: true, ticks: { maxTicksLimit: 8 } }, y: { stacked: true } },
      },
    });
  }

  update(stats: DailyStat[]): void {
    const days = everyDay(stats);
    const labels = days.map((stat) => stat.day);
    this.supply.data.labels = labels;
    // A chart plots floating-point numbers: beyond 2**53 points it rounds, which a picture can afford.
    this.supply.data.datasets[0].data = days.map((stat) => Number(stat.supply));
    this.supply.update();
    this.flows.data.labels = labels;
    FLOWS.forEach(({ field, sign }, index) => {
      this.flows.data.datasets[index].data = days.map((stat) => sign * Number(stat[field]));
    });
    this.flows.update();

    const last = days[days.length - 1];
    if (!last) {
      replaceChildren(this.supplyCaption, "No activity yet");
      replaceChildren(this.flowsCaption);
      return;
    }
    replaceChildren(this.supplyCaption,
      h("strong", { "data-field": "last-supply" }, amount(last.supply)), ` ${this.symbol} at the end of ${day(last.day)}`);
    const recent = days.slice(-RECENT_DAYS);
    replaceChildren(this.flowsCaption, `Last ${recent.length} days: `, ...FLOWS.flatMap(({ field, label }, index) => [
      index ? " · " : "",
      h("strong", { "data-field": `recent-${field}` }, amount(recent.reduce((sum, stat) => sum + BigInt(stat[field]), 0n))),
      ` ${label}`,
    ]));
  }

  destroy(): void {
    this.supply.destroy();
    this.flows.destroy();
  }
}
