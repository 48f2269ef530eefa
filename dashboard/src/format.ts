// How numbers, times and addresses read on the page, in the reader's locale.

const points = new Intl.NumberFormat();
const signed = new Intl.NumberFormat(undefined, { signDisplay: "exceptZero" });
const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

const DAY_SECONDS = 86_400;
const UNITS: [number, string, string][] = [
  [365 * DAY_SECONDS, "year", "years"],
  [30 * DAY_SECONDS, "month", "months"],
  [7 * DAY_SECONDS, "week", "weeks"],
  [DAY_SECONDS, "day", "days"],
  [3_600, "hour", "hours"],
  [60, "minute", "minutes"],
  [1, "second", "seconds"],
];

/** A whole number of points, or a uint256 setting (a decimal string or a bigint). */
export function amount(value: number | string | bigint): string {
  return typeof value === "number" ? points.format(value) : BigInt(value).toLocaleString();
}

export function signedAmount(value: number): string {
  return signed.format(value);
}

export function share(part: number, whole: number): string {
  return whole ? percent.format(part / whole) : "–";
}

export function time(iso: string): string {
  return dateTime.format(new Date(iso));
}

export function day(iso: string): string {
  return dateOnly.format(new Date(iso));
}

/** "in 3 days", "2 weeks ago": how far `iso` is from `now`. */
export function fromNow(iso: string, now: Date): string {
  const seconds = (new Date(iso).getTime() - now.getTime()) / 1000;
  const [size, unit] = UNITS.find(([size]) => Math.abs(seconds) >= size) ?? UNITS[UNITS.length - 1];
  return relative.format(Math.round(seconds / size), unit as Intl.RelativeTimeFormatUnit);
}

/** "1 week", "30 days": a contract's period in seconds, in the largest unit that divides it. */
export function duration(seconds: number): string {
  // Calendar months and years have no fixed length: 30 days stays 30 days.
  const exact = UNITS.slice(2);
  const [size, one, many] = exact.find(([size]) => seconds % size === 0) ?? exact[exact.length - 1];
  const count = seconds / size;
  return count === 1 ? `1 ${one}` : `${points.format(count)} ${many}`;
}

export function shortHex(hex: string): string {
  return `${hex.slice(0, 6)}…${hex.slice(-4)}`;
}
