// A campaign file (CSV of address,amount) read and cut into `mint_batch` chunks exactly as
// points/airdrop.py does: the same checks, and the same deterministic ref per chunk, so that the
// chain records which chunks are done and a campaign started by `ape run airdrop` or in the
// browser resumes in either without issuing a chunk twice.

import { concat, hexToBytes, keccak256, numberToBytes, stringToBytes, type Address, type Hex } from "viem";
import { InputError, parseAddress } from "./wallet/input";

export const MAX_CHUNK = 256;
const MAX_AMOUNT = 2n ** 96n - 1n;
const REF_DOMAIN = stringToBytes("points-airdrop-v1");
const BOM = "\ufeff";

export interface Grant {
  address: Address;
  amount: bigint;
}

export interface Chunk {
  index: number;
  grants: Grant[];
  ref: Hex;
  total: bigint;
}

/** Spreadsheets in locales whose decimal mark is a comma save CSV with semicolons. */
function separator(text: string): string {
  const first = text.split(/\r?\n/).find((line) => line.trim()) ?? "";
  return first.includes(";") && !first.includes(",") ? ";" : ",";
}

function cell(raw: string): string {
  const value = raw.trim();
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1).trim() : value;
}

/** Every row checked before anything is sent; an error names the line. */
export function readCampaign(bytes: Uint8Array, source: string): Grant[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(`${source} is not UTF-8 text.`);
  }
  if (text.startsWith(BOM)) text = text.slice(BOM.length);
  const split = separator(text);
  const grants: Grant[] = [];
  const lines = new Map<string, number>();
  text.split(/\r?\n/).forEach((line, index) => {
    const number = index + 1;
    const cells = line.split(split).map(cell);
    if (!cells.some(Boolean) || (number === 1 && cells[0].toLowerCase() === "address")) return;
    if (cells.length !== 2) throw new InputError(`${source}:${number}: expected two columns, address${split}amount.`);
    const [addressText, amountText] = cells;
    let address: Address;
    try {
      address = parseAddress(addressText);
    } catch (error) {
      throw new InputError(`${source}:${number}: ${(error as Error).message}`);
    }
    if (!/^[0-9]+$/.test(amountText) || BigInt(amountText) === 0n) {
      throw new InputError(`${source}:${number}: amount "${amountText}" is not a whole number of points above 0.`);
    }
    const amount = BigInt(amountText);
    if (amount > MAX_AMOUNT) throw new InputError(`${source}:${number}: amount ${amountText} is more than any merchant may issue in a period.`);
    const earlier = lines.get(address);
    if (earlier !== undefined) throw new InputError(`${source}: ${address} is on lines ${earlier} and ${number}: remove the repeat.`);
    lines.set(address, number);
    grants.push({ address, amount });
  });
  if (!grants.length) throw new InputError(`${source} lists no recipients.`);
  return grants;
}

/** The campaign's identity: its label when it has one (a repeated campaign), else the file's bytes. */
export function campaignKey(bytes: Uint8Array, label: string): Hex {
  return keccak256(label ? stringToBytes(label) : bytes);
}

export function planChunks(grants: Grant[], campaign: Hex, size = MAX_CHUNK): Chunk[] {
  const chunks: Chunk[] = [];
  for (let start = 0, index = 0; start < grants.length; start += size, index += 1) {
    const part = grants.slice(start, start + size);
    const rows = part.flatMap((grant) => [hexToBytes(grant.address), numberToBytes(grant.amount, { size: 32 })]);
    const ref = keccak256(concat([REF_DOMAIN, hexToBytes(campaign), numberToBytes(index, { size: 32 }), ...rows]));
    chunks.push({ index, grants: part, ref, total: part.reduce((sum, grant) => sum + grant.amount, 0n) });
  }
  return chunks;
}

