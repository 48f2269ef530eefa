"""The alliance file (`config/alliance.yaml`): the programs, merchants, rewards and routes to deploy.

Validation names the bad field, e.g. `programs.coffee.validity: must be at most 64`.
"""

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from points.addresses import checksummed
from points.errors import PointsError, invalid_file

MAX_VALIDITY = 64
MAX_NAME_LENGTH = 50
MAX_SYMBOL_LENGTH = 32
# Merchants' and rewards' names are `String[64]` on chain: 64 bytes of UTF-8, not 64 characters.
MAX_LABEL_BYTES = 64
# Block timestamps are 64-bit: the token refuses a longer epoch or cap period.
MAX_PERIOD = 2**64 - 1
MAX_RATE_PART = 2**32 - 1
MAX_ROUTE_CAP = 2**63 - 1
# A program's key names it in URLs and on command lines: a letter first, so that no key looks like
# an address.
PROGRAM_KEY_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"
ProgramKey = Annotated[str, Field(pattern=PROGRAM_KEY_PATTERN)]


def _checksum(value: str) -> str:
    return checksummed(value)


def check_on_chain_name(value: str, what: str) -> None:
    """Raises ValueError, naming the value as `what`, when `value` does not fit a `String[64]`."""
    if (size := len(value.encode())) > MAX_LABEL_BYTES:
        raise ValueError(f"{what} is {size} bytes of UTF-8; the chain keeps {MAX_LABEL_BYTES} at most")


def _fits_on_chain(value: str) -> str:
    check_on_chain_name(value, repr(value))
    return value


Address = Annotated[str, AfterValidator(_checksum)]
# A public label that goes on chain with `set_merchant` or `add_reward`: never personal data.
OnChainName = Annotated[str, AfterValidator(_fits_on_chain)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Named(_Strict):
    @model_validator(mode="before")
    @classmethod
    def _label_is_now_name(cls, data: Any) -> Any:
        # Files written before names went on chain used `label`; say what to rename.
        if isinstance(data, dict) and "label" in data:
            raise ValueError("`label` is now `name` (it goes on chain as the public label): rename the field")
        return data


class MerchantConfig(_Named):
    address: Address
    cap: int = Field(gt=0, lt=2**96, description="points per cap period")
    name: OnChainName = ""


class RewardConfig(_Named):
    """A reward's name is its key: it cannot change on chain, so a renamed reward is a new one."""

    merchant: Address
    price: int = Field(gt=0, lt=2**128)
    stock: int = Field(ge=0, lt=2**127)
    name: Annotated[OnChainName, Field(min_length=1)]
    active: bool = True


class ProgramConfig(_Strict):
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    symbol: str = Field(min_length=1, max_length=MAX_SYMBOL_LENGTH)
    epoch_length: int = Field(gt=0, le=MAX_PERIOD, description="seconds")
    validity: int = Field(gt=0, le=MAX_VALIDITY, description="epochs")
    cap_period: int = Field(gt=0, le=MAX_PERIOD, description="seconds")
    transferable: bool = True
    owner: Address | None = None
    merchants: list[MerchantConfig] = []
    rewards: list[RewardConfig] = []

    @model_validator(mode="after")
    def _merchants_are_distinct(self) -> "ProgramConfig":
        # One merchant has one cap and one name on chain: a second entry would silently win.
        seen: dict[str, int] = {}
        for index, merchant in enumerate(self.merchants):
            if merchant.address in seen:
                raise ValueError(
                    f"merchants.{index}.address {merchant.address} is already merchants.{seen[merchant.address]}"
                )
            seen[merchant.address] = index
        return self

    @model_validator(mode="after")
    def _rewards_are_distinct(self) -> "ProgramConfig":
        # Deploy matches rewards on chain by name: two entries of one name would fight over one reward.
        seen: dict[str, int] = {}
        for index, reward in enumerate(self.rewards):
            if reward.name in seen:
                raise ValueError(f"rewards.{index}.name {reward.name!r} is already rewards.{seen[reward.name]}")
            seen[reward.name] = index
        return self

    @model_validator(mode="after")
    def _rewards_have_merchants(self) -> "ProgramConfig":
        merchants = {merchant.address for merchant in self.merchants}
        for index, reward in enumerate(self.rewards):
            if reward.merchant not in merchants:
                raise ValueError(f"rewards.{index}.merchant {reward.merchant} is not one of the program's merchants")
        return self


class RouteConfig(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    rate_num: int = Field(gt=0, le=MAX_RATE_PART)
    rate_den: int = Field(gt=0, le=MAX_RATE_PART)
    cap: int = Field(gt=0, le=MAX_ROUTE_CAP, description="target points per the target's cap period")


class AllianceConfig(_Strict):
    programs: dict[ProgramKey, ProgramConfig] = Field(min_length=1)
    routes: list[RouteConfig] = []

    @model_validator(mode="after")
    def _routes_join_programs(self) -> "AllianceConfig":
        for index, route in enumerate(self.routes):
            for side, key in (("from", route.source), ("to", route.target)):
                if key not in self.programs:
                    raise ValueError(f"routes.{index}.{side}: unknown program {key!r}")
            if route.source == route.target:
                raise ValueError(f"routes.{index}: a route must join two different programs")
        return self

    def exchange_cap(self, program_key: str) -> int:
        """The exchange's merchant cap on a program: the sum of the caps of the routes into it."""
        return sum(route.cap for route in self.routes if route.target == program_key)


def load_alliance(path: Path) -> AllianceConfig:
    """Reads and validates an alliance file; every problem becomes a `PointsError` naming the field."""
    if not path.is_file():
        raise PointsError(f"no alliance file at {path}")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise PointsError(f"{path} is not valid YAML: {error}") from None
    try:
        return AllianceConfig.model_validate(raw)
    except ValidationError as error:
        raise invalid_file(path, error) from None
