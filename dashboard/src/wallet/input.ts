// What people type, checked before anything reaches a wallet or the chain: addresses with their
// EIP-55 checksum (as points/addresses.py checks them), and whole numbers of points as bigint.

import { getAddress, isAddress, type Address } from "viem";

export class InputError extends Error {}

const WHOLE = /^[0-9]+$/;
export const MAX_UINT256 = 2n ** 256n - 1n;

/** A checksummed address; all-lowercase or all-uppercase input carries no checksum and is accepted. */
export function parseAddress(text: string, what = "address"): Address {
  const value = text.trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new InputError(`The ${what} must be 0x followed by 40 hexadecimal digits.`);
  const digits = value.slice(2);
  const mixed = digits !== digits.toLowerCase() && digits !== digits.toUpperCase();
  if (mixed && !isAddress(value, { strict: true })) {
    throw new InputError(`The ${what} fails its checksum: check it for a typo.`);
  }
  const address = getAddress(value.toLowerCase());
  if (BigInt(address) === 0n) throw new InputError(`The ${what} is the zero address, which nobody controls.`);
  return address;
}

/** A whole number of points, at least `min`. Never a float: "1.5" and "1e3" are refused. */
export function parsePoints(text: string, what = "amount", min = 1n): bigint {
  const value = text.trim();
  if (!WHOLE.test(value)) throw new InputError(`The ${what} must be a whole number of points.`);
  const points = BigInt(value);
  if (points < min) throw new InputError(min === 1n ? `The ${what} must be at least 1.` : `The ${what} must be at least ${min}.`);
  if (points > MAX_UINT256) throw new InputError(`The ${what} is too large.`);
  return points;
}
