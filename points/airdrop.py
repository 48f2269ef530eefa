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


def read_grants(path: Path) -> list[Grant]:
    """Every row, validated before anything is sent; an error names the line."""
    if not path.is_file():
        raise PointsError(f"no campaign file at {path}")
    grants = []
    with path.open(newline="") as lines:
        for number, row in enumerate(csv.reader(lines), start=1):
            cells = [cell.strip() for cell in row]
            if not any(cells) or (number == 1 and cells[0].lower() == "address"):
                continue
            if len(cells) != 2:
                raise PointsError(f"{path}:{number}: expected two columns, address,amount")
            address, amount = cells
            try:
                recipient = checksummed(address)
            except AddressError as error:
                raise PointsError(f"{path}:{number}: {error}") from None
            if int(address, 16) == 0:
                raise PointsError(f"{path}:{number}: points cannot be issued to the zero address")
            if not amount.isdigit() or int(amount) == 0:
                raise PointsError(f"{path}:{number}: amount {amount!r} is not a whole number of points above 0")
            grants.append(Grant(recipient, int(amount)))
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
