// The partner exchange on the overview: its routes, and what programs settle between themselves.

import type { Program, Route, Settlement, SettlementPeriod } from "../api";
import { h, replaceChildren, table } from "../dom";
import { amount, duration } from "../format";

const ALL_TIME = "all";

export class ExchangeSection {
  readonly element: HTMLElement;
  /** The length of a settlement period, which the overview passes to the API. */
  periodLength: SettlementPeriod = "month";
  private period = ALL_TIME;
  private readonly routes = h("div");
  private readonly matrix = h("div");
  private readonly periods = h("select", { "aria-label": "settlement period" });
  private latest: [Program[], Settlement[]] = [[], []];

  constructor(onPeriodLength: () => void) {
    const lengths = h("select", { "aria-label": "length of a settlement period" },
      ...(["month", "week", "day"] as const).map((length) => h("option", { value: length }, `by ${length}`)));
    lengths.addEventListener("change", () => {
      this.periodLength = lengths.value as SettlementPeriod;
      this.period = ALL_TIME;
      onPeriodLength();
    });
    this.periods.addEventListener("change", () => {
      this.period = this.periods.value;
      this.renderMatrix(...this.latest);
    });
    this.element = h("section", { class: "exchange" }, h("h2", {}, "Partner exchange"),
      h("h3", {}, "Routes"), this.routes,
      h("h3", {}, "Settlement ", lengths, " ", this.periods),
      h("p", { class: "muted" },
        "Each cell: points burnt on the row's program and issued on the column's, which the two owners settle."),
      this.matrix);
  }

  update(programs: Program[], routes: Route[], settlements: Settlement[]): void {
    const byAddress = new Map(programs.map((program) => [program.address, program]));
    const symbol = (address: string): string => byAddress.get(address)?.symbol ?? address;
    // A route's cap counts in the receiving program's cap periods.
    const capPeriod = (address: string): string => {
      const program = byAddress.get(address);
      return program ? duration(program.cap_period) : "cap period";
    };
    replaceChildren(this.routes, table("routes",
      ["From", "To", "Rate", "Cap", "Consent", "Points in", "Points out", "Exchanges"], routes.map((route) =>
        h("tr", { "data-from": symbol(route.from_program), "data-to": symbol(route.to_program) },
          h("td", {}, symbol(route.from_program)),
          h("td", {}, symbol(route.to_program)),
          // points out = floor(points in × rate_num / rate_den)
          h("td", {}, `${amount(route.rate_den)} ${symbol(route.from_program)} → ${amount(route.rate_num)} ${symbol(route.to_program)}`),
          h("td", { class: "number" }, `${amount(route.cap)} ${symbol(route.to_program)} per ${capPeriod(route.to_program)}`),
          h("td", {}, route.approved ? "both owners" : h("span", { class: "badge warning" }, "awaiting the sender's owner")),
          h("td", { class: "number", "data-field": "volume_in" }, amount(route.volume_in)),
          h("td", { class: "number", "data-field": "volume_out" }, amount(route.volume_out)),
          h("td", { class: "number", "data-field": "exchanges" }, amount(route.exchanges)))),
      "no routes between programs"));
    const names = [...new Set(settlements.map((settlement) => settlement.period))].reverse();
    if (this.period !== ALL_TIME && !names.includes(this.period)) this.period = ALL_TIME;
    replaceChildren(this.periods, h("option", { value: ALL_TIME }, "all time"),
      ...names.map((name) => h("option", { value: name }, name)));
    this.periods.value = this.period;
    this.latest = [programs, settlements];
    this.renderMatrix(programs, settlements);
  }

  private renderMatrix(programs: Program[], settlements: Settlement[]): void {
    const totals = new Map<string, { burnt: bigint; issued: bigint; exchanges: number }>();
    for (const settlement of settlements) {
      if (this.period !== ALL_TIME && settlement.period !== this.period) continue;
      const key = `${settlement.from_program}>${settlement.to_program}`;
      const total = totals.get(key) ?? { burnt: 0n, issued: 0n, exchanges: 0 };
      total.burnt += BigInt(settlement.points_burnt);
      total.issued += BigInt(settlement.points_issued);
      total.exchanges += settlement.exchanges;
      totals.set(key, total);
    }
    const header = h("tr", {}, h("th", { scope: "col" }, "from ↓  to →"),
      ...programs.map((program) => h("th", { scope: "col" }, program.symbol)));
    const rows = programs.map((from) => h("tr", {}, h("th", { scope: "row" }, from.symbol),
      ...programs.map((to) => {
        if (from.address === to.address) return h("td", { class: "muted" }, "—");
        const total = totals.get(`${from.address}>${to.address}`) ?? { burnt: 0, issued: 0, exchanges: 0 };
        return h("td", { "data-from": from.symbol, "data-to": to.symbol },
          h("span", { "data-field": "points_burnt" }, amount(total.burnt)), ` ${from.symbol} → `,
          h("span", { "data-field": "points_issued" }, amount(total.issued)), ` ${to.symbol}`,
          h("div", { class: "muted" }, `${amount(total.exchanges)} exchange${total.exchanges === 1 ? "" : "s"}`));
      })));
    replaceChildren(this.matrix, h("table", { class: "matrix" }, h("thead", {}, header), h("tbody", {}, ...rows)));
  }
}
