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

/** A whole number of points or a uint256 setting: the API's decimal string, a bigint or a count. */
export function amount(value: number | string | bigint): string {
  return points.format(typeof value === "number" ? value : BigInt(value));
}

/** "+100", "−40": a movement's points, with their sign. */
export function signedAmount(value: string | bigint): string {
  return signed.format(BigInt(value));
}

/** Whether the API's decimal string is zero. */
export function isZero(value: string): boolean {
  return BigInt(value) === 0n;
}

/** Whether the API's signed decimal string is below zero. */
export function isNegative(value: string): boolean {
  return value.startsWith("-");
}

const SHARE_SCALE = 1_000_000n;

/** `part` of `whole` as a percentage; both are the API's decimal strings. */
export function share(part: string | bigint, whole: string | bigint): string {
  const total = BigInt(whole);
  return total ? percent.format(Number((BigInt(part) * SHARE_SCALE) / total) / Number(SHARE_SCALE)) : "–";
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

/** "1 week", "30 days": a contract's period in seconds (the API's decimal string), in the largest unit that divides it. */
export function duration(period: string | bigint): string {
  const seconds = BigInt(period);
  // Calendar months and years have no fixed length: 30 days stays 30 days.
  const exact = UNITS.slice(2);
  const [size, one, many] = exact.find(([size]) => seconds % BigInt(size) === 0n) ?? exact[exact.length - 1];
  const count = seconds / BigInt(size);
  return count === 1n ? `1 ${one}` : `${points.format(count)} ${many}`;
}

export function shortHex(hex: string): string {
  return `${hex.slice(0, 6)}…${hex.slice(-4)}`;
}
