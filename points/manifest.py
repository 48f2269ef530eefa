"""The deployment manifest: where a deployment's contracts live (docs/interface.md).

Written by `ape run deploy`, read by the operations scripts, the indexer and the API.
"""

import json
import os
from pathlib import Path

from eth_utils import to_checksum_address
from pydantic import BaseModel, ValidationError, field_validator

from points.addresses import checksummed
from points.errors import PointsError, invalid_file


class ContractRecord(BaseModel):
    address: str
    block: int

    @field_validator("address")
    @classmethod
    def _checksummed(cls, value: str) -> str:
        return checksummed(value)


class ProgramRecord(ContractRecord):
    name: str
    symbol: str


class Manifest(BaseModel):
    chain_id: int
    network: str
    start_block: int
    exchange: ContractRecord
    programs: dict[str, ProgramRecord]

    def program(self, key: str) -> ProgramRecord:
        """The program deployed under `key`, or an error listing the keys that exist."""
        try:
            return self.programs[key]
        except KeyError:
            known = ", ".join(sorted(self.programs)) or "none"
            raise PointsError(f"unknown program {key!r}: the manifest has {known}") from None

    def contract_addresses(self) -> list[str]:
        """Every contract of the deployment: the exchange, then the programs."""
        return [self.exchange.address, *(record.address for record in self.programs.values())]

    def program_by_address(self, address: str) -> tuple[str, ProgramRecord]:
        wanted = to_checksum_address(address)
        for key, record in self.programs.items():
            if record.address == wanted:
                return key, record
        raise PointsError(f"{wanted} is not a program of this deployment")

    def save(self, path: Path) -> None:
        """Writes atomically, so that a crash never leaves half a manifest behind."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(self.model_dump(), indent=2) + "\n")
        os.replace(temporary, path)


def load_manifest(path: Path) -> Manifest:
    if not path.is_file():
        raise PointsError(f"no deployment manifest at {path}: run `ape run deploy` first")
    try:
        return Manifest.model_validate_json(path.read_text())
    except ValidationError as error:
        raise invalid_file(path, error) from None
