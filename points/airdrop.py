"""A campaign file (CSV of address,amount) cut into `mint_batch` chunks with deterministic refs.

Each chunk's `ref` is a hash of the campaign, the chunk's position and its rows. A chunk is one
transaction, so it is issued entirely or not at all, and the chain itself records which chunks
are done: a rerun after a failure looks for `Issued` events carrying a chunk's ref and sends only
the others. No journal file can disagree with the chain, and a crash between sending and
recording cannot issue anything twice.

By default the campaign is identified by the file's content, so rerunning the same file never
issues it again; a repeated campaign with the same rows (next month's member day) names itself
with a label.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

from eth_utils import keccak

from points.addresses import AddressError, checksummed
from points.errors import PointsError

MAX_CHUNK = 256
# No merchant may issue more in one cap period (the token's largest cap).
MAX_AMOUNT = 2**96 - 1
_REF_DOMAIN = b"points-airdrop-v1"


@dataclass(frozen=True)
class Grant:
    address: str
    amount: int


@dataclass(frozen=True)
class Chunk:
    index: int
    grants: tuple[Grant, ...]
    ref: bytes

    @property
    def total(self) -> int:
        return sum(grant.amount for grant in self.grants)


# Spreadsheets in locales whose decimal mark is a comma save CSV with semicolons.
def _separator(text: str) -> str:
    """`;` when the first non-empty line has semicolons and no comma, else `,`."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if ";" in first and "," not in first else ","


@dataclass(frozen=True)
class Campaign:
    grants: list[Grant]
    merged: int  # addresses listed on several lines whose amounts were summed


def read_campaign(path: Path, merge_duplicates: bool = False) -> Campaign:
    """Every row, validated before anything is sent; an error names the line. A UTF-8 byte-order
    mark (as Excel writes) is skipped and `;`-separated files are read too. An address on several
    lines is refused, or with `merge_duplicates` issued the sum of its lines at its first line."""
    rows = _rows(path)
    lines: dict[str, list[int]] = {}
    totals: dict[str, int] = {}
    for number, grant in rows:
        lines.setdefault(grant.address, []).append(number)
        totals[grant.address] = totals.get(grant.address, 0) + grant.amount
    repeated = {address: numbers for address, numbers in lines.items() if len(numbers) > 1}
    if repeated and not merge_duplicates:
        address, numbers = next(iter(repeated.items()))
        more = f" (and {len(repeated) - 1} more repeated address(es))" if len(repeated) > 1 else ""
        raise PointsError(f"{path}: {address} is on lines {', '.join(map(str, numbers))}{more}: remove the "
                          "repeats, or pass --merge-duplicates to issue each address the sum of its lines")
    return Campaign([Grant(address, total) for address, total in totals.items()], merged=len(repeated))


def _rows(path: Path) -> list[tuple[int, Grant]]:
    """The file's grants with their line numbers, each row checked."""
    if not path.is_file():
        raise PointsError(f"no campaign file at {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise PointsError(f"{path} is not UTF-8 text: {error.reason} at byte {error.start}") from None
    separator = _separator(text)
    grants = []
    for number, row in enumerate(csv.reader(text.splitlines(), delimiter=separator), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or (number == 1 and cells[0].lower() == "address"):
            continue
        if len(cells) != 2:
            raise PointsError(f"{path}:{number}: expected two columns, address{separator}amount")
        address, amount = cells
        try:
            recipient = checksummed(address)
        except AddressError as error:
            raise PointsError(f"{path}:{number}: {error}") from None
        if int(address, 16) == 0:
            raise PointsError(f"{path}:{number}: points cannot be issued to the zero address")
        if not (amount.isascii() and amount.isdigit()) or int(amount) == 0:
            raise PointsError(f"{path}:{number}: amount {amount!r} is not a whole number of points above 0")
        if int(amount) > MAX_AMOUNT:
            raise PointsError(f"{path}:{number}: amount {amount} is more than any merchant may issue in a period "
                              "(2**96 - 1)")
        grants.append((number, Grant(recipient, int(amount))))
    if not grants:
        raise PointsError(f"{path} lists no recipients")
    return grants


def campaign_key(path: Path, label: str | None) -> bytes:
    return keccak(text=label) if label is not None else keccak(path.read_bytes())


def plan_chunks(grants: list[Grant], campaign: bytes, size: int = MAX_CHUNK) -> list[Chunk]:
    if not 1 <= size <= MAX_CHUNK:
        raise PointsError(f"a chunk holds 1 to {MAX_CHUNK} recipients, not {size}")
    chunks = []
    for index, start in enumerate(range(0, len(grants), size)):
        part = tuple(grants[start:start + size])
        rows = b"".join(bytes.fromhex(grant.address[2:]) + grant.amount.to_bytes(32, "big") for grant in part)
        ref = keccak(_REF_DOMAIN + campaign + index.to_bytes(32, "big") + rows)
        chunks.append(Chunk(index=index, grants=part, ref=ref))
    return chunks
